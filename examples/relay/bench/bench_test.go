package main

import (
	"strings"
	"testing"
	"time"
)

func TestTableRatios(t *testing.T) {
	res := []Result{
		{Target: "postfix", Mode: "queued", Messages: 1000, Accept: time.Second, Done: time.Second, CPU: 3 * time.Second, SysCPU: 4 * time.Second},
		{Target: "relay", Mode: "queued", Messages: 1000, Accept: 250 * time.Millisecond, Done: 250 * time.Millisecond, CPU: 500 * time.Millisecond, SysCPU: time.Second},
		{Target: "postfix", Mode: "delivered", Messages: 1000, Accept: time.Second, Done: 2 * time.Second, CPU: 4 * time.Second},
		{Target: "relay-journal", Mode: "delivered", Messages: 1000, Accept: 250 * time.Millisecond, Done: 500 * time.Millisecond, CPU: time.Second},
	}
	got := Table(res)
	for _, want := range []string{
		"| postfix | queued | 1000 | 1000 | 1000 | 3.000 ms | 4.000 ms |\n",
		"| relay | queued | 1000 | 4000 | 4000 | 0.500 ms | 1.000 ms |\n",
		"| postfix | delivered | 1000 | 1000 | 500 | 4.000 ms | 0.000 ms |\n",
		"| relay/postfix | queued | | 4.00x | 4.00x | 1/6.0 | 1/4.0 |\n",
		"| relay-journal/postfix | delivered | | 4.00x | 4.00x | 1/4.0 | n/a |\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "relay/postfix | delivered") {
		t.Error("ratio row without a relay measurement")
	}
	// Several rounds: medians, and ratios of medians.
	res = append(res,
		Result{Target: "postfix", Mode: "queued", Messages: 1000, Accept: 2 * time.Second, Done: 2 * time.Second, CPU: time.Second, SysCPU: 2 * time.Second},
		Result{Target: "postfix", Mode: "queued", Messages: 1000, Accept: time.Second / 2, Done: time.Second / 2, CPU: 2 * time.Second, SysCPU: 3 * time.Second},
		Result{Target: "relay", Mode: "queued", Messages: 1000, Accept: time.Second, Done: time.Second, CPU: time.Second, SysCPU: 2 * time.Second},
	)
	got = Table(res)
	for _, want := range []string{
		"| postfix median of 3 | queued | 1000 | 1000 | 1000 | 2.000 ms | 3.000 ms |\n",
		"| relay median of 2 | queued | 1000 | 2500 | 2500 | 0.750 ms | 1.500 ms |\n",
		"| relay/postfix | queued | | 2.50x | 2.50x | 1/2.7 | 1/2.0 |\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	if _, err := Run(Config{}); err == nil {
		t.Error("Run(zero Config): no error")
	}
	if _, err := Run(Config{Messages: 1, Sessions: 1, Length: 1, Targets: []string{"sendmail"}, Modes: []string{"queued"}}); err == nil {
		t.Error("unknown target: no error")
	}
}
