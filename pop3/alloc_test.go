package pop3

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"
)

var benchMsg = strings.Repeat("Received: from a by b; Sat, 5 Dec 2026 15:00:00 +0000\n", 8) + "\n" + strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit.\n.dot\n", 60)

// TestWriteMessageAllocs: sending a message allocates nothing once the
// buffers exist.
func TestWriteMessageAllocs(t *testing.T) {
	r := bufio.NewReaderSize(nil, 32<<10)
	w := bufio.NewWriterSize(io.Discard, 8<<10)
	src := strings.NewReader(benchMsg)
	allocs := testing.AllocsPerRun(100, func() {
		src.Reset(benchMsg)
		r.Reset(src)
		writeMessage(w, r, -1)
	})
	if allocs > 0 {
		t.Errorf("writeMessage: %v allocs/op, budget 0", allocs)
	}
}

func BenchmarkWriteMessage(b *testing.B) {
	r := bufio.NewReaderSize(nil, 32<<10)
	w := bufio.NewWriterSize(io.Discard, 8<<10)
	src := strings.NewReader(benchMsg)
	b.SetBytes(int64(len(benchMsg)))
	b.ReportAllocs()
	for b.Loop() {
		src.Reset(benchMsg)
		r.Reset(src)
		writeMessage(w, r, -1)
	}
}

func BenchmarkDotReader(b *testing.B) {
	var wire bytes.Buffer
	w := bufio.NewWriter(&wire)
	writeMessage(w, bufio.NewReader(strings.NewReader(benchMsg)), -1)
	w.Flush()
	data := wire.Bytes()
	src := bytes.NewReader(data)
	r := bufio.NewReaderSize(src, 32<<10)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		src.Reset(data)
		r.Reset(src)
		io.Copy(io.Discard, DotReader(r))
	}
}
