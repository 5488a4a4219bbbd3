//go:build interop

package resolver_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnswire"
	"github.com/relaykit/relaykit/resolver"
)

// TestInteropDNSSECBenchUnbound measures validated resolution against
// Unbound on the signed NSD hierarchy, both as servers on 127.0.0.1
// asked the same way (one UDP query at a time with DO, as a stub
// would): "cached" asks a validated name already in both caches (answers
// per second), "newname" a name never asked before under the NSEC3
// wildcard (one upstream query, a wildcard answer and its NSEC3 proof to
// validate; keys cached), and "cold" (ours only: Unbound's caches cannot
// be flushed without its control channel) resolves and validates from
// nothing, reporting upstream queries per name. It prints benchmark
// lines for benchstat. Set DNSSEC_BENCH=1 to run it (CI skips it).
func TestInteropDNSSECBenchUnbound(t *testing.T) {
	if os.Getenv("DNSSEC_BENCH") == "" {
		t.Skip("set DNSSEC_BENCH=1 to run the DNSSEC benchmarks against Unbound")
	}
	files, rootDS := buildSigned(t)
	startSignedNSD(t, files)
	ubPort := startValidatingUnbound(t, rootDS)
	anchor, err := dnswire.ReadZone(strings.NewReader(rootDS+"\n"), dnswire.ZoneConfig{TTL: 3600})
	if err != nil {
		t.Fatal(err)
	}
	cfg := resolver.Config{DNSSEC: true, TrustAnchors: anchor,
		RootHints: []netip.AddrPort{netip.MustParseAddrPort(signedPrefix + "1:53")}, AllowSpecialAddrs: true}
	r, ourPort := startOurs(t, cfg)

	ask := func(port int, name string) (*dnswire.Msg, error) {
		q := dnswire.Msg{}
		q.SetQuestion(dnswire.MustName(name), dnswire.TypeTXT)
		q.SetEDNS(1232, true)
		b, _ := q.Pack()
		raw, err := resolver.NetTransport{}.Exchange(context.Background(), "udp", netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port)), b, 5*time.Second)
		if err != nil {
			return nil, err
		}
		m := &dnswire.Msg{}
		return m, m.Unpack(raw)
	}
	// failed keeps why a run stopped (testing.Benchmark reports only
	// N = 0).
	var failed atomic.Value
	secure := func(b *testing.B, port int, name string) {
		m, err := ask(port, name)
		if err != nil || m.RCode != dnswire.RCodeSuccess || !m.AuthenticData {
			failed.Store(fmt.Sprintf("%s from port %d: %v %v", name, port, m, err))
			b.Fatalf("%s from port %d: %v %v", name, port, m, err)
		}
	}
	report := func(line string, res testing.BenchmarkResult) {
		if res.N == 0 {
			t.Errorf("%s failed: %v", line, failed.Load())
			return
		}
		fmt.Printf("%s\t%d\t%d ns/op\n", line, res.N, res.NsPerOp())
	}
	impls := []struct {
		name string
		port int
	}{{"relaykit", ourPort}, {"unbound", ubPort}}
	var seq atomic.Int64
	for _, im := range impls {
		secure(&testing.B{}, im.port, "x.wild.sec.lab.") // warm: keys and the name
		res := testing.Benchmark(func(b *testing.B) {
			for b.Loop() {
				secure(b, im.port, "x.wild.sec.lab.")
			}
		})
		report("BenchmarkDNSSECServer/case=cached/impl="+im.name, res)
		res = testing.Benchmark(func(b *testing.B) {
			for b.Loop() {
				secure(b, im.port, fmt.Sprintf("n%d.wild.sec.lab.", seq.Add(1)))
			}
		})
		report("BenchmarkDNSSECServer/case=newname/impl="+im.name, res)
	}
	var queries uint64
	res := testing.Benchmark(func(b *testing.B) {
		ctx := context.Background()
		name := dnswire.MustName("_25._tcp.mx.sec.lab.")
		before := r.Stats()
		for b.Loop() {
			r.Flush()
			if res, err := r.Resolve(ctx, name, dnswire.TypeTLSA); err != nil || res.Security != resolver.Secure {
				b.Fatal(res.Security, err)
			}
		}
		after := r.Stats()
		queries = (after.QueriesUDP + after.QueriesTCP - before.QueriesUDP - before.QueriesTCP) / uint64(b.N)
	})
	fmt.Printf("BenchmarkDNSSECResolveCold/impl=relaykit\t%d\t%d ns/op\t%d queries/op\n", res.N, res.NsPerOp(), queries)
}
