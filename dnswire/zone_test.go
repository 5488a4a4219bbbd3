package dnswire

import (
	"errors"
	"os"
	"strings"
	"testing"
	"testing/fstest"
)

func TestZoneGolden(t *testing.T) {
	f, err := os.Open("testdata/zone/example.com.zone")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rrs, err := ReadZone(f, ZoneConfig{File: "example.com.zone"})
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	for _, rr := range rrs {
		sb.WriteString(rr.String())
		sb.WriteByte('\n')
	}
	want, err := os.ReadFile("testdata/zone/example.com.golden")
	if err != nil {
		t.Fatal(err)
	}
	if sb.String() != string(want) {
		t.Errorf("zone output differs from golden:\n%s", sb.String())
	}
}

func TestZoneErrors(t *testing.T) {
	for _, c := range []struct {
		name, zone string
		cfg        ZoneConfig
		err        error
		line       int
	}{
		{"relative before $ORIGIN", "$TTL 60\nwww A 192.0.2.1\n", ZoneConfig{}, ErrRelativeName, 2},
		{"no TTL", "$ORIGIN example.\n\nwww A 192.0.2.1\n", ZoneConfig{}, errNoTTL, 3},
		{"include off by default", "$INCLUDE other.zone\n", ZoneConfig{}, errInclude, 1},
		{"bad address on line 4", "$ORIGIN example.\n$TTL 60\n; comment\nwww A 300.1.1.1\n", ZoneConfig{}, errBadAddr, 4},
		{"unbalanced", "$ORIGIN example.\n$TTL 60\n@ SOA a b ( 1 2\n 3 4 5\n", ZoneConfig{}, errUnbalanced, 5},
		{"owner omitted first", " 60 A 192.0.2.1\n", ZoneConfig{Origin: MustName("example.")}, errNoOwner, 1},
		{"unknown directive", "$FOO 1-2 a A 1.2.3.4\n", ZoneConfig{}, errDirective, 1},
		{"error after parentheses", "$ORIGIN example.\n$TTL 60\n@ SOA a b (\n1\n2\n3\n4\n5 )\nx A bad\n", ZoneConfig{}, errBadAddr, 9},
	} {
		_, err := ReadZone(strings.NewReader(c.zone), c.cfg)
		if !errors.Is(err, c.err) {
			t.Errorf("%s: error %v, want %v", c.name, err, c.err)
			continue
		}
		var se *SyntaxError
		if !errors.As(err, &se) || se.Line != c.line {
			t.Errorf("%s: %v: want line %d", c.name, err, c.line)
		}
	}
}

func TestZoneInclude(t *testing.T) {
	fsys := fstest.MapFS{
		"hosts.zone": {Data: []byte("$TTL 30\nmail A 192.0.2.25\n")},
		"loop.zone":  {Data: []byte("$INCLUDE loop.zone\n")},
	}
	zone := "$ORIGIN example.\n$TTL 60\n@ A 192.0.2.1\n$INCLUDE hosts.zone sub.example.\nafter A 192.0.2.2\n"
	rrs, err := ReadZone(strings.NewReader(zone), ZoneConfig{IncludeFS: fsys})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, rr := range rrs {
		got = append(got, rr.String())
	}
	want := []string{
		"example.\t60\tIN\tA\t192.0.2.1",
		"mail.sub.example.\t30\tIN\tA\t192.0.2.25",
		"after.example.\t30\tIN\tA\t192.0.2.2",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s", strings.Join(got, "\n"))
	}
	_, err = ReadZone(strings.NewReader("$INCLUDE loop.zone\n"), ZoneConfig{IncludeFS: fsys})
	if !errors.Is(err, errDepth) {
		t.Errorf("include loop: %v", err)
	}
}
