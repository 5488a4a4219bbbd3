//go:build unix

package resolver

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user and system) this process has
// used, for benchmarks' cpu-ns/op (far less sensitive than ns/op to
// other processes on a shared machine).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
