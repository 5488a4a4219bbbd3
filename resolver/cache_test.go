package resolver

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnstest"
	"github.com/relaykit/relaykit/dnswire"
)

func TestCacheRanks(t *testing.T) {
	c := newCache(1 << 20)
	a := func(s string) []dnswire.RData { return []dnswire.RData{&dnswire.A{Addr: netip.MustParseAddr(s)}} }
	put := func(rk rank, addr string) bool {
		return c.put(&entry{key: "k", kind: kindPositive, rank: rk, data: a(addr), expire: 100, staleUntil: 100}, 0)
	}
	if !put(rankAnswerAuth, "192.0.2.1") {
		t.Fatal("first put refused")
	}
	// RFC 2181 5.4.1: glue never replaces an authoritative answer.
	if put(rankAdditional, "192.0.2.66") || put(rankAuthorityNonAuth, "192.0.2.66") || put(rankAnswerNonAuth, "192.0.2.66") {
		t.Fatal("less trusted data replaced an authoritative answer")
	}
	if !put(rankAnswerAuth, "192.0.2.2") {
		t.Fatal("equal rank refused")
	}
	if got := c.get([]byte("k")).data[0].(*dnswire.A).Addr.String(); got != "192.0.2.2" {
		t.Fatalf("got %s", got)
	}
	// Once expired, anything may replace it.
	if !c.put(&entry{key: "k", kind: kindPositive, rank: rankAdditional, data: a("192.0.2.3"), expire: 300}, 200) {
		t.Fatal("expired entry not replaced")
	}
	// A cached failure never hides data, and data replaces a failure.
	if c.put(&entry{key: "k", kind: kindServFail, expire: 400}, 250) {
		t.Fatal("failure replaced data")
	}
}

func TestCacheMemoryBound(t *testing.T) {
	c := newCache(cacheShards * 8192)
	for i := range 20000 {
		c.put(&entry{key: fmt.Sprintf("name%d.example.", i), kind: kindPositive, rank: rankAnswerAuth,
			data: []dnswire.RData{&dnswire.A{}}, expire: 1e18, staleUntil: 1e18}, 0)
	}
	n, b := c.stats()
	if b > cacheShards*8192 {
		t.Fatalf("%d bytes in %d entries, bound %d", b, n, cacheShards*8192)
	}
	if n == 0 || n == 20000 {
		t.Fatalf("%d entries", n)
	}
	c.flush()
	if n, b := c.stats(); n != 0 || b != 0 {
		t.Fatalf("after flush: %d entries %d bytes", n, b)
	}
}

func TestNegativeCacheTTL(t *testing.T) {
	h, r := newTest(t, Config{})
	_, err := r.Resolve(context.Background(), dnswire.MustName("nope.example.com."), dnswire.TypeA)
	if !errors.Is(err, ErrNXDomain) {
		t.Fatal(err)
	}
	n := h.QueryCount()
	// RFC 2308 5: TTL = min(SOA TTL 3600, MINIMUM 300); and NXDOMAIN
	// covers every type.
	res, err := r.Resolve(context.Background(), dnswire.MustName("nope.example.com."), dnswire.TypeMX)
	if !errors.Is(err, ErrNXDomain) || !res.FromCache || h.QueryCount() != n {
		t.Fatalf("MX after NXDOMAIN: %v cache %v", err, res.FromCache)
	}
	if ttl := res.Authority[0].TTL; ttl != 300 {
		t.Fatalf("SOA TTL %d, want 300", ttl)
	}
	h.Clock.Advance(301 * time.Second)
	res, _ = r.Resolve(context.Background(), dnswire.MustName("nope.example.com."), dnswire.TypeA)
	if res.FromCache {
		t.Fatal("negative entry outlived its TTL")
	}
}

func TestServFailCache(t *testing.T) {
	h, r := newTest(t, Config{ServFailTTL: 5 * time.Second})
	mustResolve(t, r, "www.example.com.", dnswire.TypeA)
	h.Server("127.0.0.5").SetFault(dnstest.Fault{ServFail: true})
	h.Server("127.0.0.6").SetFault(dnstest.Fault{ServFail: true})
	_, err := r.Resolve(context.Background(), dnswire.MustName("plain.example.com."), dnswire.TypeA)
	if !errors.Is(err, ErrUpstreamServFail) {
		t.Fatal(err)
	}
	n := h.QueryCount()
	_, err = r.Resolve(context.Background(), dnswire.MustName("plain.example.com."), dnswire.TypeA)
	if !errors.Is(err, ErrCachedFailure) || h.QueryCount() != n {
		t.Fatalf("second: %v, %d new queries", err, h.QueryCount()-n)
	}
	h.Clock.Advance(6 * time.Second)
	h.Server("127.0.0.5").SetFault(dnstest.Fault{})
	mustResolve(t, r, "plain.example.com.", dnswire.TypeA)
}

func TestServeStale(t *testing.T) {
	h, r := newTest(t, Config{ServeStale: true})
	mustResolve(t, r, "short.example.com.", dnswire.TypeA)
	h.Clock.Advance(10 * time.Second)
	h.Server("127.0.0.5").SetFault(dnstest.Fault{Drop: true})
	h.Server("127.0.0.6").SetFault(dnstest.Fault{Drop: true})
	res := mustResolve(t, r, "short.example.com.", dnswire.TypeA)
	if !res.Stale || res.Answer[0].TTL != staleTTL {
		t.Fatalf("stale %v TTL %d", res.Stale, res.Answer[0].TTL)
	}
	// While the failure is remembered, stale data comes at once.
	n := h.QueryCount()
	res = mustResolve(t, r, "short.example.com.", dnswire.TypeA)
	if !res.Stale || h.QueryCount() != n {
		t.Fatalf("second stale answer: stale %v, %d new queries", res.Stale, h.QueryCount()-n)
	}
	// Without serve-stale the same gives SERVFAIL.
	h2, r2 := newTest(t, Config{})
	mustResolve(t, r2, "short.example.com.", dnswire.TypeA)
	h2.Clock.Advance(10 * time.Second)
	h2.Server("127.0.0.5").SetFault(dnstest.Fault{Drop: true})
	h2.Server("127.0.0.6").SetFault(dnstest.Fault{Drop: true})
	if _, err := r2.Resolve(context.Background(), dnswire.MustName("short.example.com."), dnswire.TypeA); !errors.Is(err, ErrServFail) {
		t.Fatal(err)
	}
}

func TestTTLClamp(t *testing.T) {
	_, r := newTest(t, Config{MaxTTL: time.Minute, MinTTL: 10 * time.Second})
	if ttl := mustResolve(t, r, "www.example.com.", dnswire.TypeA).Answer[0].TTL; ttl != 60 {
		t.Errorf("TTL %d, want 60", ttl)
	}
	if ttl := mustResolve(t, r, "short.example.com.", dnswire.TypeA).Answer[0].TTL; ttl != 10 {
		t.Errorf("TTL %d, want 10", ttl)
	}
}

func TestGlueNotAnAnswer(t *testing.T) {
	h, r := newTest(t, Config{})
	mustResolve(t, r, "www.example.com.", dnswire.TypeA)
	// ns1.example.com's address is cached as glue (TTL 172800 from com);
	// a query for it must still go to example.com's servers.
	n := h.QueryCount()
	res := mustResolve(t, r, "ns1.example.com.", dnswire.TypeA)
	if res.FromCache || h.QueryCount() == n || res.Answer[0].TTL != 3600 {
		t.Fatalf("fromCache %v TTL %d", res.FromCache, res.Answer[0].TTL)
	}
}

func TestFlightSharesOneCall(t *testing.T) {
	var f flight
	var calls atomic.Int32
	release := make(chan struct{})
	fn := func() (Result, error) {
		calls.Add(1)
		<-release
		return Result{Answer: []RR{{}}}, nil
	}
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err, _ := f.do(context.Background(), "k", fn)
			if err != nil || len(res.Answer) != 1 {
				t.Errorf("%v %v", res, err)
			}
		}()
	}
	// Wait until the five callers share one call.
	for {
		f.mu.Lock()
		c := f.calls["k"]
		d := 0
		if c != nil {
			d = c.dups
		}
		f.mu.Unlock()
		if d == 4 {
			break
		}
		runtime.Gosched()
	}
	// A caller whose context ends gives up alone.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err, _ := f.do(ctx, "k", fn); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller: %v", err)
	}
	close(release)
	wg.Wait()
	if calls.Load() != 1 {
		t.Fatalf("%d calls", calls.Load())
	}
}

func TestCacheHitAllocs(t *testing.T) {
	_, r := newTest(t, Config{})
	name := dnswire.MustName("multi.example.com.")
	mustResolve(t, r, "multi.example.com.", dnswire.TypeA)
	ctx := context.Background()
	allocs := testing.AllocsPerRun(200, func() {
		res, err := r.Resolve(ctx, name, dnswire.TypeA)
		if err != nil || !res.FromCache {
			t.Fatal(err)
		}
	})
	if allocs > 1 {
		t.Fatalf("cache hit: %v allocs, budget 1", allocs)
	}
}

func BenchmarkResolveCached(b *testing.B) {
	h := startHier(b, testZones, testServers)
	r := New(Config{RootHints: h.RootHints(), GluePort: h.Port(), AllowSpecialAddrs: true, Transport: h.Transport(), Now: h.Clock.Now})
	name := dnswire.MustName("www.example.com.")
	ctx := context.Background()
	if _, err := r.Resolve(ctx, name, dnswire.TypeA); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		r.Resolve(ctx, name, dnswire.TypeA)
	}
}

func TestServerAddressesExpireBeforeNS(t *testing.T) {
	zones := map[string]string{}
	for k, v := range testZones {
		zones[k] = v
	}
	zones["example.com."] = `
@        3600 SOA ns1 hostmaster 1 3600 600 86400 300
@        3600 NS  ns1
@        3600 NS  ns2
ns1      60   A   127.0.0.5
ns2      60   A   127.0.0.6
www      3600 A   192.0.2.1
plain    3600 A   192.0.2.20
`
	h, r := newTestZones(t, zones, testServers, Config{})
	mustResolve(t, r, "www.example.com.", dnswire.TypeA)
	mustResolve(t, r, "ns1.example.com.", dnswire.TypeA) // authoritative, TTL 60, replaces the glue
	mustResolve(t, r, "ns2.example.com.", dnswire.TypeA)
	h.Clock.Advance(2 * time.Minute)
	mustResolve(t, r, "plain.example.com.", dnswire.TypeA)
}

func TestConcurrentResolves(t *testing.T) {
	_, r := newTest(t, Config{})
	names := []string{"www.example.com.", "multi.example.com.", "alias2.example.com.", "nope.example.com.",
		"www.example.org.", "www.example.net.", "a.b.c.deep.example.com.", "txt.example.com."}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				n := names[(g+i)%len(names)]
				res, err := r.Resolve(context.Background(), dnswire.MustName(n), dnswire.TypeA)
				if err != nil && !errors.Is(err, ErrNXDomain) && !errors.Is(err, ErrNoData) {
					t.Errorf("%s: %v", n, err)
					return
				}
				if n == "multi.example.com." && len(res.Answer) != 3 {
					t.Errorf("multi: %d records", len(res.Answer))
					return
				}
			}
		}()
	}
	wg.Wait()
}
