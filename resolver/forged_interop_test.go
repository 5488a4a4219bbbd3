//go:build interop

package resolver_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/relaykit/relaykit/dnstest"
	"github.com/relaykit/relaykit/dnswire"
	"github.com/relaykit/relaykit/resolver"
)

// TestInteropForgedProbes sends the same forged data to Unbound and to
// our resolver (each cold, through the same hierarchy of dnstest servers
// on 127.55.0.x:53, which can forge) and then asks both for every name
// the forger tried to plant: both must give the true answers, and no
// answer of ours may carry the forged address (zero poisoned entries).
func TestInteropForgedProbes(t *testing.T) {
	need(t, "unbound", "dig")
	const prefix = "127.55.0."
	evil := netip.MustParseAddr("192.0.2.66")
	rr := func(name string, typ dnswire.Type, d dnswire.RData) dnswire.RR {
		return dnswire.RR{RRHeader: dnswire.RRHeader{Name: dnswire.MustName(name), Type: typ, Class: dnswire.ClassINET, TTL: 86400}, Data: d}
	}
	probes := []struct {
		name  string
		fault func(h *dnstest.Hierarchy)
		ask   [][2]string // what the forger answers (triggers)
		check [][2]string // what must come back true
	}{
		{"out-of-bailiwick answer, NS and glue (example.com's server poisons www.example.net)",
			func(h *dnstest.Hierarchy) {
				serverAt(h, prefix+"3").SetFault(dnstest.Fault{Edit: dnstest.Poison(dnswire.MustName("www.example.net."), evil)})
			},
			[][2]string{{"www.example.com.", "A"}, {"example.com.", "MX"}},
			[][2]string{{"www.example.net.", "A"}, {"example.net.", "NS"}, {"ns.evil.test.", "A"}}},
		{"off-path spoofed answers racing the TLD server's referrals",
			func(h *dnstest.Hierarchy) { serverAt(h, prefix+"2").SetFault(dnstest.Fault{Spoof: true}) },
			[][2]string{{"www.example.org.", "A"}},
			[][2]string{{"www.example.org.", "A"}, {"ns.example.net.", "A"}}},
		{"promiscuous records in every section (other zones' names)",
			func(h *dnstest.Hierarchy) {
				serverAt(h, prefix+"3").SetFault(dnstest.Fault{
					Answer:     []dnswire.RR{rr("www.example.org.", dnswire.TypeA, &dnswire.A{Addr: evil})},
					Authority:  []dnswire.RR{rr("example.org.", dnswire.TypeNS, &dnswire.NS{Host: dnswire.MustName("ns.evil.test.")})},
					Additional: []dnswire.RR{rr("ns.example.net.", dnswire.TypeA, &dnswire.A{Addr: evil})},
				})
			},
			[][2]string{{"multi.example.com.", "A"}, {"txt.example.com.", "TXT"}},
			[][2]string{{"www.example.org.", "A"}, {"example.org.", "NS"}, {"ns.example.net.", "A"}}},
		{"data beyond a zone cut: the parent answers for its delegated child",
			func(h *dnstest.Hierarchy) {
				serverAt(h, prefix+"3").SetFault(dnstest.Fault{Edit: func(m *dnswire.Msg) {
					if len(m.Question) == 1 && strings.EqualFold(m.Question[0].Name.String(), "tosub.example.com.") {
						m.Answer = append(m.Answer, rr("www.sub.example.com.", dnswire.TypeA, &dnswire.A{Addr: evil}))
					}
				}})
			},
			[][2]string{{"tosub.example.com.", "A"}},
			[][2]string{{"www.sub.example.com.", "A"}, {"tosub.example.com.", "A"}}},
	}
	for _, p := range probes {
		t.Run(strings.Fields(p.name)[0], func(t *testing.T) {
			h := startDNSTest(t, prefix)
			uport := startUnbound(t, prefix+"1", 1)
			_, oport := startOursAt(t, resolver.Config{RootHints: []netip.AddrPort{netipAddrPort(t, prefix+"1:53")}, GluePort: 53, AllowSpecialAddrs: true})
			p.fault(h)
			for _, q := range p.ask {
				dig(t, uport, q[0], q[1])
				dig(t, oport, q[0], q[1])
			}
			interopFaults(h, prefix)
			poisoned := 0
			for _, q := range p.check {
				us, ua := dig(t, uport, q[0], q[1])
				os_, oa := dig(t, oport, q[0], q[1])
				for _, a := range oa {
					if strings.Contains(a, evil.String()) || strings.Contains(a, "evil") {
						poisoned++
					}
				}
				same := us == os_ && strings.Join(ua, "\n") == strings.Join(oa, "\n")
				t.Logf("%s %s: unbound %s %q, ours %s %q, same %v", q[0], q[1], us, ua, os_, oa, same)
				if !same {
					t.Errorf("%s %s differs", q[0], q[1])
				}
			}
			t.Logf("%s: %d poisoned answers", p.name, poisoned)
			if poisoned != 0 {
				t.Errorf("%d poisoned answers", poisoned)
			}
		})
	}
}

// serverAt returns the dnstest server at addr.
func serverAt(h *dnstest.Hierarchy, addr string) *dnstest.Server {
	for _, s := range h.Servers() {
		if s.Addr.Addr().String() == addr {
			return s
		}
	}
	panic("no dnstest server at " + addr)
}

// startOursAt is startOurs with a readiness probe that needs no answer
// from the hierarchy (". SOA").
func startOursAt(t *testing.T, cfg resolver.Config) (*resolver.Resolver, int) {
	t.Helper()
	r := resolver.New(cfg)
	s := resolver.NewServer(resolver.ServerConfig{Resolver: r})
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	go s.Serve()
	t.Cleanup(func() { s.Close() })
	return r, int(s.Addr().Port())
}
