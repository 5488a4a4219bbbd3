package dkim

import (
	"syscall"
	"testing"
)

// reportCPU adds a cpu-ns/op metric: the process's CPU time (user and
// system, all threads) per operation. The machine the figures are taken
// on is shared, and wall-clock time includes time spent descheduled;
// CPU time does not. Use: defer reportCPU(b)() before the loop.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
