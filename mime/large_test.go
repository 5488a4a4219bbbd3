package mime

import (
	"bytes"
	"io"
	"runtime"
	"strings"
	"testing"
)

// linesReader yields head, then line n times, then tail, without ever
// holding the whole message.
type linesReader struct {
	head, line, tail []byte
	n                int
	cur              []byte
}

func (r *linesReader) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		switch {
		case r.head != nil:
			r.cur, r.head = r.head, nil
		case r.n > 0:
			r.cur = r.line
			r.n--
		case r.tail != nil:
			r.cur, r.tail = r.tail, nil
		default:
			return 0, io.EOF
		}
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// Issue 16: a 50 MB attachment is walked and decoded in constant memory.
// The bound is on bytes allocated (deterministic), not on RSS.
func TestWalkerLargeAttachmentConstantMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("50 MB")
	}
	line := []byte(strings.Repeat("QUJD", 19) + "\r\n") // 57 octets a line
	const lines = 50 << 20 / 57
	r := &linesReader{
		head: []byte("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n" +
			"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=big.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n"),
		line: line,
		n:    lines,
		tail: []byte("--b--\r\n"),
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	w := NewWalker(r, nil)
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
		buf := make([]byte, 32<<10)
		pattern := bytes.Repeat([]byte("ABC"), 32<<10/3+2)
		for {
			n, err := d.Read(buf)
			if off := int(decoded % 3); !bytes.Equal(buf[:n], pattern[off:off+n]) {
				t.Fatal("decoded data differs")
			}
			decoded += int64(n)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	runtime.ReadMemStats(&after)
	if want := int64(lines * 57); decoded != want {
		t.Errorf("decoded %d octets, want %d", decoded, want)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("decoded %d MB with %d KiB allocated", decoded>>20, alloc>>10)
	if alloc > 1<<20 {
		t.Errorf("%d KiB allocated for a 50 MB attachment, budget 1 MiB", alloc>>10)
	}
}
