package smtp

import (
	"errors"
	"strings"
	"testing"
)

func TestParseCommand(t *testing.T) {
	for _, tc := range []struct {
		line     string
		verb     Verb
		arg      string
		params   string
		nonASCII bool
		err      error
	}{
		{line: "EHLO client.example", verb: VerbEHLO, arg: "client.example"},
		{line: "ehlo [192.0.2.1]", verb: VerbEHLO, arg: "[192.0.2.1]"},
		{line: "HELO x", verb: VerbHELO, arg: "x"},
		{line: "LHLO x", verb: VerbLHLO, arg: "x"},
		{line: "EHLO", verb: VerbEHLO, err: ErrCommandSyntax},
		{line: "EHLO ", verb: VerbEHLO, err: ErrCommandSyntax},
		{line: "EHLO a\x00b", verb: VerbEHLO, err: ErrCommandSyntax},
		{line: "HELO a\x1bb", verb: VerbHELO, err: ErrCommandSyntax},
		{line: "MAIL FROM:<a@b.example>", verb: VerbMAIL, arg: "a@b.example"},
		{line: "mail from:<a@b.example> SIZE=10 BODY=8BITMIME", verb: VerbMAIL, arg: "a@b.example", params: "SIZE=10 BODY=8BITMIME"},
		{line: "MAIL FROM: <a@b.example>", verb: VerbMAIL, arg: "a@b.example"},
		{line: "MAIL FROM:<>", verb: VerbMAIL, arg: ""},
		{line: "MAIL FROM:<> AUTH=<>", verb: VerbMAIL, arg: "", params: "AUTH=<>"},
		{line: "MAIL FROM:<@a.example,@b.example:u@c.example>", verb: VerbMAIL, arg: "u@c.example"},
		{line: `MAIL FROM:<"a>b\"c"@d.example>`, verb: VerbMAIL, arg: `"a>b\"c"@d.example`},
		{line: "MAIL FROM:<ü@ä.example>", verb: VerbMAIL, arg: "ü@ä.example", nonASCII: true},
		{line: "MAIL FROM:a@b.example", verb: VerbMAIL, err: ErrPathSyntax},
		{line: "MAIL FROM:<a@b.example>x", verb: VerbMAIL, err: ErrCommandSyntax},
		{line: "MAIL FROM:<a@b.example", verb: VerbMAIL, err: ErrPathSyntax},
		{line: "MAIL FROM<a@b.example>", verb: VerbMAIL, err: ErrCommandSyntax},
		{line: "MAIL", verb: VerbMAIL, err: ErrCommandSyntax},
		{line: "MAILFROM:<a@b>", verb: VerbUnknown},
		{line: "RCPT TO:<>", verb: VerbRCPT, err: ErrPathSyntax},
		{line: "RCPT TO:<postmaster>", verb: VerbRCPT, arg: "postmaster"},
		{line: "RCPT TO:<a@b.example> NOTIFY=NEVER", verb: VerbRCPT, arg: "a@b.example", params: "NOTIFY=NEVER"},
		{line: "RCPT TO:<a.@b.example>", verb: VerbRCPT, err: ErrPathSyntax},
		{line: "RCPT TO:<.a@b.example>", verb: VerbRCPT, err: ErrPathSyntax},
		{line: "RCPT TO:<a..b@b.example>", verb: VerbRCPT, err: ErrPathSyntax},
		{line: "RCPT TO:<a@b..example>", verb: VerbRCPT, err: ErrPathSyntax},
		{line: "RCPT TO:<a@b.example.>", verb: VerbRCPT, err: ErrPathSyntax},
		{line: "RCPT TO:<a@b-.example>", verb: VerbRCPT, err: ErrPathSyntax},
		{line: "RCPT TO:<a@[1.2.3]>", verb: VerbRCPT, err: ErrPathSyntax},
		{line: "RCPT TO:<a@[1.2.3.4]>", verb: VerbRCPT, arg: "a@[1.2.3.4]"},
		{line: "RCPT TO:<a@[IPv6:::1]>", verb: VerbRCPT, arg: "a@[IPv6:::1]"},
		{line: "RCPT TO:<a@[IPv6:1.2.3.4]>", verb: VerbRCPT, err: ErrPathSyntax},
		{line: "RCPT TO:<a@[x-tag:stuff]>", verb: VerbRCPT, arg: "a@[x-tag:stuff]"},
		{line: "RCPT TO:<a@\xff.example>", verb: VerbRCPT, err: ErrPathSyntax},
		{line: "RCPT TO:<" + strings.Repeat("a", 65) + "@b.example>", verb: VerbRCPT, err: ErrPathTooLong},
		{line: "RCPT TO:<" + strings.Repeat("a", 64) + "@b.example>", verb: VerbRCPT, arg: strings.Repeat("a", 64) + "@b.example"},
		{line: "RCPT TO:<a@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 64) + ">", verb: VerbRCPT, err: ErrPathSyntax},
		{line: "RCPT TO:<a@" + strings.Repeat("bbbbbbbbb.", 26) + "example>", verb: VerbRCPT, err: ErrPathTooLong},
		{line: "DATA", verb: VerbDATA},
		{line: "data ", verb: VerbDATA},
		{line: "DATA x", verb: VerbDATA, err: ErrCommandSyntax},
		{line: "BDAT 100 LAST", verb: VerbBDAT, arg: "100 LAST"},
		{line: "RSET", verb: VerbRSET},
		{line: "NOOP anything", verb: VerbNOOP, arg: "anything"},
		{line: "NOOPx", verb: VerbUnknown},
		{line: "QUIT", verb: VerbQUIT},
		{line: "VRFY bob", verb: VerbVRFY, arg: "bob"},
		{line: "EXPN list", verb: VerbEXPN, arg: "list"},
		{line: "HELP", verb: VerbHELP},
		{line: "StartTLS", verb: VerbSTARTTLS},
		{line: "AUTH PLAIN AGFsaWNl", verb: VerbAUTH, arg: "PLAIN AGFsaWNl"},
		{line: "NOOP a\rb", err: ErrBareLineEnding},
		{line: "NOOP a\nb", err: ErrBareLineEnding},
		{line: "", verb: VerbUnknown},
		{line: "GET / HTTP/1.1", verb: VerbUnknown},
		{line: "M\x00IL", verb: VerbUnknown},
	} {
		c, err := ParseCommand([]byte(tc.line))
		if !errors.Is(err, tc.err) {
			t.Errorf("%q: error %v, want %v", tc.line, err, tc.err)
			continue
		}
		if err != nil {
			continue
		}
		if c.Verb != tc.verb || string(c.Arg) != tc.arg || string(c.Params) != tc.params || c.NonASCII != tc.nonASCII {
			t.Errorf("%q: got %v %q %q %v, want %v %q %q %v", tc.line, c.Verb, c.Arg, c.Params, c.NonASCII, tc.verb, tc.arg, tc.params, tc.nonASCII)
		}
	}
}

func TestPathLimitsRaise(t *testing.T) {
	long := "RCPT TO:<" + strings.Repeat("a", 100) + "@b.example>"
	if _, err := ParseCommand([]byte(long)); !errors.Is(err, ErrPathTooLong) {
		t.Fatalf("default limit: %v", err)
	}
	p := CommandParser{Limits: PathLimits{MaxLocalPart: 200, MaxPath: 1000}}
	if _, err := p.Parse([]byte(long)); err != nil {
		t.Fatalf("raised limit: %v", err)
	}
	// Limits below the RFC minimum are not honoured.
	p = CommandParser{Limits: PathLimits{MaxLocalPart: 1}}
	if _, err := p.Parse([]byte("RCPT TO:<abc@b.example>")); err != nil {
		t.Fatal(err)
	}
}

func TestParamIter(t *testing.T) {
	for _, tc := range []struct {
		params string
		want   []string
		err    bool
	}{
		{"", nil, false},
		{"SIZE=10", []string{"SIZE", "10"}, false},
		{"SIZE=10  BODY=8BITMIME SMTPUTF8", []string{"SIZE", "10", "BODY", "8BITMIME", "SMTPUTF8", ""}, false},
		{"X-FOO=bar", []string{"X-FOO", "bar"}, false},
		{"=x", nil, true},
		{"-X=1", nil, true},
		{"A=", nil, true},
		{"A=b=c", nil, true},
		{"A=\x01", nil, true},
		{"A_B=1", nil, true},
	} {
		c := Command{Params: []byte(tc.params)}
		it := c.ParamIter()
		var got []string
		for it.Next() {
			got = append(got, string(it.Key()), string(it.Value()))
		}
		if (it.Err() != nil) != tc.err {
			t.Errorf("%q: err %v", tc.params, it.Err())
		}
		if !tc.err && strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%q: got %q, want %q", tc.params, got, tc.want)
		}
	}
}

func TestCheckMailbox(t *testing.T) {
	for _, tc := range []struct {
		s   string
		ok  bool
		utf bool
	}{
		{"a@b", true, false},
		{"a+tag@b.example", true, false},
		{`"john doe"@b.example`, true, false},
		{`"a\"b"@b.example`, true, false},
		{`"a\`, false, false},
		{"用户@例子.广告", true, true},
		{"a@b@c", false, false},
		{"@b", false, false},
		{"a@", false, false},
		{"a b@c", false, false},
		{"a@b\r\n", false, false},
		{"a@\xc0\x80", false, false},
		{"a@\u0085", false, false},
	} {
		utf, err := CheckMailbox(tc.s)
		if (err == nil) != tc.ok || err == nil && utf != tc.utf {
			t.Errorf("%q: utf %v err %v, want ok=%v utf=%v", tc.s, utf, err, tc.ok, tc.utf)
		}
	}
}

func TestParseCommandAllocs(t *testing.T) {
	lines := [][]byte{
		[]byte("MAIL FROM:<alice@example.org> SIZE=4096 BODY=8BITMIME"),
		[]byte("RCPT TO:<bob@example.net> NOTIFY=SUCCESS,FAILURE"),
		[]byte("DATA"),
		[]byte("EHLO client.example"),
	}
	n := testing.AllocsPerRun(1000, func() {
		for _, l := range lines {
			c, err := ParseCommand(l)
			if err != nil {
				panic(err)
			}
			it := c.ParamIter()
			for it.Next() {
			}
		}
	})
	if n != 0 {
		t.Fatalf("ParseCommand allocates %v times per run, want 0", n)
	}
}
