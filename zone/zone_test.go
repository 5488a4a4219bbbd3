package zone

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/relaykit/relaykit/dnswire"
)

func loadFile(t testing.TB, origin, file string) *Zone {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := Parse(f, dnswire.MustName(origin), LoadConfig{File: file})
	if err != nil {
		t.Fatal(err)
	}
	return z
}

func parseText(origin, text string) (*Zone, error) {
	return Parse(strings.NewReader(text), dnswire.MustName(origin), LoadConfig{TTL: 3600})
}

func TestParseAndWriteBack(t *testing.T) {
	z := loadFile(t, "example.", "testdata/example.zone")
	if z.Serial() != 2026010101 {
		t.Errorf("serial %d", z.Serial())
	}
	if z.Len() != 23 {
		t.Errorf("Len %d, want 23", z.Len())
	}
	var buf bytes.Buffer
	if _, err := z.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	z2, err := Parse(&buf, dnswire.MustName("example."), LoadConfig{})
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	a, b := texts(z.Records()), texts(z2.Records())
	if d := cmp.Diff(a, b); d != "" {
		t.Errorf("round trip (-first +second):\n%s", d)
	}
	if !strings.HasPrefix(a[0], "example.\t3600\tIN\tSOA") {
		t.Errorf("SOA not first: %q", a[0])
	}
}

func texts(rrs []dnswire.RR) []string {
	var out []string
	for _, rr := range rrs {
		out = append(out, rr.String())
	}
	return out
}

func TestValidation(t *testing.T) {
	const head = "@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n"
	tests := []struct {
		name, text string
		want       error
	}{
		{"ok", head, nil},
		{"no SOA", "@ NS ns.other.\n", ErrNoSOA},
		{"two SOA", head + "@ SOA ns hm 2 2 3 4 5\n", ErrManySOA},
		{"SOA below apex", head + "x SOA ns hm 2 2 3 4 5\n", ErrManySOA},
		{"no NS", "@ SOA ns hm 1 2 3 4 5\n", ErrNoNS},
		{"out of zone", head + "x.other. A 192.0.2.1\n", ErrOutOfZone},
		{"CNAME and A", head + "w CNAME ns\nw A 192.0.2.3\n", ErrCNAMEAndOther},
		{"two CNAMEs", head + "w CNAME ns\nw CNAME x\n", ErrCNAMEAndOther},
		{"CNAME at apex", head + "@ CNAME x.other.\n", ErrCNAMEAndOther},
		{"MX below cut", head + "sub NS ns.other.\nx.sub MX 1 ns\n", ErrBelowDelegation},
		{"TXT at cut", head + "sub NS ns.other.\nsub TXT hi\n", ErrBelowDelegation},
		{"glue ok", head + "sub NS ns.sub\nns.sub A 192.0.2.9\n", nil},
		{"glue missing", head + "sub NS ns.sub\n", ErrMissingGlue},
		{"apex NS missing address", "@ SOA ns hm 1 2 3 4 5\n@ NS ns\n", ErrMissingGlue},
		// RFC 9471 2.2: sibling glue is optional; an in-zone host that
		// is not under a delegation still needs its address.
		{"sibling glue optional", head + "a NS ns.b\nb NS ns.b\nns.b A 192.0.2.9\nc NS ns.a\n", nil},
		{"authoritative host missing address", head + "sub NS host\n", ErrMissingGlue},
		{"below DNAME", head + "d DNAME other.\nx.d A 192.0.2.1\n", ErrDNAME},
		{"class CH", head + "x CH TXT hi\n", ErrClass},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseText("example.", tt.text)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestDuplicatesAndTTL(t *testing.T) {
	z, err := parseText("example.", "@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns 60 A 192.0.2.1\nns 30 A 192.0.2.2\nNS 90 A 192.0.2.1\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"example.\t3600\tIN\tSOA\tns.example. hm.example. 1 2 3 4 5",
		"example.\t3600\tIN\tNS\tns.example.",
		"ns.example.\t30\tIN\tA\t192.0.2.1",
		"ns.example.\t30\tIN\tA\t192.0.2.2",
	}
	if d := cmp.Diff(want, texts(z.Records())); d != "" {
		t.Error(d)
	}
}

// TestRDataLen: the fast path agrees with the wire form.
func TestRDataLen(t *testing.T) {
	for _, s := range []string{"a. 1 IN A 192.0.2.1", "a. 1 IN AAAA 2001:db8::1", "a. 1 IN NS ns.example.", "a. 1 IN CNAME x.y.z.",
		"a. 1 IN PTR p.example.", "a. 1 IN MX 10 mail.example.", "a. 1 IN TXT \"hello\" \"world\""} {
		rr, err := dnswire.ParseRR(s)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := rdataLen(rr), len(appendRData(nil, &rr)); got != want {
			t.Errorf("%s: %d, want %d", s, got, want)
		}
	}
}
