package resolver

import (
	"context"
	"net/netip"
	"testing"

	"github.com/relaykit/relaykit/dnswire"
)

// cnameTargets returns the targets of the CNAME records in rrs, with
// their owners: "owner>target".
func cnameTargets(rrs []RR) []string {
	var out []string
	for _, rr := range rrs {
		if c, ok := rr.Data.(*dnswire.CNAME); ok && rr.Type == dnswire.TypeCNAME {
			out = append(out, rr.Name.String()+">"+c.Target.String())
		}
	}
	return out
}

// TestQtypeCNAME: RFC 1034 4.3.2 3a: a CNAME is followed only when the
// type asked does not match it; for type CNAME (and ANY, which matches
// every type) the CNAME record itself is the answer.
func TestQtypeCNAME(t *testing.T) {
	for _, qt := range []dnswire.Type{dnswire.TypeCNAME, dnswire.TypeANY} {
		t.Run(qt.String(), func(t *testing.T) {
			_, r := newTest(t, Config{})
			for round := range 2 {
				res, err := r.Resolve(context.Background(), dnswire.MustName("alias2.example.com."), qt)
				if err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
				got := cnameTargets(res.Answer)
				if len(res.Answer) != 1 || len(got) != 1 || got[0] != "alias2.example.com.>alias.example.com." {
					t.Fatalf("round %d: answer %v", round, res.Answer)
				}
				if round == 1 && qt == dnswire.TypeCNAME && !res.FromCache {
					t.Errorf("second CNAME question not from cache")
				}
			}
		})
	}
}

func TestServerQtypeCNAME(t *testing.T) {
	_, r := newTest(t, Config{})
	_, udp, _ := startServer(t, ServerConfig{Resolver: r})
	for _, qt := range []dnswire.Type{dnswire.TypeCNAME, dnswire.TypeANY, dnswire.TypeCNAME} {
		m := exchangeUDP(t, udp, query(t, "alias.example.com.", qt, 1232))
		got := cnameTargets(m.Answer)
		if m.RCode != dnswire.RCodeSuccess || len(m.Answer) != 1 || len(got) != 1 || got[0] != "alias.example.com.>www.example.com." {
			t.Fatalf("%v: %v answer %v", qt, m.RCode, m.Answer)
		}
	}
}

// TestImplicitMXCanonical: RFC 5321 5.1: the implicit MX of a name
// that is an alias is its canonical name, after the CNAMEs.
func TestImplicitMXCanonical(t *testing.T) {
	_, r := newTest(t, Config{})
	mxs, err := r.LookupMX(context.Background(), "alias2.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if len(mxs) != 1 || !mxs[0].Implicit || mxs[0].Host != "www.example.com" {
		t.Fatalf("%+v", mxs)
	}
}

// TestSpecialGlueNotQueried: by default the resolver does not send
// queries to name server addresses in special-purpose ranges (here the
// test hierarchy's 127.0.0.x glue); AllowSpecialAddrs allows them.
func TestSpecialGlueNotQueried(t *testing.T) {
	h, r := newTest(t, Config{})
	r.cfg.AllowSpecialAddrs = false
	if _, err := r.Resolve(context.Background(), dnswire.MustName("www.example.com."), dnswire.TypeA); err == nil {
		t.Fatal("resolved through loopback glue")
	}
	for _, a := range []string{"127.0.0.4", "127.0.0.5", "127.0.0.6"} {
		if n := len(h.Server(a).Queries()); n != 0 {
			t.Errorf("%s asked %d times", a, n)
		}
	}
	for _, tc := range []struct {
		addr string
		want bool
	}{{"127.1.2.3", true}, {"0.1.2.3", true}, {"::1", true}, {"169.254.1.1", true}, {"240.0.0.1", true}, {"::ffff:127.0.0.1", true}, {"192.0.2.1", false}, {"2001:db8::1", false}} {
		if got := specialAddr(netip.MustParseAddr(tc.addr)); got != tc.want {
			t.Errorf("%s: %v", tc.addr, got)
		}
	}
}
