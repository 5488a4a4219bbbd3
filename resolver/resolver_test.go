package resolver

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"github.com/relaykit/relaykit/dnswire"
)

func addrs(rrs []RR) []string {
	var out []string
	for _, rr := range rrs {
		switch d := rr.Data.(type) {
		case *dnswire.A:
			out = append(out, d.Addr.String())
		case *dnswire.AAAA:
			out = append(out, d.Addr.String())
		}
	}
	return out
}

func TestResolveA(t *testing.T) {
	h, r := newTest(t, Config{})
	ctx := context.Background()
	res, err := r.Resolve(ctx, dnswire.MustName("www.example.com."), dnswire.TypeA)
	if err != nil {
		t.Fatal(err)
	}
	if got := addrs(res.Answer); len(got) != 1 || got[0] != "192.0.2.1" || res.FromCache {
		t.Fatalf("answer %v fromCache %v", got, res.FromCache)
	}
	if res.Answer[0].TTL != 3600 {
		t.Errorf("TTL %d, want 3600", res.Answer[0].TTL)
	}
	n := h.QueryCount()
	res, err = r.Resolve(ctx, dnswire.MustName("WWW.Example.COM."), dnswire.TypeA)
	if err != nil || !res.FromCache || h.QueryCount() != n {
		t.Fatalf("second resolve: err %v fromCache %v queries %d -> %d", err, res.FromCache, n, h.QueryCount())
	}
	h.Clock.Advance(100e9)
	res, _ = r.Resolve(ctx, dnswire.MustName("www.example.com."), dnswire.TypeA)
	if res.Answer[0].TTL != 3500 {
		t.Errorf("TTL after 100 s: %d, want 3500", res.Answer[0].TTL)
	}
}

func TestResolveCases(t *testing.T) {
	tests := []struct {
		name   string
		t      dnswire.Type
		want   []string
		kind   error
		reason error
		chain  int // CNAME records expected first
	}{
		{name: "multi.example.com.", t: dnswire.TypeA, want: []string{"192.0.2.1", "192.0.2.2", "192.0.2.3"}},
		{name: "v6.example.com.", t: dnswire.TypeAAAA, want: []string{"2001:db8::1"}},
		{name: "alias2.example.com.", t: dnswire.TypeA, want: []string{"192.0.2.1"}, chain: 2},
		{name: "ext.example.com.", t: dnswire.TypeA, want: []string{"192.0.2.100"}, chain: 1},
		{name: "www.example.org.", t: dnswire.TypeA, want: []string{"192.0.2.200"}},
		{name: "a.b.c.deep.example.com.", t: dnswire.TypeA, want: []string{"192.0.2.9"}},
		{name: "nope.example.com.", t: dnswire.TypeA, kind: ErrNXDomain},
		{name: "gone.example.com.", t: dnswire.TypeA, kind: ErrNXDomain, chain: 1},
		{name: "www.example.com.", t: dnswire.TypeAAAA, kind: ErrNoData},
		{name: "c.deep.example.com.", t: dnswire.TypeA, kind: ErrNoData},
		{name: "loop1.example.com.", t: dnswire.TypeA, kind: ErrServFail, reason: ErrCNAMELoop, chain: 2},
		{name: "nope.invalid.", t: dnswire.TypeA, kind: ErrNXDomain},
	}
	for _, tc := range tests {
		t.Run(tc.name+"/"+tc.t.String(), func(t *testing.T) {
			_, r := newTest(t, Config{})
			for round := 0; round < 2; round++ {
				res, err := r.Resolve(context.Background(), dnswire.MustName(tc.name), tc.t)
				if tc.kind == nil {
					if err != nil {
						t.Fatalf("round %d: %v", round, err)
					}
					got := addrs(res.Answer)
					if len(got) != len(tc.want) {
						t.Fatalf("round %d: got %v want %v", round, got, tc.want)
					}
					for i := range got {
						if got[i] != tc.want[i] {
							t.Fatalf("round %d: got %v want %v", round, got, tc.want)
						}
					}
				} else {
					if !errors.Is(err, tc.kind) {
						t.Fatalf("round %d: err %v, want %v", round, err, tc.kind)
					}
					if tc.reason != nil && !errors.Is(err, tc.reason) {
						t.Fatalf("round %d: err %v, want reason %v", round, err, tc.reason)
					}
					if tc.kind != ErrServFail && len(res.Authority) != 1 {
						t.Errorf("round %d: negative answer without SOA: %v", round, res.Authority)
					}
				}
				n := 0
				for _, rr := range res.Answer {
					if rr.Type == dnswire.TypeCNAME {
						n++
					}
				}
				if n != tc.chain {
					t.Errorf("round %d: %d CNAMEs, want %d", round, n, tc.chain)
				}
				if round == 1 && !res.FromCache {
					t.Errorf("second round not from cache")
				}
			}
		})
	}
}

var _ = netip.Addr{}
