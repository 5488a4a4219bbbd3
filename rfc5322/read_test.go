package rfc5322

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// rawFields returns each field's raw bytes, for comparing headers.
func rawFields(h *Header) []string {
	var out []string
	for _, f := range h.Fields() {
		out = append(out, string(f.Raw()))
	}
	return out
}

// checkReadMatchesParse reads msg through r (a bufio.Reader of size
// size over src(msg)) and checks that ReadHeader returns the header
// ParseHeader finds and leaves exactly the body in r.
func checkReadMatchesParse(t *testing.T, msg []byte, size int, src func(io.Reader) io.Reader) {
	t.Helper()
	checkReadMatchesParseWith(t, Parser{}, msg, size, src)
	checkReadMatchesParseWith(t, Parser{Lenient: true}, msg, size, src)
}

func checkReadMatchesParseWith(t *testing.T, p Parser, msg []byte, size int, src func(io.Reader) io.Reader) {
	t.Helper()
	want, n, werr := p.ParseHeader(msg)
	r := bufio.NewReaderSize(src(bytes.NewReader(msg)), size)
	got, gerr := p.ReadHeader(r)
	if p.Lenient && werr == nil && gerr != nil && errors.Is(gerr, ErrMalformedHeader) && longNameLine(msg, size) {
		// The documented corner: a line that fills the reader's
		// buffer with no colon in it.
		return
	}
	if (werr != nil) != (gerr != nil) {
		t.Fatalf("size %d: ParseHeader error %v, ReadHeader error %v", size, werr, gerr)
	}
	if werr != nil {
		return
	}
	if w, g := strings.Join(rawFields(want), "|"), strings.Join(rawFields(got), "|"); w != g {
		t.Fatalf("size %d: fields differ:\nParseHeader %q\nReadHeader  %q", size, w, g)
	}
	if !bytes.Equal(want.MboxFrom(), got.MboxFrom()) || want.BareLF() != got.BareLF() || len(want.Defects()) != len(got.Defects()) {
		t.Fatalf("size %d: mbox line, BareLF or defects differ", size)
	}
	rest, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rest, msg[n:]) {
		t.Fatalf("size %d: left %q in the reader, want the body %q", size, rest, msg[n:])
	}
	// ReadMessage from a plain io.Reader reads into its own buffer.
	p.MaxHeaderBytes = max(size*8, len(msg)+1)
	m, err := p.ReadMessage(src(bytes.NewReader(msg)))
	if err != nil {
		t.Fatalf("ReadMessage: %v", err)
	}
	if w, g := strings.Join(rawFields(want), "|"), strings.Join(rawFields(m.Header), "|"); w != g {
		t.Fatalf("ReadMessage: fields differ:\nParseHeader %q\nReadMessage %q", w, g)
	}
	if !bytes.Equal(want.MboxFrom(), m.Header.MboxFrom()) || want.BareLF() != m.Header.BareLF() {
		t.Fatalf("ReadMessage: mbox line or BareLF differ")
	}
	if rest, err = io.ReadAll(m.Body); err != nil || !bytes.Equal(rest, msg[n:]) {
		t.Fatalf("ReadMessage: body %q (%v), want %q", rest, err, msg[n:])
	}
}

func TestReadHeaderMatchesParseHeader(t *testing.T) {
	long := "X-Long: " + strings.Repeat("a", 5000) + "\r\n"
	msgs := []string{
		string(readFixture(t)),
		"From: a@b\r\nTo: c@d\r\n\r\nbody\r\n",
		"From: a@b\nTo: c@d\n\nbody\n",
		"\r\nbody only\r\n",
		"\nbody only\n",
		"",
		"From: a@b\r\n",           // no empty line: all header
		"From: a@b\r\nSubject: x", // no line end at EOF
		"From: a@b\r\n\r",         // a lone CR at EOF
		"From: a@b\r\n \r\n folded\r\n\r\nbody",
		"From sender Mon Jan  1 00:00:00 2024\nFrom: a@b\n\nbody",
		long + "From: a@b\r\n\r\nbody", // a line longer than the buffer
		long + long + "\r\n" + long,    // several buffers of header
		"From: a@b\r\n" + strings.Repeat("X: y\r\n", 900) + "\r\nbody",
		"bad line\r\n\r\n",
	}
	srcs := map[string]func(io.Reader) io.Reader{
		"whole":    func(r io.Reader) io.Reader { return r },
		"one byte": iotest.OneByteReader,
		"half":     iotest.HalfReader,
		"data err": iotest.DataErrReader,
	}
	for i, m := range msgs {
		for name, src := range srcs {
			for _, size := range []int{16, 17, 64, 4096} {
				t.Run(name, func(t *testing.T) {
					defer func() {
						if t.Failed() {
							t.Logf("message %d", i)
						}
					}()
					checkReadMatchesParse(t, []byte(m), size, src)
				})
			}
		}
	}
}

func TestReadHeaderLimits(t *testing.T) {
	msg := "From: a@b\r\n" + strings.Repeat("X: y\r\n", 100) + "\r\nbody"
	for _, size := range []int{16, 4096} {
		p := Parser{MaxHeaderBytes: 200}
		_, err := p.ReadHeader(bufio.NewReaderSize(strings.NewReader(msg), size))
		if !errors.Is(err, ErrHeaderTooLarge) {
			t.Errorf("size %d: err = %v, want ErrHeaderTooLarge", size, err)
		}
		p = Parser{MaxFields: 10}
		_, err = p.ReadHeader(bufio.NewReaderSize(strings.NewReader(msg), size))
		if !errors.Is(err, ErrTooManyFields) {
			t.Errorf("size %d: err = %v, want ErrTooManyFields", size, err)
		}
	}
	for _, src := range []func(io.Reader) io.Reader{iotest.OneByteReader, func(r io.Reader) io.Reader { return r }} {
		p := Parser{MaxHeaderBytes: 200}
		if _, err := p.ReadMessage(src(strings.NewReader(msg))); !errors.Is(err, ErrHeaderTooLarge) {
			t.Errorf("ReadMessage: err = %v, want ErrHeaderTooLarge", err)
		}
		p = Parser{MaxHeaderBytes: 700}
		if _, err := p.ReadMessage(src(strings.NewReader(msg))); err != nil {
			t.Errorf("ReadMessage of a 613-octet header with limit 700: %v", err)
		}
	}
	// An endless header line costs at most the limit.
	p := Parser{MaxHeaderBytes: 1 << 16}
	_, err := p.ReadHeader(bufio.NewReader(io.MultiReader(strings.NewReader("X: "), neverEnding('a'))))
	if !errors.Is(err, ErrHeaderTooLarge) {
		t.Errorf("endless line: err = %v, want ErrHeaderTooLarge", err)
	}
}

// longNameLine reports whether a line of msg has no colon in its first
// size octets.
func longNameLine(msg []byte, size int) bool {
	for _, l := range bytes.Split(msg, []byte("\n")) {
		if len(l) >= size && bytes.IndexByte(l[:size], ':') < 0 {
			return true
		}
	}
	return false
}

type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

type neverEnding byte

func (b neverEnding) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

func TestReadHeaderReadError(t *testing.T) {
	boom := errors.New("boom")
	r := bufio.NewReaderSize(io.MultiReader(strings.NewReader("From: a@b\r\n"), iotest.ErrReader(boom)), 16)
	if _, err := ReadHeader(r); !errors.Is(err, boom) {
		t.Errorf("err = %v, want the reader's error", err)
	}
	src := io.MultiReader(strings.NewReader("From: a@b\r\n"), iotest.ErrReader(boom))
	if _, err := ReadMessage(src); !errors.Is(err, boom) {
		t.Errorf("ReadMessage: err = %v, want the reader's error", err)
	}
	// An error after the header is the body reader's.
	src = io.MultiReader(strings.NewReader("From: a@b\r\n\r\nbody"), iotest.ErrReader(boom))
	m, err := ReadMessage(src)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(m.Body); string(b) != "body" || !errors.Is(err, boom) {
		t.Errorf("body %q, %v; want body and the reader's error", b, err)
	}
	if _, err := ReadMessage(zeroReader{}); !errors.Is(err, io.ErrNoProgress) {
		t.Errorf("a reader that returns nothing: err = %v, want io.ErrNoProgress", err)
	}
}

// ReadHeaderInto reuses the Header's memory: one message after another,
// each read correctly, and no allocation once warmed up.
func TestReadHeaderIntoReuses(t *testing.T) {
	msgs := []string{
		"From: a@b\r\nTo: c@d\r\nSubject: one\r\n\r\nbody one",
		"From: e@f\r\n\r\nbody two",
		"From: g@h\r\nCc: i@j\r\nTo: k@l\r\nX: y\r\n\r\nbody three",
	}
	var p Parser
	var h Header
	for _, m := range msgs {
		r := bufio.NewReader(strings.NewReader(m))
		if err := p.ReadHeaderInto(&h, r); err != nil {
			t.Fatal(err)
		}
		want, _, _ := ParseHeader([]byte(m))
		if w, g := strings.Join(rawFields(want), "|"), strings.Join(rawFields(&h), "|"); w != g {
			t.Errorf("fields %q, want %q", g, w)
		}
	}
	// An error leaves h empty.
	if err := p.ReadHeaderInto(&h, bufio.NewReader(strings.NewReader(" bad\r\n\r\n"))); err == nil || h.Len() != 0 {
		t.Errorf("bad header: err %v, %d fields", err, h.Len())
	}
	msg := readFixture(t)
	br := bufio.NewReader(nil)
	src := bytes.NewReader(msg)
	read := func() {
		src.Reset(msg)
		br.Reset(src)
		if err := p.ReadHeaderInto(&h, br); err != nil {
			t.Fatal(err)
		}
	}
	read()
	if allocs := testing.AllocsPerRun(100, read); allocs != 0 {
		t.Errorf("ReadHeaderInto with a reused Header and reader: %v allocs, want 0", allocs)
	}
}

func FuzzReadHeader(f *testing.F) {
	f.Add([]byte("From: a@b\r\nTo: c@d\r\n\r\nbody"), uint8(0))
	f.Add([]byte("From: a@b\n\nbody"), uint8(3))
	f.Add([]byte("X: "+strings.Repeat("a", 40)+"\r\n\r\n"), uint8(1))
	f.Fuzz(func(t *testing.T, msg []byte, size uint8) {
		src := iotest.OneByteReader
		if size&1 == 0 {
			src = func(r io.Reader) io.Reader { return r }
		}
		checkReadMatchesParse(t, msg, 16+int(size), src)
	})
}
