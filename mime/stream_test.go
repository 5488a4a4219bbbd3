package mime

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"mime/quotedprintable"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/relaykit/relaykit/rfc5322"
)

// chunkWriter counts the writes it gets.
type chunkWriter struct {
	bytes.Buffer
	calls int
}

func (w *chunkWriter) Write(p []byte) (int, error) {
	w.calls++
	return w.Buffer.Write(p)
}

// WriteEntity writes what AppendEntity appends, octet for octet.
func TestWriteEntityMatchesAppend(t *testing.T) {
	big := bytes.Repeat([]byte("line of text, long enough to fill a buffer or two\n"), 5000)
	qp := bytes.Repeat([]byte("façade "), 30000) // one long quoted-printable line
	bin := make([]byte, 200<<10)
	for i := range bin {
		bin[i] = byte(i * 7)
	}
	n := Mixed(
		Alternative(Text("Hello\n"), HTML("<p>Hello</p>\n")),
		Attachment("big.txt", "text/plain", big),
		Attachment("qp.txt", "text/plain", qp),
		Attachment("bin", "", bin),
	)
	want, err := n.AppendEntity(nil)
	if err != nil {
		t.Fatal(err)
	}
	var w chunkWriter
	if err := n.WriteEntity(&w); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(w.Bytes(), want) {
		t.Fatalf("WriteEntity wrote %d octets, AppendEntity %d; they differ", w.Len(), len(want))
	}
	if w.calls < 3 {
		t.Errorf("%d writes for %d octets: not streamed", w.calls, w.Len())
	}
	checkLines(t, want)
	if d := cmp.Diff(flatten(n), readBack(t, want)); d != "" {
		t.Errorf("(-built +read):\n%s", d)
	}
}

// A leaf with a Reader is streamed in base64 and reads back as its
// content (text with CRLF line ends), however the reader splits it.
func TestBuildReaderLeaf(t *testing.T) {
	text := "first line\nsecond\r\nthird\rbare CR\n" + strings.Repeat("x", 20000) + "\n\r"
	bin := make([]byte, 100000)
	for i := range bin {
		bin[i] = byte(i*13 + i>>8)
	}
	srcs := map[string]func(io.Reader) io.Reader{
		"whole":    func(r io.Reader) io.Reader { return r },
		"one byte": iotest.OneByteReader,
		"half":     iotest.HalfReader,
		"data err": iotest.DataErrReader,
	}
	for name, src := range srcs {
		t.Run(name, func(t *testing.T) {
			n := Mixed(
				&Node{MediaType: "text/plain", Filename: "t.txt", Reader: src(strings.NewReader(text))},
				&Node{MediaType: "application/octet-stream", Filename: "b.bin", Reader: src(bytes.NewReader(bin))},
			)
			var w bytes.Buffer
			if err := n.WriteEntity(&w); err != nil {
				t.Fatal(err)
			}
			msg := w.Bytes()
			checkLines(t, msg)
			want := []leafOut{
				{"text/plain", "t.txt", "", appendCRLF(nil, []byte(text))},
				{"application/octet-stream", "b.bin", "", bin},
			}
			if d := cmp.Diff(want, readBack(t, msg)); d != "" {
				t.Errorf("(-want +read):\n%s", d)
			}
			if !bytes.Contains(msg, []byte("charset=utf-8")) {
				t.Error("text Reader leaf without charset=utf-8")
			}
		})
	}
	// A reader's error stops the write and is returned.
	boom := io.ErrClosedPipe
	n := Mixed(Text("x"), &Node{MediaType: "application/pdf", Reader: iotest.ErrReader(boom)})
	if err := n.WriteEntity(io.Discard); err != boom {
		t.Errorf("err = %v, want the reader's", err)
	}
}

// quoted-printable as written decodes (with the standard library's
// reader) to the text with CRLF line ends, in lines of at most 76.
func FuzzAppendQP(f *testing.F) {
	f.Add([]byte("Grüße =?x?= \n trailing space \t\nno end"))
	f.Add(bytes.Repeat([]byte("é"), 200))
	f.Add([]byte(strings.Repeat("a", 75) + "=\n" + strings.Repeat("b ", 60)))
	f.Fuzz(func(t *testing.T, text []byte) {
		if bytes.IndexByte(text, '\r') >= 0 {
			return // bare CRs make text base64 (chooseEncoding)
		}
		enc := appendQP(nil, text)
		for _, l := range bytes.Split(enc, []byte("\r\n")) {
			if len(l) > 76 {
				t.Fatalf("line of %d: %q", len(l), l)
			}
		}
		got, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(enc)))
		if err != nil {
			t.Fatalf("%v decoding %q", err, enc)
		}
		if want := appendCRLF(nil, text); !bytes.Equal(got, want) {
			t.Fatalf("decoded %q, want %q (encoded %q)", got, want, enc)
		}
	})
}

// Issue 16 (streaming build): a 50 MB attachment read from an io.Reader
// is written with WriteMessage in bounded memory, never held whole: the
// writer's output goes through a pipe to a Walker that decodes it, and
// both together allocate under 2 MiB.
func TestWriteMessageLargeAttachmentBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("50 MB")
	}
	const size = 50 << 20
	data := &patternReader{left: size}
	b := &rfc5322.Builder{
		From:    []rfc5322.Address{{Addr: "alice@example.org"}},
		To:      []rfc5322.Address{{Addr: "bob@example.org"}},
		Subject: "big",
		Date:    time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC),
		Rand:    bytes.NewReader(make([]byte, 64)),
	}
	n := Mixed(Text("the file\n"), &Node{MediaType: "application/octet-stream", Filename: "big.bin", Reader: data})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		_, err := n.WriteMessage(pw, b)
		pw.CloseWithError(err)
		errc <- err
	}()
	w := NewWalker(pr, nil)
	h := sha256.New()
	var decoded int64
	for {
		p, err := w.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if p.Filename() != "big.bin" {
			continue
		}
		d, err := w.Decoded()
		if err != nil {
			t.Fatal(err)
		}
		if decoded, err = io.Copy(h, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	want := sha256.New()
	io.Copy(want, &patternReader{left: size})
	if decoded != size || !bytes.Equal(h.Sum(nil), want.Sum(nil)) {
		t.Fatalf("decoded %d octets, want %d, hashes equal %v", decoded, size, bytes.Equal(h.Sum(nil), want.Sum(nil)))
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("50 MB attachment written and read back with %d KiB allocated", alloc>>10)
	if alloc > 2<<20 {
		t.Errorf("%d KiB allocated, budget 2 MiB", alloc>>10)
	}
}

// patternReader yields left octets of a fixed non-repeating-looking
// pattern, generated as read.
type patternReader struct {
	left int64
	i    uint32
}

func (r *patternReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.left)]
	for k := range p {
		r.i = r.i*1664525 + 1013904223
		p[k] = byte(r.i >> 24)
	}
	r.left -= int64(len(p))
	return len(p), nil
}

// The quoted-printable reader agrees with the standard library's
// wherever that one does not fail, and never fails itself.
func FuzzQPReader(f *testing.F) {
	f.Add([]byte("caf=C3=A9 =\r\nsoft=XX=\r\ntrailing  \t\r\nlf=\nend="), uint8(0))
	f.Add([]byte(strings.Repeat("a", 5000)+"=4\n"+strings.Repeat(" ", 5000)+"x"), uint8(3))
	f.Add([]byte("=\r\n=0a=0A=zz="), uint8(1))
	f.Fuzz(func(t *testing.T, in []byte, split uint8) {
		src := func() io.Reader {
			switch split % 3 {
			case 1:
				return iotest.OneByteReader(bytes.NewReader(in))
			case 2:
				return iotest.HalfReader(bytes.NewReader(in))
			}
			return bytes.NewReader(in)
		}
		got, err := io.ReadAll(&qpReader{r: src()})
		if err != nil {
			t.Fatal(err)
		}
		// Reads of one octet (decoded through the reader's own
		// buffer) give the same.
		small, err := io.ReadAll(iotest.OneByteReader(&qpReader{r: src()}))
		if err != nil || !bytes.Equal(small, got) {
			t.Fatalf("%q: one octet at a time %q, %v; at once %q", in, small, err, got)
		}
		// Part.Decode decodes in place, whole lines into large reads,
		// through the buffer for small ones.
		p := &Part{Encoding: "quoted-printable", End: int64(len(in))}
		for _, wrap := range []func(io.Reader) io.Reader{func(r io.Reader) io.Reader { return r }, iotest.OneByteReader, iotest.HalfReader} {
			r, _ := p.Decode(in)
			if whole, err := io.ReadAll(wrap(r)); err != nil || !bytes.Equal(whole, got) {
				t.Fatalf("%q: Part.Decode %q, %v; reader %q", in, whole, err, got)
			}
		}
		want, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(in)))
		if err != nil {
			return
		}
		// The one deliberate difference: a run of white space longer
		// than the buffer is let through even at a line end.
		if bytes.Contains(in, bytes.Repeat([]byte(" "), 1000)) {
			return
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%q: got %q, mime/quotedprintable %q", in, got, want)
		}
	})
}

// Base64Reader over inputs longer than its buffers, with lines that
// split groups, read into large buffers (decoded into directly) and
// small ones, from whole and split sources.
func TestBase64ReaderLarge(t *testing.T) {
	data := make([]byte, 100000)
	for i := range data {
		data[i] = byte(i*31 + i>>7)
	}
	enc := base64.StdEncoding.EncodeToString(data)
	for _, lineLen := range []int{76, 75, 1000} {
		var in bytes.Buffer
		for s := enc; len(s) > 0; {
			n := min(lineLen, len(s))
			in.WriteString(s[:n] + "\r\n")
			s = s[n:]
		}
		for _, bufLen := range []int{1, 100, 511, 512, 3075, 8192, 1 << 20} {
			for name, src := range map[string]func(io.Reader) io.Reader{
				"whole": func(r io.Reader) io.Reader { return r },
				"half":  iotest.HalfReader,
				// The last data comes with io.EOF.
				"dataerr": iotest.DataErrReader,
			} {
				r := NewBase64Reader(src(bytes.NewReader(in.Bytes())))
				var got []byte
				buf := make([]byte, bufLen)
				for {
					n, err := r.Read(buf)
					got = append(got, buf[:n]...)
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatal(err)
					}
				}
				if !bytes.Equal(got, data) || r.Malformed() {
					t.Errorf("lines of %d, reads of %d, %s: decoded %d octets, malformed %v; want the %d encoded", lineLen, bufLen, name, len(got), r.Malformed(), len(data))
				}
			}
		}
	}
}

// lastWithEOF yields three sextets, then 4096 more octets of base64
// together with io.EOF.
type lastWithEOF struct{ n int }

func (r *lastWithEOF) Read(p []byte) (int, error) {
	r.n++
	if r.n == 1 {
		return copy(p, "QUJ"), nil
	}
	return copy(p, strings.Repeat("QUJD", 1024)), io.EOF
}

// A regression: three carried sextets, a whole 4 KiB read that comes
// with io.EOF, and small reads made the old decoder write its last
// partial group one past its 3 KiB output array (a panic).
func TestBase64ReaderCarryAtEOF(t *testing.T) {
	b := NewBase64Reader(&lastWithEOF{})
	var got []byte
	buf := make([]byte, 100)
	for {
		n, err := b.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	// 4099 sextets: 1024 groups and a last group of three.
	want, err := base64.RawStdEncoding.DecodeString("QUJ" + strings.Repeat("QUJD", 1024))
	if err != nil || len(want) != 3074 {
		t.Fatal(len(want), err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("decoded %d octets, want the %d encoded", len(got), len(want))
	}
}
