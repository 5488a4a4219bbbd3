package rfc5322

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Headers strict parsing refuses are read by a lenient Parser as
// Python's email package reads them, with the problem reported.
func TestLenientHeader(t *testing.T) {
	tests := []struct {
		name, msg string
		fields    []string // raw fields
		body      string
		defects   int
	}{
		{"no empty line", "From: a@b\r\nSubject: x\r\nthis is the body\r\nmore\r\n", []string{"From: a@b\r\n", "Subject: x\r\n"}, "this is the body\r\nmore\r\n", 1},
		{"first line not a field", "Hello Bob,\n\nbody\n", nil, "Hello Bob,\n\nbody\n", 1},
		{"continuation first", "  folded\r\nFrom: a@b\r\n\r\nbody", []string{"From: a@b\r\n"}, "body", 1},
		{"bad name", "From: a@b\r\nX Bad: y\r\n\r\nbody", []string{"From: a@b\r\n"}, "X Bad: y\r\n\r\nbody", 1},
		{"last line not a field", "From: a@b\r\nno colon", []string{"From: a@b\r\n"}, "no colon", 1},
		{"clean", "From: a@b\r\n\r\nbody", []string{"From: a@b\r\n"}, "body", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.defects > 0 {
				if _, _, err := ParseHeader([]byte(tt.msg)); !errors.Is(err, ErrMalformedHeader) {
					t.Errorf("strict: err = %v, want ErrMalformedHeader", err)
				}
			}
			p := Parser{Lenient: true}
			h, n, err := p.ParseHeader([]byte(tt.msg))
			if err != nil {
				t.Fatal(err)
			}
			check := func(how string, h *Header, body string) {
				t.Helper()
				if d := cmp.Diff(tt.fields, rawFields(h)); d != "" {
					t.Errorf("%s: fields (-want +got):\n%s", how, d)
				}
				if body != tt.body {
					t.Errorf("%s: body %q, want %q", how, body, tt.body)
				}
				if len(h.Defects()) != tt.defects {
					t.Errorf("%s: defects %v, want %d", how, h.Defects(), tt.defects)
				}
				for _, d := range h.Defects() {
					var pe *ParseError
					if !errors.As(d, &pe) || !errors.Is(d, ErrMalformedHeader) {
						t.Errorf("%s: defect %v is not a *ParseError wrapping ErrMalformedHeader", how, d)
					}
				}
			}
			check("ParseHeader", h, tt.msg[n:])
			br := bufio.NewReaderSize(strings.NewReader(tt.msg), 16)
			h, err = p.ReadHeader(br)
			if err != nil {
				t.Fatal(err)
			}
			rest, _ := io.ReadAll(br)
			check("ReadHeader", h, string(rest))
			m, err := p.ReadMessage(strings.NewReader(tt.msg))
			if err != nil {
				t.Fatal(err)
			}
			rest, _ = io.ReadAll(m.Body)
			check("ReadMessage", m.Header, string(rest))
		})
	}
}

// The two messages of CPython's test corpus that strict parsing refuses
// (testdata/lenient/README.md): the header and body Python finds, and
// its MissingHeaderBodySeparatorDefect as a defect.
func TestLenientCorpus(t *testing.T) {
	for _, tt := range []struct {
		file   string
		fields int
		body   string // the body's start
	}{
		{"python-msg_19.eml", 0, "Send Ppp mailing list submissions to\n"},
		{"python-msg_35.eml", 3, "counter to RFC 2822, there's no separating newline here\n"},
	} {
		msg, err := os.ReadFile("testdata/lenient/" + tt.file)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := ParseHeader(msg); !errors.Is(err, ErrMalformedHeader) {
			t.Errorf("%s: strict: err = %v, want ErrMalformedHeader", tt.file, err)
		}
		p := Parser{Lenient: true}
		m, err := p.ReadMessage(bytes.NewReader(msg))
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		body, _ := io.ReadAll(m.Body)
		if m.Header.Len() != tt.fields || !bytes.HasPrefix(body, []byte(tt.body)) || len(m.Header.Defects()) != 1 {
			t.Errorf("%s: %d fields, body %.40q, defects %v", tt.file, m.Header.Len(), body, m.Header.Defects())
		}
		if !bytes.HasSuffix(msg, body) {
			t.Errorf("%s: body is not the rest of the message", tt.file)
		}
	}
}
