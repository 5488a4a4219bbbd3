package smtp

import (
	"bufio"
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	fuzz "github.com/google/gofuzz"
)

// Structured round trips (issue 15, "Tests the user asked for"): gofuzz
// fills replies and xtext values with legal contents; cmp.Diff shows what
// came back different after writing and reading.

func TestReplyRoundTripGofuzz(t *testing.T) {
	f := fuzz.NewWithSeed(15).NilChance(0).Funcs(
		func(r *Reply, c fuzz.Continue) {
			// RFC 5321 4.2: a three-digit code whose first digit is 2-5;
			// RFC 3463: class matching it, subject and detail 0-999.
			r.Code = (2+c.Intn(4))*100 + c.Intn(6)*10 + c.Intn(10)
			r.Enhanced = EnhancedCode{}
			if c.RandBool() {
				r.Enhanced = EnhancedCode{uint16(r.Code / 100), uint16(c.Intn(1000)), uint16(c.Intn(1000))}
			}
			r.Lines = make([]string, 1+c.Intn(4))
			for i := range r.Lines {
				var sb strings.Builder
				for k := range c.Intn(40) {
					// Printable text; words separated by single spaces,
					// not starting with a digit (which could read as an
					// enhanced code when the reply has none).
					ch := byte(33 + c.Intn(94))
					if k > 0 && c.Intn(6) == 0 {
						ch = ' '
					}
					if k == 0 && ch >= '0' && ch <= '9' {
						ch = 'x'
					}
					sb.WriteByte(ch)
				}
				r.Lines[i] = strings.TrimRight(sb.String(), " ")
			}
		},
	)
	for i := range 2000 {
		var want Reply
		f.Fuzz(&want)
		b := AppendReply(nil, want.Code, want.Enhanced, strings.Join(want.Lines, "\n"))
		got, err := NewReplyReader(bufio.NewReader(bytes.NewReader(b))).ReadReply()
		if err != nil {
			t.Fatalf("#%d: %q: %v", i, b, err)
		}
		if d := cmp.Diff(&want, got); d != "" {
			t.Fatalf("#%d: %q (-written +read):\n%s", i, b, d)
		}
	}
}

func TestXtextRoundTripGofuzz(t *testing.T) {
	f := fuzz.NewWithSeed(15)
	for i := range 2000 {
		var s string
		f.Fuzz(&s)
		enc := AppendXtext(nil, s)
		// RFC 3461 4: xtext is printable US-ASCII without "+" and "=",
		// other octets as "+" and two upper-case hex digits.
		for _, ch := range enc {
			if ch < '!' || ch > '~' || ch == '=' {
				t.Fatalf("#%d: %q encodes to %q", i, s, enc)
			}
		}
		dec, err := AppendXtextDecoded(nil, enc)
		if err != nil {
			t.Fatalf("#%d: %q: %v", i, enc, err)
		}
		if d := cmp.Diff(s, string(dec)); d != "" {
			t.Fatalf("#%d: %q (-in +out):\n%s", i, enc, d)
		}
	}
}
