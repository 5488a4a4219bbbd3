package resolver

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnstest"
	"github.com/relaykit/relaykit/dnswire"
)

var evilAddr = netip.MustParseAddr("192.0.2.66")

// cacheHolds reports whether any cached record carries addr or names
// ns.evil.test.
func cacheHolds(r *Resolver, addr netip.Addr) []string {
	var found []string
	for i := range r.cache.shards {
		s := &r.cache.shards[i]
		s.mu.RLock()
		for k, e := range s.m {
			for _, d := range e.data {
				switch v := d.(type) {
				case *dnswire.A:
					if v.Addr == addr {
						found = append(found, k)
					}
				case *dnswire.NS:
					if strings.Contains(strings.ToLower(v.Host.String()), "evil") {
						found = append(found, k)
					}
				}
			}
		}
		s.mu.RUnlock()
	}
	return found
}

func mustResolve(t *testing.T, r *Resolver, name string, typ dnswire.Type) Result {
	t.Helper()
	res, err := r.Resolve(context.Background(), dnswire.MustName(name), typ)
	if err != nil {
		t.Fatalf("%s %v: %v", name, typ, err)
	}
	return res
}

func TestOutOfBailiwickNeverCached(t *testing.T) {
	h, r := newTest(t, Config{})
	for _, a := range []string{"127.0.0.5", "127.0.0.6"} {
		h.Server(a).SetFault(dnstest.Fault{Edit: dnstest.Poison(dnswire.MustName("www.example.net."), evilAddr)})
	}
	h.Server("127.0.0.4").SetFault(dnstest.Fault{Edit: dnstest.Poison(dnswire.MustName("a.root-servers.net."), evilAddr)})
	res := mustResolve(t, r, "www.example.com.", dnswire.TypeA)
	if got := addrs(res.Answer); len(got) != 1 || got[0] != "192.0.2.1" {
		t.Fatalf("answer %v", got)
	}
	mustResolve(t, r, "mx1.example.com.", dnswire.TypeA)
	if bad := cacheHolds(r, evilAddr); len(bad) > 0 {
		t.Fatalf("poison cached under %q", bad)
	}
	res = mustResolve(t, r, "www.example.net.", dnswire.TypeA)
	if got := addrs(res.Answer); len(got) != 1 || got[0] != "192.0.2.100" {
		t.Fatalf("www.example.net: %v", got)
	}
}

func TestWrongIDIgnored(t *testing.T) {
	h, r := newTest(t, Config{})
	h.Server("127.0.0.5").SetFault(dnstest.Fault{WrongID: true})
	res := mustResolve(t, r, "www.example.com.", dnswire.TypeA)
	if got := addrs(res.Answer); len(got) != 1 || got[0] != "192.0.2.1" {
		t.Fatalf("answer %v", got)
	}
	h.Server("127.0.0.6").SetFault(dnstest.Fault{WrongID: true})
	_, err := r.Resolve(context.Background(), dnswire.MustName("plain.example.com."), dnswire.TypeA)
	if !errors.Is(err, ErrServFail) || !errors.Is(err, ErrNoReachable) {
		t.Fatalf("all servers answering with a wrong ID: %v", err)
	}
}

func TestMatchResponse(t *testing.T) {
	build := func(id uint16, resp bool, name string, typ dnswire.Type) []byte {
		b := dnswire.NewBuilder(nil, dnswire.Header{ID: id, Response: resp}, dnswire.BuildOptions{})
		b.Question(&dnswire.Question{Name: dnswire.MustName(name), Type: typ, Class: dnswire.ClassINET})
		out, err := b.Finish()
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	q := build(7, false, "wWw.Example.com.", dnswire.TypeA)
	tests := []struct {
		name string
		resp []byte
		want bool
	}{
		{"match", build(7, true, "wWw.Example.com.", dnswire.TypeA), true},
		{"case differs (0x20 is checked by the resolver)", build(7, true, "www.example.com.", dnswire.TypeA), true},
		{"wrong ID", build(8, true, "wWw.Example.com.", dnswire.TypeA), false},
		{"not a response", build(7, false, "wWw.Example.com.", dnswire.TypeA), false},
		{"wrong name", build(7, true, "www.example.net.", dnswire.TypeA), false},
		{"wrong type", build(7, true, "wWw.Example.com.", dnswire.TypeAAAA), false},
		{"short", []byte{0, 7, 0x80}, false},
	}
	for _, tc := range tests {
		if got := MatchResponse(q, tc.resp); got != tc.want {
			t.Errorf("%s: got %v", tc.name, got)
		}
	}
}

func TestNXNSGluelessCap(t *testing.T) {
	h, r := newTest(t, Config{})
	_, err := r.Resolve(context.Background(), dnswire.MustName("www.victim.com."), dnswire.TypeA)
	if !errors.Is(err, ErrServFail) {
		t.Fatalf("err %v", err)
	}
	asked := map[string]bool{}
	total := 0
	for _, s := range h.Servers() {
		for _, q := range s.Queries() {
			total++
			n := strings.ToLower(q.Name.String())
			if strings.HasSuffix(n, ".target.net.") {
				asked[n] = true
			}
		}
	}
	if len(asked) > 5 {
		t.Errorf("looked up %d glueless name servers, cap is 5: %v", len(asked), asked)
	}
	if total > 200 {
		t.Errorf("%d upstream queries, over the budget", total)
	}
	t.Logf("%d upstream queries, %d glueless names", total, len(asked))
}

func TestReferralLoops(t *testing.T) {
	for _, name := range []string{"www.loopa.com.", "www.up.com."} {
		_, r := newTest(t, Config{})
		_, err := r.Resolve(context.Background(), dnswire.MustName(name), dnswire.TypeA)
		if !errors.Is(err, ErrServFail) {
			t.Fatalf("%s: %v", name, err)
		}
		t.Logf("%s: %v", name, err)
	}
}

func TestCNAMEChainCap(t *testing.T) {
	var b strings.Builder
	b.WriteString("@ 3600 SOA ns1 hostmaster 1 3600 600 86400 300\n@ 3600 NS ns1\n@ 3600 NS ns2\nns1 A 127.0.0.5\nns2 A 127.0.0.6\n")
	for i := range 20 {
		b.WriteString("c" + string(rune('a'+i)) + " CNAME c" + string(rune('a'+i+1)) + "\n")
	}
	b.WriteString("cu A 192.0.2.1\n")
	zones := map[string]string{}
	for k, v := range testZones {
		zones[k] = v
	}
	zones["example.com."] = b.String()
	_, r := newTestZones(t, zones, testServers, Config{})
	_, err := r.Resolve(context.Background(), dnswire.MustName("ca.example.com."), dnswire.TypeA)
	if !errors.Is(err, ErrCNAMEChain) {
		t.Fatalf("20-link chain: %v", err)
	}
	res := mustResolve(t, r, "cp.example.com.", dnswire.TypeA) // 5 links
	if len(res.Answer) != 6 {
		t.Fatalf("chain answer %d records", len(res.Answer))
	}
}

func TestDeadServersCostAtMostTheDeadline(t *testing.T) {
	h, r := newTest(t, Config{Timeout: 3 * time.Second})
	for _, s := range h.Servers() {
		s.SetFault(dnstest.Fault{Drop: true})
	}
	start := h.Clock.Now()
	_, err := r.Resolve(context.Background(), dnswire.MustName("www.example.com."), dnswire.TypeA)
	took := h.Clock.Now().Sub(start)
	if !errors.Is(err, ErrServFail) {
		t.Fatalf("err %v", err)
	}
	if took > 3*time.Second {
		t.Fatalf("took %v of simulated time, deadline 3s", took)
	}
	if !errors.Is(err, ErrDeadline) && !errors.Is(err, ErrNoReachable) {
		t.Errorf("reason %v", err)
	}
}

func TestQueryBudget(t *testing.T) {
	h, r := newTest(t, Config{MaxQueriesPerQuestion: 3})
	h.Server("127.0.0.5").SetFault(dnstest.Fault{ServFail: true})
	h.Server("127.0.0.6").SetFault(dnstest.Fault{ServFail: true})
	_, err := r.Resolve(context.Background(), dnswire.MustName("www.example.com."), dnswire.TypeA)
	if !errors.Is(err, ErrQueryBudget) {
		t.Fatalf("err %v", err)
	}
	if n := h.QueryCount(); n > 4 { // priming + 3
		t.Fatalf("%d queries", n)
	}
}

func TestFallbacks(t *testing.T) {
	tests := []struct {
		fault dnstest.Fault
		check func(qs []dnstest.Query) bool
	}{
		{dnstest.Fault{Truncate: true}, func(qs []dnstest.Query) bool { return qs[len(qs)-1].Network == "tcp" }},
		{dnstest.Fault{NoEDNS: true}, func(qs []dnstest.Query) bool { return !qs[len(qs)-1].EDNS }},
		{dnstest.Fault{No0x20: true}, func(qs []dnstest.Query) bool {
			n := qs[len(qs)-1].Name.String()
			return n == strings.ToLower(n)
		}},
	}
	for _, tc := range tests {
		h, r := newTest(t, Config{})
		for _, a := range []string{"127.0.0.5", "127.0.0.6"} {
			h.Server(a).SetFault(tc.fault)
		}
		res := mustResolve(t, r, "www.example.com.", dnswire.TypeA)
		if got := addrs(res.Answer); len(got) != 1 || got[0] != "192.0.2.1" {
			t.Fatalf("%+v: answer %v", tc.fault, got)
		}
		qs := append(h.Server("127.0.0.5").Queries(), h.Server("127.0.0.6").Queries()...)
		if len(qs) < 2 {
			t.Fatalf("%+v: %d queries", tc.fault, len(qs))
		}
		// The last query to whichever server answered.
		var last []dnstest.Query
		for _, a := range []string{"127.0.0.5", "127.0.0.6"} {
			if q := h.Server(a).Queries(); len(q) > 0 && len(q) >= len(last) {
				last = q
			}
		}
		if !tc.check(last) {
			t.Errorf("%+v: queries %+v", tc.fault, last)
		}
	}
}

func TestLameServerSkipped(t *testing.T) {
	h, r := newTest(t, Config{})
	h.Server("127.0.0.5").SetFault(dnstest.Fault{Lame: true})
	for _, n := range []string{"www.example.com.", "mx1.example.com.", "mx2.example.com.", "mx3.example.com."} {
		mustResolve(t, r, n, dnswire.TypeA)
	}
	if q := h.Server("127.0.0.5").Queries(); len(q) > 1 {
		t.Errorf("lame server asked %d times", len(q))
	}
}

func TestQNAMEMinimisation(t *testing.T) {
	h, r := newTest(t, Config{})
	mustResolve(t, r, "a.b.c.deep.example.com.", dnswire.TypeA)
	for _, a := range []string{"127.0.0.2", "127.0.0.3"} {
		for _, q := range h.Server(a).Queries() {
			if n := strings.ToLower(q.Name.String()); n != "." && n != "com." {
				t.Errorf("root asked %s %v", n, q.Type)
			}
		}
	}
	for _, q := range h.Server("127.0.0.4").Queries() {
		if n := strings.ToLower(q.Name.String()); n != "example.com." {
			t.Errorf("TLD asked %s %v", n, q.Type)
		}
	}
	h2, r2 := newTest(t, Config{DisableQNAMEMinimisation: true})
	mustResolve(t, r2, "a.b.c.deep.example.com.", dnswire.TypeA)
	if h2.QueryCount() >= h.QueryCount() {
		t.Errorf("minimisation off: %d queries, on: %d", h2.QueryCount(), h.QueryCount())
	}
}

func TestSpoofOverLoopback(t *testing.T) {
	h := startHier(t, testZones, testServers)
	for _, a := range []string{"127.0.0.5", "127.0.0.6"} {
		h.Server(a).SetFault(dnstest.Fault{Spoof: true})
	}
	r := New(Config{RootHints: h.RootHints(), GluePort: h.Port(), AllowSpecialAddrs: true})
	res := mustResolve(t, r, "www.example.com.", dnswire.TypeA)
	if got := addrs(res.Answer); len(got) != 1 || got[0] != "192.0.2.1" {
		t.Fatalf("answer %v", got)
	}
	if bad := cacheHolds(r, evilAddr); len(bad) > 0 {
		t.Fatalf("spoofed data cached under %q", bad)
	}
	// TCP on truncation, over the real network.
	h.Server("127.0.0.5").SetFault(dnstest.Fault{Truncate: true})
	h.Server("127.0.0.6").SetFault(dnstest.Fault{Truncate: true})
	res = mustResolve(t, r, "multi.example.com.", dnswire.TypeA)
	if len(res.Answer) != 3 {
		t.Fatalf("multi over TCP: %v", addrs(res.Answer))
	}
}

func TestRandomIDAndSourcePort(t *testing.T) {
	h := startHier(t, testZones, testServers)
	r := New(Config{RootHints: h.RootHints(), GluePort: h.Port(), AllowSpecialAddrs: true})
	for _, n := range []string{"www.example.com.", "mx1.example.com.", "mx2.example.com.", "mx3.example.com.", "multi.example.com.", "www.example.org."} {
		mustResolve(t, r, n, dnswire.TypeA)
	}
	ports, ids := map[uint16]bool{}, map[uint16]bool{}
	total := 0
	for _, s := range h.Servers() {
		for _, q := range s.Queries() {
			total++
			ports[q.From.Port()] = true
			ids[q.ID] = true
		}
	}
	// RFC 5452 9.2: a fresh random port and ID per query; allow one
	// coincidence of each in the sample.
	if total < 10 || len(ports) < total-1 || len(ids) < total-1 {
		t.Fatalf("%d queries: %d distinct source ports, %d distinct IDs", total, len(ports), len(ids))
	}
}

func TestReferralDepthCap(t *testing.T) {
	_, r := newTest(t, Config{MaxReferrals: 1})
	_, err := r.Resolve(context.Background(), dnswire.MustName("www.example.com."), dnswire.TypeA)
	if !errors.Is(err, ErrReferralDepth) {
		t.Fatalf("two referrals with a cap of one: %v", err)
	}
}

func TestWrongQuestionIgnored(t *testing.T) {
	// In process (the transport's check) and over loopback (NetTransport's).
	for _, network := range []bool{false, true} {
		h := startHier(t, testZones, testServers)
		cfg := Config{RootHints: h.RootHints(), GluePort: h.Port(), AllowSpecialAddrs: true, Transport: h.Transport(), Now: h.Clock.Now}
		if network {
			cfg = Config{RootHints: h.RootHints(), GluePort: h.Port(), AllowSpecialAddrs: true, Timeout: 2 * time.Second}
		}
		r := New(cfg)
		h.Server("127.0.0.5").SetFault(dnstest.Fault{WrongQuestion: true})
		h.Server("127.0.0.6").SetFault(dnstest.Fault{WrongQuestion: true})
		_, err := r.Resolve(context.Background(), dnswire.MustName("www.example.com."), dnswire.TypeA)
		if !errors.Is(err, ErrServFail) {
			t.Fatalf("network %v: answers for another question accepted: %v", network, err)
		}
		if bad := cacheHolds(r, evilAddr); len(bad) > 0 {
			t.Fatalf("network %v: cached %q", network, bad)
		}
		h.Server("127.0.0.6").SetFault(dnstest.Fault{})
		mustResolve(t, r, "plain.example.com.", dnswire.TypeA)
	}
}
