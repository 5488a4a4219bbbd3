package mime

import (
	"bytes"
	"encoding/base64"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// FuzzParse checks the tree's invariants on any input: offsets lie in
// the input and nest, and the bodies the streaming Walker hands out are
// exactly the tree's slices.
func FuzzParse(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n--b--\n"))
	f.Add([]byte("Content-Type: message/rfc822\r\n\r\nContent-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nSubject: x\r\n\r\ny\r\n--d--\r\n"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		cfg := &Config{MaxParts: 200, MaxDepth: 20}
		tr, err := Parse(msg, cfg)
		if err != nil {
			return
		}
		var check func(p *Part, lo, hi int64)
		check = func(p *Part, lo, hi int64) {
			if !(lo <= p.HeaderStart && p.HeaderStart <= p.BodyStart && p.BodyStart <= p.End && p.End <= hi) {
				t.Fatalf("part %q offsets %d %d %d outside [%d,%d]", p.Section, p.HeaderStart, p.BodyStart, p.End, lo, hi)
			}
			for _, c := range p.Parts {
				check(c, p.BodyStart, p.End)
			}
		}
		check(tr.Root, 0, int64(len(msg)))
		var want [][]byte
		_ = tr.Root.Walk(func(p *Part) error {
			if p.IsMultipart() || p.IsMessage() {
				want = append(want, nil)
			} else {
				want = append(want, p.Body(msg))
			}
			return nil
		})
		w := NewWalker(bytes.NewReader(msg), cfg)
		for i := 0; ; i++ {
			_, err := w.Next()
			if err == io.EOF {
				if i != len(want) {
					t.Fatalf("walker saw %d parts, tree %d", i, len(want))
				}
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(w.Body())
			if err != nil {
				t.Fatal(err)
			}
			if i >= len(want) || !bytes.Equal(b, want[i]) {
				t.Fatalf("part %d: walker body %q, tree %q", i, b, want[i])
			}
		}
		// Decoded bodies agree too: the Walker decodes from its read
		// buffer, Part.Decode where the body lies in msg.
		var parts []*Part
		_ = tr.Root.Walk(func(p *Part) error { parts = append(parts, p); return nil })
		w.Reset(bytes.NewReader(msg))
		for i := 0; ; i++ {
			p, err := w.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			r, _ := w.Decoded()
			got, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if p.IsMultipart() || p.IsMessage() {
				continue
			}
			r, _ = parts[i].Decode(msg)
			want, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("part %d (%s): Walker.Decoded %q, Part.Decode %q, %v", i, p.Encoding, got, want, err)
			}
		}
	})
}

// FuzzBase64 compares the lenient decoder with encoding/base64 on what
// the latter accepts, and checks it never fails on anything else.
func FuzzBase64(f *testing.F) {
	f.Add([]byte("aGVsbG8gd29ybGQ="))
	f.Add([]byte("aGVs\r\nbG8=\r\n"))
	f.Add([]byte("YQ"))
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := io.ReadAll(NewBase64Reader(bytes.NewReader(in)))
		if err != nil {
			t.Fatal(err)
		}
		// Small reads, from a source that splits the input, and the
		// tree's Part.Decode (input decoded where it lies) agree.
		small, err := io.ReadAll(iotest.OneByteReader(NewBase64Reader(iotest.HalfReader(bytes.NewReader(in)))))
		if err != nil || !bytes.Equal(small, got) {
			t.Fatalf("%q: one octet at a time %q, %v; at once %q", in, small, err, got)
		}
		p := &Part{Encoding: "base64", End: int64(len(in))}
		r, _ := p.Decode(in)
		if whole, err := io.ReadAll(r); err != nil || !bytes.Equal(whole, got) {
			t.Fatalf("%q: Part.Decode %q, %v; reader %q", in, whole, err, got)
		}
		if want, err := base64.StdEncoding.DecodeString(string(in)); err == nil && !bytes.Equal(got, want) {
			t.Fatalf("%q: got %q, encoding/base64 %q", in, got, want)
		}
	})
}

// FuzzDecoder runs every transfer encoding's decoder over any input.
func FuzzDecoder(f *testing.F) {
	f.Add("quoted-printable", []byte("caf=C3=A9 =\r\nsoft=XX=\r\n"))
	f.Add("base64", []byte("aGVsbG8="))
	f.Add("7bit", []byte("x"))
	f.Fuzz(func(t *testing.T, cte string, in []byte) {
		r, _ := NewDecoder(cte, bytes.NewReader(in))
		_, _ = io.Copy(io.Discard, r)
	})
}

// FuzzMediaType: whatever ParseMediaType returns, FormatMediaType writes
// so that it reads back the same.
func FuzzMediaType(f *testing.F) {
	f.Add(`text/plain; charset="us-ascii" (c); format=flowed`)
	f.Add("attachment; filename*0*=utf-8''r%C3%A9; filename*1=sum%C3%A9.pdf")
	f.Fuzz(func(t *testing.T, in string) {
		typ, params, err1 := ParseMediaType(in, nil)
		if typ == "" {
			return
		}
		for k := range params {
			if strings.Contains(k, "*") {
				return // a name RFC 2231 syntax cannot write back
			}
		}
		out := FormatMediaType(typ, params)
		typ2, params2, err := ParseMediaType(out, nil)
		if (err != nil && err1 == nil) || typ2 != typ || len(params2) != len(params) {
			t.Fatalf("%q -> %q -> %q %v %v", in, out, typ2, params2, err)
		}
		for k, v := range params {
			if params2[k] != v {
				t.Fatalf("%q -> %q: %s=%q, read back %q", in, out, k, v, params2[k])
			}
		}
	})
}
