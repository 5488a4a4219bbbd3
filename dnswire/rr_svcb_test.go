package dnswire

import (
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// svcbVectors are RFC 9460 Appendix D.1 and D.2: presentation form and
// the RDATA in hex.
var svcbVectors = []struct{ text, wire string }{
	{"HTTPS 0 foo.example.com.", "0000 03666f6f076578616d706c6503636f6d00"},
	{"SVCB 1 .", "0001 00"},
	{"SVCB 16 foo.example.com. port=53", "0010 03666f6f076578616d706c6503636f6d00 0003 0002 0035"},
	{"SVCB 1 foo.example.com. key667=hello", "0001 03666f6f076578616d706c6503636f6d00 029b 0005 68656c6c6f"},
	{`SVCB 1 foo.example.com. key667="hello\210qoo"`, "0001 03666f6f076578616d706c6503636f6d00 029b 0009 68656c6c6fd2716f6f"},
	{`SVCB 1 foo.example.com. ipv6hint="2001:db8::1,2001:db8::53:1"`,
		"0001 03666f6f076578616d706c6503636f6d00 0006 0020 20010db8000000000000000000000001 20010db8000000000000000000530001"},
	{"SVCB 1 example.com. ipv6hint=2001:db8:122:344::192.0.2.33",
		"0001 076578616d706c6503636f6d00 0006 0010 20010db801220344 00000000c0000221"},
	{`SVCB 16 foo.example.org. ( alpn=h2,h3-19 mandatory=ipv4hint,alpn ipv4hint=192.0.2.1 )`,
		"0010 03666f6f076578616d706c65036f726700 0000 0004 00010004 0001 0009 026832056833 2d3139 0004 0004 c0000201"},
	{`SVCB 16 foo.example.org. alpn="f\\\\oo\\,bar,h2"`,
		"0010 03666f6f076578616d706c65036f726700 0001 000c 08665c6f6f2c626172 026832"},
	{`SVCB 16 foo.example.org. alpn=f\\\092oo\092,bar,h2`,
		"0010 03666f6f076578616d706c65036f726700 0001 000c 08665c6f6f2c626172 026832"},
}

func TestSVCBRFC9460Vectors(t *testing.T) {
	for _, v := range svcbVectors {
		w, err := hex.DecodeString(strings.ReplaceAll(v.wire, " ", ""))
		if err != nil {
			t.Fatal(v.wire, err)
		}
		typ := strings.Fields(v.text)[0]
		fromText, err := ParseRR("example.com. 300 IN " + v.text)
		if err != nil {
			t.Errorf("%s: %v", v.text, err)
			continue
		}
		fromWire, err := ParseRR("example.com. 300 IN " + typ + ` \# ` + strconv.Itoa(len(w)) + " " + hex.EncodeToString(w))
		if err != nil {
			t.Errorf("%s: wire form: %v", v.text, err)
			continue
		}
		if d := cmp.Diff(fromWire, fromText, cmpOpts...); d != "" {
			t.Errorf("%s (-wire +text):\n%s", v.text, d)
		}
		// What we print reads back the same.
		back, err := ParseRR(fromText.String())
		if err != nil {
			t.Errorf("%q: %v", fromText.String(), err)
		} else if d := cmp.Diff(fromText, back, cmpOpts...); d != "" {
			t.Errorf("%q (-parsed +reparsed):\n%s", fromText.String(), d)
		}
	}
}

// TestSVCBBadText: RFC 9460 Appendix D.3 failure cases and others from
// 2.1 and 7 that a parser MUST reject.
func TestSVCBBadText(t *testing.T) {
	for _, s := range []string{
		"1 foo.example.com. key123=abc key123=def", // D.3: a key twice
		"1 foo.example.com. mandatory",             // D.3: missing values
		"1 foo.example.com. alpn",
		"1 foo.example.com. port",
		"1 foo.example.com. ipv4hint",
		"1 foo.example.com. ipv6hint",
		"1 foo.example.com. no-default-alpn=abc",                // D.3: a value where none is allowed
		"1 foo.example.com. mandatory=key123",                   // D.3: a mandatory key missing
		"1 foo.example.com. mandatory=mandatory",                // D.3: mandatory lists itself
		"1 foo.example.com. mandatory=key123,key123 key123=abc", // D.3: listed twice
		"1 foo.example.com. port=65536",                         // 7.2: a 16-bit port
		"1 foo.example.com. ipv4hint=2001:db8::1",               // 7.3: IPv4 only
		"1 foo.example.com. ipv6hint=192.0.2.1",                 // 7.3: IPv6 only
		"1 foo.example.com. key65536=x",                         // 2.1: keyNNNNN is 16 bits
		"1 foo.example.com. alpn=h2,",                           // 7.1.1: empty alpn-id
		"1 foo.example.com. ech=!!!",                            // ECH config list in base64
	} {
		if rr, err := ParseRR("example.com. 300 IN SVCB " + s); err == nil {
			t.Errorf("%s: accepted as %v", s, rr)
		} else if !errors.As(err, new(*SyntaxError)) {
			t.Errorf("%s: %T %v is not a *SyntaxError", s, err, err)
		}
	}
}

func FuzzSVCBText(f *testing.F) {
	for _, v := range svcbVectors {
		f.Add(strings.TrimPrefix(strings.TrimPrefix(v.text, "SVCB "), "HTTPS "))
	}
	f.Add(`1 . mandatory=alpn,ipv4hint alpn="h3,h2" no-default-alpn ipv4hint=192.0.2.1,192.0.2.2 ech=AEP+DQA/ ipv6hint=2001:db8::1 dohpath="/q{?dns}" ohttp`)
	f.Fuzz(func(t *testing.T, s string) {
		rr, err := ParseRR("example.com. 300 IN HTTPS " + s)
		if err != nil {
			if !errors.As(err, new(*SyntaxError)) {
				t.Fatalf("%T %v is not a *SyntaxError", err, err)
			}
			return
		}
		line := rr.String()
		back, err := ParseRR(line)
		if err != nil {
			t.Fatalf("%q -> %q: %v", s, line, err)
		}
		if d := cmp.Diff(rr, back, cmpOpts...); d != "" {
			t.Fatalf("%q -> %q:\n%s", s, line, d)
		}
		m := &Msg{Answer: []RR{rr}}
		b, err := m.Pack()
		if err != nil {
			return // too long for a message
		}
		var w Msg
		if err := w.Unpack(b); err != nil {
			t.Fatalf("%q: unpack: %v", line, err)
		}
		if d := cmp.Diff(rr, w.Answer[0], cmpOpts...); d != "" {
			t.Fatalf("%q wire round trip:\n%s", line, d)
		}
	})
}
