package mailqueue

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// longLines returns the lines of msg longer than MaxLineLength, CRLF
// excluded.
func longLines(msg []byte) []int {
	var out []int
	for i, l := range bytes.Split(msg, []byte("\r\n")) {
		if len(l) > MaxLineLength {
			out = append(out, i)
		}
	}
	return out
}

// unfold removes the CRLFs that precede a blank (RFC 5322 2.2.3).
func unfold(h []byte) []byte {
	return bytes.ReplaceAll(bytes.ReplaceAll(h, []byte("\r\n "), []byte(" ")), []byte("\r\n\t"), []byte("\t"))
}

func TestFoldLongLines(t *testing.T) {
	var to strings.Builder
	to.WriteString("To: ")
	for i := range 100 {
		if i > 0 {
			to.WriteString(", ")
		}
		to.WriteString("recipient" + strings.Repeat("x", i%7) + "@example.org")
	}
	token := "X-Token: " + strings.Repeat("a", 2500)
	body := strings.Repeat("b", 2100)
	msg := []byte("From: a@example.org\r\n" + to.String() + "\r\n" + token + "\r\nSubject: s\r\n\r\n" + body + "\r\nend\r\n")
	if len(longLines(msg)) != 3 {
		t.Fatalf("test message has %d long lines", len(longLines(msg)))
	}
	out := FoldLongLines(msg)
	if l := longLines(out); len(l) != 0 {
		t.Fatalf("lines %v still longer than %d", l, MaxLineLength)
	}
	hdr, b, ok := bytes.Cut(out, []byte("\r\n\r\n"))
	if !ok {
		t.Fatal("no header end")
	}
	// The To field unfolds to what it was.
	if !bytes.Contains(unfold(hdr), []byte(to.String()+"\r\n")) {
		t.Errorf("To field changed by folding:\n%s", hdr)
	}
	// The blank-less field keeps every octet (one SP per fold added).
	if got, want := strings.Count(string(out), "a"), strings.Count(string(msg), "a"); got != want {
		t.Errorf("%d a's after folding, want %d", got, want)
	}
	if string(bytes.ReplaceAll(b, []byte("\r\n"), nil)) != body+"end" {
		t.Errorf("body changed beyond the inserted line breaks")
	}
	// No long line: the very same slice.
	short := []byte("From: a@example.org\r\n\r\nhi\r\n")
	if got := FoldLongLines(short); &got[0] != &short[0] {
		t.Error("a message without long lines was copied")
	}
}

func TestFoldLongLinesEdges(t *testing.T) {
	for _, msg := range []string{
		"X: " + strings.Repeat(" ", 1200) + "v\r\n\r\n",
		"X: v" + strings.Repeat(" ", 1200) + "\r\n\r\n",
		"\t" + strings.Repeat("c", 3000),
		strings.Repeat("d", 998) + "\r\n" + strings.Repeat("e", 999),
		"H: v\n" + strings.Repeat("f", 1500) + "\n",
	} {
		out := FoldLongLines([]byte(msg))
		for i, l := range bytes.Split(bytes.ReplaceAll(out, []byte("\r\n"), []byte("\n")), []byte("\n")) {
			if len(l) > MaxLineLength {
				t.Errorf("%.20q...: line %d has %d octets", msg, i, len(l))
			}
			if i > 0 && len(bytes.Trim(l, " \t")) == 0 && len(l) > 0 {
				t.Errorf("%.20q...: line %d is only blanks", msg, i)
			}
		}
	}
}

func FuzzFoldLongLines(f *testing.F) {
	f.Add([]byte("To: " + strings.Repeat("a@b, ", 300) + "\r\n\r\nbody\r\n"))
	f.Add([]byte(strings.Repeat("x", 2000)))
	f.Fuzz(func(t *testing.T, msg []byte) {
		out := FoldLongLines(msg)
		for _, l := range bytes.Split(out, []byte("\n")) {
			if len(bytes.TrimSuffix(l, []byte("\r"))) > MaxLineLength {
				t.Fatalf("line of %d octets", len(l))
			}
		}
		if !hasLongLine(msg) && !bytes.Equal(out, msg) {
			t.Fatal("changed a message without long lines")
		}
	})
}

// TestEnqueueFoldsLongLines: a message accepted with a header line over
// 998 octets reaches the deliverer with every line legal.
func TestEnqueueFoldsLongLines(t *testing.T) {
	h := newHarness(t, Config{})
	body := []byte("From: a@example.org\r\nTo: " + strings.Repeat("someone@example.org, ", 80) + "x@example.org\r\n\r\nhi\r\n")
	_, err := h.q.Enqueue(context.Background(), Envelope{From: "a@example.org", Recipients: []Recipient{{Addr: "x@example.com"}}}, body)
	if err != nil {
		t.Fatal(err)
	}
	runFor(h.q, h.clock, 0)
	calls := h.dlv.snapshot()
	if len(calls) != 1 {
		t.Fatalf("%d deliveries", len(calls))
	}
	if l := longLines(calls[0].Txn.Body); len(l) != 0 {
		t.Errorf("delivered lines %v longer than %d", l, MaxLineLength)
	}
}

func TestFoldLongLinesAllocs(t *testing.T) {
	msg := []byte("From: a@example.org\r\nTo: b@example.org\r\n\r\n" + strings.Repeat("a line of text\r\n", 300))
	if n := testing.AllocsPerRun(100, func() { FoldLongLines(msg) }); n != 0 {
		t.Errorf("%v allocs for a message without long lines, want 0", n)
	}
}

func BenchmarkFoldLongLinesShort(b *testing.B) {
	msg := []byte("From: a@example.org\r\nTo: b@example.org\r\n\r\n" + strings.Repeat("a line of text\r\n", 300))
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		FoldLongLines(msg)
	}
}
