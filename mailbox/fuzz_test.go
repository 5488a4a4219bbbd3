package mailbox

import (
	"bytes"
	"testing"
)

// FuzzUIDList parses arbitrary UID lists: no panic, the part read ends
// at a newline, and a list that parses (appended records included)
// marshals back to a list that parses to the same thing.
func FuzzUIDList(f *testing.F) {
	f.Add([]byte("1 V1700000000 N4\n1 :a\n3 :b,S=5,W=6\n"))
	f.Add([]byte("1 V5 N2\n1 :a\n2 :b\n"))
	f.Add([]byte("1 V5 N3\n1 S4 T1700000000000000000 :a\n2 G1 S5 :b\n"))
	f.Add([]byte("garbage"))
	f.Add([]byte("1 V5 N3\n1 :a\n+3 S1 T2 :b\n+7 :c\n+8 :d"))
	f.Add([]byte("1 V5 N3\n+3 :a\n1 :b\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, good, err := parseUIDList("x", data)
		if good < 0 || good > len(data) || (good > 0 && data[good-1] != '\n') {
			t.Fatalf("good %d of %q", good, data)
		}
		if err != nil {
			return
		}
		out := l.marshal()
		l2, _, err := parseUIDList("x", out)
		if err != nil {
			t.Fatalf("re-parse of %q: %v", out, err)
		}
		if !bytes.Equal(out, l2.marshal()) {
			t.Fatalf("round trip differs: %q vs %q", out, l2.marshal())
		}
	})
}

// FuzzFileName splits arbitrary file names without panicking, and a
// key with flags round-trips.
func FuzzFileName(f *testing.F) {
	f.Add("1700000000.M1P2R3.host,S=10,W=12:2,FS")
	f.Add("x:1,abc")
	f.Fuzz(func(t *testing.T, name string) {
		key, flags := splitName(name)
		sizeField(key, 'S')
		sizeField(key, 'W')
		k2, f2 := splitName(fileName(key, flags))
		if k2 != key || f2 != flags {
			t.Fatalf("%q: round trip gives %q %v, want %q %v", name, k2, f2, key, flags)
		}
	})
}
