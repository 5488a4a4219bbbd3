package resolver

import (
	"context"
	"testing"

	"github.com/relaykit/relaykit/dnswire"
)

// TestValidatedCacheHitAllocs: a validated RRset from the cache costs
// the answer slice only, as a plain cache hit does (a validation again
// would cost hundreds).
func TestValidatedCacheHitAllocs(t *testing.T) {
	a := newLabAuth(t)
	r := labResolver(t, a)
	name := dnswire.MustName("_25._tcp.mx.sec.lab.")
	ctx := context.Background()
	if res, err := r.Resolve(ctx, name, dnswire.TypeTLSA); err != nil || res.Security != Secure {
		t.Fatal(res.Security, err)
	}
	allocs := testing.AllocsPerRun(200, func() {
		res, err := r.Resolve(ctx, name, dnswire.TypeTLSA)
		if err != nil || !res.FromCache || res.Security != Secure {
			t.Fatal(err)
		}
	})
	if allocs > 1 {
		t.Fatalf("validated cache hit: %v allocs, budget 1", allocs)
	}
	t.Logf("validated cache hit: %v allocs", allocs)
}

// BenchmarkResolveValidatedCached: a secure TLSA answer from the
// validated cache.
func BenchmarkResolveValidatedCached(b *testing.B) {
	a := newLabAuth(b)
	r := New(Config{DNSSEC: true, TrustAnchors: labAnchor(b), RootHints: labHints, AllowSpecialAddrs: true, Transport: labTransport{a}, Now: at2030})
	name := dnswire.MustName("_25._tcp.mx.sec.lab.")
	ctx := context.Background()
	if _, err := r.Resolve(ctx, name, dnswire.TypeTLSA); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		r.Resolve(ctx, name, dnswire.TypeTLSA)
	}
}

// BenchmarkResolveValidatedCold: a secure TLSA answer resolved and
// validated from nothing (caches flushed every time: DNSKEY and DS of
// every cut, the answer), with upstream queries per name reported. The
// lab's answers are made in process, so the time is the resolver's and
// validator's CPU plus the lab's answer building.
func BenchmarkResolveValidatedCold(b *testing.B) {
	a := newLabAuth(b)
	r := New(Config{DNSSEC: true, TrustAnchors: labAnchor(b), RootHints: labHints, AllowSpecialAddrs: true, Transport: labTransport{a}, Now: at2030})
	name := dnswire.MustName("_25._tcp.mx.sec.lab.")
	ctx := context.Background()
	b.ReportAllocs()
	q0 := a.queries
	for b.Loop() {
		r.Flush()
		if res, err := r.Resolve(ctx, name, dnswire.TypeTLSA); err != nil || res.Security != Secure {
			b.Fatal(res.Security, err)
		}
	}
	b.ReportMetric(float64(a.queries-q0)/float64(b.N), "queries/op")
}
