package dnstest

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

var zones = map[string]string{
	".": `
. 86400 SOA a.root. h.root. 1 2 3 4 86400
. NS a.root.
a.root. A 127.0.0.2
com. NS ns.nic.com.
ns.nic.com. A 127.0.0.3
`,
	"com.": `
@ 900 SOA ns.nic hostmaster 1 2 3 4 900
@ NS ns.nic
ns.nic A 127.0.0.3
example NS ns.example
ns.example A 127.0.0.4
www CNAME example.com.
deep.empty A 192.0.2.7
txt TXT "a b" c
`,
}

var servers = map[string][]string{"127.0.0.2": {"."}, "127.0.0.3": {"com."}}

func ask(t *testing.T, tr *Transport, server string, name string, typ dnswire.Type, edns bool) *dnswire.Msg {
	t.Helper()
	var q dnswire.Msg
	q.ID = 42
	q.SetQuestion(dnswire.MustName(name), typ)
	if edns {
		q.SetEDNS(1232, false)
	}
	b, _ := q.Pack()
	out, err := tr.Exchange(context.Background(), "udp", mustAP(server), b, time.Second)
	if err != nil {
		t.Fatalf("%s %s: %v", server, name, err)
	}
	var m dnswire.Msg
	if err := m.Unpack(out); err != nil {
		t.Fatal(err)
	}
	return &m
}

func mustAP(s string) netip.AddrPort { return parseAP(s) }

func TestAuthoritativeAnswers(t *testing.T) {
	h, err := New(Config{Zones: zones, Servers: servers})
	if err != nil {
		t.Fatal(err)
	}
	tr := h.Transport()
	m := ask(t, tr, "127.0.0.2:53", "www.example.com.", dnswire.TypeA, false)
	if m.Authoritative || len(m.Ns) != 1 || len(m.Extra) != 1 || m.Ns[0].Name.String() != "com." {
		t.Errorf("root referral: %+v ns %v extra %v", m.Header, m.Ns, m.Extra)
	}
	m = ask(t, tr, "127.0.0.3:53", "a.b.example.com.", dnswire.TypeA, false)
	if m.Authoritative || len(m.Ns) != 1 || m.Ns[0].Name.String() != "example.com." || len(m.Extra) != 1 {
		t.Errorf("com referral: %+v %v", m.Header, m.Ns)
	}
	m = ask(t, tr, "127.0.0.3:53", "www.com.", dnswire.TypeA, false)
	if !m.Authoritative || len(m.Answer) != 1 || m.Answer[0].Type != dnswire.TypeCNAME {
		t.Errorf("CNAME out of zone: %+v %v", m.Header, m.Answer)
	}
	m = ask(t, tr, "127.0.0.3:53", "empty.com.", dnswire.TypeA, false)
	if m.RCode != dnswire.RCodeSuccess || len(m.Answer) != 0 || len(m.Ns) != 1 {
		t.Errorf("empty non-terminal: %+v", m.Header)
	}
	m = ask(t, tr, "127.0.0.3:53", "nope.com.", dnswire.TypeA, false)
	if m.RCode != dnswire.RCodeNameError || len(m.Ns) != 1 || m.Ns[0].Type != dnswire.TypeSOA {
		t.Errorf("NXDOMAIN: %+v", m.Header)
	}
	m = ask(t, tr, "127.0.0.3:53", "txt.com.", dnswire.TypeTXT, false)
	if len(m.Answer) != 1 || len(m.Answer[0].Data.(*dnswire.TXT).Strings) != 2 {
		t.Errorf("TXT: %v", m.Answer)
	}
	m = ask(t, tr, "127.0.0.2:53", "org.", dnswire.TypeA, false)
	if m.RCode != dnswire.RCodeNameError {
		t.Errorf("root NXDOMAIN: %v", m.RCode)
	}
	if got := h.Server("127.0.0.3").Queries(); len(got) != 5 {
		t.Errorf("%d queries logged", len(got))
	}
}

func TestFaultsInProcess(t *testing.T) {
	h, err := New(Config{Zones: zones, Servers: servers})
	if err != nil {
		t.Fatal(err)
	}
	tr := h.Transport()
	s := h.Server("127.0.0.3")
	var q dnswire.Msg
	q.ID = 1
	q.SetQuestion(dnswire.MustName("txt.com."), dnswire.TypeTXT)
	q.SetEDNS(1232, false)
	b, _ := q.Pack()
	for _, f := range []Fault{{Drop: true}, {WrongID: true}, {Delay: 2 * time.Second}} {
		s.SetFault(f)
		start := h.Clock.Now()
		_, err := tr.Exchange(context.Background(), "udp", parseAP("127.0.0.3:53"), b, time.Second)
		if !errors.Is(err, os.ErrDeadlineExceeded) || h.Clock.Now().Sub(start) != time.Second {
			t.Errorf("%+v: %v after %v", f, err, h.Clock.Now().Sub(start))
		}
	}
	s.SetFault(Fault{Lame: true})
	if m := ask(t, tr, "127.0.0.3:53", "txt.com.", dnswire.TypeTXT, true); m.RCode != dnswire.RCodeRefused {
		t.Errorf("lame: %v", m.RCode)
	}
	s.SetFault(Fault{NoEDNS: true})
	if m := ask(t, tr, "127.0.0.3:53", "txt.com.", dnswire.TypeTXT, true); m.RCode != dnswire.RCodeFormatError || m.EDNS != nil {
		t.Errorf("no EDNS: %v", m.RCode)
	}
	s.SetFault(Fault{Truncate: true})
	if m := ask(t, tr, "127.0.0.3:53", "txt.com.", dnswire.TypeTXT, true); !m.Truncated || len(m.Answer) != 0 {
		t.Errorf("truncate: %+v", m.Header)
	}
}

func TestListenSpoof(t *testing.T) {
	h, err := New(Config{Zones: zones, Servers: servers})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Listen(); err != nil {
		t.Skip(err)
	}
	defer h.Close()
	h.Server("127.0.0.3").SetFault(Fault{Spoof: true})
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var q dnswire.Msg
	q.ID = 5
	q.SetQuestion(dnswire.MustName("txt.com."), dnswire.TypeTXT)
	b, _ := q.Pack()
	srv := net.UDPAddrFromAddrPort(parseAP("127.0.0.3:" + itoa(int(h.Port()))))
	c.WriteToUDP(b, srv)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 2048)
	// An unconnected socket sees both: the forgery from another port
	// first, then the real answer from the server's port.
	var froms []int
	for range 2 {
		_, from, err := c.ReadFromUDP(buf)
		if err != nil {
			t.Fatal(err)
		}
		froms = append(froms, from.Port)
	}
	if froms[0] == int(h.Port()) || froms[1] != int(h.Port()) {
		t.Errorf("ports %v, server port %d", froms, h.Port())
	}
}

func parseAP(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func itoa(i int) string { return strconv.Itoa(i) }
