package dkim

import (
	"crypto/sha256"
	"strings"
	"testing"

	"github.com/relaykit/relaykit/rfc5322"
)

// TestCanonAllocs: canonicalizing the header fields of a message into a
// warm buffer allocates nothing per field, and the body canonicalizer
// nothing per write.
func TestCanonAllocs(t *testing.T) {
	hdr, _, err := rfc5322.ParseHeader([]byte(testMsg))
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"from", "to", "subject", "date", "message-id", "from"}
	sigField := []byte("DKIM-Signature: v=1; a=ed25519-sha256; h=from:to; bh=x; b=")
	buf := make([]byte, 0, 4096)
	for _, c := range []Canonicalization{Simple, Relaxed} {
		n := testing.AllocsPerRun(100, func() {
			buf, _ = headerHash(buf[:0], hdr, names, c, sigField)
		})
		if n > 0 {
			t.Errorf("%s header canonicalization: %.0f allocs", c, n)
		}
	}
	body := []byte(strings.Repeat("line  with\tspace \r\n", 100))
	bc := newBodyCanon(sha256.New(), Relaxed, -1)
	if n := testing.AllocsPerRun(100, func() { bc.Write(body) }); n > 0 {
		t.Errorf("body canonicalization: %.0f allocs per write", n)
	}
}

func BenchmarkBodyCanon(b *testing.B) {
	body := []byte(strings.Repeat("The crepes are  ready, Bob.\t \r\n", 2000))
	for _, c := range []Canonicalization{Simple, Relaxed} {
		b.Run(string(c), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				bc := newBodyCanon(sha256.New(), c, -1)
				bc.Write(body)
				bc.finish()
			}
		})
	}
}
