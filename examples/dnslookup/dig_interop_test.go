//go:build interop

package main

import (
	"bytes"
	"context"
	"net"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

var (
	reBanner = regexp.MustCompile(`(?m)^; <<>> .*\n(; \(1 server found\)\n)?(;; global options: \+cmd\n)?`)
	reWhen   = regexp.MustCompile(`;; WHEN: .*`)
)

// TestInteropDigSameOutput asks the same server the same questions with
// dig(1) and with dnslookup and compares the output line for line, apart
// from the banner, the ID, the query time and the date.
func TestInteropDigSameOutput(t *testing.T) {
	dig, err := exec.LookPath("dig")
	if err != nil {
		t.Skip("dig not installed")
	}
	s := startFake(t)
	host, port, _ := net.SplitHostPort(s.addr)
	for _, q := range [][]string{
		{"example.test", "MX"},
		{"nope.example.test", "+norec"},
		{"mx1.example.test", "A", "+tcp"},
		{"mx1.example.test", "A", "+noedns"},
		{"big.example.test", "TXT"},
	} {
		args := append([]string{"@" + host, "-p", port}, q...)
		digOut, err := exec.Command(dig, args...).Output()
		if err != nil {
			t.Fatalf("dig %q: %v", args, err)
		}
		var ours bytes.Buffer
		if code := run(context.Background(), args, &ours, &ours, time.Now); code != 0 {
			t.Fatalf("dnslookup %q: exit %d\n%s", args, code, ours.String())
		}
		clean := func(s string) string {
			s = reBanner.ReplaceAllString(s, "")
			s = reWhen.ReplaceAllString(s, ";; WHEN: -")
			s = reID.ReplaceAllString(s, "id: N")
			return reTime.ReplaceAllString(s, "Query time: N msec")
		}
		if got, want := clean(ours.String()), clean(string(digOut)); got != want {
			t.Errorf("%s: dnslookup and dig differ:\n--- dnslookup\n%s--- dig\n%s", strings.Join(q, " "), got, want)
		}
	}
}
