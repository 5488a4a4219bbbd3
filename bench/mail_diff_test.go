package bench

import (
	"bytes"
	"errors"
	"io"
	"net/mail"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/relaykit/relaykit/bench/fixtures"
	"github.com/relaykit/relaykit/rfc5322"
)

// Differential tests of relaykit's rfc5322 against net/mail. Every class
// of disagreement the fuzzers found is a case in the tables below, with
// the RFC rule that decides it; the fuzz targets fail on anything else.

// netmailAddr is how net/mail writes an addr-spec: the local part with
// its quotes removed. relaykit keeps the quotes a local part needs.
func netmailAddr(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 || !strings.HasPrefix(addr, `"`) {
		return addr
	}
	local := addr[1 : i-1]
	var b strings.Builder
	for j := 0; j < len(local); j++ {
		if local[j] == '\\' && j+1 < len(local) {
			j++
		}
		b.WriteByte(local[j])
	}
	return b.String() + addr[i:]
}

func sameAddresses(ours []rfc5322.Address, theirs []*mail.Address) bool {
	if len(ours) != len(theirs) {
		return false
	}
	for i := range ours {
		if ours[i].Name != theirs[i].Name || netmailAddr(ours[i].Addr) != theirs[i].Address {
			return false
		}
	}
	return true
}

// parseOurs treats an unknown charset (the list is complete, the raw word
// kept) as success, as net/mail does.
func parseOurs(s string) ([]rfc5322.Address, error) {
	l, err := rfc5322.ParseAddressList(s)
	if _, ok := err.(*rfc5322.CharsetError); ok {
		err = nil
	}
	return l, err
}

type addrDisagreement struct {
	in         string
	ours       string // FormatAddressList of our result, or "error"
	netmail    string // net/mail's names and addresses, or "error"
	whoIsRight string
}

// formatNetmail lists net/mail's result as name <address> pairs.
func formatNetmail(l []*mail.Address, err error) string {
	if err != nil {
		return "error"
	}
	var parts []string
	for _, a := range l {
		parts = append(parts, a.Name+" <"+a.Address+">")
	}
	return strings.Join(parts, ", ")
}

var addrDisagreements = []addrDisagreement{
	{"<@route.example:a@b.example>", "a@b.example", "error",
		"relaykit: RFC 5322 4.4 obs-angle-addr allows a source route, which is read and dropped"},
	{"a . b @ c . example", "a.b@c.example", "error",
		"relaykit: RFC 5322 4.4 obs-local-part and obs-domain allow CFWS around '.' and '@' (and 3.4.1 dot-atom allows it around the whole)"},
	{"John <jdoe @example.org>", "John <jdoe@example.org>", "error",
		"relaykit: RFC 5322 3.4.1 local-part = dot-atom, and dot-atom = [CFWS] dot-atom-text [CFWS]"},
	{"(c) John (d) <jdoe@example.org>", "John <jdoe@example.org>", "error",
		"relaykit: RFC 5322 3.2.3 atom = [CFWS] 1*atext [CFWS], so comments may surround every word of a phrase"},
	{"\"\x01\"@example.org", "\"\x01\"@example.org", "error",
		"relaykit: RFC 5322 4.1 obs-qtext = obs-NO-WS-CTL allows controls (but NUL, CR, LF) in quoted strings"},
	{`""@example.org`, `""@example.org`, "error",
		"relaykit: RFC 5322 3.2.4 quoted-string = DQUOTE *([FWS] qcontent) [FWS] DQUOTE may be empty"},
	{"a@[mail.example]", "a@[mail.example]", "error",
		"relaykit: RFC 5322 3.4.1 domain-literal is any dtext; only SMTP (RFC 5321 4.1.3) limits it to address literals"},
	{"John\r\n Doe <jdoe@example.org>", "John Doe <jdoe@example.org>", "error",
		"relaykit: RFC 5322 3.2.2 FWS may fold any address list; net/mail wants the value unfolded first"},
	{"a@example.org (John\r\n Doe)", "John Doe <a@example.org>", "John\r\n Doe <a@example.org>",
		"relaykit: RFC 5322 2.2.3 unfolding removes the CRLF of folding, in comments too; net/mail keeps it in the name"},
	{`John""<a@example.org>`, "John <a@example.org>", "John  <a@example.org>",
		"either: RFC 5322 3.2.5 does not say how a phrase's words are joined; relaykit keeps the white space that was there (none between adjacent words, one space for a run), net/mail puts one space between every two words"},
	{"Team:, ,;", "", "error",
		"relaykit: RFC 5322 4.4 obs-group-list = 1*([CFWS] \",\") [CFWS]"},
	{". <a@example.org>", "error", ". <a@example.org>",
		"relaykit: RFC 5322 4.1 obs-phrase must start with a word"},
	{"a@example.org (\n)", "error", "\n <a@example.org>",
		"relaykit: RFC 5322 3.2.2 a line end may appear in a comment only as folding (CRLF WSP)"},
	{"0@0(\\\n )", "error", "\n <0@0>",
		"relaykit, deliberately: RFC 5322 4.1 obs-qp allows a quoted-pair of NUL, CR or LF; relaykit rejects it, as the octet would reach an SMTP envelope or a header as a line end"},
	{"a@example.org (\x00)", "error", "\x00 <a@example.org>",
		"relaykit: RFC 5322 4.1 obs-ctext excludes NUL"},
	{"a@example.org (\x82)", "error", "\x82 <a@example.org>",
		"relaykit: RFC 6532 3.2 and RFC 3629 require valid UTF-8; net/mail accepts invalid octets in a comment and returns them as the name"},
	{`"=?utf-8?q?J=C3=B6rg?=" <j@example.org>`, "=?utf-8?b?SsO2cmc=?= <j@example.org>", "=?utf-8?q?J=C3=B6rg?= <j@example.org>",
		"net/mail, strictly: RFC 2047 5(3) forbids encoded words in quoted strings; relaykit decodes them because common mailers write them"},
	{"=?utf8?q?J=C3=B6rg?= <j@example.org>", "=?utf-8?b?SsO2cmc=?= <j@example.org>", "error",
		"relaykit: \"utf8\" is a common alias of UTF-8; net/mail knows only utf-8, us-ascii and iso-8859-1 without a CharsetReader and rejects the whole list"},
	{"=?windows-1252?q?=80?= <e@example.org>", "=?utf-8?b?4oKs?= <e@example.org>", "error",
		"relaykit: RFC 2047 allows any registered charset; net/mail needs a CharsetReader for windows-1252 and rejects the whole list"},
	{"=?x-unknown?q?abc?= <e@example.org>", "=?utf-8?b?PT94LXVua25vd24/cT9hYmM/PQ==?= <e@example.org>", "error",
		"relaykit: RFC 2047 6.2 says an undecodable word may be shown as it is; relaykit keeps it and reports a CharsetError, net/mail fails the list"},
	{"=?UTF-8?Q?=80?= <a@example.org>", "=?utf-8?b?77+9?= <a@example.org>", "\x80 <a@example.org>",
		"relaykit: RFC 6532 3.2 and RFC 3629 require valid UTF-8; an encoded word whose octets are not valid UTF-8 decodes with U+FFFD in place of them, net/mail returns the invalid octets as the name"},
	{"=?utf-8?b?w6k?= <a@example.org>", "=?utf-8?b?w6k=?= <a@example.org>", "=?utf-8?b?w6k?= <a@example.org>",
		"net/mail, strictly: RFC 2047 4.1 base64 is RFC 2045's, with padding; relaykit accepts it unpadded because mailers write it so, net/mail keeps the raw word"},
}

func TestMailDiffAddressDisagreements(t *testing.T) {
	for _, d := range addrDisagreements {
		ours, err := parseOurs(d.in)
		got := "error"
		if err == nil {
			got = rfc5322.FormatAddressList(ours)
		}
		theirs, terr := mail.ParseAddressList(d.in)
		gotNetmail := formatNetmail(theirs, terr)
		if got != d.ours || gotNetmail != d.netmail {
			t.Errorf("%q:\n ours    %q, want %q\n netmail %q, want %q\n (%s)", d.in, got, d.ours, gotNetmail, d.netmail, d.whoIsRight)
		}
		if err == nil && terr == nil && sameAddresses(ours, theirs) {
			t.Errorf("%q: no longer a disagreement", d.in)
		}
	}
}

// explainAddr returns the disagreement class that covers a difference
// between the parsers on s, or "" if there is none.
func explainAddr(s string, ours []rfc5322.Address, err error, theirs []*mail.Address, terr error) string {
	switch {
	case err != nil && terr == nil:
		if !utf8.ValidString(s) {
			return "invalid UTF-8 (RFC 6532 3.2)"
		}
		if hasNULOrBareLineEnd(s) {
			return "NUL, or CR or LF that is not folding (RFC 5322 3.2.2, 4.1)"
		}
		if hasControlQuotedPair(s) {
			return "quoted-pair of NUL, CR or LF (RFC 5322 4.1 obs-qp), rejected against line injection"
		}
		var pe *rfc5322.ParseError
		if errors.As(err, &pe) && pe.Msg == "display name starts with '.'" {
			return "phrase starting with '.' (RFC 5322 4.1 obs-phrase = word *(word / \".\" / CFWS))"
		}
		return ""
	case err == nil && terr != nil:
		// Whatever relaykit accepts it can write back in a form that
		// net/mail reads the same, unless the address itself is one
		// net/mail cannot represent.
		if len(ours) == 0 {
			return "only empty groups, obs-group-list (RFC 5322 4.4)"
		}
		back, berr := mail.ParseAddressList(rfc5322.FormatAddressList(ours))
		if berr == nil && sameAddresses(ours, back) {
			return "obsolete or CFWS syntax net/mail does not read (RFC 5322 3.2, 4.4)"
		}
		for _, a := range ours {
			local, dom := a.LocalPart(), a.Domain()
			switch {
			case strings.HasPrefix(dom, "[") && !isIPLiteral(dom):
				return "non-IP domain literal (RFC 5322 3.4.1)"
			case local == `""`:
				return "empty quoted local part (RFC 5322 3.2.4)"
			case strings.ContainsFunc(local, func(r rune) bool { return r < ' ' || r == 0x7f }):
				return "obs-qtext control (RFC 5322 4.1)"
			}
		}
		return ""
	case err == nil && terr == nil:
		if len(ours) != len(theirs) {
			return ""
		}
		for i := range ours {
			if netmailAddr(ours[i].Addr) != theirs[i].Address {
				return ""
			}
			if invalidUTF8Replaced(ours[i].Name, theirs[i].Name) {
				continue
			}
			if ours[i].Name != theirs[i].Name && !strings.Contains(theirs[i].Name, "=?") &&
				!strings.ContainsAny(theirs[i].Name, "\r\n") && noSpace(ours[i].Name) != noSpace(theirs[i].Name) {
				return ""
			}
		}
		return "encoded word net/mail leaves undecoded, folding it keeps, or white space between phrase words"
	}
	return "both reject"
}

// invalidUTF8Replaced reports whether theirs holds invalid UTF-8 (net/mail
// returns an encoded word's octets as they decode) and ours is the same
// text with U+FFFD in place of the invalid octets.
func invalidUTF8Replaced(ours, theirs string) bool {
	return !utf8.ValidString(theirs) && utf8.ValidString(ours) &&
		strings.ReplaceAll(ours, "\uFFFD", "") == strings.ToValidUTF8(theirs, "")
}

func noSpace(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, " ", ""), "\t", "") }

// isIPLiteral reports whether a domain literal holds an IP address, the
// only kind net/mail accepts.
func isIPLiteral(dom string) bool {
	_, err := netip.ParseAddr(strings.TrimPrefix(strings.Trim(dom, "[]"), "IPv6:"))
	return err == nil
}

// hasControlQuotedPair reports a backslash followed by NUL, CR or LF,
// the obs-qp octets relaykit's parser refuses.
func hasControlQuotedPair(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '\\' {
			if c := s[i+1]; c == 0 || c == '\r' || c == '\n' {
				return true
			}
			i++
		}
	}
	return false
}

// hasNULOrBareLineEnd reports a NUL, or a CR or LF that is not part of
// folding white space (CRLF or LF, then WSP).
func hasNULOrBareLineEnd(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 0:
			return true
		case '\r':
			if i+1 >= len(s) || s[i+1] != '\n' {
				return true
			}
		case '\n':
			if i+1 >= len(s) || (s[i+1] != ' ' && s[i+1] != '\t') {
				return true
			}
		}
	}
	return false
}

func FuzzMailDiffAddressList(f *testing.F) {
	for _, d := range addrDisagreements {
		f.Add(d.in)
	}
	for _, s := range []string{
		"Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>",
		`<boss@nil.test>, "Giant; \"Big\" Box" <sysservices@example.net>`,
		"A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;",
		"Undisclosed recipients:;", "=?UTF-8?Q?Alice_Mart=C3=ADn?= <alice.martin@crepes.fr>",
		"jdoe@example.org (John Doe)", "Joe Q. Public <john.q.public@example.com>", "a@[192.0.2.1]",
		`"a\"b"@example.org`, ", , a@b", "Jörg <jörg@müller.example>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ours, err := parseOurs(s)
		theirs, terr := mail.ParseAddressList(s)
		if err == nil && terr == nil && sameAddresses(ours, theirs) {
			return
		}
		if explainAddr(s, ours, err, theirs, terr) == "" {
			t.Fatalf("unexplained disagreement on %q:\n ours    %q, %v\n netmail %s, %v", s, ours, err, formatNetmail(theirs, terr), terr)
		}
	})
}

type dateDisagreement struct {
	in         string
	ours       string // RFC 3339, or "error"
	netmail    string
	whoIsRight string
}

var dateDisagreements = []dateDisagreement{
	{"21 Nov 1997 09:55 EST", "1997-11-21T09:55:00-05:00", "1997-11-21T09:55:00Z",
		"relaykit: RFC 5322 4.3 defines EST as -0500; net/mail reads every obsolete zone name as +0000"},
	{"1 Nov 50 00:00 +0000", "1950-11-01T00:00:00Z", "2050-11-01T00:00:00Z",
		"relaykit: RFC 5322 4.3 reads two-digit years 50-99 as 1950-1999; net/mail uses time.Parse's 69 pivot"},
	{"21 Nov 1997 09:55:06 Z", "1997-11-21T09:55:06Z", "error",
		"relaykit: RFC 5322 4.3 obs-zone includes the military zones, read as -0000"},
	{"21 Nov 1997 9:55:06 +0000", "error", "1997-11-21T09:55:06Z",
		"relaykit: RFC 5322 3.3 hour = 2DIGIT (obs-hour too)"},
	{"21 Nov 1997 09:55:06 +00", "error", "1997-11-21T09:55:06Z",
		"relaykit: RFC 5322 3.3 zone = (\"+\" / \"-\") 4DIGIT"},
	{"21 Nov 1997 09:55:06 +0000 junk", "error", "1997-11-21T09:55:06Z",
		"relaykit: RFC 5322 3.3 allows only CFWS after the zone"},
	{"21 Nov 1997 09:55:06 +0000 (a\x00b)", "error", "1997-11-21T09:55:06Z",
		"relaykit: RFC 5322 4.1 obs-ctext excludes NUL"},
	{"21 Nov 0097 09:55:06 +0000", "error", "0097-11-21T09:55:06Z",
		"relaykit: RFC 5322 3.3 year is 1900 or later"},
}

func TestMailDiffDateDisagreements(t *testing.T) {
	for _, d := range dateDisagreements {
		got, gotNetmail := "error", "error"
		if tm, err := rfc5322.ParseDate(d.in); err == nil {
			got = tm.Format(time.RFC3339)
		}
		if tm, err := mail.ParseDate(d.in); err == nil {
			gotNetmail = tm.Format(time.RFC3339)
		}
		if got != d.ours || gotNetmail != d.netmail {
			t.Errorf("%q: ours %s (want %s), netmail %s (want %s): %s", d.in, got, d.ours, gotNetmail, d.netmail, d.whoIsRight)
		}
	}
}

// FuzzMailDiffDate: where both parsers accept a date they must agree on
// the instant, except for the obsolete North American zones, which
// net/mail reads as +0000, and two-digit years 50-68, which it puts in
// the 2000s (the first rows of dateDisagreements). Where only
// one accepts, the classes are the rows of dateDisagreements: net/mail is
// lenient beyond RFC 5322 3.3, relaykit reads the obsolete zones of 4.3.
func FuzzMailDiffDate(f *testing.F) {
	for _, d := range dateDisagreements {
		f.Add(d.in)
	}
	for _, s := range []string{
		"Fri, 21 Nov 1997 09:55:06 -0600", "21 Nov 97 09:55:06 GMT", "Thu, 13 Feb 1969 23:32 -0330 (Newfoundland Time)",
		"Tue, 1 Jul 2003 10:52:37 +0200", "26 Nov 2026 00:14:04 PDT",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ours, err := rfc5322.ParseDate(s)
		theirs, terr := mail.ParseDate(s)
		if err != nil || terr != nil || ours.Equal(theirs) {
			return
		}
		if name, _ := ours.Zone(); len(name) == 3 && strings.Contains("EST EDT CST CDT MST MDT PST PDT", name) {
			return
		}
		if y := ours.Year(); y >= 1950 && y <= 1968 && theirs.Year() == y+100 {
			return // two-digit year pivot (dateDisagreements)
		}
		t.Fatalf("%q: ours %v, net/mail %v", s, ours, theirs)
	})
}

// collapseWS makes whitespace runs one space and trims, the form in which
// net/mail (textproto) and relaykit agree on unfolded values: textproto
// joins a continuation line with one space, RFC 5322 2.2.3 unfolding
// keeps the WSP that follows the CRLF as it is.
func collapseWS(s string) string { return strings.Join(strings.Fields(s), " ") }

// headerDisagreements: messages whose header the parsers read
// differently; ours and netmail are the field names each sees, or
// "error".
var headerDisagreements = []struct {
	in         string
	ours       string
	netmail    string
	whoIsRight string
}{
	{"Subject : hi\r\n\r\n", "Subject", "Subject ",
		"relaykit: RFC 5322 4.5 obs-optional allows WSP between the field name and the colon; it is not part of the name (3.6.8 ftext excludes SP)"},
	{"From alice@example.org Thu Nov 26 09:14:04 2026\r\nSubject: hi\r\n\r\n", "Subject", "From alice@example.org Thu Nov 26 09|Subject",
		"relaykit: a field name is ftext, no spaces (RFC 5322 3.6.8); the line is the mbox From_ separator, reported by Header.MboxFrom"},
	{"Bad Name: x\r\n\r\n", "error", "Bad Name",
		"relaykit: RFC 5322 3.6.8 ftext excludes SP"},
	{"Subject: hi\r\n" + strings.Repeat("X: y\r\n", 1000) + "\r\n", "error", "Subject|X",
		"relaykit: a limit (Parser.MaxFields, 1000 by default) that net/mail does not have"},
}

func fieldNames(in string) (ours, theirs string) {
	ours, theirs = "error", "error"
	if h, _, err := rfc5322.ParseHeader([]byte(in)); err == nil {
		var names []string
		for _, f := range h.Fields() {
			if !slices.Contains(names, f.Name()) {
				names = append(names, f.Name())
			}
		}
		ours = strings.Join(names, "|")
	}
	if m, err := mail.ReadMessage(strings.NewReader(in)); err == nil {
		var names []string
		for k := range m.Header {
			names = append(names, k)
		}
		slices.Sort(names)
		theirs = strings.Join(names, "|")
	}
	return ours, theirs
}

func TestMailDiffHeaderDisagreements(t *testing.T) {
	for _, d := range headerDisagreements {
		ours, theirs := fieldNames(d.in)
		if ours != d.ours || theirs != d.netmail {
			t.Errorf("%.40q: ours %q (want %q), net/mail %q (want %q): %s", d.in, ours, d.ours, theirs, d.netmail, d.whoIsRight)
		}
	}
}

// FuzzMailDiffHeader: where both parsers accept a header, they see the
// same fields (by name, in order within a name) with the same values up
// to whitespace, and the same body.
func FuzzMailDiffHeader(f *testing.F) {
	f.Add(fixtures.Message3K)
	for _, d := range headerDisagreements {
		f.Add([]byte(d.in))
	}
	f.Add([]byte("A: 1\r\n b\r\nB: 2\r\nA: 3\r\n\r\nbody"))
	f.Add([]byte("A: 1\n\tb\nB:\n\nbody"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		h, n, err := rfc5322.ParseHeader(msg)
		m, terr := mail.ReadMessage(bytes.NewReader(msg))
		if err != nil || terr != nil {
			return
		}
		body, _ := io.ReadAll(m.Body)
		if !bytes.Equal(body, msg[n:]) {
			t.Fatalf("body: ours %q, net/mail %q", msg[n:], body)
		}
		count := 0
		for key, vs := range m.Header {
			if strings.ContainsAny(key, " \t") {
				return // net/mail accepts WSP in names (headerDisagreements)
			}
			count += len(vs)
		}
		if count != h.Len() {
			t.Fatalf("ours %d fields, net/mail %d", h.Len(), count)
		}
		for key, vs := range m.Header {
			ours := h.Values(key)
			if len(ours) != len(vs) {
				t.Fatalf("%s: ours %q, net/mail %q", key, ours, vs)
			}
			for i := range vs {
				if collapseWS(ours[i]) != collapseWS(vs[i]) {
					t.Fatalf("%s: ours %q, net/mail %q", key, ours[i], vs[i])
				}
			}
		}
	})
}
