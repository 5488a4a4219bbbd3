package dnswire

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A pointer into the header used to be followed: offset 6 of this header
// is a zero octet, which read as the root name.
func TestPointerIntoHeader(t *testing.T) {
	msg := cat(hdr(1, 0, 0, 0), []byte{0xC0, 6}, qTail)
	var m Msg
	err := m.Unpack(msg)
	if !errors.Is(err, ErrPointerIntoHeader) {
		t.Fatalf("Unpack: %v, want ErrPointerIntoHeader", err)
	}
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Section != SectionQuestion || pe.Offset != 12 {
		t.Fatalf("error %#v", err)
	}
	var p Parser
	p.Start(msg)
	if _, err := p.Question(); !errors.Is(err, ErrPointerIntoHeader) {
		t.Fatalf("Parser: %v", err)
	}
}

// RFC 3597 4: names inside MINFO, RP, AFSDB, RT, PX, MB, NXT... are
// decompressed on read, so repacking the data elsewhere keeps it intact.
func TestRFC3597NamesDecompressed(t *testing.T) {
	ex := []byte{0xC0, 12} // example.com. in the question
	full := []byte("\x07example\x03com\x00")
	for _, c := range []struct {
		t          Type
		data, want []byte
	}{
		{TypeMB, ex, full},
		{TypeMD, ex, full},
		{TypeMF, ex, full},
		{TypeMG, ex, full},
		{TypeMR, ex, full},
		{TypeMINFO, cat([]byte("\x01a"), ex, ex), cat([]byte("\x01a"), full, full)},
		{TypeRP, cat(ex, []byte{0}), cat(full, []byte{0})},
		{TypeAFSDB, cat([]byte{0, 1}, ex), cat([]byte{0, 1}, full)},
		{TypeRT, cat([]byte{0, 1}, ex), cat([]byte{0, 1}, full)},
		{TypePX, cat([]byte{0, 1}, ex, ex), cat([]byte{0, 1}, full, full)},
		{TypeNXT, cat(ex, []byte{0x40, 1}), cat(full, []byte{0x40, 1})},
	} {
		msg := cat(hdr(1, 1, 0, 0), wExample, qTail, []byte{0xC0, 12}, rrTail(c.t, len(c.data), c.data))
		var m Msg
		if err := m.Unpack(msg); err != nil {
			t.Errorf("%v: %v", c.t, err)
			continue
		}
		var got []byte
		switch d := m.Answer[0].Data.(type) {
		case *Unknown:
			got = d.Data
		default:
			w, err := d.(wireData).appendWire(nil)
			if err != nil {
				t.Fatal(err)
			}
			got = w
		}
		if !bytes.Equal(got, c.want) {
			t.Errorf("%v: data % x, want % x", c.t, got, c.want)
		}
		// Repacked into a message without that question, it still reads.
		m2 := &Msg{Answer: m.Answer}
		b, err := m2.Pack()
		if err != nil {
			t.Fatal(err)
		}
		var back Msg
		if err := back.Unpack(b); err != nil {
			t.Errorf("%v: repacked: %v", c.t, err)
			continue
		}
		if d := cmp.Diff(m.Answer[0].String(), back.Answer[0].String()); d != "" {
			t.Errorf("%v: %s", c.t, d)
		}
		// And the Parser's RData agrees.
		var p Parser
		p.Start(msg)
		p.AnswerHeader()
		rd, err := p.RData()
		if err != nil || rd.String() != m.Answer[0].Data.String() {
			t.Errorf("%v: Parser.RData %v %v", c.t, rd, err)
		}
	}
	// A name that overruns the data is an error, not opaque bytes.
	bad := []byte{5, 'a'}
	msg := cat(hdr(0, 1, 0, 0), wExample, rrTail(TypeMB, len(bad), bad))
	var m Msg
	if err := m.Unpack(msg); !errors.Is(err, ErrBadRDLength) {
		t.Fatalf("MB overrun: %v", err)
	}
}

// Unknown types are never compressed on write.
func TestUnknownNotCompressed(t *testing.T) {
	data := []byte("\x07example\x03com\x00")
	m := &Msg{Answer: []RR{{RRHeader: RRHeader{Name: MustName("example.com."), Type: 65400, Class: ClassINET},
		Data: &Unknown{T: 65400, Data: data}}}}
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(b, data) {
		t.Fatalf("unknown data changed: % x", b)
	}
}

// RFC 2181 8: a TTL or SOA timer with the top bit set is zero, in wire and
// text alike.
func TestTTLTopBit(t *testing.T) {
	soa := cat(wExample, wExample, []byte{0, 0, 0, 1, 0x80, 0, 0, 0, 0, 0, 0, 60, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 1, 0})
	b := app16(nil, uint16(TypeSOA))
	b = app16(b, 1)
	b = app32(b, 0x80000001)
	b = app16(b, uint16(len(soa)))
	msg := cat(hdr(0, 1, 0, 0), wExample, b, soa)
	var m Msg
	if err := m.Unpack(msg); err != nil {
		t.Fatal(err)
	}
	want := "example.com.\t0\tIN\tSOA\texample.com. example.com. 1 0 60 0 256"
	if got := m.Answer[0].String(); got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	var p Parser
	p.Start(msg)
	if h, _ := p.AnswerHeader(); h.TTL != 0 {
		t.Fatalf("Parser TTL %d", h.TTL)
	}
	rr, err := ParseRR("example.com. 2147483648 IN SOA example.com. example.com. 1 4294967295 60 2147483650 256")
	if err != nil {
		t.Fatal(err)
	}
	if got := rr.String(); got != want {
		t.Fatalf("parsed %q", got)
	}
	// Set in a struct, a top-bit TTL is written as zero too.
	m.Answer[0].TTL = 0x90000000
	m.Answer[0].Data.(*SOA).Expire = 0xF0000000
	w, _ := m.Pack()
	var back Msg
	if err := back.Unpack(w); err != nil || back.Answer[0].String() != want {
		t.Fatalf("repacked %v %v", back.Answer, err)
	}
	// The OPT TTL carries flags and is not touched.
	q := &Msg{EDNS: &EDNS{UDPSize: 1232, DO: true, Version: 0}}
	q.RCode = RCodeBadCookie
	w, _ = q.Pack()
	if err := back.Unpack(w); err != nil || back.RCode != RCodeBadCookie || !back.EDNS.DO {
		t.Fatalf("OPT: %v %+v", err, back.Header)
	}
}

// A message over 65535 octets is an error, not a TC response.
func TestPackTooLarge(t *testing.T) {
	m := &Msg{}
	m.SetQuestion(MustName("example.com."), TypeTXT)
	long := strings.Repeat("x", 255)
	for range 300 {
		m.Answer = append(m.Answer, RR{RRHeader: RRHeader{Name: MustName("example.com."), Type: TypeTXT, Class: ClassINET},
			Data: NewTXT(long)})
	}
	if _, err := m.Pack(); !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("Pack: %v", err)
	}
	if _, err := m.AppendPackOptions(nil, BuildOptions{TCP: true}); !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("TCP pack: %v", err)
	}
	// With a size budget the old behaviour stays: drop and set TC.
	b, err := m.AppendPackOptions(nil, BuildOptions{MaxSize: 1232})
	if err != nil || b[2]&2 == 0 {
		t.Fatalf("budget: %v tc=%v", err, err == nil && b[2]&2 != 0)
	}
}

func TestSetQuestionDefaults(t *testing.T) {
	ids := map[uint16]bool{}
	for range 8 {
		var m Msg
		m.SetQuestion(MustName("example.com."), TypeA)
		if !m.RecursionDesired || m.ID == 0 || m.Opcode != OpcodeQuery {
			t.Fatalf("header %+v", m.Header)
		}
		ids[m.ID] = true
	}
	if len(ids) < 2 {
		t.Fatalf("IDs not random: %v", ids)
	}
	var m Msg
	m.ID = 7
	m.SetQuestion(MustName("example.com."), TypeA)
	if m.ID != 7 {
		t.Fatalf("chosen ID replaced: %d", m.ID)
	}
}

func TestRelativeNameError(t *testing.T) {
	rel, _ := ParseName("www.example")
	m := &Msg{Answer: []RR{{RRHeader: RRHeader{Name: MustName("a."), Type: TypeCNAME, Class: ClassINET},
		Data: &CNAME{Target: rel}}}}
	_, err := m.Pack()
	var ne *NameError
	if !errors.As(err, &ne) || !errors.Is(err, ErrRelativeName) || !strings.Contains(err.Error(), "www.example") {
		t.Fatalf("error %v", err)
	}
	m.Answer[0].Type, m.Answer[0].Data = TypeDNAME, &DNAME{Target: rel}
	if _, err = m.Pack(); !strings.Contains(errText(err), "www.example") {
		t.Fatalf("DNAME error %v", err)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
