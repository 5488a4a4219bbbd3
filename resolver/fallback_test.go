package resolver

import (
	"maps"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnstest"
	"github.com/relaykit/relaykit/dnswire"
)

// TestParentSideFallback: the child's own NS RRset (learnt from an
// answer) names only a server that does not answer; when it fails, the
// resolver asks the parent again and uses the parent-side NS set.
func TestParentSideFallback(t *testing.T) {
	zones := maps.Clone(testZones)
	zones["com."] += `
split.com.     3600 NS ns.split.com.
ns.split.com.  3600 A  127.0.0.9
`
	zones["split.com."] = `
@    3600 SOA ns hostmaster 1 3600 600 86400 300
@    3600 NS  dead
ns   3600 A   127.0.0.9
dead 3600 A   127.0.0.10
www  3600 A   192.0.2.80
www2 3600 A   192.0.2.81
`
	srvs := maps.Clone(testServers)
	srvs["127.0.0.9"] = []string{"split.com."}
	h, r := newTestZones(t, zones, srvs, Config{})
	// dead.split.com runs a server (dnstest serves a zone at its NS
	// records' addresses) that never answers.
	h.Server("127.0.0.10").SetFault(dnstest.Fault{Drop: true})
	mustResolve(t, r, "www.split.com.", dnswire.TypeA)
	mustResolve(t, r, "split.com.", dnswire.TypeNS)
	mustResolve(t, r, "dead.split.com.", dnswire.TypeA)
	if got := nsHostsCached(r, "split.com."); len(got) != 1 || got[0] != "dead.split.com." {
		t.Fatalf("child NS set not cached: %v", got)
	}
	res := mustResolve(t, r, "www2.split.com.", dnswire.TypeA)
	if got := addrs(res.Answer); len(got) != 1 || got[0] != "192.0.2.81" {
		t.Fatalf("answer %v", res.Answer)
	}
}

// TestLameLastResort: servers that answer lame (a recursive server's
// RA set and AA clear) are marked lame, and their answer is still used
// when nothing else answers.
func TestLameLastResort(t *testing.T) {
	h, r := newTest(t, Config{})
	for _, a := range []string{"127.0.0.5", "127.0.0.6"} {
		h.Server(a).SetFault(dnstest.Fault{Recursive: true})
	}
	res := mustResolve(t, r, "www.example.com.", dnswire.TypeA)
	if got := addrs(res.Answer); len(got) != 1 || got[0] != "192.0.2.1" {
		t.Fatalf("answer %v", res.Answer)
	}
	if n := r.infra.lameCount(); n != 2 {
		t.Fatalf("%d servers marked lame, want 2", n)
	}
}

// TestTimeoutRetriedBesideRefused: one server of example.com refuses,
// the other answers only after the first timeout (376 ms for a server
// never heard from). The slow one must get its second chance with a
// backed-off timeout even though the other answered REFUSED (before,
// a REFUSED anywhere in the round meant no second round: SERVFAIL).
func TestTimeoutRetriedBesideRefused(t *testing.T) {
	h, r := newTest(t, Config{})
	h.Server("127.0.0.5").SetFault(dnstest.Fault{Lame: true})
	h.Server("127.0.0.6").SetFault(dnstest.Fault{Delay: 500 * time.Millisecond})
	res := mustResolve(t, r, "www.example.com.", dnswire.TypeA)
	if got := addrs(res.Answer); len(got) != 1 || got[0] != "192.0.2.1" {
		t.Fatalf("answer %v", res.Answer)
	}
}
