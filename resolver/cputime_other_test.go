//go:build !unix

package resolver

import "time"

// processCPU is not measured here.
func processCPU() time.Duration { return 0 }
