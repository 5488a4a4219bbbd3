package resolver

import (
	"context"
	"errors"
	"maps"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// lookupZones is testZones with SRV records, a reverse zone for
// 192.0.2.0/24 and one for 2001:db8::/32.
func lookupZones() (map[string]string, map[string][]string) {
	zones := maps.Clone(testZones)
	// The root holds ns1.example.com's address as (sibling) glue:
	// the zone package requires an address for every NS name inside
	// the zone, and for the root that is every name.
	zones["."] += `
2.0.192.in-addr.arpa.  86400 NS ns1.example.com.
8.b.d.0.1.0.0.2.ip6.arpa. 86400 NS ns1.example.com.
ns1.example.com.       86400 A  127.0.0.5
`
	zones["example.com."] += `
_sip._tcp 3600 SRV 20 0 5060 sip3
_sip._tcp 3600 SRV 10 60 5060 sip1
_sip._tcp 3600 SRV 10 40 5061 sip2
_none._tcp 3600 SRV 0 0 0 .
srvalias 3600 CNAME _sip._tcp
`
	zones["2.0.192.in-addr.arpa."] = `
@   3600 SOA ns1.example.com. hostmaster.example.com. 1 3600 600 86400 300
@   3600 NS  ns1.example.com.
1   3600 PTR www.example.com.
1   3600 PTR alias.example.com.
`
	zones["8.b.d.0.1.0.0.2.ip6.arpa."] = `
@   3600 SOA ns1.example.com. hostmaster.example.com. 1 3600 600 86400 300
@   3600 NS  ns1.example.com.
1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 3600 PTR v6.example.com.
`
	srvs := maps.Clone(testServers)
	srvs["127.0.0.5"] = []string{"example.com.", "2.0.192.in-addr.arpa.", "8.b.d.0.1.0.0.2.ip6.arpa."}
	return zones, srvs
}

func TestLookupAddr(t *testing.T) {
	zones, srvs := lookupZones()
	_, r := newTestZones(t, zones, srvs, Config{})
	ctx := context.Background()
	names, err := r.LookupAddr(ctx, netip.MustParseAddr("192.0.2.1"))
	slices.Sort(names)
	if err != nil || !slices.Equal(names, []string{"alias.example.com", "www.example.com"}) {
		t.Fatalf("v4: %v %v", names, err)
	}
	names, err = r.LookupAddr(ctx, netip.MustParseAddr("2001:db8::1"))
	if err != nil || !slices.Equal(names, []string{"v6.example.com"}) {
		t.Fatalf("v6: %v %v", names, err)
	}
	// An IPv4-mapped IPv6 address is looked up under in-addr.arpa.
	names, err = r.LookupAddr(ctx, netip.MustParseAddr("::ffff:192.0.2.1"))
	if err != nil || len(names) != 2 {
		t.Fatalf("mapped: %v %v", names, err)
	}
	_, err = r.LookupAddr(ctx, netip.MustParseAddr("192.0.2.77"))
	var e *Error
	if !errors.Is(err, ErrNXDomain) || !errors.As(err, &e) || !e.NotFound() {
		t.Fatalf("no PTR: %v", err)
	}
}

func TestReverseName(t *testing.T) {
	for _, tc := range []struct{ addr, want string }{
		{"192.0.2.1", "1.2.0.192.in-addr.arpa."},
		{"10.0.0.255", "255.0.0.10.in-addr.arpa."},
		{"2001:db8::567:89ab", "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."},
	} {
		if got := reverseName(netip.MustParseAddr(tc.addr)); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.addr, got, tc.want)
		}
	}
}

func TestLookupSRV(t *testing.T) {
	zones, srvs := lookupZones()
	_, r := newTestZones(t, zones, srvs, Config{})
	ctx := context.Background()
	first := map[string]int{}
	for range 50 {
		got, err := r.LookupSRV(ctx, "sip", "tcp", "example.com")
		if err != nil || len(got) != 3 {
			t.Fatalf("%+v %v", got, err)
		}
		// RFC 2782: lower priority first, always.
		if got[0].Priority != 10 || got[1].Priority != 10 || got[2] != (SRV{Target: "sip3.example.com", Port: 5060, Priority: 20}) {
			t.Fatalf("order %+v", got)
		}
		first[got[0].Target]++
	}
	if first["sip1.example.com"] == 0 || first["sip2.example.com"] == 0 {
		t.Errorf("weighted selection never varied: %v", first)
	}
	// Through a CNAME, and with service and proto empty.
	got, err := r.LookupSRV(ctx, "", "", "srvalias.example.com.")
	if err != nil || len(got) != 3 {
		t.Fatalf("alias: %+v %v", got, err)
	}
	// RFC 2782: a lone "." target: decidedly not available.
	got, err = r.LookupSRV(ctx, "none", "tcp", "example.com")
	if err != nil || len(got) != 0 {
		t.Fatalf("target .: %+v %v", got, err)
	}
	_, err = r.LookupSRV(ctx, "xmpp", "tcp", "example.com")
	var e *Error
	if !errors.As(err, &e) || !e.NotFound() {
		t.Fatalf("missing: %v", err)
	}
}

// TestWeightedOrder checks RFC 2782's selection with a seeded source:
// each record is picked first with probability weight/sum, and zero
// weights are picked first only when the random number is 0.
func TestWeightedOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	counts := map[uint16]int{}
	const n = 20000
	for range n {
		s := []SRV{{Target: "a", Weight: 10}, {Target: "z", Weight: 0}, {Target: "b", Weight: 30}, {Target: "c", Weight: 60}}
		weightedOrder(s, rng.IntN)
		counts[s[0].Weight]++
		seen := map[string]bool{}
		for _, x := range s {
			seen[x.Target] = true
		}
		if len(seen) != 4 {
			t.Fatalf("lost a record: %+v", s)
		}
	}
	// Expected first: weight w with probability w/101 (pick in 0..100),
	// weight 0 with 1/101.
	for w, c := range counts {
		want := float64(max(w, 1)) / 101 * n
		if f := float64(c); f < want*0.9-20 || f > want*1.1+20 {
			t.Errorf("weight %d first %d times, want about %.0f", w, c, want)
		}
	}
	// All weights zero: the order is still a permutation.
	s := []SRV{{Target: "a"}, {Target: "b"}}
	weightedOrder(s, rng.IntN)
	if len(s) != 2 || s[0].Target == s[1].Target {
		t.Fatalf("%+v", s)
	}
}

func TestLookupCNAME(t *testing.T) {
	_, r := newTest(t, Config{})
	ctx := context.Background()
	for _, tc := range []struct{ host, want string }{
		{"alias2.example.com", "www.example.com."},
		{"www.example.com", "www.example.com."},
		{"ext.example.com.", "www.example.net."},
		{"v6.example.com", "v6.example.com."}, // NODATA for A: still exists
	} {
		got, err := r.LookupCNAME(ctx, tc.host)
		if err != nil || got != tc.want {
			t.Errorf("%s: %q %v, want %q", tc.host, got, err, tc.want)
		}
	}
	if _, err := r.LookupCNAME(ctx, "nope.example.com"); !errors.Is(err, ErrNXDomain) {
		t.Errorf("missing: %v", err)
	}
	if _, err := r.LookupCNAME(ctx, "loop1.example.com"); !errors.Is(err, ErrServFail) {
		t.Errorf("loop: %v", err)
	}
}

func TestErrorNotFound(t *testing.T) {
	_, r := newTest(t, Config{})
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		notFound bool
	}{
		{"nope.example.com", true},   // NXDOMAIN
		{"v6.example.com", true},     // NODATA for TXT
		{"loop1.example.com", false}, // SERVFAIL
	} {
		_, err := r.LookupTXT(ctx, tc.name)
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if e.NotFound() != tc.notFound {
			t.Errorf("%s: NotFound %v, want %v (%v)", tc.name, e.NotFound(), tc.notFound, err)
		}
		if e.Timeout() {
			t.Errorf("%s: Timeout true", tc.name)
		}
	}
	e := &Error{Kind: ErrServFail, Reason: ErrDeadline}
	if !e.Timeout() || e.NotFound() {
		t.Errorf("deadline: Timeout %v NotFound %v", e.Timeout(), e.NotFound())
	}
	txt, err := r.LookupTXT(ctx, "txt.example.com")
	if diff := cmp.Diff([]string{"v=spf1 -allsecond"}, txt); err != nil || diff != "" {
		t.Errorf("TXT: %v %s", err, diff)
	}
}
