//go:build linux

package mailsrv

import (
	"context"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// BenchmarkMaildirDeliver delivers a 4 KiB message (smtp-source's size in
// the relay benchmark) from 8 concurrent sessions, each waiting for its
// file to be durable in new/ as a session does before its 250. Besides
// ns/op it reports the process's CPU time per delivery (user+system, from
// getrusage), the figure the relay is held to against Postfix.
func BenchmarkMaildirDeliver(b *testing.B) {
	m := NewMaildir(b.TempDir(), "bench.test", nil)
	defer m.Close()
	msg := []byte(strings.Repeat("a line of a 4 KiB message body, as smtp-source sends\r\n", 75))
	if _, err := m.Deliver(context.Background(), "a@x.test", []string{"bob@bench.test"}, msg); err != nil {
		b.Fatal(err)
	}
	var failed atomic.Pointer[error]
	b.SetParallelism(8) // with GOMAXPROCS 1 or 2: 8 or 16 sessions
	b.SetBytes(int64(len(msg)))
	cpu0 := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := m.Deliver(context.Background(), "a@x.test", []string{"bob@bench.test"}, msg); err != nil {
				failed.Store(&err)
				return
			}
		}
	})
	b.StopTimer()
	if err := failed.Load(); err != nil {
		b.Fatal(*err)
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime))
}
