package mime

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/relaykit/relaykit/rfc5322"
)

const sample = "From: a@example.org\r\n" +
	"Subject: hi\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=\"XX\"\r\n" +
	"\r\n" +
	"preamble\r\n" +
	"--XX\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"\r\n" +
	"Hello Bob.\r\n" +
	"Two lines.\r\n" +
	"--XX\r\n" +
	"Content-Type: multipart/alternative; boundary=YY\r\n" +
	"\r\n" +
	"--YY\r\n" +
	"Content-Type: text/plain\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"\r\n" +
	"caf=C3=A9 =\r\nsoft\r\n" +
	"--YY\r\n" +
	"Content-Type: text/html\r\n" +
	"\r\n" +
	"<p>x</p>\r\n" +
	"--YY--\r\n" +
	"--XX\r\n" +
	"Content-Type: application/octet-stream\r\n" +
	"Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"aGVsbG8gd29ybGQ=\r\n" +
	"--XX\r\n" +
	"Content-Type: message/rfc822\r\n" +
	"\r\n" +
	"Subject: inner\r\n" +
	"\r\n" +
	"inner body\r\n" +
	"--XX--\r\n" +
	"epilogue\r\n"

type row struct {
	Section, Type, Name, Body string
	Lines                     int64
}

func rows(t *testing.T, msg string, tr *Tree) []row {
	t.Helper()
	var out []row
	_ = tr.Root.Walk(func(p *Part) error {
		out = append(out, row{p.Section, p.MediaType, p.Filename(), string(p.Body([]byte(msg))), p.Lines})
		return nil
	})
	return out
}

func TestParseTree(t *testing.T) {
	tr, err := Parse([]byte(sample), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []row{
		{"", "multipart/mixed", "", sample[strings.Index(sample, "preamble"):], 0},
		{"1", "text/plain", "", "Hello Bob.\r\nTwo lines.", 2},
		{"2", "multipart/alternative", "", sample[strings.Index(sample, "--YY\r\nContent-Type: text/plain") : strings.Index(sample, "--YY--")+6], 0},
		{"2.1", "text/plain", "", "caf=C3=A9 =\r\nsoft", 2},
		{"2.2", "text/html", "", "<p>x</p>", 1},
		{"3", "application/octet-stream", "résumé.pdf", "aGVsbG8gd29ybGQ=", 1},
		{"4", "message/rfc822", "", "Subject: inner\r\n\r\ninner body", 0},
		{"4", "text/plain", "", "inner body", 1},
	}
	if d := cmp.Diff(want, rows(t, sample, tr)); d != "" {
		t.Errorf("tree (-want +got):\n%s", d)
	}
	if len(tr.Problems) != 0 {
		t.Errorf("problems: %v", tr.Problems)
	}
	// RawHeader is what IMAP BODY[1.MIME] returns.
	p1 := tr.Root.Parts[0]
	if got := string(p1.RawHeader([]byte(sample))); got != "Content-Type: text/plain; charset=utf-8\r\n\r\n" {
		t.Errorf("RawHeader(1) = %q", got)
	}
}

func TestWalkerDecode(t *testing.T) {
	w := NewWalker(strings.NewReader(sample), nil)
	if d := cmp.Diff(sampleDecoded, walkText(t, w)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// A Walker Reset in the middle of a broken message walks the next one
// as a new Walker does, and forgets the first one's problems.
func TestWalkerReset(t *testing.T) {
	broken := "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Transfer-Encoding: base64\n\naGVs*bG8=\n--b\nX\n"
	w := NewWalker(strings.NewReader(broken), nil)
	walkText(t, w)
	if len(w.Problems()) == 0 {
		t.Fatal("the broken message shows no problems")
	}
	w.Reset(strings.NewReader(sample + sample)) // read only as far as the first one
	if _, err := w.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Next(); err != nil {
		t.Fatal(err)
	}
	w.Reset(strings.NewReader(sample))
	if d := cmp.Diff(sampleDecoded, walkText(t, w)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if p := w.Problems(); len(p) != 0 {
		t.Errorf("problems after Reset: %v", p)
	}
	if r := w.Root(); r == nil || len(r.Parts) != 4 || r.End != int64(len(sample)) {
		t.Errorf("root after Reset: %v", r)
	}
}

var sampleDecoded = []string{
	` multipart/mixed ""`,
	`1 text/plain "Hello Bob.\r\nTwo lines."`,
	`2 multipart/alternative ""`,
	`2.1 text/plain "café soft"`,
	`2.2 text/html "<p>x</p>"`,
	`3 application/octet-stream "hello world"`,
	`4 message/rfc822 ""`,
	`4 text/plain "inner body"`,
}

// walkText walks w to the end and describes each part with its text.
func walkText(t *testing.T, w *Walker) []string {
	t.Helper()
	var got []string
	for {
		p, err := w.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		r, err := w.Text()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s %s %q", p.Section, p.MediaType, b))
	}
	return got
}

// Part.Decode over the tree gives what Walker.Decoded gives in one pass.
func TestPartDecodeMatchesWalker(t *testing.T) {
	for _, msg := range [][]byte{[]byte(sample), manyParts(6)} {
		var walked [][]byte
		w := NewWalker(bytes.NewReader(msg), nil)
		for {
			_, err := w.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			r, err := w.Decoded()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			walked = append(walked, b)
		}
		tr, err := Parse(msg, nil)
		if err != nil {
			t.Fatal(err)
		}
		var decoded [][]byte
		_ = tr.Root.Walk(func(p *Part) error {
			var b []byte
			if !p.IsMultipart() && !p.IsMessage() {
				r, err := p.Decode(msg)
				if err != nil {
					t.Fatal(err)
				}
				if b, err = io.ReadAll(r); err != nil {
					t.Fatal(err)
				}
			}
			decoded = append(decoded, b)
			return nil
		})
		if d := cmp.Diff(walked, decoded, cmpopts.EquateEmpty()); d != "" {
			t.Errorf("Walker.Decoded vs Part.Decode (-walker +tree):\n%s", d)
		}
	}
}

func TestLineStartingDashes(t *testing.T) {
	for _, b := range []string{"", "-", "--", "\n--", "a\n-", "a\n--", "x-\n-x\n--\n", "a-b--c\n-\n--", "a\n\n--", "--\n---"} {
		want := strings.Index(b, "\n--")
		if want >= 0 {
			want++
		}
		if got := lineStartingDashes([]byte(b)); got != want {
			t.Errorf("%q: %d, want %d", b, got, want)
		}
	}
}

// fieldValue and transferEncoding, which spare allocations, return what
// the plain expressions they replace return.
func TestFieldValueShortcuts(t *testing.T) {
	for _, v := range []string{"base64", " BASE64 ", "Quoted-Printable", "quoted-\r\n printable", "7BIT\t", "x-uuencode", "baſe64", "base64\v", "", "\r\n base64"} {
		h, _, err := rfc5322.ParseHeader([]byte("Content-Transfer-Encoding:" + v + "\r\nContent-Type:" + v + "\r\n\r\n"))
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		if got, want := transferEncoding(h), strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))); got != want {
			t.Errorf("%q: transferEncoding %q, want %q", v, got, want)
		}
		if got, want := fieldValue(h, "content-type"), h.Get("Content-Type"); got != want {
			t.Errorf("%q: fieldValue %q, want %q", v, got, want)
		}
	}
	var h rfc5322.Header
	if transferEncoding(&h) != "" || fieldValue(&h, "Content-Type") != "" {
		t.Error("missing fields give values")
	}
}

// A Walker reused with Reset and Tree gives each message the tree Parse
// gives it, the message before it forgotten, and reads with the buffer it
// already has.
func TestWalkerTree(t *testing.T) {
	shape := func(tr *Tree) []string {
		var out []string
		_ = tr.Root.Walk(func(p *Part) error {
			out = append(out, fmt.Sprintf("%q %s %d-%d-%d", p.Section, p.MediaType, p.HeaderStart, p.BodyStart, p.End))
			return nil
		})
		return append(out, fmt.Sprint(len(tr.Problems), " problems"))
	}
	broken := "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Transfer-Encoding: base64\n\naGVs*bG8=\n--b\nX\n"
	var w *Walker
	for i, msg := range []string{sample, broken, "Subject: plain\r\n\r\nbody\r\n", sample} {
		want, err := Parse([]byte(msg), nil)
		if err != nil {
			t.Fatal(err)
		}
		if w == nil {
			w = NewWalker(strings.NewReader(msg), nil)
		} else {
			w.Reset(strings.NewReader(msg))
		}
		got, err := w.Tree()
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(shape(want), shape(got)); d != "" {
			t.Errorf("message %d, (-Parse +Walker.Tree):\n%s", i, d)
		}
	}
	// The same input for both: what Reset and Tree spare is Parse's
	// Walker and read buffer.
	msg := []byte(sample)
	var r bytes.Reader
	reused := testing.AllocsPerRun(50, func() {
		r.Reset(msg)
		w.Reset(&r)
		if _, err := w.Tree(); err != nil {
			t.Fatal(err)
		}
	})
	parsed := testing.AllocsPerRun(50, func() {
		if _, err := Parse(msg, nil); err != nil {
			t.Fatal(err)
		}
	})
	if reused >= parsed {
		t.Errorf("Reset and Tree: %.0f allocations, Parse %.0f", reused, parsed)
	}
}
