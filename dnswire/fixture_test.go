package dnswire

import (
	"bytes"
	"net/netip"
	"os"
	"testing"
)

func readFixture(t testing.TB) []byte {
	b, err := os.ReadFile("testdata/example.com-mx.bin")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixtureRRs returns the records of testdata/example.com-mx.bin, the
// 213-byte response miekg/dns v1 packs (bench/fixtures).
func fixtureRRs() (q Question, an, ns, ar []RR) {
	zone := MustName("example.com.")
	mx1, mx2, mx3 := MustName("mx1.example.com."), MustName("mx2.example.com."), MustName("mx3.example.com.")
	hdr := func(n Name, t Type) RRHeader { return RRHeader{Name: n, Type: t, Class: ClassINET, TTL: 3600} }
	q = Question{Name: zone, Type: TypeMX, Class: ClassINET}
	an = []RR{
		{hdr(zone, TypeMX), &MX{Pref: 10, Host: mx1}},
		{hdr(zone, TypeMX), &MX{Pref: 20, Host: mx2}},
		{hdr(zone, TypeMX), &MX{Pref: 30, Host: mx3}},
	}
	ns = []RR{
		{hdr(zone, TypeNS), &NS{Host: MustName("ns1.example.com.")}},
		{hdr(zone, TypeNS), &NS{Host: MustName("ns2.example.com.")}},
	}
	ar = []RR{
		{hdr(mx1, TypeA), &A{Addr: netip.MustParseAddr("192.0.2.1")}},
		{hdr(mx1, TypeAAAA), &AAAA{Addr: netip.MustParseAddr("2001:db8::1")}},
		{hdr(mx2, TypeA), &A{Addr: netip.MustParseAddr("192.0.2.2")}},
		{hdr(mx2, TypeAAAA), &AAAA{Addr: netip.MustParseAddr("2001:db8::2")}},
	}
	return
}

var fixtureHeader = Header{ID: 0xbeef, Response: true, Authoritative: true, RecursionDesired: true}

func buildFixture(b *Builder, buf []byte, q *Question, an, ns, ar []RR) ([]byte, error) {
	b.Start(buf, fixtureHeader, BuildOptions{Compress: true})
	if err := b.Question(q); err != nil {
		return nil, err
	}
	for i := range an {
		if err := b.Answer(&an[i]); err != nil {
			return nil, err
		}
	}
	for i := range ns {
		if err := b.Authority(&ns[i]); err != nil {
			return nil, err
		}
	}
	for i := range ar {
		if err := b.Additional(&ar[i]); err != nil {
			return nil, err
		}
	}
	return b.Finish()
}

func TestBuilderMatchesFixture(t *testing.T) {
	want := readFixture(t)
	q, an, ns, ar := fixtureRRs()
	var b Builder
	got, err := buildFixture(&b, nil, &q, an, ns, ar)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("builder output differs from fixture\n got %x\nwant %x", got, want)
	}
}

func TestMsgUnpackFixture(t *testing.T) {
	var m Msg
	if err := m.Unpack(readFixture(t)); err != nil {
		t.Fatal(err)
	}
	q, an, ns, ar := fixtureRRs()
	if len(m.Question) != 1 || !m.Question[0].Name.Equal(q.Name) || m.Question[0].Type != TypeMX {
		t.Fatalf("question %+v", m.Question)
	}
	for _, c := range []struct{ got, want []RR }{{m.Answer, an}, {m.Ns, ns}, {m.Extra, ar}} {
		if len(c.got) != len(c.want) {
			t.Fatalf("got %d records want %d", len(c.got), len(c.want))
		}
		for i := range c.got {
			g, w := c.got[i], c.want[i]
			if !g.Name.Equal(w.Name) || g.Type != w.Type || g.TTL != w.TTL || g.Data.String() != w.Data.String() {
				t.Errorf("record %d: got %v %v %v, want %v %v %v", i, g.Name, g.Type, g.Data, w.Name, w.Type, w.Data)
			}
		}
	}
	out, err := m.AppendPack(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, readFixture(t)) {
		t.Fatalf("repack differs\n got %x\nwant %x", out, readFixture(t))
	}
}

// walk walks msg with p, question by question and record by record,
// decoding each record's data with decode, and returns the number of
// entries read. The fixture tests decode with the typed accessors
// (decodeTyped), the fuzz targets with RData (decodeAny).
func walk(p *Parser, msg []byte, decode func(*Parser, Type) error) (int, error) {
	if _, err := p.Start(msg); err != nil {
		return 0, err
	}
	n := 0
	for {
		_, err := p.Question()
		if err == ErrSectionDone {
			break
		}
		if err != nil {
			return n, err
		}
		n++
	}
	for s := SectionAnswer; s <= SectionAdditional; s++ {
		for {
			h, err := p.RRHeader(s)
			if err == ErrSectionDone {
				break
			}
			if err != nil {
				return n, err
			}
			if err := decode(p, h.Type); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, p.Finish()
}

// decodeTyped decodes a record's data with its typed accessor.
func decodeTyped(p *Parser, t Type) (err error) {
	switch t {
	case TypeMX:
		_, err = p.MX()
	case TypeNS:
		_, err = p.NS()
	case TypeA:
		_, err = p.A()
	case TypeAAAA:
		_, err = p.AAAA()
	default:
		_, err = p.RawRData()
	}
	return err
}

func TestParserWalkFixture(t *testing.T) {
	var p Parser
	n, err := walk(&p, readFixture(t), decodeTyped)
	if err != nil || n != 10 {
		t.Fatalf("walk: %d records, %v", n, err)
	}
}

func TestAllocs(t *testing.T) {
	msg := readFixture(t)
	var p Parser
	if a := testing.AllocsPerRun(100, func() {
		if _, err := walk(&p, msg, decodeTyped); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("Parser walk: %v allocs, want 0", a)
	}
	var m Msg
	if err := m.Unpack(msg); err != nil {
		t.Fatal(err)
	}
	if a := testing.AllocsPerRun(100, func() {
		if err := m.Unpack(msg); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("Msg.Unpack into a reused Msg: %v allocs, want 0", a)
	}
	q, an, ns, ar := fixtureRRs()
	var b Builder
	buf := make([]byte, 0, 512)
	if a := testing.AllocsPerRun(100, func() {
		if _, err := buildFixture(&b, buf, &q, an, ns, ar); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("Builder into a reused buffer: %v allocs, want 0", a)
	}
	if a := testing.AllocsPerRun(100, func() {
		if _, err := m.AppendPack(buf); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("Msg.AppendPack into a reused buffer: %v allocs, want 0", a)
	}
}

func BenchmarkParserWalk(b *testing.B) {
	msg := readFixture(b)
	var p Parser
	b.ReportAllocs()
	for b.Loop() {
		walk(&p, msg, decodeTyped)
	}
}

func BenchmarkUnpack(b *testing.B) {
	msg := readFixture(b)
	var m Msg
	b.ReportAllocs()
	for b.Loop() {
		m.Unpack(msg)
	}
}

func BenchmarkBuilder(b *testing.B) {
	q, an, ns, ar := fixtureRRs()
	var bl Builder
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buildFixture(&bl, buf, &q, an, ns, ar)
	}
}

func BenchmarkAppendPack(b *testing.B) {
	var m Msg
	m.Unpack(readFixture(b))
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		m.AppendPack(buf)
	}
}
