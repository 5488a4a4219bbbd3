package resolver

import (
	"slices"
	"testing"

	"github.com/relaykit/relaykit/dnstest"
	"github.com/relaykit/relaykit/dnswire"
)

// TestMinimisationFallback: RFC 9156 3: a server that answers a
// minimised query (here: an empty non-terminal) with REFUSED, SERVFAIL,
// FORMERR or NXDOMAIN is asked the full name instead, and it is not
// marked lame for it.
func TestMinimisationFallback(t *testing.T) {
	for _, rc := range []dnswire.RCode{dnswire.RCodeRefused, dnswire.RCodeServerFailure, dnswire.RCodeFormatError, dnswire.RCodeNameError} {
		t.Run(rc.String(), func(t *testing.T) {
			h, r := newTest(t, Config{})
			// The empty non-terminals above a.b.c.deep.example.com
			// (RFC 8020), whose NODATA answers become rc.
			ents := []dnswire.Name{dnswire.MustName("deep.example.com."), dnswire.MustName("c.deep.example.com."), dnswire.MustName("b.c.deep.example.com.")}
			edit := func(m *dnswire.Msg) {
				if len(m.Question) == 1 && slices.ContainsFunc(ents, m.Question[0].Name.Equal) &&
					m.RCode == dnswire.RCodeSuccess && len(m.Answer) == 0 {
					m.RCode = rc
					m.Answer, m.Ns, m.Extra = nil, nil, nil
				}
			}
			for _, a := range []string{"127.0.0.5", "127.0.0.6"} {
				h.Server(a).SetFault(dnstest.Fault{Edit: edit})
			}
			res := mustResolve(t, r, "a.b.c.deep.example.com.", dnswire.TypeA)
			if got := addrs(res.Answer); len(got) != 1 || got[0] != "192.0.2.9" {
				t.Fatalf("answer %v", res.Answer)
			}
			// The servers still answer for the zone: not marked lame.
			mustResolve(t, r, "www.example.com.", dnswire.TypeA)
			if n := r.infra.lameCount(); n != 0 {
				t.Fatalf("%d servers marked lame", n)
			}
		})
	}
}
