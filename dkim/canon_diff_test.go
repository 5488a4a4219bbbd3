package dkim

import (
	"bytes"
	"math/rand/v2"
	"regexp"
	"testing"
)

// hashSink collects what the body canonicalizer writes.
type hashSink struct{ bytes.Buffer }

func (h *hashSink) Sum(b []byte) []byte { return append(b, h.Bytes()...) }
func (h *hashSink) Reset()              { h.Buffer.Reset() }
func (h *hashSink) Size() int           { return 0 }
func (h *hashSink) BlockSize() int      { return 64 }

var (
	wspRun    = regexp.MustCompile(`[ \t]+`)
	trailWSP  = regexp.MustCompile(` \r\n`)
	bareLF    = regexp.MustCompile(`(^|[^\r])\n`)
	trailCRLF = regexp.MustCompile(`(\r\n)+$`)
)

// naiveBodyCanon is RFC 6376 3.4.3 and 3.4.4 written as directly as
// possible, for whole bodies, with a bare LF read as CRLF as Write does.
func naiveBodyCanon(body []byte, relaxed bool) []byte {
	b := bareLF.ReplaceAll(body, []byte("$1\r\n"))
	b = bareLF.ReplaceAll(b, []byte("$1\r\n")) // "\n\n": the second LF
	if relaxed {
		b = wspRun.ReplaceAll(b, []byte(" "))
		b = trailWSP.ReplaceAll(b, []byte("\r\n"))
		if len(b) > 0 && b[len(b)-1] == ' ' {
			b = b[:len(b)-1]
		}
	}
	b = trailCRLF.ReplaceAll(b, nil)
	if len(b) > 0 {
		b = append(b, '\r', '\n')
	} else if !relaxed {
		b = []byte("\r\n")
	}
	return b
}

// TestBodyCanonDifferential compares the streaming canonicalizer, fed in
// random pieces, with the naive one on random bodies made of the bytes
// that matter.
func TestBodyCanonDifferential(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	// The first alphabet is dense in the bytes that need care; the
	// second is mostly ordinary bytes (controls, 8-bit, the edges of
	// the ranges the eight-bytes-at-a-time scan tests) with single
	// spaces, so that long runs and whole clean words occur.
	alphabets := [][]byte{
		[]byte("ab \t\r\n."),
		[]byte("abcdefghijklmnopqrstuvwxyz\x00\x01\x1f!\x7f\x80\xe0\xff  \t\r\n\x0a\x0d\x0e\x0c\x2d\x20\x21"),
	}
	for i := 0; i < 40000; i++ {
		alphabet := alphabets[i%2]
		body := make([]byte, r.IntN(40+(i%2)*160))
		for j := range body {
			body[j] = alphabet[r.IntN(len(alphabet))]
		}
		for _, relaxed := range []bool{false, true} {
			c := Simple
			if relaxed {
				c = Relaxed
			}
			var h hashSink
			bc := newBodyCanon(&h, c, -1)
			for p := body; len(p) > 0; {
				n := 1 + r.IntN(len(p))
				bc.Write(p[:n])
				p = p[n:]
			}
			bc.finish()
			if want := naiveBodyCanon(body, relaxed); !bytes.Equal(h.Bytes(), want) {
				t.Fatalf("%s body %q:\n got %q\nwant %q", c, body, h.Bytes(), want)
			}
		}
	}
}
