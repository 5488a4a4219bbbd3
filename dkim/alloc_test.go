package dkim

import (
	"context"
	"crypto/sha256"
	"hash"
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

// nopHash is a hash that discards its input, to time canonicalization
// alone.
type nopHash struct{}

func (nopHash) Write(p []byte) (int, error) { return len(p), nil }
func (nopHash) Sum(b []byte) []byte         { return b }
func (nopHash) Reset()                      {}
func (nopHash) Size() int                   { return 0 }
func (nopHash) BlockSize() int              { return 64 }

// BenchmarkBodyCanon canonicalizes two bodies of 64 KiB: "messy" lines
// full of WSP runs and trailing WSP, and "text", plain 72-character
// lines with single spaces, as most mail is; hash=none discards the
// output, to time canonicalization without SHA-256.
func BenchmarkBodyCanon(b *testing.B) {
	bodies := []struct{ name, line string }{
		{"messy", "The crepes are  ready, Bob.\t \r\n"},
		{"text", "Mix the flour and the eggs, then add the milk slowly, stirring well.\r\n"},
	}
	for _, bd := range bodies {
		body := []byte(strings.Repeat(bd.line, 64<<10/len(bd.line)))
		for _, hashed := range []bool{true, false} {
			for _, c := range []Canonicalization{Simple, Relaxed} {
				name := "body=" + bd.name + "/canon=" + string(c) + "/hash=sha256"
				if !hashed {
					name = strings.TrimSuffix(name, "sha256") + "none"
				}
				b.Run(name, func(b *testing.B) {
					b.ReportAllocs()
					b.SetBytes(int64(len(body)))
					defer reportCPU(b)()
					for b.Loop() {
						var h hash.Hash = nopHash{}
						if hashed {
							h = sha256.New()
						}
						bc := newBodyCanon(h, c, -1)
						bc.Write(body)
						bc.finish()
					}
				})
			}
		}
	}
}

// TestAppendStripB: only the value of b= goes (RFC 6376 3.7), whatever
// the folding around its name; bh= and everything else stay byte for
// byte.
func TestAppendStripB(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"DKIM-Signature: v=1; bh=abc; b=xyz", "DKIM-Signature: v=1; bh=abc; b="},
		{"DKIM-Signature: v=1; b=xy\r\n z; d=a", "DKIM-Signature: v=1; b=; d=a"},
		{"DKIM-Signature: v=1; \r\n b =xyz;\r\n", "DKIM-Signature: v=1; \r\n b =;\r\n"},
		{"DKIM-Signature: b=xyz\r\n", "DKIM-Signature: b=\r\n"},
		{"DKIM-Signature: bb=1; ab=2; b b=3", "DKIM-Signature: bb=1; ab=2; b b=3"},
		{"DKIM-Signature: v=1; x", "DKIM-Signature: v=1; x"},
	} {
		if got := string(appendStripB(nil, []byte(tc.in))); got != tc.want {
			t.Errorf("%q:\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

// TestVerifyAllocs: verifying a message with one signature stays within
// its allocation budget, whatever the body's length (the body is never
// held; the header fields are canonicalized into one buffer).
func TestVerifyAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector adds allocations")
	}
	ek := rfc8463Key()
	dns := fakeDNS{"ed._domainkey.crepes.fr": {keyRecord(ek.Public())}}
	for _, size := range []int{0, 64 << 10} {
		signed := signMsg(t, testMsg+strings.Repeat("Bob, the crepes  are ready.\t\r\n", size/31), SignOptions{Domain: "crepes.fr", Selector: "ed", Key: ek})
		for _, cache := range []*KeyCache{nil, {}} {
			v := &Verifier{Resolver: dns, KeyCache: cache}
			r := strings.NewReader(signed)
			n := testing.AllocsPerRun(20, func() {
				r.Reset(signed)
				res, err := v.Verify(context.Background(), r)
				if err != nil || res[0].Status != Pass {
					t.Fatal(err, res)
				}
			})
			budget := 22.0
			if cache != nil {
				budget = 19
			}
			if n > budget {
				t.Errorf("body %d bytes, cache %v: %.0f allocs per Verify, budget %.0f", size, cache != nil, n, budget)
			}
		}
	}
}
