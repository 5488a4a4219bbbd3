package resolver

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/relaykit/relaykit/dnstest"
	"github.com/relaykit/relaykit/dnswire"
)

func TestStats(t *testing.T) {
	h, r := newTest(t, Config{})
	ctx := context.Background()
	if diff := cmp.Diff(Stats{}, r.Stats()); diff != "" {
		t.Fatalf("new resolver: %s", diff)
	}
	// One server of example.com drops everything, the other truncates
	// its UDP answers: TCP retries (and timeouts whenever the random pick
	// among equal servers tries the dropping one first; counted below
	// where they are certain).
	h.Server("127.0.0.5").SetFault(dnstest.Fault{Drop: true})
	h.Server("127.0.0.6").SetFault(dnstest.Fault{Truncate: true})
	mustResolve(t, r, "www.example.com.", dnswire.TypeA)
	mustResolve(t, r, "www.example.com.", dnswire.TypeA) // cache hit
	r.Resolve(ctx, dnswire.MustName("nope.example.com."), dnswire.TypeA)
	r.Resolve(ctx, dnswire.MustName("nope.example.com."), dnswire.TypeA) // negative hit
	r.Resolve(ctx, dnswire.MustName("loop1.example.com."), dnswire.TypeA)
	s := r.Stats()
	if want := uint64(h.QueryCount()); s.QueriesUDP+s.QueriesTCP != want {
		t.Errorf("queries UDP %d + TCP %d, servers saw %d", s.QueriesUDP, s.QueriesTCP, want)
	}
	if s.QueriesTCP == 0 {
		t.Errorf("TCP %d: want > 0", s.QueriesTCP)
	}
	if s.CacheHits != 2 || s.CacheMisses != 3 {
		t.Errorf("hits %d misses %d, want 2 and 3", s.CacheHits, s.CacheMisses)
	}
	if s.Answers[dnswire.RCodeSuccess] != 2 || s.Answers[dnswire.RCodeNameError] != 2 || s.Answers[dnswire.RCodeServerFailure] != 1 {
		t.Errorf("answers by rcode %v", s.Answers)
	}

	// Both servers of example.com dropping: its queries time out.
	hd, rd := newTest(t, Config{})
	for _, a := range []string{"127.0.0.5", "127.0.0.6"} {
		hd.Server(a).SetFault(dnstest.Fault{Drop: true})
	}
	if _, err := rd.Resolve(ctx, dnswire.MustName("www.example.com."), dnswire.TypeA); !errors.Is(err, ErrServFail) {
		t.Fatalf("all servers dropping: %v", err)
	}
	if got := rd.Stats().Timeouts; got == 0 {
		t.Errorf("timeouts %d after all servers of example.com dropped, want > 0", got)
	}

	// Lame servers are counted as they are marked.
	h2, r2 := newTest(t, Config{})
	for _, a := range []string{"127.0.0.5", "127.0.0.6"} {
		h2.Server(a).SetFault(dnstest.Fault{Recursive: true})
	}
	mustResolve(t, r2, "www.example.com.", dnswire.TypeA)
	if got := r2.Stats().LameMarked; got != 2 {
		t.Errorf("lame marked %d, want 2", got)
	}
}
