package dnswire

import (
	"bytes"
	"errors"
	"net/netip"
	"runtime"
	"testing"
)

// hdr returns a 12-byte header with the given counts.
func hdr(qd, an, ns, ar uint16) []byte {
	b := []byte{0x12, 0x34, 0x81, 0x80}
	for _, c := range []uint16{qd, an, ns, ar} {
		b = app16(b, c)
	}
	return b
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

var (
	wExample = []byte("\x07example\x03com\x00")
	qTail    = []byte{0, 1, 0, 1} // type A, class IN
)

// rrTail returns type, class IN, TTL 300, RDLENGTH and data.
func rrTail(t Type, rdlen int, data []byte) []byte {
	b := app16(nil, uint16(t))
	b = app16(b, 1)
	b = app32(b, 300)
	b = app16(b, uint16(rdlen))
	return append(b, data...)
}

func TestHostileMessages(t *testing.T) {
	for _, c := range []struct {
		name string
		msg  []byte
		err  error
		sec  Section
		idx  int
		off  int
	}{
		{"short header", []byte{1, 2, 3}, ErrTruncated, SectionHeader, -1, 3},
		// miekg/dns v1 accepts this header without error.
		{"count claims 65535 answers", cat(hdr(0, 65535, 0, 0), wExample, rrTail(TypeA, 4, []byte{1, 2, 3, 4})),
			ErrCountTooLarge, SectionHeader, -1, 4},
		// x/net reads 4 bytes of the next record here.
		{"A with RDLENGTH 0", cat(hdr(0, 2, 0, 0), wExample, rrTail(TypeA, 0, nil), []byte{0xC0, 12}, rrTail(TypeA, 4, []byte{1, 2, 3, 4})),
			ErrBadRDLength, SectionAnswer, 0, 35},
		{"A with RDLENGTH 5", cat(hdr(0, 1, 0, 0), wExample, rrTail(TypeA, 5, []byte{1, 2, 3, 4, 5})),
			ErrBadRDLength, SectionAnswer, 0, 35},
		{"RDLENGTH past the end", cat(hdr(0, 1, 0, 0), wExample, rrTail(TypeA, 9, []byte{1, 2, 3, 4})),
			ErrBadRDLength, SectionAnswer, 0, 33},
		{"MX name overruns RDLENGTH", cat(hdr(0, 1, 0, 0), wExample, rrTail(TypeMX, 4, cat([]byte{0, 10}, wExample))),
			ErrBadRDLength, SectionAnswer, 0, 35},
		{"MX name shorter than RDLENGTH", cat(hdr(0, 1, 0, 0), wExample, rrTail(TypeMX, 16, cat([]byte{0, 10}, []byte{0xC0, 12}, make([]byte, 12)))),
			ErrBadRDLength, SectionAnswer, 0, 35},
		{"forward pointer", cat(hdr(1, 0, 0, 0), []byte{0xC0, 14, 0, 0}, qTail), ErrBadPointer, SectionQuestion, 0, 12},
		{"pointer to itself", cat(hdr(1, 0, 0, 0), []byte{0xC0, 12}, qTail), ErrBadPointer, SectionQuestion, 0, 12},
		{"pointer loop through an earlier name", cat(hdr(2, 0, 0, 0), []byte{1, 'a', 0xC0, 12}, qTail, []byte{0xC0, 12}, qTail),
			ErrBadPointer, SectionQuestion, 0, 14},
		{"reserved label type 01", cat(hdr(1, 0, 0, 0), []byte{0x41, 0}, qTail), ErrBadLabelType, SectionQuestion, 0, 12},
		{"label runs off the end", cat(hdr(1, 0, 0, 0), []byte{9, 'a', 'b'}, make([]byte, 3)), ErrTruncated, SectionQuestion, 0, 12},
		{"trailing bytes", cat(hdr(1, 0, 0, 0), wExample, qTail, []byte{0}), ErrTrailingBytes, SectionAdditional, -1, 29},
		{"OPT in the answer section", cat(hdr(0, 1, 0, 0), []byte{0}, rrTail(TypeOPT, 0, nil)), ErrBadOPT, SectionAnswer, 0, 23},
		{"two OPT records", cat(hdr(0, 0, 0, 2), []byte{0}, rrTail(TypeOPT, 0, nil), []byte{0}, rrTail(TypeOPT, 0, nil)),
			ErrBadOPT, SectionAdditional, 1, 34},
		{"OPT option overruns", cat(hdr(0, 0, 0, 1), []byte{0}, rrTail(TypeOPT, 4, []byte{0, 10, 0, 9})), ErrBadOPT, SectionAdditional, 0, 23},
		{"TXT string overruns", cat(hdr(0, 1, 0, 0), wExample, rrTail(TypeTXT, 3, []byte{5, 'a', 'b'})), ErrBadRDLength, SectionAnswer, 0, 35},
		{"CAA empty tag", cat(hdr(0, 1, 0, 0), wExample, rrTail(TypeCAA, 3, []byte{0, 0, 'x'})), ErrBadRData, SectionAnswer, 0, 35},
	} {
		var m Msg
		err := m.Unpack(c.msg)
		if !errors.Is(err, c.err) {
			t.Errorf("%s: error %v, want %v", c.name, err, c.err)
			continue
		}
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%s: %T is not a *ParseError", c.name, err)
			continue
		}
		if pe.Section != c.sec || pe.Index != c.idx || pe.Offset != c.off {
			t.Errorf("%s: at %v/%d/%d, want %v/%d/%d (%v)", c.name, pe.Section, pe.Index, pe.Offset, c.sec, c.idx, c.off, err)
		}
	}
}

func TestParserARDLengthZero(t *testing.T) {
	msg := cat(hdr(0, 2, 0, 0), wExample, rrTail(TypeA, 0, nil), []byte{0xC0, 12}, rrTail(TypeA, 4, []byte{1, 2, 3, 4}))
	var p Parser
	if _, err := p.Start(msg); err != nil {
		t.Fatal(err)
	}
	if _, err := p.AnswerHeader(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.A(); !errors.Is(err, ErrBadRDLength) {
		t.Fatalf("A() on RDLENGTH 0: %v", err)
	}
	// The next record is still intact: the bad one did not eat into it.
	h, err := p.AnswerHeader()
	if err != nil || h.Name.String() != "example.com." {
		t.Fatal(h, err)
	}
	a, err := p.A()
	if err != nil || a.Addr != netip.AddrFrom4([4]byte{1, 2, 3, 4}) {
		t.Fatal(a, err)
	}
	if _, err := p.AnswerHeader(); err != ErrSectionDone {
		t.Fatalf("end of section: %v", err)
	}
}

func TestLongPointerChain(t *testing.T) {
	// x/net rejects this legal chain: each of 20 questions' names is one
	// new label plus a pointer to the previous name, so the last name is
	// reached through 20 pointers. Every pointer points backwards.
	msg := hdr(21, 0, 0, 0)
	prev := len(msg)
	msg = append(msg, wExample...)
	msg = append(msg, qTail...)
	for i := 0; i < 20; i++ {
		at := len(msg)
		msg = append(msg, 1, byte('a'+i), 0xC0|byte(prev>>8), byte(prev))
		msg = append(msg, qTail...)
		prev = at
	}
	var m Msg
	if err := m.Unpack(msg); err != nil {
		t.Fatal(err)
	}
	last := m.Question[20].Name
	if last.NumLabels() != 22 || last.Label(0) != "t" || last.Label(19) != "a" {
		t.Fatalf("last name %v", last)
	}
}

func TestNameTooLongThroughPointers(t *testing.T) {
	// Each question adds a 63-octet label; the fifth name would be
	// 5*64+13 > 255 octets long.
	msg := hdr(5, 0, 0, 0)
	prev := len(msg)
	msg = append(msg, wExample...)
	msg = append(msg, qTail...)
	for i := 0; i < 4; i++ {
		at := len(msg)
		msg = append(msg, 63)
		msg = append(msg, bytes.Repeat([]byte{'x'}, 63)...)
		msg = append(msg, 0xC0|byte(prev>>8), byte(prev))
		msg = append(msg, qTail...)
		prev = at
	}
	var m Msg
	if err := m.Unpack(msg); !errors.Is(err, ErrNameTooLong) {
		t.Fatalf("got %v, want ErrNameTooLong", err)
	}
}

func TestUnknownRoundTrip(t *testing.T) {
	// RFC 3597: a type we do not know keeps its octets exactly, and a
	// name inside it is not decompressed or compressed.
	data := []byte{0xC0, 12, 0xde, 0xad}
	msg := cat(hdr(1, 1, 0, 0), wExample, qTail, []byte{0xC0, 12}, rrTail(Type(65280), len(data), data))
	var m Msg
	if err := m.Unpack(msg); err != nil {
		t.Fatal(err)
	}
	u, ok := m.Answer[0].Data.(*Unknown)
	if !ok || !bytes.Equal(u.Data, data) || u.String() != `\# 4 c00cdead` {
		t.Fatalf("unknown data %v", m.Answer[0].Data)
	}
	out, err := m.AppendPack(nil)
	if err != nil || !bytes.Equal(out, msg) {
		t.Fatalf("repack %x %v, want %x", out, err, msg)
	}
	if m.Answer[0].String() != "example.com.\t300\tIN\tTYPE65280\t\\# 4 c00cdead" {
		t.Errorf("text %q", m.Answer[0].String())
	}
}

func TestExtendedRCode(t *testing.T) {
	// RFC 6891 6.1.3: BADVERS (16) is 0 in the header and 1 in the OPT's
	// EXTENDED-RCODE.
	var m Msg
	m.Response = true
	m.RCode = RCodeBadVers
	if _, err := m.AppendPack(nil); !errors.Is(err, ErrExtendedRCode) {
		t.Fatalf("RCODE 16 without EDNS: %v", err)
	}
	m.SetEDNS(1232, true)
	m.EDNS.Options = []EDNSOption{{Code: 65001, Data: []byte{1, 2}}, PaddingOption(3)}
	b, err := m.AppendPack(nil)
	if err != nil {
		t.Fatal(err)
	}
	var p0 Parser
	if h, _ := p0.Start(b); h.RCode != 0 {
		t.Fatalf("header RCODE %d, want 0", h.RCode)
	}
	if oh, err := p0.AdditionalHeader(); err != nil || oh.TTL>>24 != 1 || oh.Class != 1232 {
		t.Fatalf("OPT header %+v %v", oh, err)
	}
	var back Msg
	if err := back.Unpack(b); err != nil {
		t.Fatal(err)
	}
	if back.RCode != RCodeBadVers || back.EDNS == nil || !back.EDNS.DO || back.EDNS.UDPSize != 1232 ||
		len(back.EDNS.Options) != 2 || back.EDNS.Options[0].Code != 65001 || len(back.Extra) != 0 {
		t.Fatalf("back %+v %+v", back.Header, back.EDNS)
	}
	var p Parser
	h, _ := p.Start(b)
	if _, err := p.AdditionalHeader(); err != nil {
		t.Fatal(err)
	}
	e, ext, err := p.OPT()
	if err != nil || h.RCode|ext != RCodeBadVers || !e.DO {
		t.Fatalf("parser OPT: %v %v %v", e, ext, err)
	}
}

func TestBuilderTruncation(t *testing.T) {
	q, an, ns, ar := fixtureRRs()
	var m Msg
	m.Header = fixtureHeader
	m.Question = []Question{q}
	m.Answer, m.Ns, m.Extra = an, ns, ar
	full, _ := m.AppendPack(nil)
	for _, c := range []struct {
		max        int
		an, ns, ar int
		tc         bool
		wantErr    error
	}{
		{max: 0, an: 3, ns: 2, ar: 4},
		{max: len(full), an: 3, ns: 2, ar: 4},
		{max: len(full) - 1, an: 3, ns: 2, ar: 3}, // an additional record goes, no TC (RFC 2181 9)
		{max: 60, an: 1, ns: 0, ar: 0, tc: true},  // answers dropped whole, TC
		{max: 20, wantErr: ErrMessageTooLarge},    // not even the question fits
	} {
		b, err := m.AppendPackOptions(nil, BuildOptions{Compress: true, MaxSize: c.max})
		if c.wantErr != nil {
			if !errors.Is(err, c.wantErr) {
				t.Errorf("max %d: %v", c.max, err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if c.max > 0 && len(b) > c.max {
			t.Errorf("max %d: %d bytes", c.max, len(b))
		}
		var back Msg
		if err := back.Unpack(b); err != nil {
			t.Fatalf("max %d: %v", c.max, err)
		}
		if len(back.Answer) != c.an || len(back.Ns) != c.ns || len(back.Extra) != c.ar || back.Truncated != c.tc {
			t.Errorf("max %d: %d/%d/%d tc=%v, want %d/%d/%d tc=%v", c.max, len(back.Answer), len(back.Ns), len(back.Extra),
				back.Truncated, c.an, c.ns, c.ar, c.tc)
		}
	}
	// The OPT record keeps its room when answers are dropped (RFC 6891 7).
	m.SetEDNS(512, false)
	b, err := m.AppendPackOptions(nil, BuildOptions{Compress: true, MaxSize: 80})
	if err != nil {
		t.Fatal(err)
	}
	var back Msg
	if err := back.Unpack(b); err != nil || back.EDNS == nil || !back.Truncated || len(b) > 80 {
		t.Fatalf("truncated with EDNS: %v %v", back.EDNS, err)
	}
}

func TestBuilderTCPAndOrder(t *testing.T) {
	q, an, _, _ := fixtureRRs()
	var b Builder
	b.Start([]byte("xx"), Header{ID: 7}, BuildOptions{TCP: true})
	if err := b.Question(&q); err != nil {
		t.Fatal(err)
	}
	if err := b.Answer(&an[0]); err != nil {
		t.Fatal(err)
	}
	out, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if string(out[:2]) != "xx" || int(be16(out[2:])) != len(out)-4 {
		t.Fatalf("prefix %x", out[:4])
	}
	msg, err := ReadTCP(bytes.NewReader(out[2:]), nil)
	if err != nil {
		t.Fatal(err)
	}
	var m Msg
	if err := m.Unpack(msg); err != nil || m.ID != 7 || len(m.Answer) != 1 {
		t.Fatal(err)
	}
	b.Start(nil, Header{}, BuildOptions{})
	b.Answer(&an[0])
	if err := b.Question(&q); !errors.Is(err, ErrSectionOrder) {
		t.Fatalf("question after answer: %v", err)
	}
	if _, err := b.Finish(); !errors.Is(err, ErrSectionOrder) {
		t.Fatal("error must be sticky")
	}
	// Data that does not match the header's type is refused.
	b.Start(nil, Header{}, BuildOptions{})
	bad := RR{RRHeader: RRHeader{Name: Root(), Type: TypeA, Class: ClassINET}, Data: &MX{Host: Root()}}
	if err := b.Answer(&bad); !errors.Is(err, ErrWrongType) {
		t.Fatalf("mismatched data: %v", err)
	}
}

func TestTCPFraming(t *testing.T) {
	var w bytes.Buffer
	if err := WriteTCP(&w, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(w.Bytes(), []byte{0, 3, 1, 2, 3}) {
		t.Fatalf("%x", w.Bytes())
	}
	buf := make([]byte, 0, 16)
	got, err := ReadTCP(&w, buf)
	if err != nil || !bytes.Equal(got, []byte{1, 2, 3}) || &got[0] != &buf[:1][0] {
		t.Fatalf("ReadTCP %x %v", got, err)
	}
	if _, err := ReadTCP(bytes.NewReader([]byte{0, 5, 1}), nil); err == nil || err.Error() != "unexpected EOF" {
		t.Fatalf("short frame: %v", err)
	}
	if _, err := ReadTCP(bytes.NewReader(nil), nil); err == nil || err.Error() != "EOF" {
		t.Fatalf("empty: %v", err)
	}
	if _, err := ReadTCP(bytes.NewReader([]byte{0, 0}), nil); !errors.Is(err, ErrTruncated) {
		t.Fatalf("zero frame: %v", err)
	}
}

func TestReadTCPGrows(t *testing.T) {
	msg := bytes.Repeat([]byte{7}, 3000)
	framed, _ := AppendTCP(nil, msg)
	got, err := ReadTCP(bytes.NewReader(framed), make([]byte, 0, 10))
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("%d bytes, %v", len(got), err)
	}
	// A prefix claiming 65535 octets followed by 3 costs a small buffer.
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 100 {
		if _, err := ReadTCP(bytes.NewReader([]byte{0xFF, 0xFF, 1, 2, 3}), nil); err == nil {
			t.Fatal("short frame accepted")
		}
	}
	runtime.ReadMemStats(&after)
	if perCall := (after.TotalAlloc - before.TotalAlloc) / 100; perCall > 4096 {
		t.Errorf("%d bytes allocated per short frame", perCall)
	}
}

// Every size limit gives a well-formed message whose records are the
// originals, in order, minus the dropped ones: a dropped record's bytes
// are never the target of a later pointer.
func TestBuilderEverySizeLimit(t *testing.T) {
	q, an, ns, ar := fixtureRRs()
	// Owners that change and come back exercise the owner cache.
	ar = append(ar, ar[0], ar[3], an[0])
	ar[len(ar)-1].Type, ar[len(ar)-1].Data = TypeNS, &NS{Host: MustName("ns9.example.com.")}
	var m Msg
	m.Question = []Question{q}
	m.Answer, m.Ns, m.Extra = an, ns, ar
	full, err := m.AppendPack(nil)
	if err != nil {
		t.Fatal(err)
	}
	for max := 29; max <= len(full); max++ {
		b, err := m.AppendPackOptions(nil, BuildOptions{Compress: true, MaxSize: max})
		if err != nil {
			t.Fatal(err)
		}
		var back Msg
		if err := back.Unpack(b); err != nil {
			t.Fatalf("max %d: %v", max, err)
		}
		for _, sec := range [][2][]RR{{m.Answer, back.Answer}, {m.Ns, back.Ns}, {m.Extra, back.Extra}} {
			j := 0
			for _, rr := range sec[1] {
				for j < len(sec[0]) && sec[0][j].String() != rr.String() {
					j++
				}
				if j == len(sec[0]) {
					t.Fatalf("max %d: record %v is not one of the originals", max, rr)
				}
				j++
			}
		}
	}
}

func TestHeaderOnlyAnswer(t *testing.T) {
	// A REFUSED header whose QDCOUNT claims a question that is not there.
	msg := []byte{0x12, 0x34, 0x81, 0x05, 0, 1, 0, 0, 0, 0, 0, 0}
	var m Msg
	m.Unpack(readFixture(t))
	err := m.Unpack(msg)
	if !errors.Is(err, ErrCountTooLarge) {
		t.Fatal(err)
	}
	if m.ID != 0x1234 || m.RCode != RCodeRefused || len(m.Question) != 0 || len(m.Answer) != 0 {
		t.Fatalf("header %+v, %d questions, %d answers", m.Header, len(m.Question), len(m.Answer))
	}
}
