package mtasts

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseRecord(t *testing.T) {
	r, err := ParseRecord("v=STSv1; id=20160831085700Z;")
	if err != nil || r.ID != "20160831085700Z" {
		t.Fatal(r, err)
	}
	r, err = ParseRecord("v=STSv1;id=abc ; ext.x-1=foo")
	if err != nil || r.ID != "abc" || !cmp.Equal(r.Extensions, []string{"ext.x-1=foo"}) {
		t.Fatal(r, err)
	}
	for _, bad := range []string{
		"", "v=STSv1", "v=STSv1;", "v=STSv2; id=1", "id=1; v=STSv1", "v=STSv1; id=", "v=STSv1; id=a-b",
		"v=STSv1; id=" + strings.Repeat("a", 33), "v=STSv1; id=1; id=2", "v=STSv1; id=1;; x=y", "v=STSv1 id=1", "v=STSv1; =x; id=1",
	} {
		if _, err := ParseRecord(bad); !errors.Is(err, ErrRecordSyntax) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestFindRecord(t *testing.T) {
	if _, err := FindRecord([]string{"v=spf1 -all", "other"}); !errors.Is(err, ErrNoRecord) {
		t.Fatal(err)
	}
	if _, err := FindRecord([]string{"v=STSv1; id=1", "v=STSv1; id=2"}); !errors.Is(err, ErrManyRecords) {
		t.Fatal(err)
	}
	// "v=STSv10" is not a v=STSv1 record.
	if r, err := FindRecord([]string{"v=STSv10; id=9", "v=STSv1; id=1"}); err != nil || r.ID != "1" {
		t.Fatal(r, err)
	}
}

func TestParsePolicy(t *testing.T) {
	text := "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.Example.NET.\r\nmax_age: 604800\r\nfoo: bar\r\n"
	p, err := ParsePolicy([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	want := &Policy{Mode: ModeEnforce, MX: []string{"mail.example.com", "*.example.net"}, MaxAge: 604800, Text: text}
	if d := cmp.Diff(want, p); d != "" {
		t.Fatal(d)
	}
	if got := p.PolicyStrings(); len(got) != 6 || got[0] != "version: STSv1" {
		t.Fatal(got)
	}
	// LF line ends, no final newline, mode none without mx.
	if p, err := ParsePolicy([]byte("version: STSv1\nmode: none\nmax_age: 86400")); err != nil || p.Mode != ModeNone {
		t.Fatal(p, err)
	}
	// The first of a repeated field counts.
	if p, err := ParsePolicy([]byte("version: STSv1\nmode: testing\nmode: enforce\nmx: a.example\nmax_age: 1\n")); err != nil || p.Mode != ModeTesting {
		t.Fatal(p, err)
	}
	for _, bad := range []string{
		"",
		"mode: enforce\nmx: a.example\nmax_age: 1\n",
		"version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n",
		"version: STSv1\nmode: strict\nmx: a.example\nmax_age: 1\n",
		"version: STSv1\nmode: enforce\nmax_age: 1\n",
		"version: STSv1\nmode: enforce\nmx: a.example\n",
		"version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601\n",
		"version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n",
		"version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 12345678901\n",
		"version: STSv1\nmode: enforce\nmx: a..example\nmax_age: 1\n",
		"version: STSv1\nmode: enforce\nmx: mail.*.example\nmax_age: 1\n",
		"version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1\ngarbage\n",
		strings.Repeat("x: y\n", maxPolicyLines+1),
	} {
		if _, err := ParsePolicy([]byte(bad)); !errors.Is(err, ErrPolicySyntax) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestPolicyMatch(t *testing.T) {
	p := &Policy{MX: []string{"mail.example.com", "*.example.net"}}
	for host, want := range map[string]bool{
		"mail.example.com":      true,
		"MAIL.example.com.":     true,
		"mx.example.com":        false,
		"mx1.example.net":       true,
		"example.net":           false, // RFC 8461 4.1: the wildcard needs a label
		"a.mx1.example.net":     false, // ...and exactly one
		".example.net":          false,
		"mail.example.com.evil": false,
	} {
		if got := p.Match(host); got != want {
			t.Errorf("%s: %v", host, got)
		}
	}
}
