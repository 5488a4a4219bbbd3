package dnswire

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedMessages adds the fixture and every capture in testdata/captures.
func seedMessages(f *testing.F) {
	f.Add(readFixture(f))
	files, _ := filepath.Glob("testdata/captures/*.bin")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	var m Msg
	m.SetQuestion(MustName("example.com."), TypeA)
	m.SetEDNS(1232, true)
	q, _ := m.AppendPack(nil)
	f.Add(q)
}

// walkAll walks msg with a new Parser, decoding every record with RData
// (or OPT), and returns the number of entries.
func walkAll(msg []byte) (int, error) {
	var p Parser
	return walk(&p, msg, decodeAny)
}

// decodeAny decodes a record's data with RData, or OPT for the OPT record.
func decodeAny(p *Parser, t Type) (err error) {
	if t == TypeOPT {
		_, _, err = p.OPT()
	} else {
		_, err = p.RData()
	}
	return err
}

func FuzzParserWalk(f *testing.F) {
	seedMessages(f)
	f.Fuzz(func(t *testing.T, msg []byte) {
		n, perr := walkAll(msg)
		var m Msg
		if err := m.Unpack(msg); err == nil {
			// Msg is the stricter reader: what it accepts the Parser
			// must walk, entry for entry.
			if perr != nil {
				t.Fatalf("Msg.Unpack accepts what the Parser rejects: %v", perr)
			}
			want := len(m.Question) + len(m.Answer) + len(m.Ns) + len(m.Extra)
			if m.EDNS != nil {
				want++
			}
			if n != want {
				t.Fatalf("Parser walked %d entries, Msg has %d", n, want)
			}
		}
		if perr != nil && perr != ErrSectionDone {
			var pe *ParseError
			if !errors.As(perr, &pe) {
				t.Fatalf("error %T %v is not a *ParseError", perr, perr)
			}
		}
	})
}

func FuzzMsgRoundTrip(f *testing.F) {
	seedMessages(f)
	f.Fuzz(func(t *testing.T, msg []byte) {
		var m1 Msg
		if err := m1.Unpack(msg); err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v is not a *ParseError", err, err)
			}
			return
		}
		b1, err := m1.AppendPack(nil)
		if errors.Is(err, ErrMessageTooLarge) {
			return
		}
		if err != nil {
			t.Fatalf("cannot pack what was unpacked: %v\n%s", err, m1.String())
		}
		var m2 Msg
		if err := m2.Unpack(b1); err != nil {
			t.Fatalf("cannot unpack what was packed: %v", err)
		}
		if s1, s2 := m1.String(), m2.String(); s1 != s2 {
			t.Fatalf("round trip changed the message:\n%s\n---\n%s", s1, s2)
		}
		b2, err := m2.AppendPack(nil)
		if err != nil || !bytes.Equal(b1, b2) {
			t.Fatalf("second pack differs: %v\n%x\n%x", err, b1, b2)
		}
		// A reused Msg gives the same result as a fresh one.
		if err := m2.Unpack(msg); err != nil || m2.String() != m1.String() {
			t.Fatalf("reused Msg differs: %v", err)
		}
		// ... down to the bytes of every name (== on Name).
		for i := range m1.Question {
			if m1.Question[i] != m2.Question[i] {
				t.Fatalf("question %d differs after reuse", i)
			}
		}
		for _, p := range [][2][]RR{{m1.Answer, m2.Answer}, {m1.Ns, m2.Ns}, {m1.Extra, m2.Extra}} {
			for i := range p[0] {
				if p[0][i].RRHeader != p[1][i].RRHeader {
					t.Fatalf("record header %d differs after reuse", i)
				}
			}
		}
	})
}

func FuzzNameText(f *testing.F) {
	for _, s := range []string{".", "example.com.", "example.com", `a\.b.c.`, `\000\255\032.`, "@", "a..b", `\\`,
		strings.Repeat("a", 64) + ".", strings.Repeat("abc.", 70)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseName(s)
		if err != nil {
			return
		}
		back, err := ParseName(n.String())
		if err != nil || back != n {
			t.Fatalf("%q -> %q -> %v %v", s, n.String(), back, err)
		}
		w, err := NameFromWire(n.AppendWire(nil))
		if err != nil || w != n {
			t.Fatalf("wire round trip of %q: %v", s, err)
		}
		if !n.Equal(n.Lower()) || n.Compare(n.Lower()) != 0 || !n.IsSubdomainOf(n) {
			t.Fatalf("%q: case folding inconsistent", s)
		}
		if p, ok := n.Parent(); ok && (!n.IsSubdomainOf(p) || p.IsSubdomainOf(n)) {
			t.Fatalf("%q: parent %q", s, p)
		}
		for k := 0; k <= n.NumLabels()+1; k++ {
			if a, want := n.Ancestor(k), ancestorByParent(n, k); a != want {
				t.Fatalf("%q: Ancestor(%d) = %q, Parent %d times gives %q", s, k, a, n.NumLabels()-k, want)
			}
		}
	})
}

func FuzzNameWire(f *testing.F) {
	f.Add([]byte("\x07example\x03com\x00"), 0)
	f.Add(append(readFixture(f), 0xC0, 12), 213)
	f.Add([]byte{0xC0, 0}, 0)
	f.Fuzz(func(t *testing.T, msg []byte, off int) {
		n, end, err := ReadName(msg, off)
		if err != nil {
			return
		}
		if end <= off || end > len(msg) {
			t.Fatalf("end %d for off %d", end, off)
		}
		if n.Len() > MaxNameLen || !n.IsAbsolute() {
			t.Fatalf("bad name %v", n)
		}
		back, err := ParseName(n.String())
		if err != nil || back != n {
			t.Fatalf("text round trip of %v: %v", n, err)
		}
	})
}

func FuzzParseRR(f *testing.F) {
	for _, s := range []string{
		"example.com. 3600 IN MX 10 mx1.example.com.",
		`example.com. 300 IN TXT "a \"b\"" c\032d "\255"`,
		"example.com. 60 IN SOA ns. host. ( 1 2h 1h 1w 5m ) ; c",
		`example.com. 60 IN TYPE65280 \# 3 010203`,
		`example.com. 60 IN CAA 0 issue "ca.example"`,
		"_s._tcp.example. 1 IN SRV 1 2 3 t.example.",
		"x. 0 ANY A",
		"x. 1 IN AAAA ::ffff:1.2.3.4",
		`x. 1 IN A \# 4 01020304`,
	} {
		f.Add(s)
	}
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
		if err != nil {
			t.Fatalf("%q printed as %q which does not parse: %v", s, line, err)
		}
		if back.String() != line {
			t.Fatalf("%q -> %q -> %q", s, line, back.String())
		}
		var m Msg
		m.Answer = []RR{rr}
		b, err := m.AppendPack(nil)
		if err != nil {
			// Text can describe records that do not fit the wire
			// (RDATA over 65535 octets).
			if errors.Is(err, ErrMessageTooLarge) {
				return
			}
			t.Fatalf("%q: pack: %v", line, err)
		}
		var w Msg
		if err := w.Unpack(b); err != nil {
			t.Fatalf("%q: unpack: %v", line, err)
		}
		if got := w.Answer[0].String(); got != line {
			t.Fatalf("wire round trip %q -> %q", line, got)
		}
	})
}

func FuzzZone(f *testing.F) {
	z, _ := os.ReadFile("testdata/zone/example.com.zone")
	f.Add(string(z))
	f.Add("$ORIGIN a.\n$TTL 1\n@ A 1.2.3.4\n b TXT ( \"x\"\n y )\n")
	f.Fuzz(func(t *testing.T, zone string) {
		rrs, err := ReadZone(strings.NewReader(zone), ZoneConfig{Origin: MustName("example.")})
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %T %v is not a *SyntaxError", err, err)
			}
		}
		for _, rr := range rrs {
			if !rr.Name.IsAbsolute() {
				t.Fatalf("relative owner %v", rr.Name)
			}
		}
	})
}

func FuzzReadTCP(f *testing.F) {
	f.Add([]byte{0, 3, 1, 2, 3})
	f.Add([]byte{0xFF, 0xFF, 1})
	f.Add([]byte{0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		msg, err := ReadTCP(bytes.NewReader(in), nil)
		if err != nil {
			return
		}
		if len(in) < 2 || int(be16(in)) != len(msg) || !bytes.Equal(msg, in[2:2+len(msg)]) {
			t.Fatalf("ReadTCP(%x) = %x", in, msg)
		}
	})
}

func FuzzEDNSOptions(f *testing.F) {
	f.Add(uint16(OptionClientSubnet), []byte{0, 1, 24, 0, 192, 0, 2})
	f.Add(uint16(OptionCookie), []byte{1, 2, 3, 4, 5, 6, 7, 8})
	f.Add(uint16(OptionEDE), []byte{0, 18, 'x'})
	f.Fuzz(func(t *testing.T, code uint16, data []byte) {
		o := EDNSOption{Code: OptionCode(code), Data: data}
		_ = o.String()
		if cs, err := o.ClientSubnet(); err == nil {
			back, err := ClientSubnetOption(cs)
			if err != nil || !bytes.Equal(back.Data, data) {
				t.Fatalf("ECS %x -> %v -> %x %v", data, cs, back.Data, err)
			}
		}
		if c, err := o.Cookie(); err == nil {
			if back := CookieOption(c); !bytes.Equal(back.Data, data) {
				t.Fatalf("cookie %x -> %x", data, back.Data)
			}
		}
		if e, err := o.EDE(); err == nil {
			if back := EDEOption(e); !bytes.Equal(back.Data, data) {
				t.Fatalf("EDE %x -> %x", data, back.Data)
			}
		}
	})
}
