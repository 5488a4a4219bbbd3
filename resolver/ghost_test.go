package resolver

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

const ghostDelegation = `
ghost.com.     100 NS ns.ghost.com.
ns.ghost.com.  100 A  127.0.0.9
`

// TestGhostDomain: the "ghost domain names" attack (Jiang et al.
// 2012): a child whose delegation the parent has removed keeps
// answering its own NS and address queries with long TTLs. The child's
// NS RRset must not outlive the parent's delegation, so once that runs
// out the parent is asked again and its NXDOMAIN is believed.
func TestGhostDomain(t *testing.T) {
	zones := maps.Clone(testZones)
	com := zones["com."]
	zones["com."] = com + ghostDelegation
	zones["ghost.com."] = `
@    86400 SOA ns hostmaster 1 3600 600 86400 300
@    86400 NS  ns
ns   86400 A   127.0.0.9
www  60    A   192.0.2.77
`
	srvs := maps.Clone(testServers)
	srvs["127.0.0.9"] = []string{"ghost.com."}
	h, r := newTestZones(t, zones, srvs, Config{})
	ctx := context.Background()
	mustResolve(t, r, "www.ghost.com.", dnswire.TypeA)
	// The child refreshes what it can: its NS RRset and its server's
	// address, both with a day's TTL.
	mustResolve(t, r, "ghost.com.", dnswire.TypeNS)
	mustResolve(t, r, "ns.ghost.com.", dnswire.TypeA)
	if err := h.SetZone("com.", com); err != nil {
		t.Fatal(err)
	}
	h.Clock.Advance(120 * time.Second)
	_, err := r.Resolve(ctx, dnswire.MustName("www.ghost.com."), dnswire.TypeA)
	if !errors.Is(err, ErrNXDomain) {
		t.Fatalf("after the parent removed the delegation: %v", err)
	}
}
