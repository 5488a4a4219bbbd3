package dnswire

import (
	"errors"
	"sort"
	"strings"
	"testing"
)

func TestParseName(t *testing.T) {
	long63 := strings.Repeat("a", 63)
	for _, c := range []struct {
		in, out string
		wire    string // uncompressed wire form, as a Go string
		abs     bool
		err     error
	}{
		{in: ".", out: ".", wire: "\x00", abs: true},
		{in: "example.com.", out: "example.com.", wire: "\x07example\x03com\x00", abs: true},
		{in: "Example.COM.", out: "Example.COM.", wire: "\x07Example\x03COM\x00", abs: true},
		{in: "example.com", out: "example.com", wire: "\x07example\x03com"},
		// RFC 4343 / RFC 1035 5.1: an escaped dot stays inside its label.
		{in: `a\.b.c.`, out: `a\.b.c.`, wire: "\x03a.b\x01c\x00", abs: true},
		{in: `a\046b.`, out: `a\.b.`, wire: "\x03a.b\x00", abs: true},
		{in: `\000\255.`, out: `\000\255.`, wire: "\x02\x00\xff\x00", abs: true},
		{in: `sp\032ace.`, out: `sp\032ace.`, wire: "\x06sp ace\x00", abs: true},
		{in: `q\"\;\(\)\@\$\\.`, out: `q\"\;\(\)\@\$\\.`, wire: "\x08q\";()@$\\\x00", abs: true},
		{in: long63 + ".", out: long63 + ".", wire: "\x3f" + long63 + "\x00", abs: true},
		// RFC 1035 2.3.4 limits.
		{in: long63 + "a.", err: ErrLabelTooLong},
		{in: strings.Repeat("abcdefg.", 32), err: ErrNameTooLong},            // 256 octets with the root
		{in: strings.Repeat("abcdefg.", 31) + "abcde.", wire: "", abs: true}, // 255: fits
		{in: "", err: ErrEmptyLabel},
		{in: "a..b.", err: ErrEmptyLabel},
		{in: ".a.", err: ErrEmptyLabel},
		{in: `a\`, err: ErrSyntax},
		{in: `a\25`, err: ErrSyntax},
		{in: `a\256.`, err: ErrSyntax},
	} {
		n, err := ParseName(c.in)
		if c.err != nil {
			if !errors.Is(err, c.err) {
				t.Errorf("ParseName(%q) error %v, want %v", c.in, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseName(%q): %v", c.in, err)
			continue
		}
		if c.wire == "" {
			if n.Len() != 255 {
				t.Errorf("ParseName(%q) length %d, want 255", c.in, n.Len())
			}
			continue
		}
		if got := n.String(); got != c.out {
			t.Errorf("ParseName(%q).String() = %q, want %q", c.in, got, c.out)
		}
		if got := string(n.AppendWire(nil)); got != c.wire {
			t.Errorf("ParseName(%q) wire %q, want %q", c.in, got, c.wire)
		}
		if n.IsAbsolute() != c.abs {
			t.Errorf("ParseName(%q).IsAbsolute() = %v", c.in, n.IsAbsolute())
		}
		back, err := ParseName(n.String())
		if err != nil || back != n {
			t.Errorf("ParseName(String()) of %q does not round-trip: %v", c.in, err)
		}
	}
}

func TestNameDotLabelDistinct(t *testing.T) {
	// The fault found in miekg/dns v2: one label "a.b" and two labels
	// "a" "b" must never compare or print the same.
	one := MustName(`a\.b.example.`)
	two := MustName(`a.b.example.`)
	if one.Equal(two) || one.String() == two.String() || one.NumLabels() == two.NumLabels() {
		t.Fatalf("%v and %v are confused", one, two)
	}
	w, err := NameFromWire([]byte("\x03a.b\x07example\x00"))
	if err != nil || !w.Equal(one) {
		t.Fatalf("NameFromWire: %v %v", w, err)
	}
}

func TestNameCompareAndSubdomain(t *testing.T) {
	a, b := MustName("WWW.Example.COM."), MustName("www.example.com.")
	if !a.Equal(b) || a.Compare(b) != 0 {
		t.Error("RFC 4343: names differing only in case are equal")
	}
	if a.String() != "WWW.Example.COM." {
		t.Error("case must be kept as written")
	}
	for _, c := range []struct {
		n, p string
		want bool
	}{
		{"www.example.com.", "example.com.", true},
		{"example.com.", "example.com.", true},
		{"www.example.com.", ".", true},
		{"EXAMPLE.com.", "Example.COM.", true},
		{"wwwexample.com.", "example.com.", false},
		{"example.com.", "www.example.com.", false},
		{"www.example.com", "example.com", true},
		{"www.example.com", "example.com.", false},
		{`a\.example.com.`, "example.com.", false}, // labels "a.example" "com"
		{`a\.example.com.`, "com.", true},
		{`a.b\.example.com.`, "b.example.com.", false},
	} {
		if got := MustName(c.n).IsSubdomainOf(MustName(c.p)); got != c.want {
			t.Errorf("%s IsSubdomainOf %s = %v", c.n, c.p, got)
		}
	}
	// RFC 4034 6.1: the canonical order example.
	want := []string{"example.", "a.example.", "yljkjljk.a.example.", "Z.a.example.",
		"zABC.a.EXAMPLE.", "z.example.", `\001.z.example.`, "*.z.example.", `\200.z.example.`}
	names := make([]Name, len(want))
	for i := range want {
		names[len(want)-1-i] = MustName(want[i])
	}
	sort.Slice(names, func(i, j int) bool { return names[i].Compare(names[j]) < 0 })
	for i := range want {
		if names[i].String() != want[i] {
			t.Errorf("canonical order position %d: %s, want %s", i, names[i], want[i])
		}
	}
}

// ancestorByParent is Ancestor's definition: Parent until k labels are
// left or there is no parent.
func ancestorByParent(n Name, k int) Name {
	for i := n.NumLabels(); i > k; i-- {
		p, ok := n.Parent()
		if !ok {
			break
		}
		n = p
	}
	return n
}

func TestNameAncestor(t *testing.T) {
	for _, c := range []struct {
		name string
		k    int
		want string
	}{
		{"www.example.com.", 0, "."},
		{"www.example.com.", 1, "com."},
		{"www.example.com.", 2, "example.com."},
		{"www.example.com.", 3, "www.example.com."},
		{"www.example.com.", 9, "www.example.com."},
		{".", 0, "."},
		{"www.a\\.b.c", 0, "c"},       // relative: one label is kept
		{"www.a\\.b.c", 2, "a\\.b.c"}, // a\.b is one label
	} {
		n := MustName(c.name)
		a := n.Ancestor(c.k)
		if a.String() != c.want || a != ancestorByParent(n, c.k) {
			t.Errorf("%s.Ancestor(%d) = %s, want %s", c.name, c.k, a, c.want)
		}
	}
}

func TestNameEditing(t *testing.T) {
	n := MustName("www.example.com.")
	p, ok := n.Parent()
	if !ok || p.String() != "example.com." {
		t.Errorf("Parent = %v %v", p, ok)
	}
	if _, ok := Root().Parent(); ok {
		t.Error("root has no parent")
	}
	c, err := p.Child("mail")
	if err != nil || c.String() != "mail.example.com." {
		t.Errorf("Child = %v %v", c, err)
	}
	rel := MustName("www")
	if _, err := rel.Absolute(MustName("example")); !errors.Is(err, ErrRelativeName) {
		t.Errorf("Absolute with a relative origin: %v", err)
	}
	abs, err := rel.Absolute(MustName("example.org."))
	if err != nil || abs.String() != "www.example.org." {
		t.Errorf("Absolute = %v %v", abs, err)
	}
	if n.NumLabels() != 3 || n.Label(0) != "www" || n.Label(2) != "com" || Root().NumLabels() != 0 {
		t.Error("labels wrong")
	}
	var ls []string
	for l := range MustName(`a\.b.c.`).Labels() {
		ls = append(ls, l)
	}
	if strings.Join(ls, "|") != "a.b|c" {
		t.Errorf("Labels = %q", ls)
	}
	if l := MustName("MiXeD.Case.").Lower(); l.String() != "mixed.case." {
		t.Errorf("Lower = %v", l)
	}
	// Relative names are not packed, never silently cut or completed.
	var b Builder
	b.Start(nil, Header{}, BuildOptions{})
	if err := b.Question(&Question{Name: rel, Type: TypeA, Class: ClassINET}); !errors.Is(err, ErrRelativeName) {
		t.Errorf("packing a relative name: %v", err)
	}
}

// Decoding a short name into storage that held a longer one leaves a Name
// equal (==) to a freshly parsed one, so Names work as map keys.
func TestNameComparableAfterReuse(t *testing.T) {
	long := cat(hdr(1, 0, 0, 0), []byte("\x0flongerlabelname\x07example\x03com\x00"), qTail)
	short := cat(hdr(1, 0, 0, 0), []byte("\x01a\x03com\x00"), qTail)
	var m Msg
	if err := m.Unpack(long); err != nil {
		t.Fatal(err)
	}
	if err := m.Unpack(short); err != nil {
		t.Fatal(err)
	}
	if m.Question[0].Name != MustName("a.com.") {
		t.Fatal("reused Name differs from a fresh one")
	}
	keys := map[Name]int{MustName("a.com."): 1}
	if keys[m.Question[0].Name] != 1 {
		t.Fatal("map lookup failed")
	}
}
