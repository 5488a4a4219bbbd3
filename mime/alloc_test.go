package mime

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

// walkAll walks msg with a Walker and reads every leaf decoded into buf.
func walkAll(tb testing.TB, msg, buf []byte) int {
	w := NewWalker(bytes.NewReader(msg), nil)
	n := 0
	for {
		p, err := w.Next()
		if err == io.EOF {
			return n
		}
		if err != nil {
			tb.Fatal(err)
		}
		n++
		if p.IsMultipart() {
			continue
		}
		r, err := w.Decoded()
		if err != nil {
			tb.Fatal(err)
		}
		for {
			_, err := r.Read(buf)
			if err == io.EOF {
				break
			}
			if err != nil {
				tb.Fatal(err)
			}
		}
	}
}

func manyParts(n int) []byte {
	var parts []*Node
	for i := range n {
		if i%2 == 0 {
			parts = append(parts, Text(fmt.Sprintf("part %d, café\n", i)))
		} else {
			parts = append(parts, Attachment(fmt.Sprintf("f%d.bin", i), "application/octet-stream", bytes.Repeat([]byte{byte(i), 0xff}, 3000)))
		}
	}
	msg, err := Mixed(parts...).AppendEntity(nil)
	if err != nil {
		panic(err)
	}
	return msg
}

// The Walker's cost per part is a small constant number of allocations
// (the Part, its header and parameter maps), independent of the part's
// size, and its fixed cost is small too.
func TestWalkerAllocsPerPart(t *testing.T) {
	buf := make([]byte, 4096)
	small, large := manyParts(10), manyParts(40)
	a10 := testing.AllocsPerRun(20, func() { walkAll(t, small, buf) })
	a40 := testing.AllocsPerRun(20, func() { walkAll(t, large, buf) })
	perPart := (a40 - a10) / 30
	t.Logf("%v allocations for 10 parts, %v for 40: %.1f per part", a10, a40, perPart)
	// Measured 8.6 (13.1 before Content-Type and the transfer encoding
	// were read without Header.Get's extra copy).
	if perPart > 10 {
		t.Errorf("%.1f allocations per part, budget 10", perPart)
	}
	// The fixed cost: Walker, read buffer, decoders, the root.
	if fixed := a10 - 10*perPart; fixed > 30 {
		t.Errorf("%.1f allocations besides the parts, budget 30", fixed)
	}
}

func BenchmarkWalker(b *testing.B) {
	msg := manyParts(40)
	buf := make([]byte, 4096)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		walkAll(b, msg, buf)
	}
}
