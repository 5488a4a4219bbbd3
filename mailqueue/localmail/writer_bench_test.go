//go:build linux

package localmail

import (
	"context"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/relaykit/relaykit/internal/postfixtest"
	"github.com/relaykit/relaykit/mailbox"
)

// BenchmarkMaildirDeliver delivers a 4 KiB message (smtp-source's size in
// the relay benchmark) from 8 concurrent sessions, each waiting for its
// file to be durable in new/ as a session does before its 250. Besides
// ns/op it reports the process's CPU time per delivery (user+system, from
// /proc in clock ticks, as the relay benchmark reads it), the figure the
// relay is held to against Postfix. Each run removes its files at the
// end; on a journal-less ext4 the runs that follow then pay for skipping
// recently deleted inodes (bench/results/examples.md), so compare builds
// alternately, never one after the other.
func BenchmarkMaildirDeliver(b *testing.B) {
	m := NewWriter(&Mailboxes{Root: b.TempDir(), Options: mailbox.Options{Host: "bench.test"}})
	defer m.Close()
	msg := []byte(strings.Repeat("a line of a 4 KiB message body, as smtp-source sends\r\n", 75))
	if _, err := m.Deliver(context.Background(), "a@x.test", []string{"bob@bench.test"}, msg); err != nil {
		b.Fatal(err)
	}
	var failed atomic.Pointer[error]
	b.SetParallelism(8) // with GOMAXPROCS 1 or 2: 8 or 16 sessions
	b.SetBytes(int64(len(msg)))
	cpu0, err := postfixtest.TreeCPU(os.Getpid())
	if err != nil {
		b.Fatal(err)
	}
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
	cpu1, err := postfixtest.TreeCPU(os.Getpid())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64((cpu1-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}
