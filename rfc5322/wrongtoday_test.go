package rfc5322

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

// RFC 5322 3.3: -0000 means the zone is unknown, not UTC; a date read
// with it must be written with it.
func TestDateNoZoneKept(t *testing.T) {
	d, err := ParseDate("Fri, 21 Nov 1997 09:55:06 -0000")
	if err != nil {
		t.Fatal(err)
	}
	if got := FormatDate(d); !strings.HasSuffix(got, " -0000") {
		t.Errorf("FormatDate = %q; want the -0000 zone kept", got)
	}
}

// RFC 5322 3.3: year = 4*DIGIT, so five digits are a year.
func TestDateFiveDigitYear(t *testing.T) {
	d, err := ParseDate("Sat, 1 Jan 10000 00:00:00 +0000")
	if err != nil {
		t.Fatal(err)
	}
	if d.Year() != 10000 {
		t.Errorf("year = %d; want 10000", d.Year())
	}
}

// RFC 5322 2.2: CR may only appear in CRLF; AppendHeader must not pass a
// bare CR from a parsed field on.
func TestAppendHeaderNoBareCR(t *testing.T) {
	h, _, err := ParseHeader([]byte("Subject: a\rb\r\nX: y\r\n\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.AppendHeader(nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range out {
		if c == '\r' && (i+1 >= len(out) || out[i+1] != '\n') {
			t.Fatalf("AppendHeader wrote a bare CR at %d: %q", i, out)
		}
	}
}

func TestFieldTextInvalidUTF8(t *testing.T) {
	h, _, err := ParseHeader([]byte("Subject: caf\xe9\r\n\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	f, _ := h.Lookup("Subject")
	if _, err := f.Text(); !errors.Is(err, ErrInvalidUTF8) {
		t.Errorf("Text error = %v; want ErrInvalidUTF8", err)
	}
}

// A Subject that looks like an encoded word would be decoded by the
// reader into something else; even in UTF-8 mode it must be encoded.
func TestBuilderUTF8SubjectLooksEncoded(t *testing.T) {
	subj := "=?utf-8?q?hello?= wörld"
	b := Builder{
		From: []Address{{Addr: "a@example.org"}}, To: []Address{{Addr: "b@example.org"}},
		Subject: subj, UTF8: true,
		Now:  func() time.Time { return time.Unix(0, 0).UTC() },
		Rand: bytes.NewReader(make([]byte, 64)),
	}
	msg, _, err := b.Message()
	if err != nil {
		t.Fatal(err)
	}
	m, err := ReadMessage(bytes.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	f, _ := m.Header.Lookup("Subject")
	if got, err := f.Text(); err != nil || got != subj {
		t.Errorf("Subject read back = %q, %v; want %q", got, err, subj)
	}
}

// RFC 2045 4 and 5.2: a message the Builder writes says it is MIME and
// what its plain text body is, unless the caller set Content-Type.
func TestBuilderPlainTextMIME(t *testing.T) {
	for _, tc := range []struct {
		body, ctype, cte string
	}{
		{"hello\r\n", "text/plain; charset=us-ascii", ""},
		{"grüße\r\n", "text/plain; charset=utf-8", "8bit"},
	} {
		b := Builder{
			From: []Address{{Addr: "a@example.org"}}, To: []Address{{Addr: "b@example.org"}},
			Body: []byte(tc.body),
			Now:  func() time.Time { return time.Unix(0, 0).UTC() },
			Rand: bytes.NewReader(make([]byte, 64)),
		}
		msg, _, err := b.Message()
		if err != nil {
			t.Fatal(err)
		}
		h, _, _ := ParseHeader(msg)
		if h.Get("MIME-Version") != "1.0" || h.Get("Content-Type") != tc.ctype || h.Get("Content-Transfer-Encoding") != tc.cte {
			t.Errorf("%q: MIME-Version %q Content-Type %q CTE %q", tc.body, h.Get("MIME-Version"), h.Get("Content-Type"), h.Get("Content-Transfer-Encoding"))
		}
	}
	// A caller's own Content-Type is left alone.
	b := Builder{From: []Address{{Addr: "a@example.org"}}, To: []Address{{Addr: "b@example.org"}}, Rand: bytes.NewReader(make([]byte, 64))}
	b.Header.Add("MIME-Version", "1.0")
	b.Header.Add("Content-Type", "text/html")
	msg, _, _ := b.Message()
	h, _, _ := ParseHeader(msg)
	if h.Count("MIME-Version") != 1 || h.Count("Content-Type") != 1 || h.Get("Content-Type") != "text/html" {
		t.Errorf("caller's fields changed:\n%s", msg)
	}
}

// RFC 2047 2: a line of a header field that holds an encoded word is at
// most 76 characters.
func TestEncodedWordLines76(t *testing.T) {
	b := Builder{
		From:    []Address{{Name: strings.Repeat("Ünïcödé ", 12), Addr: "a@example.org"}},
		To:      []Address{{Addr: "b@example.org"}},
		Subject: strings.Repeat("Grüße aus Köln, ", 12),
		Rand:    bytes.NewReader(make([]byte, 64)),
	}
	msg, _, err := b.Message()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(msg), "\r\n") {
		if strings.Contains(l, "=?") && len(l) > 76 {
			t.Errorf("line of %d characters with an encoded word: %q", len(l), l)
		}
	}
	m, err := ReadMessage(bytes.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	f, _ := m.Header.Lookup("Subject")
	if got, _ := f.Text(); got != strings.TrimSpace(b.Subject) && got != b.Subject {
		t.Errorf("Subject read back %q", got)
	}
}

// Header.AddText encodes non-ASCII text (Header.Add writes what it is
// given); written and read back, the text is the same.
func TestHeaderAddTextEncodes(t *testing.T) {
	for _, v := range []string{"Grüße aus Köln", "plain ascii", "=?utf-8?q?looks_encoded?=", "日本語 and ascii"} {
		var h Header
		h.AddText("X-Note", v)
		out, err := h.AppendHeader(nil)
		if err != nil {
			t.Fatal(err)
		}
		if hasNonASCII(string(out)) {
			t.Errorf("%q written with non-ASCII: %q", v, out)
		}
		r, _, err := ParseHeader(append(out, '\r', '\n'))
		if err != nil {
			t.Fatal(err)
		}
		f, _ := r.Lookup("X-Note")
		if got, err := f.Text(); err != nil || got != v {
			t.Errorf("read back %q, %v; want %q", got, err, v)
		}
	}
}
