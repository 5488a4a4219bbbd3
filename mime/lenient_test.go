package mime

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLFOnly(t *testing.T) {
	msg := strings.ReplaceAll(sample, "\r\n", "\n")
	tr, err := Parse([]byte(msg), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := rows(t, sample, mustParse(t, sample))
	for i := range want {
		want[i].Body = strings.ReplaceAll(want[i].Body, "\r\n", "\n")
	}
	if d := cmp.Diff(want, rows(t, msg, tr)); d != "" {
		t.Errorf("LF-only tree differs from CRLF tree (-crlf +lf):\n%s", d)
	}
}

func mustParse(t *testing.T, msg string) *Tree {
	t.Helper()
	tr, err := Parse([]byte(msg), nil)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestMissingCloseBoundary(t *testing.T) {
	msg := "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\none\r\n--b\r\n\r\ntwo\r\n"
	tr := mustParse(t, msg)
	want := []row{
		{"", "multipart/mixed", "", msg[strings.Index(msg, "\r\n\r\n")+4:], 0},
		{"1", "text/plain", "", "one", 1},
		{"2", "text/plain", "", "two\r\n", 1},
	}
	if d := cmp.Diff(want, rows(t, msg, tr)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if len(tr.Problems) != 1 || !errors.Is(tr.Problems[0], ErrMissingBoundary) {
		t.Errorf("problems = %v; want one ErrMissingBoundary", tr.Problems)
	}
}

// An inner multipart without its close delimiter ends at the outer
// boundary.
func TestInnerMissingClose(t *testing.T) {
	msg := "Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: multipart/alternative; boundary=i\r\n\r\n--i\r\n\r\na\r\n--o\r\n\r\nb\r\n--o--\r\n"
	tr := mustParse(t, msg)
	got := rows(t, msg, tr)
	want := []row{
		{"", "multipart/mixed", "", msg[strings.Index(msg, "\r\n\r\n")+4:], 0},
		{"1", "multipart/alternative", "", "--i\r\n\r\na", 0},
		{"1.1", "text/plain", "", "a", 1},
		{"2", "text/plain", "", "b", 1},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestNoBoundaryParam(t *testing.T) {
	msg := "Content-Type: multipart/mixed\r\n\r\n--x\r\nbody\r\n"
	tr := mustParse(t, msg)
	if len(tr.Root.Parts) != 0 || tr.Root.IsMultipart() || string(tr.Root.Body([]byte(msg))) != "--x\r\nbody\r\n" {
		t.Errorf("root = %v, parts %d", tr.Root, len(tr.Root.Parts))
	}
	if len(tr.Problems) != 1 || !errors.Is(tr.Problems[0], ErrNoBoundary) {
		t.Errorf("problems = %v", tr.Problems)
	}
}

func TestHeaderWithoutEmptyLine(t *testing.T) {
	msg := "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\nthis is body\r\n--b--\r\n"
	tr := mustParse(t, msg)
	p := tr.Root.Parts[0]
	if got := string(p.Body([]byte(msg))); got != "this is body" || p.MediaType != "text/plain" {
		t.Errorf("part 1 = %v body %q", p, got)
	}
	if len(tr.Problems) != 1 || !errors.Is(tr.Problems[0], ErrMalformedHeader) {
		t.Errorf("problems = %v", tr.Problems)
	}
}

func TestLimits(t *testing.T) {
	deep := strings.Repeat("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n", 10)
	if _, err := Parse([]byte(deep), &Config{MaxDepth: 5}); !errors.Is(err, ErrTooDeep) {
		t.Errorf("depth: err = %v", err)
	}
	many := "Content-Type: multipart/mixed; boundary=b\r\n\r\n" + strings.Repeat("--b\r\n\r\nx\r\n", 20)
	if _, err := Parse([]byte(many), &Config{MaxParts: 10}); !errors.Is(err, ErrTooManyParts) {
		t.Errorf("parts: err = %v", err)
	}
	big := "X: " + strings.Repeat("a", 2000) + "\r\n\r\n"
	var pe *PartError
	if _, err := Parse([]byte(big), &Config{MaxHeaderBytes: 1000}); !errors.Is(err, ErrHeaderTooLarge) || !errors.As(err, &pe) {
		t.Errorf("header: err = %v", err)
	}
}

func TestBase64Lenient(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"aGVsbG8gd29ybGQ=", "hello world"},
		{"aGVsbG8gd29ybGQ", "hello world"},                  // padding missing
		{"aGVs\r\nbG8g\r\nd29y\r\nbGQ=\r\n", "hello world"}, // lines
		{"aGVs*bG8gd29ybGQ==garbage", "hello world"},        // junk
		{"YQ", "a"}, {"YWI", "ab"}, {"Y", ""}, {"", ""},
	} {
		b, err := io.ReadAll(NewBase64Reader(strings.NewReader(tc.in)))
		if err != nil || string(b) != tc.want {
			t.Errorf("%q: %q, %v; want %q", tc.in, b, err, tc.want)
		}
	}
	// Byte at a time reads give the same.
	r := NewBase64Reader(strings.NewReader("aGVsbG8gd29ybGQ="))
	var out bytes.Buffer
	one := make([]byte, 1)
	for {
		n, err := r.Read(one)
		out.Write(one[:n])
		if err != nil {
			break
		}
	}
	if out.String() != "hello world" {
		t.Errorf("one at a time: %q", out.String())
	}
}

// A malformed base64 body read through Walker.Decoded is decoded
// leniently and reported in Problems as ErrBase64 (errors.go); a good
// one is not.
func TestWalkerBase64Problem(t *testing.T) {
	msg := "Content-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Transfer-Encoding: base64\r\n\r\naGVs\r\nbG8=\r\n" +
		"--b\r\nContent-Transfer-Encoding: base64\r\n\r\naGVs*bG8=\r\n" +
		"--b--\r\n"
	w := NewWalker(strings.NewReader(msg), nil)
	want := []string{` multipart/mixed ""`, `1 text/plain "hello"`, `2 text/plain "hello"`}
	if diff := cmp.Diff(want, walkText(t, w)); diff != "" {
		t.Errorf("decoded bodies (-want +got):\n%s", diff)
	}
	var pe *PartError
	if probs := w.Problems(); len(probs) != 1 || !errors.Is(probs[0], ErrBase64) || !errors.As(probs[0], &pe) || pe.Part != "2" {
		t.Errorf("problems = %v, want ErrBase64 in part 2", probs)
	}
}

// A header field line longer than the Walker's read buffer is one
// field, not the end of the header (it was, at 16 KiB, before the
// Walker read the rest of such a line as part of the field).
func TestLongHeaderLine(t *testing.T) {
	for _, n := range []int{100, walkBufSize - 10, walkBufSize + 10, 5 * walkBufSize} {
		msg := "X-Long: " + strings.Repeat("a", n) + "\r\nContent-Type: text/html\r\n\r\nbody\r\n"
		tr := mustParse(t, msg)
		if tr.Root.MediaType != "text/html" || string(tr.Root.Body([]byte(msg))) != "body\r\n" || len(tr.Problems) != 0 {
			t.Errorf("%d octets: type %s, body %.20q, problems %v", n, tr.Root.MediaType, tr.Root.Body([]byte(msg)), tr.Problems)
		}
		if got := tr.Root.Header.Get("X-Long"); len(got) != n {
			t.Errorf("%d octets: X-Long has %d", n, len(got))
		}
	}
}

func TestParams(t *testing.T) {
	for _, tc := range []struct {
		in     string
		typ    string
		params map[string]string
		bad    bool
	}{
		{`text/plain; charset="us-ascii" (comment); format=flowed`, "text/plain", map[string]string{"charset": "us-ascii", "format": "flowed"}, false},
		{`Text/HTML;Charset=UTF-8`, "text/html", map[string]string{"charset": "UTF-8"}, false},
		// RFC 2231 3 and 4 examples.
		{"message/external-body; access-type=URL;\r\n URL*0=\"ftp://\";\r\n URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\"", "message/external-body",
			map[string]string{"access-type": "URL", "url": "ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar"}, false},
		{"application/x-stuff; title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A", "application/x-stuff", map[string]string{"title": "This is ***fun***"}, false},
		{"application/x-stuff; title*0*=us-ascii'en'This%20is%20even%20more%20; title*1*=%2A%2A%2Afun%2A%2A%2A%20; title*2=\"isn't it!\"", "application/x-stuff",
			map[string]string{"title": "This is even more ***fun*** isn't it!"}, false},
		{"attachment; filename*=iso-8859-1''caf%E9.txt", "attachment", map[string]string{"filename": "café.txt"}, false},
		// Pieces out of order, a gap, a number twice (the later
		// counts), names interleaved, a charset only in piece 0.
		{"x/y; a*1=b; a*0=a", "x/y", map[string]string{"a": "ab"}, false},
		{"x/y; a*0=a; a*2=c", "x/y", map[string]string{"a": "a"}, false},
		{"x/y; a*0=a; a*0=z; a*1=b", "x/y", map[string]string{"a": "zb"}, false},
		{"x/y; a*0*=utf-8''%C3%A9; b*=utf-8''x; a*1=f", "x/y", map[string]string{"a": "éf", "b": "x"}, false},
		{"x/y; a*0=q; a*1*=utf-8''%41", "x/y", map[string]string{"a": "qutf-8''A"}, false},
		{`attachment; filename="a\"b.txt"`, "attachment", map[string]string{"filename": `a"b.txt`}, false},
		{`text/plain; charset=utf-8; bad; name=x`, "text/plain", map[string]string{"charset": "utf-8", "name": "x"}, true},
		{`text/plain;`, "text/plain", nil, false},
	} {
		typ, params, err := ParseMediaType(tc.in, nil)
		if (err != nil) != tc.bad || typ != tc.typ {
			t.Errorf("%q: type %q err %v", tc.in, typ, err)
		}
		if d := cmp.Diff(tc.params, params); d != "" {
			t.Errorf("%q: (-want +got):\n%s", tc.in, d)
		}
	}
}

func TestFormatMediaTypeRoundTrip(t *testing.T) {
	for _, p := range []map[string]string{
		{"charset": "utf-8"},
		{"filename": "résumé final version with a long name, 2026.pdf"},
		{"filename": `with "quotes" and \ backslash.txt`},
		{"name": strings.Repeat("ü", 100)},
	} {
		s := FormatMediaType("attachment", p)
		_, got, err := ParseMediaType(s, nil)
		if err != nil {
			t.Errorf("%q: %v", s, err)
		}
		if d := cmp.Diff(p, got); d != "" {
			t.Errorf("%q: (-want +got):\n%s", s, d)
		}
	}
}

func TestLatin1(t *testing.T) {
	r, err := NewCharsetReader("ISO-8859-1", strings.NewReader("caf\xe9 \xff"), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r)
	if string(b) != "café ÿ" {
		t.Errorf("got %q", b)
	}
	if _, err := NewCharsetReader("x-unknown", strings.NewReader(""), nil); !errors.Is(err, ErrUnknownCharset) {
		t.Errorf("unknown charset: %v", err)
	}
}
