package dane

import (
	"bytes"
	"testing"
)

func FuzzParseTLSA(f *testing.F) {
	f.Add([]byte{3, 1, 1, 0xab, 0xcd})
	f.Add([]byte{2, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseTLSA(b)
		if err != nil {
			return
		}
		if out := r.AppendRData(nil); !bytes.Equal(out, b) {
			t.Fatalf("round trip %x -> %x", b, out)
		}
		back, err := ParseTLSAText(r.String())
		if err != nil || !bytes.Equal(back.AppendRData(nil), b) {
			t.Fatalf("text round trip of %x: %q %v", b, r.String(), err)
		}
	})
}

func FuzzParseTLSAText(f *testing.F) {
	f.Add("3 1 1 0123456789abcdef")
	f.Add("2 0 0 00 11\t22")
	f.Add("1 1 1")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseTLSAText(s)
		if err != nil {
			return
		}
		back, err := ParseTLSAText(r.String())
		if err != nil || back.String() != r.String() {
			t.Fatalf("%q -> %q: %v", s, r.String(), err)
		}
	})
}
