package resolver

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// TestServerValidating: a Server with a Validator sets AD on secure
// answers to DO clients, answers bogus data with SERVFAIL and the
// Extended DNS Error, and passes it through without AD when CD is set.
func TestServerValidating(t *testing.T) {
	a := newLabAuth(t)
	a.edit = func(q dnswire.Name, ty dnswire.Type, m *dnswire.Msg) {
		if ty == dnswire.TypeA && q.Equal(dnswire.MustName("ns.sec.lab.")) && len(m.Answer) > 0 {
			m.Answer[0].Data = &dnswire.A{Addr: netip.MustParseAddr("192.0.2.66")}
		}
	}
	auth, _ := serveLab(t, a)
	v := &Validator{Anchors: labAnchor(t), Query: UpstreamQuery(nil, time.Second, auth), Now: at2030}
	_, udp, _ := startServer(t, ServerConfig{Validator: v})
	ask := func(name string, do, cd bool) *dnswire.Msg {
		var m dnswire.Msg
		m.ID, m.RecursionDesired, m.CheckingDisabled = 7, true, cd
		m.SetQuestion(dnswire.MustName(name), dnswire.TypeA)
		m.SetEDNS(1232, do)
		b, err := m.Pack()
		if err != nil {
			t.Fatal(err)
		}
		return exchangeUDP(t, udp, b)
	}
	hasType := func(m *dnswire.Msg, ty dnswire.Type) bool {
		for _, rr := range m.Answer {
			if rr.Type == ty {
				return true
			}
		}
		return false
	}
	m := ask("mx.sec.lab.", true, false)
	if m.RCode != dnswire.RCodeSuccess || !m.AuthenticData || !hasType(m, dnswire.TypeRRSIG) {
		t.Fatalf("secure with DO: %v AD %v", m.RCode, m.AuthenticData)
	}
	m = ask("www.insec.lab.", true, false)
	if m.RCode != dnswire.RCodeSuccess || m.AuthenticData || !hasType(m, dnswire.TypeA) {
		t.Fatalf("insecure: %v AD %v", m.RCode, m.AuthenticData)
	}
	m = ask("ns.sec.lab.", false, false)
	if m.RCode != dnswire.RCodeServerFailure || len(m.Answer) != 0 || m.EDNS == nil || len(m.EDNS.Options) != 1 {
		t.Fatalf("bogus: %v %v", m.RCode, m.Answer)
	}
	if d := m.EDNS.Options[0].Data; m.EDNS.Options[0].Code != dnswire.OptionEDE || len(d) < 2 || uint16(d[0])<<8|uint16(d[1]) != EDEDNSSECBogus {
		t.Fatalf("EDE %+v", m.EDNS.Options[0])
	}
	m = ask("ns.sec.lab.", false, true)
	if m.RCode != dnswire.RCodeSuccess || m.AuthenticData || !hasType(m, dnswire.TypeA) || hasType(m, dnswire.TypeRRSIG) {
		t.Fatalf("bogus with CD: %v AD %v %v", m.RCode, m.AuthenticData, m.Answer)
	}
}

// TestServerIterativeValidating: a Server over a Resolver with
// Config.DNSSEC sets AD on what the resolver validated, for DO clients
// only, never on insecure data, and answers a forged (bogus) answer with
// SERVFAIL and the Extended DNS Error saying why (RFC 8914), also when
// the failure is answered again from the cache.
func TestServerIterativeValidating(t *testing.T) {
	a := newLabAuth(t)
	a.edit = func(q dnswire.Name, ty dnswire.Type, m *dnswire.Msg) {
		if ty == dnswire.TypeA && q.Equal(dnswire.MustName("ns.sec.lab.")) && len(m.Answer) > 0 {
			m.Answer[0].Data = &dnswire.A{Addr: netip.MustParseAddr("192.0.2.66")}
		}
	}
	r := labResolver(t, a)
	_, udp, _ := startServer(t, ServerConfig{Resolver: r})
	cd := false
	ask := func(name string, do bool) *dnswire.Msg {
		var m dnswire.Msg
		m.ID, m.RecursionDesired, m.CheckingDisabled = 7, true, cd
		m.SetQuestion(dnswire.MustName(name), dnswire.TypeA)
		m.SetEDNS(1232, do)
		b, err := m.Pack()
		if err != nil {
			t.Fatal(err)
		}
		return exchangeUDP(t, udp, b)
	}
	types := func(rrs []dnswire.RR) []string {
		var out []string
		for _, rr := range rrs {
			out = append(out, rr.Type.String())
		}
		return out
	}
	for round := range 2 {
		// RFC 4035 3.2.1: a DO client gets the RRSIGs (and the
		// proofs of a negative answer); others do not.
		if m := ask("mx.sec.lab.", true); m.RCode != dnswire.RCodeSuccess || !m.AuthenticData || strings.Join(types(m.Answer), " ") != "A RRSIG" {
			t.Fatalf("round %d secure with DO: %v AD %v %v", round, m.RCode, m.AuthenticData, m.Answer)
		}
		if m := ask("mx.sec.lab.", false); m.RCode != dnswire.RCodeSuccess || m.AuthenticData || len(m.Answer) != 1 {
			t.Fatalf("round %d secure without DO: %v AD %v", round, m.RCode, m.AuthenticData)
		}
		m := ask("nope.sec.lab.", true)
		if got := strings.Join(types(m.Ns), " "); m.RCode != dnswire.RCodeNameError || !m.AuthenticData || !strings.Contains(got, "SOA RRSIG") || !strings.Contains(got, "NSEC3 RRSIG") {
			t.Fatalf("round %d NXDOMAIN with DO: %v AD %v %s", round, m.RCode, m.AuthenticData, got)
		}
		if m := ask("nope.sec.lab.", false); len(m.Ns) != 1 {
			t.Fatalf("round %d NXDOMAIN without DO: %v", round, m.Ns)
		}
		if m := ask("www.insec.lab.", true); m.RCode != dnswire.RCodeSuccess || m.AuthenticData || len(m.Answer) != 1 {
			t.Fatalf("round %d insecure: %v AD %v", round, m.RCode, m.AuthenticData)
		}
		m = ask("ns.sec.lab.", true)
		if m.RCode != dnswire.RCodeServerFailure || len(m.Answer) != 0 || m.EDNS == nil || len(m.EDNS.Options) != 1 {
			t.Fatalf("round %d bogus: %v %v", round, m.RCode, m.Answer)
		}
		if d := m.EDNS.Options[0].Data; m.EDNS.Options[0].Code != dnswire.OptionEDE || len(d) < 2 || uint16(d[0])<<8|uint16(d[1]) != EDEDNSSECBogus {
			t.Fatalf("round %d EDE %+v", round, m.EDNS.Options[0])
		}
	}
	// RFC 4035 3.2.2: with CD the bogus data is passed through, without
	// AD, and without CD it is refused again.
	cd = true
	if m := ask("ns.sec.lab.", true); m.RCode != dnswire.RCodeSuccess || m.AuthenticData || len(m.Answer) != 1 {
		t.Fatalf("bogus with CD: %v AD %v %v", m.RCode, m.AuthenticData, m.Answer)
	}
	cd = false
	if m := ask("ns.sec.lab.", true); m.RCode != dnswire.RCodeServerFailure || len(m.Answer) != 0 {
		t.Fatalf("bogus after CD: %v %v", m.RCode, m.Answer)
	}
}
