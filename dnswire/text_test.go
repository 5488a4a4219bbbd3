package dnswire

import (
	"errors"
	"strings"
	"testing"
)

func TestRRTextRoundTrip(t *testing.T) {
	// Each line is what String prints; ParseRR must read it back to the
	// same record, which must also survive a wire round trip.
	for _, line := range []string{
		"example.com.\t3600\tIN\tA\t192.0.2.1",
		"example.com.\t3600\tIN\tAAAA\t2001:db8::1",
		"example.com.\t3600\tIN\tNS\tns1.example.com.",
		"www.example.com.\t300\tIN\tCNAME\texample.com.",
		"1.2.0.192.in-addr.arpa.\t300\tIN\tPTR\thost.example.com.",
		"example.com.\t3600\tIN\tMX\t10 mx1.example.com.",
		"example.com.\t3600\tIN\tSOA\tns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300",
		`example.com.	300	IN	TXT	"v=spf1 -all" "second \"quoted\" \\ string" "\000\255"`,
		"_sip._tcp.example.com.\t300\tIN\tSRV\t10 60 5060 sip.example.com.",
		`example.com.	300	IN	CAA	0 issue "letsencrypt.org"`,
		`example.com.	300	IN	CAA	128 tbs "\255"`,
		`example.com.	300	IN	TYPE65280	\# 3 010203`,
		`example.com.	300	IN	TYPE65281	\# 0`,
		`example.com.	300	CH	TXT	"chaos"`,
		"example.com.\t0\tANY\tA",    // RFC 2136 2.5.2 delete RRset
		"example.com.\t0\tNONE\tANY", // RFC 2136 2.4.5 name not in use
	} {
		rr, err := ParseRR(line)
		if err != nil {
			t.Errorf("ParseRR(%q): %v", line, err)
			continue
		}
		if got := rr.String(); got != line {
			t.Errorf("ParseRR(%q).String()\n got %q", line, got)
		}
		var m Msg
		m.Answer = []RR{rr}
		b, err := m.AppendPack(nil)
		if err != nil {
			t.Errorf("%q: pack: %v", line, err)
			continue
		}
		var back Msg
		if err := back.Unpack(b); err != nil {
			t.Errorf("%q: unpack: %v", line, err)
			continue
		}
		if got := back.Answer[0].String(); got != line {
			t.Errorf("%q: wire round trip gives %q", line, got)
		}
	}
}

func TestParseRRForms(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		// TTL and class in either order or absent (RFC 1035 5.1).
		{"example.com. IN 60 A 192.0.2.1", "example.com.\t60\tIN\tA\t192.0.2.1"},
		{"example.com. A 192.0.2.1", "example.com.\t0\tIN\tA\t192.0.2.1"},
		{"example.com. 1h30m MX 5 mx.example.com.", "example.com.\t5400\tIN\tMX\t5 mx.example.com."},
		{"example.com. 60 in mx 5 mx.example.com.", "example.com.\t60\tIN\tMX\t5 mx.example.com."},
		{"example.com. 60 IN TXT unquoted words", "example.com.\t60\tIN\tTXT\t\"unquoted\" \"words\""},
		{"example.com. 60 IN SOA ns. host. ( 1 2h 1h 1w 5m ) ; comment", "example.com.\t60\tIN\tSOA\tns. host. 1 7200 3600 604800 300"},
		// RFC 3597 5: the generic form is allowed for known types.
		{`example.com. 60 IN A \# 4 C0000201`, "example.com.\t60\tIN\tA\t192.0.2.1"},
		{`example.com. 60 IN MX \# 5 000a 01 61 00`, "example.com.\t60\tIN\tMX\t10 a."},
		{`example.com. 60 CLASS3 TYPE1 \# 4 7f000001`, "example.com.\t60\tCH\tA\t127.0.0.1"},
		{`a\.b.example. 60 IN A 192.0.2.1`, "a\\.b.example.\t60\tIN\tA\t192.0.2.1"},
	} {
		rr, err := ParseRR(c.in)
		if err != nil {
			t.Errorf("ParseRR(%q): %v", c.in, err)
			continue
		}
		if got := rr.String(); got != c.want {
			t.Errorf("ParseRR(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestParseRRErrors(t *testing.T) {
	for _, c := range []struct {
		in  string
		err error
	}{
		{"example.com 60 IN A 192.0.2.1", ErrRelativeName}, // never completed silently
		{"example.com. 60 IN MX 10 mx", ErrRelativeName},
		{"@ 60 IN A 192.0.2.1", ErrRelativeName},
		{"example.com. 60 IN A 2001:db8::1", errBadAddr},
		{"example.com. 60 IN AAAA 192.0.2.1", errBadAddr},
		{"example.com. 60 IN A 192.0.2.1 extra", errExtra},
		{"example.com. 60 IN A", errNoData},
		{"example.com. 60 IN BOGUS x", errBadType},
		{"example.com. 60 IN MX 70000 a.", errBadNum},
		{"example.com. 99999999999 IN A 192.0.2.1", errBadTTL},
		{"example.com. 60 IN TXT \"" + strings.Repeat("x", 256) + "\"", ErrStringTooLong},
		{"example.com. 60 IN TXT \"open", errUnterminated},
		{"example.com. 60 IN SOA ( a. b. 1 2 3 4 5", errUnbalanced},
		{`example.com. 60 IN A \# 5 c0000201`, ErrBadRData},
		{`example.com. 60 IN TYPE99 1 2 3`, errGenericOnly},
		{`example.com. 60 IN CAA 0 is-sue "x"`, ErrBadRData},
		{`example.com. 60 IN OPT \# 0`, ErrBadOPT},
		{"a..b. 60 IN A 192.0.2.1", ErrEmptyLabel},
	} {
		_, err := ParseRR(c.in)
		if !errors.Is(err, c.err) {
			t.Errorf("ParseRR(%q) error %v, want %v", c.in, err, c.err)
		}
		var se *SyntaxError
		if err != nil && !errors.As(err, &se) {
			t.Errorf("ParseRR(%q) error %T is not *SyntaxError", c.in, err)
		}
	}
}
