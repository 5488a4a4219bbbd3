package main

import (
	"strings"
	"testing"
)

const raw = `goos: linux
BenchmarkDNSUnpack/impl=relaykit-2   	 100	 300.0 ns/op	 280.0 cpu-ns/op	 0 B/op	 0 allocs/op
BenchmarkDNSUnpack/impl=miekgv2-2    	 100	 1500 ns/op	 1400 cpu-ns/op	 976 B/op	 30 allocs/op
BenchmarkSMTPServerProc/client=raw/impl=gosmtp-2 	 10	 90000 ns/op	 11000 msgs/s	 31.0 srv-allocs/msg	 90000 srv-cpu-ns/msg
BenchmarkSMTPServerProc/client=raw/impl=relaykit-2 	 10	 40000 ns/op	 25000 msgs/s	 0 srv-allocs/msg	 30000 srv-cpu-ns/msg
BenchmarkPOP3Retrieve10k/relaykit-2 	 1	 100 ns/op
BenchmarkPOP3Retrieve10k/dovecot-2 	 1	 150 ns/op
BenchmarkDNSUnpack/impl=relaykit-2   	 100	 320.0 ns/op	 300.0 cpu-ns/op	 0 B/op	 0 allocs/op
BenchmarkDNSUnpack/impl=miekgv2-2    	 100	 1600 ns/op	 1200 cpu-ns/op	 976 B/op	 30 allocs/op
BenchmarkSMTPServerProc/client=raw/impl=gosmtp-2 	 10	 90000 ns/op	 11000 msgs/s	 31.0 srv-allocs/msg	 60000 srv-cpu-ns/msg
BenchmarkSMTPServerProc/client=raw/impl=relaykit-2 	 10	 40000 ns/op	 25000 msgs/s	 0 srv-allocs/msg	 30000 srv-cpu-ns/msg
`

func TestReport(t *testing.T) {
	res, err := parse(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.groups) != 3 || res.groups[0] != "DNSUnpack" || res.groups[1] != "SMTPServerProc/client=raw" || res.groups[2] != "POP3Retrieve10k" {
		t.Fatalf("groups %q", res.groups)
	}
	if m := ratioMetric(res.data["DNSUnpack"]); m != "cpu-ns/op" {
		t.Errorf("DNSUnpack compares %q, want cpu-ns/op", m)
	}
	mem := map[string][]sample{"relaykit": {{"ns/op": 9e9, "B/idle-session": 5e4}}, "dovecot": {{"ns/op": 3e9, "B/idle-session": 5e5}}}
	if m := ratioMetric(mem); m != "B/idle-session" {
		t.Errorf("memory benchmark compares %q, want B/idle-session", m)
	}
	if m := ratioMetric(res.data["SMTPServerProc/client=raw"]); m != "srv-cpu-ns/msg" {
		t.Errorf("SMTPServerProc compares %q, want srv-cpu-ns/msg", m)
	}
	out := table(res)
	for _, want := range []string{
		// Per-round ratios 1400/280 = 5 and 1200/300 = 4: median 4.5.
		"| DNSUnpack | byte slice into a reused message value, both sides | relaykit | 290 cpu-ns/op [280-300] | 0, 0 B | miekgv2 | 1300 cpu-ns/op [1200-1400] | 30, 976 B | **4.50x** [4.00-5.00], 2 rounds |",
		// 90000/30000 = 3 and 60000/30000 = 2.
		"**2.50x** [2.00-3.00], 2 rounds; msgs/s 2.27x |",
		"| relaykit | 100 ns/op [100-100] |  | dovecot | 150 ns/op [150-150] |  | **1.50x** [1.50-1.50], 1 rounds |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestCompareRuns(t *testing.T) {
	a, err := parse(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	// The second run: DNSUnpack's rounds give 6 and 5 (median 5.5), the
	// SMTP server is missing.
	b, err := parse(strings.NewReader(`BenchmarkDNSUnpack/impl=relaykit-2 	 100	 300.0 ns/op	 200.0 cpu-ns/op
BenchmarkDNSUnpack/impl=miekgv2-2 	 100	 1500 ns/op	 1200 cpu-ns/op
BenchmarkDNSUnpack/impl=relaykit-2 	 100	 300.0 ns/op	 200.0 cpu-ns/op
BenchmarkDNSUnpack/impl=miekgv2-2 	 100	 1500 ns/op	 1000 cpu-ns/op
BenchmarkPOP3Retrieve10k/relaykit-2 	 1	 100 ns/op
BenchmarkPOP3Retrieve10k/dovecot-2 	 1	 155 ns/op
`))
	if err != nil {
		t.Fatal(err)
	}
	out := compareRuns([]string{"A", "B"}, []*results{a, b})
	for _, want := range []string{
		"| benchmark | relaykit | peer | A | B | spread (max/min-1) |",
		"| DNSUnpack | relaykit | miekgv2 | 4.50x | 5.50x | 22% (over 10%) |",
		"| SMTPServerProc/client=raw | relaykit | gosmtp | 2.50x | - | |",
		"| POP3Retrieve10k | relaykit | dovecot | 1.50x | 1.55x | 3% |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("comparison lacks %q:\n%s", want, out)
		}
	}
}
