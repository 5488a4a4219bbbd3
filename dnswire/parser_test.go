package dnswire

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"testing"
)

func TestParserCopySavesPosition(t *testing.T) {
	msg := readFixture(t)
	var p Parser
	if _, err := p.Start(msg); err != nil {
		t.Fatal(err)
	}
	if err := p.SkipQuestions(); err != nil {
		t.Fatal(err)
	}
	saved := p // a copy is a bookmark
	h1, _ := p.AnswerHeader()
	mx1, _ := p.MX()
	p.AnswerHeader()
	h2, _ := saved.AnswerHeader()
	mx2, _ := saved.MX()
	if h1.Name != h2.Name || mx1 != mx2 || mx1.Pref != 10 {
		t.Fatalf("copy did not save the position: %v %v", mx1, mx2)
	}
}

func TestParserAccessors(t *testing.T) {
	msg := readFixture(t)
	var p Parser
	h, err := p.Start(msg)
	if err != nil || h.ID != 0xbeef || !h.Response || !h.Authoritative || p.Count(SectionAnswer) != 3 {
		t.Fatal(h, err)
	}
	if _, err := p.MX(); !errors.Is(err, ErrNoRecord) {
		t.Errorf("data before a header: %v", err)
	}
	q, err := p.Question()
	if err != nil || q.Name.String() != "example.com." || q.Type != TypeMX {
		t.Fatal(q, err)
	}
	if _, err := p.Question(); err != ErrSectionDone {
		t.Fatalf("end of questions: %v", err)
	}
	if _, err := p.AnswerHeader(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.A(); !errors.Is(err, ErrWrongType) {
		t.Errorf("A on an MX record: %v", err)
	}
	raw, err := p.RawRData()
	if err != nil || len(raw) != 8 || raw[6] != 0xC0 {
		t.Errorf("raw data %x %v", raw, err)
	}
	if _, err := p.MX(); !errors.Is(err, ErrNoRecord) {
		t.Errorf("data read twice: %v", err)
	}
	if _, err := p.AnswerHeader(); err != nil {
		t.Fatal(err)
	}
	d, err := p.RData()
	if mx, ok := d.(*MX); err != nil || !ok || mx.Host.String() != "mx2.example.com." {
		t.Errorf("RData %v %v", d, err)
	}
	// Asking for the additional section skips the rest.
	h3, err := p.AdditionalHeader()
	if err != nil || h3.Type != TypeA || p.Section() != SectionAdditional {
		t.Fatal(h3, err)
	}
	if err := p.SkipRData(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.AnswerHeader(); !errors.Is(err, ErrSectionOrder) {
		t.Errorf("going back: %v", err)
	}
	if err := p.Finish(); err != nil {
		t.Fatal(err)
	}
	var z Parser
	if _, err := z.Question(); !errors.Is(err, ErrNotStarted) {
		t.Errorf("unstarted: %v", err)
	}
}

func TestMsgReuseAndReply(t *testing.T) {
	var m Msg
	if err := m.Unpack(readFixture(t)); err != nil {
		t.Fatal(err)
	}
	first := m.String()
	// Unpack something smaller into the same Msg, then the fixture again.
	var q Msg
	q.ID = 99
	q.RecursionDesired = true
	q.CheckingDisabled = true
	q.SetQuestion(MustName("Example.ORG."), TypeTXT)
	q.SetEDNS(4096, true)
	wire, _ := q.AppendPack(nil)
	if err := m.Unpack(wire); err != nil {
		t.Fatal(err)
	}
	if len(m.Answer) != 0 || m.EDNS == nil || m.Question[0].Name.String() != "Example.ORG." {
		t.Fatalf("reused Msg: %s", m.String())
	}
	var r Msg
	r.Reply(&m)
	if r.ID != 99 || !r.Response || !r.RecursionDesired || !r.CheckingDisabled || r.EDNS == nil || !r.EDNS.DO ||
		r.EDNS.UDPSize != 1232 || r.Question[0].Name.String() != "Example.ORG." {
		t.Fatalf("reply %s", r.String())
	}
	if err := m.Unpack(readFixture(t)); err != nil || m.String() != first {
		t.Fatalf("third Unpack differs: %v", err)
	}
}

func TestCAAText(t *testing.T) {
	// A tag with a character the text form cannot carry is accepted from
	// the wire and printed in the RFC 3597 generic form, which parses back.
	data := []byte{0, 3, 'a', ' ', 'b', 'v'}
	msg := cat(hdr(0, 1, 0, 0), wExample, rrTail(TypeCAA, len(data), data))
	var m Msg
	if err := m.Unpack(msg); err != nil {
		t.Fatal(err)
	}
	line := m.Answer[0].String()
	if line != "example.com.\t300\tIN\tCAA\t\\# 6 000361206276" {
		t.Fatalf("line %q", line)
	}
	rr, err := ParseRR(line)
	if err != nil || rr.String() != line {
		t.Fatalf("%v %v", rr, err)
	}
}

func TestMsgClone(t *testing.T) {
	files := []string{"testdata/captures/txt-multi.bin", "testdata/captures/caa.bin", "testdata/captures/unknown-type.bin", "testdata/captures/cookie.bin"}
	var m Msg
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Unpack(raw); err != nil {
			t.Fatal(err)
		}
		c := m.Clone()
		want := m.String()
		// Overwrite m's storage with another message.
		if err := m.Unpack(readFixture(t)); err != nil {
			t.Fatal(err)
		}
		if c.String() != want {
			t.Errorf("%s: clone changed after reuse:\n%s", f, c.String())
		}
		if b, err := c.AppendPack(nil); err != nil || !bytes.Equal(b, raw) {
			t.Errorf("%s: clone packs differently: %v", f, err)
		}
	}
}

// TestReadRRHeaderInPlace: ReadRRHeader into one reused RRHeader gives
// the same headers as RRHeader, even when a long owner name is followed
// by a shorter one (the octets past a name stay zero, so == works), and
// allocates nothing.
func TestReadRRHeaderInPlace(t *testing.T) {
	var m Msg
	m.Response = true
	long := MustName("a-rather-long-owner-name.in.a.deep.subdomain.example.org.")
	m.Answer = []RR{
		{RRHeader: RRHeader{Name: long, Type: TypeA, Class: ClassINET, TTL: 5}, Data: &A{Addr: netip.MustParseAddr("192.0.2.1")}},
		{RRHeader: RRHeader{Name: MustName("b.example."), Type: TypeA, Class: ClassINET, TTL: 6}, Data: &A{Addr: netip.MustParseAddr("192.0.2.2")}},
	}
	wire, err := m.AppendPack(nil)
	if err != nil {
		t.Fatal(err)
	}
	var byValue, inPlace Parser
	byValue.Start(wire)
	inPlace.Start(wire)
	var h RRHeader
	for i := 0; ; i++ {
		want, werr := byValue.RRHeader(SectionAnswer)
		gerr := inPlace.ReadRRHeader(SectionAnswer, &h)
		if werr != gerr {
			t.Fatalf("record %d: error %v, want %v", i, gerr, werr)
		}
		if werr != nil {
			break
		}
		if h != want {
			t.Errorf("record %d: %+v, want %+v", i, h, want)
		}
	}
	if a := testing.AllocsPerRun(100, func() {
		inPlace.Start(wire)
		for inPlace.ReadRRHeader(SectionAnswer, &h) == nil {
		}
	}); a != 0 {
		t.Errorf("ReadRRHeader walk: %v allocs, want 0", a)
	}
}
