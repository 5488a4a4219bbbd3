package rfc5322

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseAddressList(t *testing.T) {
	tests := []struct {
		in   string
		want []Address
	}{
		// RFC 5322 3.4: name-addr and addr-spec.
		{"jdoe@example.org", []Address{{"", "jdoe@example.org"}}},
		{"<jdoe@example.org>", []Address{{"", "jdoe@example.org"}}},
		{"John Doe <jdoe@example.org>", []Address{{"John Doe", "jdoe@example.org"}}},
		{`"Doe, John" <jdoe@example.org>`, []Address{{"Doe, John", "jdoe@example.org"}}},
		{`"John \"Johnny\" Doe" <jdoe@example.org>`, []Address{{`John "Johnny" Doe`, "jdoe@example.org"}}},
		{`"" <jdoe@example.org>`, []Address{{"", "jdoe@example.org"}}},
		{"a@b, c@d,e@f", []Address{{"", "a@b"}, {"", "c@d"}, {"", "e@f"}}},
		// 3.2.3: multiple spaces between words become one.
		{"John   Doe\t<jdoe@example.org>", []Address{{"John Doe", "jdoe@example.org"}}},
		// 3.4.1: quoted local parts are kept quoted only when needed.
		{`"john doe"@example.org`, []Address{{"", `"john doe"@example.org`}}},
		{`"john.doe"@example.org`, []Address{{"", "john.doe@example.org"}}},
		{`"john"."doe"@example.org`, []Address{{"", "john.doe@example.org"}}},
		{`"a\"b"@example.org`, []Address{{"", `"a\"b"@example.org`}}},
		{`"a\b"@example.org`, []Address{{"", `ab@example.org`}}},
		{`"a..b"@example.org`, []Address{{"", `"a..b"@example.org`}}},
		// Domain literals.
		{"jdoe@[192.0.2.1]", []Address{{"", "jdoe@[192.0.2.1]"}}},
		{"jdoe@[IPv6:2001:db8::1]", []Address{{"", "jdoe@[IPv6:2001:db8::1]"}}},
		{"jdoe@[ 192.0.2.1 ]", []Address{{"", "jdoe@[192.0.2.1]"}}},
		// Comments (3.2.2) anywhere CFWS may be.
		{"(c1) John (c2) Doe (c3) <(c4) jdoe (c5) @ (c6) example.org (c7)> (c8)", []Address{{"John Doe", "jdoe@example.org"}}},
		{"John (nested (comment) here) <jdoe@example.org>", []Address{{"John", "jdoe@example.org"}}},
		// Legacy: comment after a bare addr-spec is the name.
		{"jdoe@example.org (John Doe)", []Address{{"John Doe", "jdoe@example.org"}}},
		{"jdoe@example.org (John \\(J\\) Doe)", []Address{{"John (J) Doe", "jdoe@example.org"}}},
		{"jdoe@example.org ( John \t Doe\r\n  Jr )", []Address{{"John Doe Jr", "jdoe@example.org"}}},
		// Obsolete syntax (4.4).
		{"Joe Q. Public <john.q.public@example.com>", []Address{{"Joe Q. Public", "john.q.public@example.com"}}},
		{"<@route1,@route2:jdoe@example.org>", []Address{{"", "jdoe@example.org"}}},
		{"<,@r1,,@r2 : jdoe@example.org>", []Address{{"", "jdoe@example.org"}}},
		{", , a@b ,, c@d ,", []Address{{"", "a@b"}, {"", "c@d"}}},
		{"john . doe @ example . org", []Address{{"", "john.doe@example.org"}}},
		// Groups flattened.
		{"Friends: a@b, c@d;, e@f", []Address{{"", "a@b"}, {"", "c@d"}, {"", "e@f"}}},
		{"undisclosed-recipients:;", []Address{}},
		{"Empty: ;, x@y", []Address{{"", "x@y"}}},
		{"G:,,a@b,,;", []Address{{"", "a@b"}}},
		// RFC 2047 encoded words in names.
		{"=?utf-8?q?Alice_Mart=C3=ADn?= <alice@crepes.fr>", []Address{{"Alice Martín", "alice@crepes.fr"}}},
		{"=?UTF-8?B?w4lyaWMgRHVwb250?= <eric@crepes.fr>", []Address{{"Éric Dupont", "eric@crepes.fr"}}},
		{"=?iso-8859-1?q?J=F6rg?= =?iso-8859-1?q?_M=FCller?= <j@x>", []Address{{"Jörg Müller", "j@x"}}},
		{"Dr. =?utf-8?q?J=C3=B6rg?= Smith <j@x>", []Address{{"Dr. Jörg Smith", "j@x"}}},
		{`"=?utf-8?q?J=C3=B6rg?=" <j@x>`, []Address{{"Jörg", "j@x"}}},
		{"=?utf-8?q?J.R.R._Tolk=C3=AFen?= <t@x>", []Address{{"J.R.R. Tolkïen", "t@x"}}},
		{"=?utf-8?q?a?=.b <t@x>", []Address{{"a.b", "t@x"}}},
		{"=?utf-8?q?bad=ZZ?= <j@x>", []Address{{"=?utf-8?q?bad=ZZ?=", "j@x"}}},
		// RFC 6532 UTF-8.
		{"Jörg <jörg@müller.example>", []Address{{"Jörg", "jörg@müller.example"}}},
		{`"日本 語" <用户@例子.广告>`, []Address{{"日本 語", "用户@例子.广告"}}},
		// Folded input.
		{"John\r\n Doe <jdoe@example.org>,\r\n\tx@y", []Address{{"John Doe", "jdoe@example.org"}, {"", "x@y"}}},
	}
	for _, tt := range tests {
		got, err := ParseAddressList(tt.in)
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q\n got %q\nwant %q", tt.in, got, tt.want)
		}
		// String round-trips every address.
		for _, a := range got {
			back, err := ParseAddress(a.String())
			if err != nil || back != a {
				t.Errorf("%q: String %q reads back as %q, %v", tt.in, a.String(), back, err)
			}
		}
	}
}

func TestParseAddressListErrors(t *testing.T) {
	for _, in := range []string{
		"", "   ", "(only a comment)", ",", "John Doe", "jdoe", "jdoe@", "@example.org",
		"John <jdoe@example.org", "John jdoe@example.org>", "<jdoe@example.org> junk@x",
		"a@b c@d", ".a@b", "a.@b", "a..b@c", "a@b.", "a@.b", "a@b..c", "a@[1.2.3.4",
		"a@[1[2]", `"unterminated@x`, "a@b (unterminated", "John (x <a@b>",
		"G: a@b", "G: a@b, c@d", "G: H: a@b;;", ": a@b;", "<>", "<@r:>", "<@r a@b>",
		"a@b\r\nc@d", "a@b\nx", "\xff@x", "Jörg \xc3 <a@b>", "a@b;", "<a@b>>",
		". <a@b>", "a@b@c",
	} {
		_, err := ParseAddressList(in)
		var pe *ParseError
		if err == nil || !errors.As(err, &pe) {
			t.Errorf("%q: err = %v", in, err)
			continue
		}
		if !errors.Is(err, ErrInvalidAddress) && !errors.Is(err, ErrInvalidUTF8) {
			t.Errorf("%q: err = %v", in, err)
		}
	}
}

func TestParseAddress(t *testing.T) {
	a, err := ParseAddress("  Bob <bob@example.org> (work) ")
	if err != nil || a != (Address{"Bob", "bob@example.org"}) {
		t.Errorf("got %q, %v", a, err)
	}
	for _, in := range []string{"a@b, c@d", "G: a@b;", "", "a@b junk"} {
		if _, err := ParseAddress(in); !errors.Is(err, ErrInvalidAddress) {
			t.Errorf("%q: err = %v", in, err)
		}
	}
	if a.LocalPart() != "bob" || a.Domain() != "example.org" {
		t.Error("LocalPart/Domain")
	}
	for _, tt := range []struct{ addr, local, domain string }{
		{`"a@b"@example.org`, `"a@b"`, "example.org"},
		{`"a\"@"@example.org`, `"a\"@"`, "example.org"},
		{"a@[x@y]", "a", "[x@y]"},
		{`"a@b"@[c@d]`, `"a@b"`, "[c@d]"},
		{"nodomain", "nodomain", ""},
		{`"unterminated@x`, `"unterminated@x`, ""},
	} {
		a := Address{Addr: tt.addr}
		if a.LocalPart() != tt.local || a.Domain() != tt.domain {
			t.Errorf("%q: local %q domain %q", tt.addr, a.LocalPart(), a.Domain())
		}
	}
	if l, err := ParseAddressList("0@[@]"); err != nil || l[0].Domain() != "[@]" {
		t.Errorf("domain literal with '@': %q, %v", l, err)
	}
}

func TestParseGroupList(t *testing.T) {
	got, err := ParseGroupList("a@b, Team: c@d, E <e@f>;, Nobody:;")
	want := []Group{
		{Members: []Address{{"", "a@b"}}},
		{Name: "Team", IsGroup: true, Members: []Address{{"", "c@d"}, {"E", "e@f"}}},
		{Name: "Nobody", IsGroup: true},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, %v", got, err)
	}
}

func TestUnknownCharsetInName(t *testing.T) {
	l, err := ParseAddressList("=?x-klingon?q?Qapla?= <k@x>, b@c")
	var ce *CharsetError
	if !errors.As(err, &ce) || ce.Charset != "x-klingon" || !errors.Is(err, ErrUnknownCharset) {
		t.Fatalf("err = %v", err)
	}
	if len(l) != 2 || l[0].Name != "=?x-klingon?q?Qapla?=" {
		t.Errorf("list %q", l)
	}
}

func TestAddressString(t *testing.T) {
	tests := []struct {
		a         Address
		ascii, u8 string
	}{
		{Address{"", "a@b"}, "a@b", "a@b"},
		{Address{"John Doe", "a@b"}, "John Doe <a@b>", "John Doe <a@b>"},
		{Address{"Doe, John", "a@b"}, `"Doe, John" <a@b>`, `"Doe, John" <a@b>`},
		{Address{"Joe Q. Public", "a@b"}, `"Joe Q. Public" <a@b>`, `"Joe Q. Public" <a@b>`},
		{Address{`a "b" \c`, "a@b"}, `"a \"b\" \\c" <a@b>`, `"a \"b\" \\c" <a@b>`},
		{Address{" lead", "a@b"}, `" lead" <a@b>`, `" lead" <a@b>`},
		{Address{"Jörg", "a@b"}, "=?utf-8?b?SsO2cmc=?= <a@b>", "Jörg <a@b>"},
		{Address{"Jö, rg", "a@b"}, "=?utf-8?b?SsO2LCByZw==?= <a@b>", `"Jö, rg" <a@b>`},
		{Address{"=?utf-8?q?x?=", "a@b"}, "=?utf-8?b?PT91dGYtOD9xP3g/PQ==?= <a@b>", "=?utf-8?b?PT91dGYtOD9xP3g/PQ==?= <a@b>"},
		{Address{"line\r\nBcc: x", "a@b"}, "=?utf-8?b?bGluZQ0KQmNjOiB4?= <a@b>", "=?utf-8?b?bGluZQ0KQmNjOiB4?= <a@b>"},
	}
	for _, tt := range tests {
		if got := tt.a.String(); got != tt.ascii {
			t.Errorf("%q: String = %q, want %q", tt.a.Name, got, tt.ascii)
		}
		if got := string(tt.a.AppendFormat(nil, true)); got != tt.u8 {
			t.Errorf("%q: utf8 = %q, want %q", tt.a.Name, got, tt.u8)
		}
		for _, s := range []string{tt.ascii, tt.u8} {
			if back, err := ParseAddress(s); err != nil || back != tt.a {
				t.Errorf("%q reads back as %q, %v", s, back, err)
			}
		}
	}
	l := []Address{{"A", "a@b"}, {"", "c@d"}}
	if got := FormatAddressList(l); got != "A <a@b>, c@d" {
		t.Errorf("FormatAddressList = %q", got)
	}
}

// Linear time: growing the input 10x grows the time about 10x, on inputs
// shaped like the quadratic cases of net/mail's past CVEs (CVE-2023-39323
// ... CVE-2025-61725 class: long runs of comments, quoted strings, dots,
// domain literals and encoded words).
func TestAddressParsingIsLinear(t *testing.T) {
	shapes := map[string]func(n int) string{
		"comments":        func(n int) string { return "a@b " + strings.Repeat("(x)", n) },
		"nested comments": func(n int) string { return "a@b (" + strings.Repeat("(", n) + strings.Repeat(")", n) + ")" },
		"unclosed nested": func(n int) string { return "a@b " + strings.Repeat("(", n) },
		"phrase words":    func(n int) string { return strings.Repeat("w ", n) + "<a@b>" },
		"phrase no addr":  func(n int) string { return strings.Repeat("w ", n) },
		"dots":            func(n int) string { return strings.Repeat("a.", n) + "a@b" },
		"quoted":          func(n int) string { return strings.Repeat(`"q\"q".`, n) + "x@y" },
		"domain literal":  func(n int) string { return "a@[" + strings.Repeat("1.", n) + "1]" },
		"domain labels":   func(n int) string { return "a@" + strings.Repeat("b. ", n) + "c" },
		"encoded words":   func(n int) string { return strings.Repeat("=?utf-8?q?a=C3=A9?= ", n) + "<a@b>" },
		"many addresses":  func(n int) string { return strings.Repeat("A <a@b>, ", n) + "c@d" },
		"many groups":     func(n int) string { return strings.Repeat("G: a@b;, ", n) + "c@d" },
		"route":           func(n int) string { return "<" + strings.Repeat("@r,", n) + "@r:a@b>" },
		"commas":          func(n int) string { return strings.Repeat(",", n) + "a@b" },
		"dotted ew":       func(n int) string { return strings.Repeat("=?a?q?x.", n) + " <a@b>" },
		"dotted ew long":  func(n int) string { return "=?utf-8?q?x" + strings.Repeat(".", n) + "?= <a@b>" },
	}
	for name, shape := range shapes {
		t.Run(name, func(t *testing.T) {
			small, large := shape(2000), shape(20000)
			// 10x input: a linear parser takes ~10x the time, a
			// quadratic one ~100x. Allow 40x for noise on a shared
			// machine (GC, other processes), and retry: noise is not
			// repeatable, a quadratic blow-up is.
			var ratio float64
			for try := 0; try < 5; try++ {
				ts, tl := timeParse(small), timeParse(large)
				ratio = float64(tl) / float64(ts)
				if ratio <= 40 || tl < 2*time.Millisecond {
					return
				}
			}
			t.Errorf("10x input took %.1fx the time", ratio)
		})
	}
}

// timeParse returns the best of several runs of ParseAddressList and
// ParseGroupList on s.
func timeParse(s string) time.Duration {
	return bestOf(func() {
		ParseAddressList(s)
		ParseGroupList(s)
	})
}

func bestOf(f func()) time.Duration {
	best := time.Duration(1 << 62)
	for i := 0; i < 5; i++ {
		st := time.Now()
		f()
		if d := time.Since(st); d < best {
			best = d
		}
	}
	return best
}

// The linear-time check does catch a quadratic parser: a scanner that
// rescans the rest of the input at every '(' (the shape of the net/mail
// CVE bugs) shows well over 40x for 10x input.
func TestLinearCheckCatchesQuadratic(t *testing.T) {
	quadratic := func(s string) (n int) {
		for i := range len(s) {
			if s[i] == '(' {
				n += strings.Count(s[i:], ")")
			}
		}
		return n
	}
	small, large := strings.Repeat("(x)", 1000), strings.Repeat("(x)", 10000)
	// Noise on a loaded machine can inflate the small run's time; it is
	// not repeatable, so one try of five over 40x shows the check works.
	var ratio float64
	for try := 0; try < 5; try++ {
		ts := bestOf(func() { quadratic(small) })
		tl := bestOf(func() { quadratic(large) })
		if ratio = float64(tl) / float64(ts); ratio > 40 {
			return
		}
	}
	t.Errorf("quadratic reference took only %.1fx for 10x input", ratio)
}
