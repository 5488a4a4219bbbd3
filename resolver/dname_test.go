package resolver

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/relaykit/relaykit/dnstest"
	"github.com/relaykit/relaykit/dnswire"
)

// longTarget is a DNAME target of 240 octets: a name of 3 more labels
// of 5 octets under it does not fit in 255.
var longTarget = strings.Repeat("a123456789.", 21) + "example.net."

func dnameZones() (map[string]string, map[string][]string) {
	zones := maps.Clone(testZones)
	zones["example.com."] += `
dn    3600 DNAME example.net.
long  3600 DNAME ` + longTarget + `
`
	return zones, testServers
}

// TestDNAME: RFC 6672 3: a DNAME is followed by synthesising the CNAME
// (from the DNAME itself, not trusting a CNAME sent with it); type
// DNAME asks for the record; a name too long after substitution is
// YXDOMAIN, not a failure.
func TestDNAME(t *testing.T) {
	zones, srvs := dnameZones()
	h, r := newTestZones(t, zones, srvs, Config{})
	// A forged synthesised CNAME is ignored: the DNAME says where to go.
	edit := func(m *dnswire.Msg) {
		for i := range m.Answer {
			if c, ok := m.Answer[i].Data.(*dnswire.CNAME); ok && strings.HasPrefix(c.Target.String(), "www.example.net") {
				m.Answer[i].Data = &dnswire.CNAME{Target: dnswire.MustName("evil.example.com.")}
			}
		}
	}
	for _, a := range []string{"127.0.0.5", "127.0.0.6"} {
		h.Server(a).SetFault(dnstest.Fault{Edit: edit})
	}
	ctx := context.Background()
	for round := range 2 {
		res := mustResolve(t, r, "www.dn.example.com.", dnswire.TypeA)
		if got := addrs(res.Answer); len(got) != 1 || got[0] != "192.0.2.100" {
			t.Fatalf("round %d: answer %v", round, res.Answer)
		}
		if got := cnameTargets(res.Answer); len(got) != 1 || got[0] != "www.dn.example.com.>www.example.net." {
			t.Fatalf("round %d: CNAME %v", round, got)
		}
	}
	res := mustResolve(t, r, "dn.example.com.", dnswire.TypeDNAME)
	if len(res.Answer) != 1 || res.Answer[0].Type != dnswire.TypeDNAME {
		t.Fatalf("DNAME question: %v", res.Answer)
	}
	res, err := r.Resolve(ctx, dnswire.MustName("abcde.abcde.abcde.long.example.com."), dnswire.TypeA)
	if !errors.Is(err, ErrYXDomain) || res.RCode != dnswire.RCodeYXDomain {
		t.Fatalf("too long: %v %v", err, res.RCode)
	}
	_, udp, _ := startServer(t, ServerConfig{Resolver: r})
	m := exchangeUDP(t, udp, query(t, "abcde.abcde.abcde.long.example.com.", dnswire.TypeA, 1232))
	if m.RCode != dnswire.RCodeYXDomain {
		t.Fatalf("server: %v", m.RCode)
	}
}

// answerShape lists an answer section as "owner type" lines.
func answerShape(rrs []RR) []string {
	var out []string
	for _, rr := range rrs {
		out = append(out, rr.Name.String()+" "+rr.Type.String())
	}
	return out
}

// TestDNAMEFromCache: RFC 6672 3.4, 5.3.1: an answer through a DNAME
// carries the DNAME record, then the CNAME synthesised from it, whether
// it comes from upstream or from the cache, from Resolve or from the
// server (whose cache fast path must not drop the DNAME either).
func TestDNAMEFromCache(t *testing.T) {
	zones, srvs := dnameZones()
	_, r := newTestZones(t, zones, srvs, Config{})
	want := []string{"dn.example.com. DNAME", "www.dn.example.com. CNAME", "www.example.net. A"}
	for round := range 2 {
		res := mustResolve(t, r, "www.dn.example.com.", dnswire.TypeA)
		if diff := cmp.Diff(want, answerShape(res.Answer)); diff != "" {
			t.Fatalf("round %d (from cache %v): answer (-want +got):\n%s", round, res.FromCache, diff)
		}
		if res.FromCache != (round == 1) {
			t.Fatalf("round %d: FromCache %v", round, res.FromCache)
		}
	}
	// The CNAME asked for itself comes with its DNAME too.
	res := mustResolve(t, r, "www.dn.example.com.", dnswire.TypeCNAME)
	if diff := cmp.Diff(want[:2], answerShape(res.Answer)); diff != "" {
		t.Fatalf("CNAME question (from cache %v): (-want +got):\n%s", res.FromCache, diff)
	}
	_, udp, _ := startServer(t, ServerConfig{Resolver: r})
	m := exchangeUDP(t, udp, query(t, "www.dn.example.com.", dnswire.TypeA, 1232))
	if diff := cmp.Diff(want, answerShape(m.Answer)); diff != "" {
		t.Fatalf("server: (-want +got):\n%s", diff)
	}
	// Without the DNAME (evicted), the synthesised CNAME alone is not
	// an answer: the name is resolved again.
	var kb [dnswire.MaxNameLen + 2]byte
	r.cache.drop(appendKey(kb[:0], dnswire.MustName("dn.example.com."), dnswire.TypeDNAME))
	res = mustResolve(t, r, "www.dn.example.com.", dnswire.TypeA)
	if diff := cmp.Diff(want, answerShape(res.Answer)); diff != "" || res.FromCache {
		t.Fatalf("DNAME evicted (from cache %v): (-want +got):\n%s", res.FromCache, diff)
	}
}
