//go:build race

package dkim

// raceEnabled: the race detector adds allocations, so allocation
// budgets are not checked under it.
const raceEnabled = true
