package dnswire

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

// FuzzRData feeds the data decoder of every type: a message with the
// question example.com. (so compression pointers have somewhere to point)
// and one answer record of type t with the given data. What decodes must
// pack, decode again to the same text, print as text that parses back to
// the same record, and agree with the Parser's RData.
func FuzzRData(f *testing.F) {
	for _, line := range typedLines {
		rr, err := ParseRR(line)
		if err != nil {
			f.Fatal(err)
		}
		w, _ := rr.Data.(wireData).appendWire(nil)
		f.Add(uint16(rr.Type), w)
	}
	f.Add(uint16(TypeMINFO), []byte{1, 'a', 0xC0, 12, 0xC0, 12})
	f.Add(uint16(TypeNAPTR), []byte{0, 1, 0, 1, 0, 0, 0, 0xC0, 12})
	f.Add(uint16(TypeRRSIG), append(make([]byte, 18), 0xC0, 12))
	f.Fuzz(func(t *testing.T, typ uint16, data []byte) {
		if len(data) > 0xFFFF || Type(typ) == TypeOPT {
			return
		}
		msg := cat(hdr(1, 1, 0, 0), wExample, qTail, []byte{0xC0, 12}, rrTail(Type(typ), len(data), data))
		var m Msg
		err := m.Unpack(msg)
		var p Parser
		p.Start(msg)
		p.Question()
		p.AnswerHeader()
		rd, perr := p.RData()
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v is not a *ParseError", err, err)
			}
			if perr == nil {
				t.Fatalf("Parser.RData accepts what Msg rejects (%v): %v", err, rd)
			}
			return
		}
		if perr != nil || rd.String() != m.Answer[0].Data.String() {
			t.Fatalf("Parser.RData %v %v, Msg %v", rd, perr, m.Answer[0].Data)
		}
		line := m.Answer[0].String()
		b, err := m.Pack()
		if err != nil {
			t.Fatalf("%s: pack: %v", line, err)
		}
		var m2 Msg
		if err := m2.Unpack(b); err != nil {
			t.Fatalf("%s: unpack: %v", line, err)
		}
		if got := m2.Answer[0].String(); got != line {
			t.Fatalf("wire round trip\n%s\n%s", line, got)
		}
		b2, _ := m2.Pack()
		if !bytes.Equal(b, b2) {
			t.Fatalf("second pack differs")
		}
		back, err := ParseRR(line)
		if err != nil {
			t.Fatalf("%q does not parse: %v", line, err)
		}
		if got := back.String(); got != line {
			t.Fatalf("text round trip\n%s\n%s", line, got)
		}
		c := CloneRData(m2.Answer[0].Data)
		m2.Unpack(msg[:12])
		if c.String() != m.Answer[0].Data.String() {
			t.Fatalf("clone %v", c)
		}
	})
}

// seedTypedText adds every typed record line and the signed zones.
func seedTypedText(f *testing.F) {
	for _, l := range typedLines {
		f.Add(l)
	}
}

func FuzzParseRRTyped(f *testing.F) {
	seedTypedText(f)
	f.Fuzz(func(t *testing.T, s string) {
		rr, err := ParseRR(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %T %v is not a *SyntaxError", err, err)
			}
			return
		}
		line := rr.String()
		back, err := ParseRR(line)
		if err != nil || back.String() != line {
			t.Fatalf("%q -> %q -> %v", s, line, err)
		}
		m := &Msg{Answer: []RR{rr}}
		b, err := m.Pack()
		if err != nil {
			if errors.Is(err, ErrMessageTooLarge) || errors.Is(err, ErrBadRData) || errors.Is(err, ErrStringTooLong) {
				return
			}
			t.Fatalf("%q: pack: %v", line, err)
		}
		var w Msg
		if err := w.Unpack(b); err != nil || w.Answer[0].String() != line {
			t.Fatalf("%q: wire round trip: %v", line, err)
		}
	})
}

func FuzzZoneSigned(f *testing.F) {
	for _, name := range []string{"testdata/zone/signed/bind-nsec3.signed", "testdata/zone/signed/ldns-nsec.signed"} {
		z, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(z))
	}
	f.Add("$ORIGIN example.\n$TTL 60\n$GENERATE 1-3/2 h${1,3,x} A 192.0.2.$\n")
	f.Fuzz(func(t *testing.T, zone string) {
		z := NewZoneReader(bytes.NewReader([]byte(zone)), ZoneConfig{Origin: MustName("example."), MaxGenerate: 100})
		for range 2000 {
			rr, err := z.Next()
			if err != nil {
				var se *SyntaxError
				if err.Error() != "EOF" && !errors.As(err, &se) {
					t.Fatalf("error %T %v is not a *SyntaxError", err, err)
				}
				return
			}
			if !rr.Name.IsAbsolute() {
				t.Fatalf("relative owner %v", rr.Name)
			}
		}
	})
}

// FuzzGenerate fuzzes one $GENERATE line (range, owner and data
// templates, modifiers): a *SyntaxError or records, never more than
// ZoneConfig.MaxGenerate, each of which prints as a line that parses back.
func FuzzGenerate(f *testing.F) {
	for _, s := range []string{
		"1-3/2 h${1,3,x} A 192.0.2.$",
		"0-255 $.2.0.192.in-addr.arpa. PTR host-${0,3,d}.example.",
		"10-12 ${-10,2,X}.sub CNAME t${+5,4,o}",
		"1-2 x$ TXT \"v=$ \\$ $$\"",
		"65530-65535 w$ 60 IN AAAA 2001:db8::$",
		"1-1 ${0,0,n} NS ns${0,0,N}.example.",
		"3-1 bad A 192.0.2.1",
		"1-100000 many A 192.0.2.1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		if strings.ContainsAny(line, "\n\r") {
			return
		}
		const max = 50
		z := NewZoneReader(strings.NewReader("$ORIGIN example.\n$TTL 60\n$GENERATE "+line+"\n"),
			ZoneConfig{MaxGenerate: max})
		n := 0
		for {
			rr, err := z.Next()
			if err != nil {
				if err != io.EOF && !errors.As(err, new(*SyntaxError)) {
					t.Fatalf("error %T %v is not a *SyntaxError", err, err)
				}
				return
			}
			if n++; n > max {
				t.Fatalf("more than MaxGenerate records")
			}
			s := rr.String()
			back, err := ParseRR(s)
			if err != nil || back.String() != s {
				t.Fatalf("%q: generated %q does not parse back: %v", line, s, err)
			}
		}
	})
}
