package resolver

import (
	"fmt"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// BenchmarkCacheMemory1M stores 1,000,000 A RRsets (one record each, as
// an answer would) and reports the heap they take per RRset.
func BenchmarkCacheMemory1M(b *testing.B) {
	const n = 1_000_000
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		now := time.Unix(1e9, 0)
		r := New(Config{CacheBytes: 1 << 30, Now: func() time.Time { return now }})
		rr := []RR{{RRHeader: dnswire.RRHeader{Type: dnswire.TypeA, Class: dnswire.ClassINET, TTL: 3600}}}
		for i := range n {
			rr[0].Name = dnswire.MustName(fmt.Sprintf("host%d.example%d.com.", i, i%1000))
			rr[0].Data = &dnswire.A{Addr: netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})}
			r.storeSection(rr, rankAnswerAuth)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		entries, _ := r.CacheStats()
		if entries != n {
			b.Fatalf("%d entries", entries)
		}
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heapB/RRset")
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heapMiB/1M")
		runtime.KeepAlive(r)
	}
}
