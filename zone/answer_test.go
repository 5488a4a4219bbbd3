package zone

import (
	"testing"

	"net/netip"
	"strconv"

	"github.com/google/go-cmp/cmp"
	"github.com/relaykit/relaykit/dnswire"
)

// testServer serves testdata/example.zone and a small example.net zone
// (the DNAME target and a second zone for CNAME chains).
func testServer(t testing.TB) *Server {
	t.Helper()
	s := &Server{}
	s.AddZone(loadFile(t, "example.", "testdata/example.zone"))
	net, err := parseText("example.net.", "@ SOA ns hm 7 2 3 4 60\n@ NS ns\nns A 192.0.2.100\nx A 192.0.2.101\n")
	if err != nil {
		t.Fatal(err)
	}
	s.AddZone(net)
	return s
}

type result struct {
	RCode      string
	AA, TC     bool
	Answer, Ns []string
	Extra      []string
}

func ask(t testing.TB, s *Server, q *dnswire.Msg) (*dnswire.Msg, result) {
	t.Helper()
	wire, err := q.Pack()
	if err != nil {
		t.Fatal(err)
	}
	resp := s.Handle(wire, false, nil)
	if resp == nil {
		t.Fatal("no response")
	}
	var m dnswire.Msg
	if err := m.Unpack(resp); err != nil {
		t.Fatalf("unpack response: %v", err)
	}
	if m.ID != q.ID || !m.Response {
		t.Errorf("header %+v", m.Header)
	}
	return &m, result{RCode: m.RCode.String(), AA: m.Authoritative, TC: m.Truncated,
		Answer: texts(m.Answer), Ns: texts(m.Ns), Extra: texts(m.Extra)}
}

func query(name string, typ dnswire.Type) *dnswire.Msg {
	m := new(dnswire.Msg)
	m.ID = 0x1234
	m.SetQuestion(dnswire.MustName(name), typ)
	return m
}

func TestAnswers(t *testing.T) {
	s := testServer(t)
	soa := "example.\t300\tIN\tSOA\tns1.example. hostmaster.example. 2026010101 7200 3600 1209600 300"
	nsExtra := []string{"ns1.example.\t3600\tIN\tA\t192.0.2.1", "ns2.example.\t3600\tIN\tA\t192.0.2.2", "ns2.example.\t3600\tIN\tAAAA\t2001:db8::2"}
	tests := []struct {
		name string
		typ  dnswire.Type
		want result
	}{
		{"web.example.", dnswire.TypeA, result{RCode: "NOERROR", AA: true, Answer: []string{
			"web.example.\t3600\tIN\tA\t192.0.2.80", "web.example.\t3600\tIN\tA\t192.0.2.81", "web.example.\t3600\tIN\tA\t192.0.2.82"}}},
		// Case of the question kept in the answer owner (0x20).
		{"WeB.ExAmple.", dnswire.TypeAAAA, result{RCode: "NOERROR", AA: true, Ns: []string{"ExAmple.\t300\tIN\tSOA\tns1.example. hostmaster.example. 2026010101 7200 3600 1209600 300"}}},
		{"example.", dnswire.TypeNS, result{RCode: "NOERROR", AA: true, Answer: []string{
			"example.\t3600\tIN\tNS\tns1.example.", "example.\t3600\tIN\tNS\tns2.example."}, Extra: nsExtra}},
		{"example.", dnswire.TypeMX, result{RCode: "NOERROR", AA: true, Answer: []string{"example.\t3600\tIN\tMX\t10 mail.example."},
			Extra: []string{"mail.example.\t3600\tIN\tA\t192.0.2.25"}}},
		{"nope.example.", dnswire.TypeA, result{RCode: "NXDOMAIN", AA: true, Ns: []string{soa}}},
		// Empty non-terminal: NODATA, not NXDOMAIN (RFC 4592 2.2.2).
		{"b.c.example.", dnswire.TypeA, result{RCode: "NOERROR", AA: true, Ns: []string{soa}}},
		{"www.example.", dnswire.TypeA, result{RCode: "NOERROR", AA: true, Answer: []string{
			"www.example.\t3600\tIN\tCNAME\tweb.example.",
			"web.example.\t3600\tIN\tA\t192.0.2.80", "web.example.\t3600\tIN\tA\t192.0.2.81", "web.example.\t3600\tIN\tA\t192.0.2.82"}}},
		{"www.example.", dnswire.TypeCNAME, result{RCode: "NOERROR", AA: true, Answer: []string{"www.example.\t3600\tIN\tCNAME\tweb.example."}}},
		{"chain.example.", dnswire.TypeA, result{RCode: "NOERROR", AA: true, Answer: []string{
			"chain.example.\t3600\tIN\tCNAME\twww.example.", "www.example.\t3600\tIN\tCNAME\tweb.example.",
			"web.example.\t3600\tIN\tA\t192.0.2.80", "web.example.\t3600\tIN\tA\t192.0.2.81", "web.example.\t3600\tIN\tA\t192.0.2.82"}}},
		{"out.example.", dnswire.TypeA, result{RCode: "NOERROR", AA: true, Answer: []string{"out.example.\t3600\tIN\tCNAME\telsewhere.test."}}},
		// RFC 6604: the RCODE of the last name in the chain.
		{"dangling.example.", dnswire.TypeA, result{RCode: "NXDOMAIN", AA: true, Answer: []string{"dangling.example.\t3600\tIN\tCNAME\tnothere.example."}, Ns: []string{soa}}},
		{"x.wild.example.", dnswire.TypeTXT, result{RCode: "NOERROR", AA: true, Answer: []string{"x.wild.example.\t3600\tIN\tTXT\t\"wildcard\""}}},
		{"y.x.wild.example.", dnswire.TypeMX, result{RCode: "NOERROR", AA: true, Answer: []string{"y.x.wild.example.\t3600\tIN\tMX\t5 mail.example."},
			Extra: []string{"mail.example.\t3600\tIN\tA\t192.0.2.25"}}},
		{"x.wild.example.", dnswire.TypeA, result{RCode: "NOERROR", AA: true, Ns: []string{soa}}},
		// RFC 4592 2.2.1: the wildcard does not match its own parent.
		{"wild.example.", dnswire.TypeTXT, result{RCode: "NOERROR", AA: true, Ns: []string{soa}}},
		// Referral: AA clear, NS in authority, in-zone glue in additional.
		{"www.sub.example.", dnswire.TypeA, result{RCode: "NOERROR", Ns: []string{
			"sub.example.\t3600\tIN\tNS\tns.sub.example.", "sub.example.\t3600\tIN\tNS\tns.other.test."},
			Extra: []string{"ns.sub.example.\t3600\tIN\tA\t192.0.2.53"}}},
		{"sub.example.", dnswire.TypeNS, result{RCode: "NOERROR", Ns: []string{
			"sub.example.\t3600\tIN\tNS\tns.sub.example.", "sub.example.\t3600\tIN\tNS\tns.other.test."},
			Extra: []string{"ns.sub.example.\t3600\tIN\tA\t192.0.2.53"}}},
		// DS is the parent's: NODATA from example., not a referral.
		{"sub.example.", dnswire.TypeDS, result{RCode: "NOERROR", AA: true, Ns: []string{soa}}},
		{"_sip._tcp.example.", dnswire.TypeSRV, result{RCode: "NOERROR", AA: true, Answer: []string{"_sip._tcp.example.\t3600\tIN\tSRV\t0 5 5060 web.example."},
			Extra: []string{"web.example.\t3600\tIN\tA\t192.0.2.80", "web.example.\t3600\tIN\tA\t192.0.2.81", "web.example.\t3600\tIN\tA\t192.0.2.82"}}},
		// DNAME (RFC 6672): the DNAME, a synthesized CNAME, then the target
		// answered from example.net.
		{"x.dn.example.", dnswire.TypeA, result{RCode: "NOERROR", AA: true, Answer: []string{
			"dn.example.\t3600\tIN\tDNAME\texample.net.", "x.dn.example.\t3600\tIN\tCNAME\tx.example.net.", "x.example.net.\t3600\tIN\tA\t192.0.2.101"}}},
		{"y.dn.example.", dnswire.TypeA, result{RCode: "NXDOMAIN", AA: true, Answer: []string{
			"dn.example.\t3600\tIN\tDNAME\texample.net.", "y.dn.example.\t3600\tIN\tCNAME\ty.example.net."},
			Ns: []string{"example.net.\t60\tIN\tSOA\tns.example.net. hm.example.net. 7 2 3 4 60"}}},
		{"dn.example.", dnswire.TypeA, result{RCode: "NOERROR", AA: true, Ns: []string{soa}}},
		{"www.other.test.", dnswire.TypeA, result{RCode: "REFUSED"}},
		{"ns2.example.", dnswire.TypeANY, result{RCode: "NOERROR", AA: true, Answer: []string{
			"ns2.example.\t3600\tIN\tA\t192.0.2.2", "ns2.example.\t3600\tIN\tAAAA\t2001:db8::2"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+tt.typ.String(), func(t *testing.T) {
			_, got := ask(t, s, query(tt.name, tt.typ))
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestQuestionCaseKept(t *testing.T) {
	s := testServer(t)
	m, _ := ask(t, s, query("wEb.eXaMpLe.", dnswire.TypeA))
	if got := m.Question[0].Name.String(); got != "wEb.eXaMpLe." {
		t.Errorf("question %q", got)
	}
}

func TestErrorReplies(t *testing.T) {
	s := testServer(t)
	q := query("web.example.", dnswire.TypeA)
	q.Opcode = dnswire.OpcodeStatus
	if _, r := ask(t, s, q); r.RCode != "NOTIMP" {
		t.Errorf("STATUS: %s", r.RCode)
	}
	q = query("web.example.", dnswire.TypeA)
	q.SetEDNS(4096, false)
	q.EDNS.Version = 1
	m, r := ask(t, s, q)
	if r.RCode != "BADVERS" || m.EDNS == nil || len(m.Answer) != 0 {
		t.Errorf("EDNS version 1: %s %+v", r.RCode, m.EDNS)
	}
	q = query("web.example.", dnswire.TypeA)
	q.Question = append(q.Question, q.Question[0])
	if _, r := ask(t, s, q); r.RCode != "FORMERR" {
		t.Errorf("two questions: %s", r.RCode)
	}
	q = query("web.example.", dnswire.TypeA)
	q.Answer = []dnswire.RR{{RRHeader: dnswire.RRHeader{Name: dnswire.MustName("x."), Type: dnswire.TypeA, Class: dnswire.ClassINET}, Data: &dnswire.A{Addr: netip.MustParseAddr("192.0.2.1")}}}
	if _, r := ask(t, s, q); r.RCode != "FORMERR" {
		t.Errorf("answer in query: %s", r.RCode)
	}
	q = query("example.", dnswire.TypeAXFR)
	if _, r := ask(t, s, q); r.RCode != "REFUSED" {
		t.Errorf("AXFR over UDP: %s", r.RCode)
	}
	// A response is never answered; a short packet is dropped.
	q = query("web.example.", dnswire.TypeA)
	q.Response = true
	w, _ := q.Pack()
	if s.Handle(w, false, nil) != nil || s.Handle(w[:5], false, nil) != nil {
		t.Error("answered a response or a runt")
	}
	// Truncated question: FORMERR with the ID.
	w, _ = query("web.example.", dnswire.TypeA).Pack()
	resp := s.Handle(w[:len(w)-2], false, nil)
	var m2 dnswire.Msg
	if err := m2.Unpack(resp); err != nil || m2.RCode != dnswire.RCodeFormatError || m2.ID != 0x1234 {
		t.Errorf("truncated question: %v %v", err, m2.RCode)
	}
}

func TestTruncation(t *testing.T) {
	s := &Server{}
	text := "@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n"
	for i := range 20 {
		text += "big TXT \"" + strconv.Itoa(i) + "-0123456789012345678901234567890123456789\"\n"
	}
	z, err := parseText("example.", text)
	if err != nil {
		t.Fatal(err)
	}
	s.AddZone(z)
	m, r := ask(t, s, query("big.example.", dnswire.TypeTXT))
	if !r.TC || len(m.Answer) != 0 || len(m.Question) != 1 {
		t.Errorf("plain UDP: TC=%v answers=%d", r.TC, len(m.Answer))
	}
	q := query("big.example.", dnswire.TypeTXT)
	q.SetEDNS(4096, true)
	m, r = ask(t, s, q)
	if r.TC || len(m.Answer) != 20 || m.EDNS == nil || !m.EDNS.DO || m.EDNS.UDPSize != DefaultUDPSize {
		t.Errorf("EDNS 4096: TC=%v answers=%d edns=%+v", r.TC, len(m.Answer), m.EDNS)
	}
	w, _ := query("big.example.", dnswire.TypeTXT).Pack()
	var mt dnswire.Msg
	if err := mt.Unpack(s.Handle(w, true, nil)); err != nil || mt.Truncated || len(mt.Answer) != 20 {
		t.Errorf("TCP: %v TC=%v answers=%d", err, mt.Truncated, len(mt.Answer))
	}
}

func TestQueryAllocs(t *testing.T) {
	s := testServer(t)
	for _, name := range []string{"web.example.", "nope.example.", "x.wild.example.", "www.sub.example.", "x.dn.example.", "chain.example."} {
		q := query(name, dnswire.TypeA)
		q.SetEDNS(1232, false)
		w, _ := q.Pack()
		r := newResponder()
		zs := s.zones.Load()
		out := make([]byte, 0, 4096)
		for _, rotate := range []bool{false, true} {
			lim := limits{srv: &Server{Rotate: rotate}}
			allocs := testing.AllocsPerRun(100, func() {
				if r.respond(zs, lim, w, false, out[:0]) == nil {
					t.Fatal("no answer")
				}
			})
			if allocs != 0 {
				t.Errorf("%s (rotate %v): %v allocs per query, budget 0", name, rotate, allocs)
			}
		}
	}
}

func BenchmarkQuery(b *testing.B) {
	s := testServer(b)
	q := query("web.example.", dnswire.TypeA)
	q.SetEDNS(1232, false)
	w, _ := q.Pack()
	out := make([]byte, 0, 4096)
	r := newResponder()
	zs := s.zones.Load()
	b.ReportAllocs()
	for b.Loop() {
		r.respond(zs, limits{}, w, false, out[:0])
	}
}
