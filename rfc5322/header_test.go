package rfc5322

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

func readFixture(t testing.TB) []byte {
	t.Helper()
	msg, err := os.ReadFile("testdata/message-3k.eml")
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

func TestParseHeaderFixture(t *testing.T) {
	msg := readFixture(t)
	h, body, err := ParseHeader(msg)
	if err != nil {
		t.Fatal(err)
	}
	if h.Len() != 20 {
		t.Fatalf("got %d fields, want 20", h.Len())
	}
	end := bytes.Index(msg, []byte("\r\n\r\n")) + 4
	if body != end {
		t.Errorf("body offset %d, want %d", body, end)
	}
	// The raw fields are the header block byte for byte.
	var all []byte
	for _, f := range h.Fields() {
		all = append(all, f.Raw()...)
	}
	if !bytes.Equal(all, msg[:end-2]) {
		t.Error("raw fields do not reassemble the header block")
	}
	// Writing a parsed header gives the same bytes back.
	var buf bytes.Buffer
	if _, err := h.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), msg[:end]) {
		t.Error("WriteTo changed a parsed header")
	}
	if got := h.Count("received"); got != 3 {
		t.Errorf("Count(received) = %d", got)
	}
	if got := h.Get("dkim-signature"); !strings.HasPrefix(got, "v=1; a=rsa-sha256") || strings.ContainsAny(got, "\r\n") {
		t.Errorf("Get(dkim-signature) = %q", got)
	}
	vs := h.Values("RECEIVED")
	if len(vs) != 3 || !strings.HasPrefix(vs[2], "by mail-wm1-f41.example.com with SMTP id") {
		t.Errorf("Values(Received) = %q", vs)
	}
	if got := h.Get("List-Unsubscribe"); got != "<mailto:cooking-unsubscribe@lists.crepes.fr>, <https://lists.crepes.fr/unsubscribe/cooking>" {
		t.Errorf("unfolded List-Unsubscribe = %q", got)
	}
	f, _ := h.Lookup("subject")
	if got, err := f.Text(); err != nil || got != "Recette des crêpes pour samedi — on se retrouve à midi?" {
		t.Errorf("Subject text = %q, %v", got, err)
	}
	if f.Name() != "Subject" || string(f.NameBytes()) != "Subject" {
		t.Errorf("Name = %q", f.Name())
	}
	if h.BareLF() || h.MboxFrom() != nil {
		t.Error("BareLF or MboxFrom set on a clean message")
	}
}

func TestParseHeaderShapes(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		fields []string // name=unfolded value
		body   string
		bareLF bool
		mbox   string
	}{
		{"crlf", "A: 1\r\nB: 2\r\n\r\nbody", []string{"A=1", "B=2"}, "body", false, ""},
		{"lf leniently", "A: 1\nB: 2\n\nbody\n", []string{"A=1", "B=2"}, "body\n", true, ""},
		{"no body", "A: 1\r\n", []string{"A=1"}, "", false, ""},
		{"no final line end", "A: 1", []string{"A=1"}, "", false, ""},
		{"empty header", "\r\nbody", nil, "body", false, ""},
		{"empty input", "", nil, "", false, ""},
		{"folded", "Subject: a\r\n b\r\n\tc\r\n\r\n", []string{"Subject=a b\tc"}, "", false, ""},
		{"empty value", "X-Empty:\r\n\r\n", []string{"X-Empty="}, "", false, ""},
		{"obs WSP before colon", "Subject : hi\r\n\r\n", []string{"Subject=hi"}, "", false, ""},
		{"mbox From line", "From alice@example.org Thu Nov 26 09:14:04 2026\r\nFrom: a@b\r\n\r\nx", []string{"From=a@b"}, "x", false, "From alice@example.org Thu Nov 26 09:14:04 2026"},
		{"obs From field not mbox", "From : a@b\r\n\r\n", []string{"From=a@b"}, "", false, ""},
		{"duplicates kept in order", "X: 1\r\nY: 2\r\nX: 3\r\n\r\n", []string{"X=1", "Y=2", "X=3"}, "", false, ""},
		{"utf-8 value", "Subject: crêpes\r\n\r\n", []string{"Subject=crêpes"}, "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, n, err := ParseHeader([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range h.Fields() {
				got = append(got, f.Name()+"="+f.Value())
			}
			if strings.Join(got, "|") != strings.Join(tt.fields, "|") {
				t.Errorf("fields %q, want %q", got, tt.fields)
			}
			if tt.in[n:] != tt.body {
				t.Errorf("body %q, want %q", tt.in[n:], tt.body)
			}
			if h.BareLF() != tt.bareLF {
				t.Errorf("BareLF = %v", h.BareLF())
			}
			if string(h.MboxFrom()) != tt.mbox {
				t.Errorf("MboxFrom = %q", h.MboxFrom())
			}
		})
	}
}

func TestParseHeaderErrors(t *testing.T) {
	big := strings.Repeat("X-A: "+strings.Repeat("a", 70)+"\r\n", 10)
	tests := []struct {
		name string
		p    Parser
		in   string
		want error
		off  int
	}{
		{"no colon", Parser{}, "A: 1\r\nnot a field\r\n\r\n", ErrMalformedHeader, 6},
		{"empty name", Parser{}, ": x\r\n\r\n", ErrMalformedHeader, 0},
		{"leading continuation", Parser{}, " x: y\r\n\r\n", ErrMalformedHeader, 0},
		{"control in name", Parser{}, "A\x01B: y\r\n\r\n", ErrMalformedHeader, 0},
		{"too many fields", Parser{MaxFields: 3}, "A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", ErrTooManyFields, 18},
		{"field too long", Parser{MaxFieldBytes: 20}, "A: 1\r\nB: " + strings.Repeat("b", 30) + "\r\n\r\n", ErrFieldTooLong, 6},
		{"folded field too long", Parser{MaxFieldBytes: 20}, "B: bbbbbbbb\r\n bbbbbbbbbbbbbbb\r\n\r\n", ErrFieldTooLong, 0},
		{"header too large", Parser{MaxHeaderBytes: 500}, big + "\r\n", ErrHeaderTooLarge, 462},
		{"header too large at end line", Parser{MaxHeaderBytes: 770}, big + "\r\n", ErrHeaderTooLarge, 772},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := tt.p.ParseHeader([]byte(tt.in))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Offset != tt.off {
				t.Errorf("offset: %v, want %d", err, tt.off)
			}
			if !strings.HasPrefix(err.Error(), "rfc5322: ") {
				t.Errorf("message %q lacks the package prefix", err)
			}
			// The reader path agrees.
			_, rerr := tt.p.ReadHeader(bufio.NewReader(strings.NewReader(tt.in)))
			if !errors.Is(rerr, tt.want) {
				t.Errorf("ReadHeader err = %v, want %v", rerr, tt.want)
			}
		})
	}
}

// A reader that would hand out endless header bytes costs only the limit.
func TestReadHeaderStopsAtLimit(t *testing.T) {
	endless := io.MultiReader(strings.NewReader("X: "), infiniteA{})
	p := Parser{MaxHeaderBytes: 1 << 16}
	_, err := p.ReadHeader(bufio.NewReaderSize(endless, 4096))
	if !errors.Is(err, ErrHeaderTooLarge) {
		t.Fatalf("err = %v", err)
	}
}

type infiniteA struct{}

func (infiniteA) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = 'a'
	}
	return len(b), nil
}

func TestReadMessage(t *testing.T) {
	msg := readFixture(t)
	m, err := ReadMessage(bytes.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(m.Body)
	_, n, _ := ParseHeader(msg)
	if !bytes.Equal(body, msg[n:]) {
		t.Error("body differs")
	}
	if m.Header.Len() != 20 || m.Header.Get("X-Mailer") != "Thunderbird 128.5.0" {
		t.Error("header differs")
	}
	// A tiny bufio buffer splits long lines: same result.
	h, err := ReadHeader(bufio.NewReaderSize(bytes.NewReader(msg), 16))
	if err != nil || h.Len() != 20 || h.Get("Authentication-Results") != m.Header.Get("Authentication-Results") {
		t.Errorf("small buffer: %v", err)
	}
	// LF only, mbox line, and header with no body.
	for _, in := range []string{"From x\nA: 1\n\nbody", "A: 1\r\n", "A: 1\n \n\nbody"} {
		br := bufio.NewReader(strings.NewReader(in))
		h, err := ReadHeader(br)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		rest, _ := io.ReadAll(br)
		_, n, _ := ParseHeader([]byte(in))
		if string(rest) != in[n:] || h.Len() != 1 {
			t.Errorf("%q: rest %q, %d fields", in, rest, h.Len())
		}
	}
}

func TestHeaderEditing(t *testing.T) {
	h, _, err := ParseHeader([]byte("A: 1\r\nB: 2\r\na: 3\r\nC: 4\r\n\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	c := h.Clone()
	h.Set("a", "x")
	if got := h.Values("A"); len(got) != 1 || got[0] != "x" {
		t.Errorf("after Set: %q", got)
	}
	if h.Len() != 3 || h.Field(0).Name() != "a" {
		t.Errorf("Set should replace in place: %d, %q", h.Len(), h.Field(0).Name())
	}
	h.Add("D", "5")
	h.Del("b")
	h.Set("E", "6")
	var names []string
	for _, f := range h.Fields() {
		names = append(names, f.Name())
	}
	if strings.Join(names, ",") != "a,C,D,E" {
		t.Errorf("names %v", names)
	}
	if c.Len() != 4 || c.Get("A") != "1" {
		t.Error("Clone shares edits")
	}
	if h.Has("B") || !h.Has("e") {
		t.Error("Has")
	}
	var zero Header
	zero.Add("X", "y")
	if zero.Get("x") != "y" || zero.Get("missing") != "" {
		t.Error("zero Header")
	}
}

func TestAddressListJoinsFields(t *testing.T) {
	h, _, _ := ParseHeader([]byte("To: a@b,\r\n c@d\r\nCc: x@y\r\nto: e@f\r\n\r\n"))
	l, err := h.AddressList("TO")
	if err != nil || len(l) != 3 || l[2].Addr != "e@f" {
		t.Errorf("got %q, %v", l, err)
	}
	if l, err := h.AddressList("Bcc"); l != nil || err != nil {
		t.Errorf("missing field: %q, %v", l, err)
	}
}

func TestZeroField(t *testing.T) {
	var h Header
	f, ok := h.Lookup("Missing")
	if ok || f.Name() != "" || f.Value() != "" || f.RawValue() != nil || f.Raw() != nil || f.Is("x") {
		t.Error("zero Field")
	}
	if s, err := f.Text(); s != "" || err != nil {
		t.Error("zero Field Text")
	}
}
