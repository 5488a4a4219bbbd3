package zone

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// xfr sends q (signed with key when not nil) over TCP and reads answer
// messages until the closing SOA, or one message if it is not a
// transfer. It verifies every signature in the stream.
func xfr(t *testing.T, addr netip.AddrPort, q *dnswire.Msg, key *dnswire.TSIGKey) ([]dnswire.RR, dnswire.RCode) {
	t.Helper()
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	w, _ := q.Pack()
	var mac []byte
	if key != nil {
		if w, mac, err = dnswire.SignTSIG(w, dnswire.TSIGSign{Key: key}); err != nil {
			t.Fatal(err)
		}
	}
	if err := dnswire.WriteTCP(c, w); err != nil {
		t.Fatal(err)
	}
	var out []dnswire.RR
	soas := 0
	for i := 0; ; i++ {
		resp, err := dnswire.ReadTCP(c, nil)
		if err != nil {
			t.Fatal(err)
		}
		if key != nil {
			v := dnswire.TSIGVerify{Keys: func(dnswire.Name) *dnswire.TSIGKey { return key }}
			if i == 0 {
				v.RequestMAC = mac
			} else {
				v.PriorMAC = mac
			}
			res, err := dnswire.VerifyTSIG(resp, v)
			if err != nil {
				t.Fatalf("message %d: %v", i, err)
			}
			mac = res.Record.MAC
		}
		var m dnswire.Msg
		if err := m.Unpack(resp); err != nil {
			t.Fatal(err)
		}
		if m.RCode != dnswire.RCodeSuccess {
			return nil, m.RCode
		}
		for _, rr := range m.Answer {
			out = append(out, rr.Clone())
			if rr.Type == dnswire.TypeSOA {
				soas++
			}
		}
		if len(out) == 1 && q.Question[0].Type == typeIXFR && out[0].Data.(*dnswire.SOA).Serial <= serialOf(q) {
			return out, m.RCode // up to date: one SOA
		}
		if soas >= 2 && out[len(out)-1].Type == dnswire.TypeSOA && out[len(out)-1].Data.(*dnswire.SOA).Serial == out[0].Data.(*dnswire.SOA).Serial {
			return out, m.RCode
		}
	}
}

func serialOf(q *dnswire.Msg) uint32 {
	for _, rr := range q.Ns {
		if soa, ok := rr.Data.(*dnswire.SOA); ok {
			return soa.Serial
		}
	}
	return 0
}

func ixfrQuery(t testing.TB, zone string, serial uint32) *dnswire.Msg {
	q := query(zone, typeIXFR)
	q.Ns = []dnswire.RR{rr(t, zone+" 0 IN SOA a. b. "+uitoa(serial)+" 0 0 0 0")}
	return q
}

func uitoa(n uint32) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func TestAXFR(t *testing.T) {
	s := testServer(t)
	startServer(t, s)
	if _, rc := xfr(t, s.Addr(), query("example.", dnswire.TypeAXFR), nil); rc != dnswire.RCodeRefused {
		t.Errorf("AXFR without permission: %v", rc)
	}
	s.TransferFrom = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	rrs, rc := xfr(t, s.Addr(), query("example.", dnswire.TypeAXFR), nil)
	z := s.Zone(dnswire.MustName("example."))
	if rc != dnswire.RCodeSuccess || len(rrs) != z.Len()+1 || rrs[0].Type != dnswire.TypeSOA || rrs[len(rrs)-1].Type != dnswire.TypeSOA {
		t.Errorf("AXFR: %v, %d records for a zone of %d", rc, len(rrs), z.Len())
	}
	if _, rc := xfr(t, s.Addr(), query("sub.example.", dnswire.TypeAXFR), nil); rc != dnswire.RCodeRefused {
		t.Errorf("AXFR of a non-zone: %v", rc)
	}
}

func TestIXFRAndTSIGTransfer(t *testing.T) {
	s := updateServer(t, t.TempDir())
	s.Now = nil
	s.TransferKeys = []dnswire.Name{admin.Name}
	startServer(t, s)
	// A big zone, so the transfer spans several signed messages.
	u := dnswire.NewUpdate(dnswire.MustName("edu."))
	for i := range 800 {
		u.UpdateAdd(rr(t, "h"+uitoa(uint32(i))+".edu. 60 IN TXT \"some text to make the zone bigger than one message\""))
	}
	if m := send(t, s, u, admin, time.Now()); m.RCode != dnswire.RCodeSuccess {
		t.Fatal(m.RCode)
	}
	if _, rc := xfr(t, s.Addr(), query("edu.", dnswire.TypeAXFR), registrar); rc != dnswire.RCodeRefused {
		t.Errorf("AXFR with a key not allowed: %v", rc)
	}
	rrs, rc := xfr(t, s.Addr(), query("edu.", dnswire.TypeAXFR), admin)
	if rc != dnswire.RCodeSuccess || len(rrs) != 805 {
		t.Fatalf("signed AXFR: %v %d records", rc, len(rrs))
	}
	// Two more changes; IXFR from 101 gives both difference sequences.
	if m := send(t, s, registerHamburger(t), admin, time.Now()); m.RCode != dnswire.RCodeSuccess {
		t.Fatal(m.RCode)
	}
	u = dnswire.NewUpdate(dnswire.MustName("edu."))
	u.UpdateDeleteRRset(dnswire.MustName("h1.edu."), dnswire.TypeTXT)
	if m := send(t, s, u, admin, time.Now()); m.RCode != dnswire.RCodeSuccess {
		t.Fatal(m.RCode)
	}
	rrs, rc = xfr(t, s.Addr(), ixfrQuery(t, "edu.", 101), admin)
	var got []string
	for _, r := range rrs {
		got = append(got, r.Type.String())
	}
	want := "SOA SOA SOA NS A SOA TXT SOA SOA"
	if rc != dnswire.RCodeSuccess || joinStr(got) != want {
		t.Errorf("IXFR: %v %s, want %s", rc, joinStr(got), want)
	}
	// Up to date: the SOA alone. Unknown serial: the whole zone.
	if rrs, _ := xfr(t, s.Addr(), ixfrQuery(t, "edu.", 103), admin); len(rrs) != 1 {
		t.Errorf("IXFR up to date: %d records", len(rrs))
	}
	if rrs, _ := xfr(t, s.Addr(), ixfrQuery(t, "edu.", 50), admin); len(rrs) != s.Zone(dnswire.MustName("edu.")).Len()+1 {
		t.Errorf("IXFR from unknown serial: %d records", len(rrs))
	}
}

func joinStr(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}

func TestNotify(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	s := updateServer(t, "")
	s.Notify = []netip.AddrPort{pc.LocalAddr().(*net.UDPAddr).AddrPort()}
	if m := send(t, s, registerHamburger(t), registrar, testNow); m.RCode != dnswire.RCodeSuccess {
		t.Fatal(m.RCode)
	}
	pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 1500)
	n, from, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	var m dnswire.Msg
	if err := m.Unpack(buf[:n]); err != nil {
		t.Fatal(err)
	}
	if m.Opcode != dnswire.OpcodeNotify || !m.Authoritative || m.Question[0].Name.String() != "edu." || m.Answer[0].Data.(*dnswire.SOA).Serial != 101 {
		t.Fatalf("notify: %v", m.String())
	}
	m.Response = true
	m.Answer = nil
	w, _ := m.Pack()
	pc.WriteTo(w, from)
	s.Close() // waits for the notifier, which must have seen the reply
}
