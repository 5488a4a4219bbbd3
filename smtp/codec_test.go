package smtp

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReplyReader(t *testing.T) {
	for _, tc := range []struct {
		in    string
		code  int
		enh   EnhancedCode
		text  string
		err   error
		after string // what remains unread
	}{
		{in: "250 OK\r\n", code: 250, text: "OK"},
		{in: "250\r\n", code: 250},
		{in: "250 2.1.0 Sender OK\r\n", code: 250, enh: EnhancedCode{2, 1, 0}, text: "Sender OK"},
		{in: "550-5.1.1 No such\r\n550-5.1.1 user here\r\n550 5.1.1 sorry\r\n", code: 550, enh: EnhancedCode{5, 1, 1}, text: "No such\nuser here\nsorry"},
		{in: "250-mx.example\r\n250-PIPELINING\r\n250 SIZE 100\r\nNEXT", code: 250, text: "mx.example\nPIPELINING\nSIZE 100", after: "NEXT"},
		// The enhanced code's class must match the reply code.
		{in: "250 5.1.1 odd\r\n", code: 250, text: "5.1.1 odd"},
		{in: "250 2.1 partial\r\n", code: 250, text: "2.1 partial"},
		{in: "421 4.3.2 bye\n", code: 421, enh: EnhancedCode{4, 3, 2}, text: "bye"},
		{in: "250-a\r\n251 b\r\n", err: ErrReplySyntax},
		{in: "25 x\r\n", err: ErrReplySyntax},
		{in: "600 x\r\n", err: ErrReplySyntax},
		{in: "250x\r\n", err: ErrReplySyntax},
		{in: "250-a\r\n", err: io.EOF},
		{in: "250 a", err: io.ErrUnexpectedEOF},
		{in: "250 " + strings.Repeat("x", 3000) + "\r\n250 next\r\n", err: ErrLineTooLong, after: "250 next\r\n"},
	} {
		rr := NewReplyReader(bufio.NewReader(strings.NewReader(tc.in)))
		code, enh, text, err := rr.Read()
		if !errors.Is(err, tc.err) {
			t.Errorf("%q: err %v, want %v", tc.in, err, tc.err)
			continue
		}
		if err == nil && (code != tc.code || enh != tc.enh || string(text) != tc.text) {
			t.Errorf("%q: got %d %v %q, want %d %v %q", tc.in, code, enh, text, tc.code, tc.enh, tc.text)
		}
		if tc.after != "" {
			rest, _ := io.ReadAll(rr.R)
			if string(rest) != tc.after {
				t.Errorf("%q: left %q, want %q", tc.in, rest, tc.after)
			}
		}
	}
}

func TestReplyReaderBounds(t *testing.T) {
	// A reply of many lines is bounded in lines, and reading it is linear:
	// each line is appended once.
	in := strings.Repeat("250-x\r\n", 1000) + "250 end\r\n"
	rr := NewReplyReader(bufio.NewReader(strings.NewReader(in)))
	if _, _, _, err := rr.Read(); !errors.Is(err, ErrReplySyntax) {
		t.Fatalf("1001-line reply: %v", err)
	}
	rr = &ReplyReader{R: bufio.NewReader(strings.NewReader(in)), MaxLines: 2000}
	if _, _, text, err := rr.Read(); err != nil || len(text) != 1000*2+3 {
		t.Fatalf("raised limit: %v %d", err, len(text))
	}
	r, err := NewReplyReader(bufio.NewReader(strings.NewReader("552-5.3.4 a\r\n552 5.3.4 b\r\n"))).ReadReply()
	if err != nil {
		t.Fatal(err)
	}
	var e *Error
	if !errors.As(r.Err(), &e) || e.Code != 552 || e.Message != "a\nb" || !e.Permanent || e.Error() != "smtp: 552 5.3.4 a\nb" {
		t.Fatalf("%#v", r.Err())
	}
	if (&Reply{Code: 250}).Err() != nil {
		t.Fatal("250 is an error")
	}
}

func TestAppendReply(t *testing.T) {
	for _, tc := range []struct {
		code int
		enh  EnhancedCode
		text string
		want string
	}{
		{250, EnhancedCode{}, "OK", "250 OK\r\n"},
		{250, EnhancedCode{2, 0, 0}, "OK", "250 2.0.0 OK\r\n"},
		{550, EnhancedCode{5, 1, 1}, "a\nb", "550-5.1.1 a\r\n550 5.1.1 b\r\n"},
		{250, EnhancedCode{}, "x\r\n250 injected", "250-x \r\n250 250 injected\r\n"},
		{221, EnhancedCode{2, 0, 0}, "", "221 2.0.0\r\n"},
	} {
		got := string(AppendReply(nil, tc.code, tc.enh, tc.text))
		if got != tc.want {
			t.Errorf("AppendReply(%d, %v, %q) = %q, want %q", tc.code, tc.enh, tc.text, got, tc.want)
		}
		// Round trip through the reader.
		code, enh, _, err := NewReplyReader(bufio.NewReader(strings.NewReader(got))).Read()
		if err != nil || code != tc.code || enh != tc.enh {
			t.Errorf("%q: read back %d %v %v", got, code, enh, err)
		}
	}
}

func TestXtext(t *testing.T) {
	for _, tc := range []struct{ dec, enc string }{
		{"", ""},
		{"abc", "abc"},
		{"a+b=c", "a+2Bb+3Dc"},
		{"a b\r\n", "a+20b+0D+0A"},
		{"ü", "+C3+BC"},
	} {
		if got := string(AppendXtext(nil, tc.dec)); got != tc.enc {
			t.Errorf("AppendXtext(%q) = %q, want %q", tc.dec, got, tc.enc)
		}
		got, err := AppendXtextDecoded(nil, []byte(tc.enc))
		if err != nil || string(got) != tc.dec {
			t.Errorf("decode(%q) = %q %v", tc.enc, got, err)
		}
	}
	for _, bad := range []string{"+", "+4", "+4g", "+4a", "a=b", "a b", "\x7f"} {
		if _, err := AppendXtextDecoded(nil, []byte(bad)); !errors.Is(err, ErrXtextSyntax) {
			t.Errorf("decode(%q): %v", bad, err)
		}
	}
	// Hexchars for printable bytes are accepted.
	if got, err := AppendXtextDecoded(nil, []byte("+41")); err != nil || string(got) != "A" {
		t.Errorf("+41: %q %v", got, err)
	}
}

func readData(t *testing.T, in string, bufSize int, mod func(*DataReader)) (got, rest string, err error) {
	t.Helper()
	br := bufio.NewReaderSize(iotest.OneByteReader(strings.NewReader(in)), bufSize)
	if bufSize == 0 {
		br = bufio.NewReaderSize(strings.NewReader(in), 16)
	}
	d := NewDataReader(br)
	if mod != nil {
		mod(d)
	}
	b, err := io.ReadAll(d)
	r, _ := io.ReadAll(br)
	return string(b), string(r), err
}

func TestDataReader(t *testing.T) {
	for _, tc := range []struct {
		in, want, rest string
		err            error
	}{
		{in: ".\r\n", want: ""},
		{in: "a\r\n.\r\nNEXT", want: "a\r\n", rest: "NEXT"},
		{in: "..\r\n.a\r\n...\r\n.\r\n", want: ".\r\na\r\n..\r\n"},
		{in: "a\r\n. \r\n.\r\n", want: "a\r\n \r\n"},
		{in: "line without end", err: io.ErrUnexpectedEOF},
		{in: "a\r\n.", err: io.ErrUnexpectedEOF},
		// Smuggling variants: never an end, always an error at the real end.
		{in: "a\n.\nMAIL FROM:<x@y>\r\n.\r\nREST", err: ErrBareLineEnding, rest: "REST"},
		{in: "a\n.\r\nMAIL FROM:<x@y>\r\n.\r\nREST", err: ErrBareLineEnding, rest: "REST"},
		{in: "a\r\n.\nMAIL FROM:<x@y>\r\n.\r\nREST", err: ErrBareLineEnding, rest: "REST"},
		{in: "a\r.\rMAIL FROM:<x@y>\r\n.\r\nREST", err: ErrBareLineEnding, rest: "REST"},
		{in: "a\r\n.\r\r\n.\r\nREST", err: ErrBareLineEnding, rest: "REST"},
		{in: "\n.\r\n.\r\nREST", err: ErrBareLineEnding, rest: "REST"},
		{in: "a\r\r\n.\r\nREST", err: ErrBareLineEnding, rest: "REST"},
		{in: "\r\n.\r\n", want: "\r\n"},
		{in: strings.Repeat("x", 40) + "\r\n.\r\nR", want: strings.Repeat("x", 40) + "\r\n", rest: "R"},
		{in: strings.Repeat("x", 15) + "\r\r\n.\r\nR", err: ErrBareLineEnding, rest: "R"},
		{in: strings.Repeat("x", 15) + "\r\n.\r\nR", want: strings.Repeat("x", 15) + "\r\n", rest: "R"},
		{in: strings.Repeat("x", 15) + "\n\r\n.\r\nR", err: ErrBareLineEnding, rest: "R"},
	} {
		for _, size := range []int{0, 16, 4096} {
			got, rest, err := readData(t, tc.in, size, nil)
			if !errors.Is(err, tc.err) {
				t.Errorf("%q (buf %d): err %v, want %v", tc.in, size, err, tc.err)
				continue
			}
			if tc.err == nil && got != tc.want {
				t.Errorf("%q (buf %d): got %q, want %q", tc.in, size, got, tc.want)
			}
			if tc.err != io.ErrUnexpectedEOF && rest != tc.rest {
				t.Errorf("%q (buf %d): rest %q, want %q", tc.in, size, rest, tc.rest)
			}
		}
	}
}

func TestDataReaderLimits(t *testing.T) {
	_, rest, err := readData(t, "0123456789\r\n0123456789\r\n.\r\nR", 4096, func(d *DataReader) { d.MaxSize = 20 })
	if !errors.Is(err, ErrMessageTooLarge) || rest != "R" {
		t.Fatalf("size: %v %q", err, rest)
	}
	got, _, err := readData(t, "0123456789\r\n.\r\n", 4096, func(d *DataReader) { d.MaxSize = 12 })
	if err != nil || got != "0123456789\r\n" {
		t.Fatalf("exact size: %q %v", got, err)
	}
	long := strings.Repeat("x", 999) + "\r\n.\r\nR"
	if _, rest, err := readData(t, long, 64, nil); !errors.Is(err, ErrLineTooLong) || rest != "R" {
		t.Fatalf("long line: %v %q", err, rest)
	}
	if got, _, err := readData(t, long, 64, func(d *DataReader) { d.MaxLineLength = -1 }); err != nil || len(got) != 1001 {
		t.Fatalf("unlimited: %d %v", len(got), err)
	}
	if _, _, err := readData(t, strings.Repeat("x", 998)+"\r\n.\r\n", 64, nil); err != nil {
		t.Fatalf("998+CRLF: %v", err)
	}
	// Discard positions the stream after the terminator.
	br := bufio.NewReader(strings.NewReader("a\r\nb\r\n.\r\nREST"))
	d := NewDataReader(br)
	if err := d.Discard(); err != nil || !d.Done() || d.Size() != 6 {
		t.Fatalf("Discard: %v %v %d", err, d.Done(), d.Size())
	}
	rest, _ = func() (string, error) { b, err := io.ReadAll(br); return string(b), err }()
	if rest != "REST" {
		t.Fatalf("after Discard: %q", rest)
	}
}

func writeData(in []string, normalize bool) (string, error) {
	var b bytes.Buffer
	w := NewDataWriter(&b)
	w.Normalize = normalize
	for _, s := range in {
		if _, err := w.Write([]byte(s)); err != nil {
			return b.String(), err
		}
	}
	err := w.Close()
	return b.String(), err
}

func TestDataWriter(t *testing.T) {
	for _, tc := range []struct {
		in        []string
		normalize bool
		want      string
		err       error
	}{
		{in: nil, want: ".\r\n"},
		{in: []string{"a\r\n"}, want: "a\r\n.\r\n"},
		{in: []string{"a"}, want: "a\r\n.\r\n"},
		{in: []string{".a\r\n..\r\n.\r\n"}, want: "..a\r\n...\r\n..\r\n.\r\n"},
		{in: []string{"a\r", "\n.", "b"}, want: "a\r\n..b\r\n.\r\n"},
		{in: []string{"a\r\n", ".\r\n"}, want: "a\r\n..\r\n.\r\n"},
		{in: []string{"a\nb"}, err: ErrBareLineEnding},
		{in: []string{"a\rb"}, err: ErrBareLineEnding},
		{in: []string{"a\r"}, err: ErrBareLineEnding},
		{in: []string{"a\r", "b"}, err: ErrBareLineEnding},
		{in: []string{"\n"}, err: ErrBareLineEnding},
		{in: []string{"a\nb"}, normalize: true, want: "a\r\nb\r\n.\r\n"},
		{in: []string{"a\rb\r"}, normalize: true, want: "a\r\nb\r\n.\r\n"},
		{in: []string{"a\n.\nb"}, normalize: true, want: "a\r\n..\r\nb\r\n.\r\n"},
		{in: []string{"a\r", ".b"}, normalize: true, want: "a\r\n..b\r\n.\r\n"},
		{in: []string{"\r\r\n\n"}, normalize: true, want: "\r\n\r\n\r\n.\r\n"},
	} {
		got, err := writeData(tc.in, tc.normalize)
		if !errors.Is(err, tc.err) {
			t.Errorf("%q: err %v, want %v", tc.in, err, tc.err)
			continue
		}
		if err == nil && got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDataRoundTrip(t *testing.T) {
	for _, msg := range []string{"", "a\r\n", ".\r\n", "..\r\n.\r\n", "x\r\n.\r\n.y\r\n", strings.Repeat(".a\r\n", 1000)} {
		var b bytes.Buffer
		w := NewDataWriter(&b)
		io.WriteString(w, msg)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		got, rest, err := readData(t, b.String()+"NEXT", 4096, nil)
		if err != nil || got != msg || rest != "NEXT" {
			t.Errorf("%q: got %q %v rest %q", msg, got, err, rest)
		}
	}
}
