package dnstest_test

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/relaykit/relaykit/dnstest"
	"github.com/relaykit/relaykit/dnswire"
	"github.com/relaykit/relaykit/resolver"
)

func zones() map[string]string {
	return map[string]string{
		".":              rootZone,
		"edu.":           eduZone + "hamburger NS dns1.hamburger\ndns1.hamburger A 127.0.0.4\n",
		"hamburger.edu.": hamburgerZone,
	}
}

// TestTransportFaults: a resolver on the in-process Transport and the
// simulated Clock meets each fault, and its timeouts cost simulated time
// only.
func TestTransportFaults(t *testing.T) {
	start := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	clock := dnstest.NewClock(start)
	h := dnstest.New(t, dnstest.Config{Zones: zones(), Clock: clock})
	newResolver := func() *resolver.Resolver {
		return resolver.New(resolver.Config{RootHints: h.RootHints(), GluePort: h.Port(), AllowSpecialAddrs: true,
			Transport: h.Transport(), Now: clock.Now, ServFailTTL: -1})
	}
	ctx := context.Background()
	leaf := h.ServerFor("hamburger.edu.")
	edu := h.ServerFor("edu.")
	lookup := func() ([]netip.Addr, error) { return newResolver().LookupIP(ctx, "web.hamburger.edu") }

	wall := time.Now()
	if ips, err := lookup(); err != nil || len(ips) != 2 {
		t.Fatalf("well-behaved: %v %v", ips, err)
	}
	if d := clock.Now().Sub(start); d <= 0 || d > time.Second {
		t.Errorf("simulated time after a clean lookup: %v", d)
	}

	// Truncated UDP answers: the resolver asks again over TCP.
	leaf.ResetQueries()
	leaf.SetFault(dnstest.Fault{Truncate: true})
	if ips, err := lookup(); err != nil || len(ips) != 2 {
		t.Errorf("truncate: %v %v", ips, err)
	}
	tcp := false
	for _, q := range leaf.Queries() {
		tcp = tcp || q.Network == "tcp"
	}
	if !tcp {
		t.Errorf("no TCP query after truncation: %+v", leaf.Queries())
	}

	// Dropped, mismatched and late answers cost timeouts in simulated
	// time; lame and failing servers are answered at once.
	for name, f := range map[string]dnstest.Fault{
		"drop":           {Drop: true},
		"wrong ID":       {WrongID: true},
		"wrong question": {WrongQuestion: true},
		"late":           {Delay: time.Minute},
		"lame":           {Lame: true},
		"servfail":       {ServFail: true},
	} {
		leaf.SetFault(f)
		before := clock.Now()
		if ips, err := lookup(); err == nil {
			t.Errorf("%s: %v", name, ips)
		}
		if name == "drop" && clock.Now().Sub(before) < time.Second {
			t.Errorf("drop: simulated time moved only %v", clock.Now().Sub(before))
		}
	}
	leaf.SetFault(dnstest.Fault{})

	// Forged records beside an answer: the resolver's bailiwick check
	// keeps them out.
	evil := dnswire.RR{RRHeader: dnswire.RRHeader{Name: dnswire.MustName("www.example.net."), Type: dnswire.TypeA, Class: dnswire.ClassINET, TTL: 86400},
		Data: &dnswire.A{Addr: netip.MustParseAddr("192.0.2.66")}}
	edu.SetFault(dnstest.Fault{Additional: []dnswire.RR{evil}})
	r := newResolver()
	if _, err := r.LookupIP(ctx, "web.hamburger.edu"); err != nil {
		t.Errorf("poisoned edu: %v", err)
	}
	edu.SetFault(dnstest.Fault{})
	if time.Since(wall) > 20*time.Second {
		t.Errorf("the faults took %v of real time", time.Since(wall))
	}
}

// exchangeNet sends q to addr over network and returns the first
// datagram or message back, with the port it came from.
func exchangeNet(t *testing.T, network string, addr netip.AddrPort, q *dnswire.Msg) (*dnswire.Msg, int, error) {
	t.Helper()
	w, _ := q.Pack()
	c, err := net.Dial(network, addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if network == "tcp" {
		if err := dnswire.WriteTCP(c, w); err != nil {
			return nil, 0, err
		}
		msg, err := dnswire.ReadTCP(c, nil)
		if err != nil {
			return nil, 0, err
		}
		var m dnswire.Msg
		return &m, int(addr.Port()), m.Unpack(msg)
	}
	// Read from any port: a forged answer comes from another one.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	pc.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := pc.WriteTo(w, net.UDPAddrFromAddrPort(addr)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	n, from, err := pc.ReadFrom(buf)
	if err != nil {
		return nil, 0, err
	}
	var m dnswire.Msg
	return &m, from.(*net.UDPAddr).Port, m.Unpack(buf[:n])
}

// TestNetworkFaults: the faults over real UDP and TCP sockets.
func TestNetworkFaults(t *testing.T) {
	h := dnstest.New(t, dnstest.Config{Zones: zones()})
	leaf := h.ServerFor("hamburger.edu.")
	q := new(dnswire.Msg)
	q.ID = 99
	q.SetQuestion(dnswire.MustName("web.hamburger.edu."), dnswire.TypeA)
	q.SetEDNS(1232, true)

	leaf.SetFault(dnstest.Fault{Truncate: true})
	m, _, err := exchangeNet(t, "udp", leaf.Addr, q)
	if err != nil || !m.Truncated || len(m.Answer) != 0 {
		t.Errorf("truncated UDP: %v %+v", err, m)
	}
	m, _, err = exchangeNet(t, "tcp", leaf.Addr, q)
	if err != nil || m.Truncated || len(m.Answer) != 2 {
		t.Errorf("TCP after truncation: %v %+v", err, m)
	}
	qs := leaf.Queries()
	if len(qs) != 2 || qs[0].Network != "udp" || qs[1].Network != "tcp" || !qs[0].DO || !qs[0].Name.Equal(q.Question[0].Name) {
		t.Errorf("queries %+v", qs)
	}

	leaf.SetFault(dnstest.Fault{Spoof: true})
	m, port, err := exchangeNet(t, "udp", leaf.Addr, q)
	if err != nil || int(leaf.Addr.Port()) == port || len(m.Answer) != 1 || m.Answer[0].Data.(*dnswire.A).Addr != netip.MustParseAddr("192.0.2.66") {
		t.Errorf("spoofed: %v port %d %+v", err, port, m)
	}

	leaf.SetFault(dnstest.Fault{Lame: true})
	if m, _, err = exchangeNet(t, "udp", leaf.Addr, q); err != nil || m.RCode != dnswire.RCodeRefused || m.ID != 99 {
		t.Errorf("lame: %v %+v", err, m)
	}
	leaf.SetFault(dnstest.Fault{WrongID: true, No0x20: true})
	q.Question[0].Name = dnswire.MustName("WeB.hamburger.edu.")
	if m, _, err = exchangeNet(t, "udp", leaf.Addr, q); err != nil || m.ID == 99 || m.Question[0].Name.String() != "web.hamburger.edu." {
		t.Errorf("wrong ID, no 0x20: %v %+v", err, m)
	}
	leaf.SetFault(dnstest.Fault{Drop: true})
	if _, _, err = exchangeNet(t, "tcp", leaf.Addr, q); err == nil {
		t.Errorf("dropped TCP answer arrived")
	}
	leaf.SetFault(dnstest.Fault{})
	if m, _, err = exchangeNet(t, "udp", leaf.Addr, q); err != nil || len(m.Answer) != 2 {
		t.Errorf("healed: %v %+v", err, m)
	}
}

// TestSetZone: a zone replaced at run time is served at once, signed
// with its keys when the hierarchy is signed.
func TestSetZone(t *testing.T) {
	clock := dnstest.NewClock(time.Now())
	h := dnstest.New(t, dnstest.Config{Zones: zones(), Clock: clock, Sign: &dnstest.Signing{}})
	ctx := context.Background()
	if err := h.SetZone("hamburger.edu.", hamburgerZone+"new A 127.0.0.9\n"); err != nil {
		t.Fatal(err)
	}
	v := &resolver.Validator{Anchors: h.TrustAnchor(), Query: h.Query, Now: clock.Now}
	a, err := v.Resolve(ctx, dnswire.MustName("new.hamburger.edu."), dnswire.TypeA)
	if err != nil || a.Security != resolver.Secure || len(a.Records) != 1 {
		t.Errorf("new name: %v %v %v", a.Security, a.Records, err)
	}
	if h.QueryCount() == 0 {
		t.Error("no queries counted")
	}
	h.ResetQueries()
	if h.QueryCount() != 0 {
		t.Error("queries not reset")
	}
	if err := h.SetZone("nowhere.", "@ SOA a.test. b.test. 1 2 3 4 5\n@ NS a.test.\n"); err == nil || !strings.Contains(err.Error(), "no server") {
		t.Error("zone no server serves accepted")
	}
}

// Poison's Edit adds the out-of-bailiwick records it documents to an
// answer that had none of them.
func TestPoison(t *testing.T) {
	h := dnstest.New(t, dnstest.Config{Zones: zones()})
	leaf := h.ServerFor("hamburger.edu.")
	bad := netip.MustParseAddr("192.0.2.66")
	leaf.SetFault(dnstest.Fault{Edit: dnstest.Poison(dnswire.MustName("www.example.net."), bad)})
	var q dnswire.Msg
	q.ID = 7
	q.SetQuestion(dnswire.MustName("web.hamburger.edu."), dnswire.TypeA)
	m, _, err := exchangeNet(t, "udp", leaf.Addr, &q)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, sec := range [][]dnswire.RR{m.Answer, m.Ns, m.Extra} {
		for _, rr := range sec {
			if strings.Contains(rr.String(), "evil") || strings.Contains(rr.String(), "example.net") {
				got = append(got, rr.String())
			}
		}
	}
	want := []string{
		"www.example.net.\t86400\tIN\tA\t192.0.2.66",
		".\t86400\tIN\tNS\tns.evil.test.",
		"example.net.\t86400\tIN\tNS\tns.evil.test.",
		"ns.evil.test.\t86400\tIN\tA\t192.0.2.66",
		"www.example.net.\t86400\tIN\tA\t192.0.2.66",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("poisoned answer (-want +got):\n%s", diff)
	}
}
