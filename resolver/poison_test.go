package resolver

import (
	"context"
	"maps"
	"testing"

	"github.com/relaykit/relaykit/dnstest"
	"github.com/relaykit/relaykit/dnswire"
)

func rrOf(name string, t dnswire.Type, d dnswire.RData) dnswire.RR {
	return dnswire.RR{RRHeader: dnswire.RRHeader{Name: dnswire.MustName(name), Type: t, Class: dnswire.ClassINET, TTL: 86400}, Data: d}
}

// nsHostsCached returns the cached NS hosts of zone.
func nsHostsCached(r *Resolver, zone string) []string {
	var kb [dnswire.MaxNameLen + 2]byte
	e := r.cache.get(appendKey(kb[:0], dnswire.MustName(zone), dnswire.TypeNS))
	if e == nil {
		return nil
	}
	var out []string
	for _, d := range e.data {
		out = append(out, d.(*dnswire.NS).Host.String())
	}
	return out
}

// TestForgedAuthorityNS: RFC 2181 5.4.1 and Unbound's scrubber: the NS
// RRset in the authority section of an answer, whether it names servers
// inside or outside the zone, never replaces the delegation the
// resolver followed, and its addresses never reach the cache.
func TestForgedAuthorityNS(t *testing.T) {
	probes := []struct {
		name string
		ns   string
	}{
		{"in-zone", "ns.evil.example.com."},
		{"out-of-zone", "ns.evil.test."},
	}
	for _, p := range probes {
		t.Run(p.name, func(t *testing.T) {
			h, r := newTest(t, Config{})
			f := dnstest.Fault{
				Authority:  []dnswire.RR{rrOf("example.com.", dnswire.TypeNS, &dnswire.NS{Host: dnswire.MustName(p.ns)})},
				Additional: []dnswire.RR{rrOf(p.ns, dnswire.TypeA, &dnswire.A{Addr: evilAddr})},
			}
			h.Server("127.0.0.5").SetFault(f)
			h.Server("127.0.0.6").SetFault(f)
			for _, n := range []string{"www.example.com.", "mx1.example.com.", "plain.example.com."} {
				mustResolve(t, r, n, dnswire.TypeA)
			}
			if bad := cacheHolds(r, evilAddr); len(bad) > 0 {
				t.Fatalf("poisoned entries: %q", bad)
			}
			if got := nsHostsCached(r, "example.com."); len(got) != 2 {
				t.Fatalf("example.com NS now %v", got)
			}
		})
	}
}

// cnameChildZones adds to testZones a child zone sub.example.com on
// its own server and a CNAME into it from example.com.
func cnameChildZones() (map[string]string, map[string][]string) {
	zones := maps.Clone(testZones)
	zones["example.com."] += `
into     3600 CNAME www.sub.example.com.
sub      3600 NS ns.sub
ns.sub   3600 A  127.0.0.9
`
	zones["sub.example.com."] = `
@        3600 SOA ns hostmaster 1 3600 600 86400 300
@        3600 NS  ns
ns       3600 A   127.0.0.9
www      3600 A   192.0.2.50
`
	srvs := maps.Clone(testServers)
	srvs["127.0.0.9"] = []string{"sub.example.com."}
	return zones, srvs
}

// TestCNAMETargetBeyondCut: the parent's servers answer a CNAME into a
// child zone they delegated away, with a forged A record for the target;
// the record never reaches the cache and the target is asked of the
// child's own servers.
func TestCNAMETargetBeyondCut(t *testing.T) {
	zones, srvs := cnameChildZones()
	h, r := newTestZones(t, zones, srvs, Config{})
	f := dnstest.Fault{Answer: []dnswire.RR{rrOf("www.sub.example.com.", dnswire.TypeA, &dnswire.A{Addr: evilAddr})}}
	h.Server("127.0.0.5").SetFault(f)
	h.Server("127.0.0.6").SetFault(f)
	res, err := r.Resolve(context.Background(), dnswire.MustName("into.example.com."), dnswire.TypeA)
	if err != nil {
		t.Fatal(err)
	}
	if got := addrs(res.Answer); len(got) != 1 || got[0] != "192.0.2.50" {
		t.Fatalf("answer %v", res.Answer)
	}
	if bad := cacheHolds(r, evilAddr); len(bad) > 0 {
		t.Fatalf("poisoned entries: %q", bad)
	}
	if len(h.Server("127.0.0.9").Queries()) == 0 {
		t.Fatal("the child's server was never asked")
	}
}
