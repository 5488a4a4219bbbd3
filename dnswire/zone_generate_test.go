package dnswire

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func TestGenerate(t *testing.T) {
	zone := `$ORIGIN example.
$TTL 60
$GENERATE 1-3 host-$ A 192.0.2.$
$GENERATE 10-14/2 ${-10,3,d}.rev PTR h${0,2,x}.example.
$GENERATE 0-1 ${255,4,n}.ip6 300 IN PTR \$lit-$.
tail A 192.0.2.99
`
	rrs, err := ReadZone(strings.NewReader(zone), ZoneConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, rr := range rrs {
		got = append(got, rr.String())
	}
	want := []string{
		"host-1.example.\t60\tIN\tA\t192.0.2.1",
		"host-2.example.\t60\tIN\tA\t192.0.2.2",
		"host-3.example.\t60\tIN\tA\t192.0.2.3",
		"000.rev.example.\t60\tIN\tPTR\th0a.example.",
		"002.rev.example.\t60\tIN\tPTR\th0c.example.",
		"004.rev.example.\t60\tIN\tPTR\th0e.example.",
		"f.f.0.0.ip6.example.\t300\tIN\tPTR\t\\$lit-0.",
		"0.0.1.0.ip6.example.\t300\tIN\tPTR\t\\$lit-1.",
		"tail.example.\t60\tIN\tA\t192.0.2.99",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("(-want +got)\n%s", d)
	}
	for _, bad := range []string{
		"$GENERATE 3-1 h$ A 192.0.2.1",
		"$GENERATE 1-2/0 h$ A 192.0.2.1",
		"$GENERATE 1-2 h${x} A 192.0.2.1",
		"$GENERATE 1-2 h${0,2,q} A 192.0.2.1",
		"$GENERATE 0-70000 h$ A 192.0.2.1",
		"$GENERATE 1-300 h$ A 192.0.2.$", // 192.0.2.256 is no address
	} {
		_, err := ReadZone(strings.NewReader("$ORIGIN example.\n$TTL 1\n"+bad+"\n"), ZoneConfig{})
		var se *SyntaxError
		if !errors.As(err, &se) || se.Line != 3 {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

// permissiveFS opens any name, "..", absolute or not, to show that the
// reader itself keeps $INCLUDE inside the file system.
type permissiveFS struct {
	fstest.MapFS
	asked *[]string
}

func (p permissiveFS) Open(name string) (fs.File, error) {
	*p.asked = append(*p.asked, name)
	return p.MapFS.Open(strings.TrimLeft(strings.ReplaceAll(name, "../", ""), "/"))
}

func TestIncludeStaysInside(t *testing.T) {
	var asked []string
	fsys := permissiveFS{fstest.MapFS{"secret": {Data: []byte("x. 1 IN A 192.0.2.1\n")},
		"sub/ok": {Data: []byte("y. 1 IN A 192.0.2.2\n")}}, &asked}
	for _, p := range []string{"../secret", "/secret", "sub/../../secret"} {
		_, err := ReadZone(strings.NewReader("$INCLUDE "+p+"\n"), ZoneConfig{IncludeFS: fsys})
		if !errors.Is(err, errIncludePath) {
			t.Errorf("%s: %v", p, err)
		}
	}
	if len(asked) != 0 {
		t.Fatalf("file system asked for %v", asked)
	}
	rrs, err := ReadZone(strings.NewReader("$INCLUDE sub/./ok\n"), ZoneConfig{IncludeFS: fsys})
	if err != nil || len(rrs) != 1 {
		t.Fatalf("inside: %v %v", rrs, err)
	}
}
