//go:build interop

package main

import (
	"testing"

	"github.com/relaykit/relaykit/internal/postfixtest"
)

// TestInteropBenchSmall runs the load measurement with a few hundred
// messages, to keep the program working; the real measurement (20,000
// messages) is run by hand.
func TestInteropBenchSmall(t *testing.T) {
	if err := postfixtest.Available(); err != nil {
		t.Skip(err)
	}
	res, err := Run(Config{
		Messages: 300, Sessions: 8, Length: 4096,
		Targets: []string{"postfix", "relay"},
		Modes:   []string{"queued", "delivered"},
		Dir:     t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 4 {
		t.Fatalf("%d results, want 4", len(res))
	}
	for _, r := range res {
		if r.AcceptRate() <= 0 || r.DoneRate() <= 0 || r.CPU <= 0 {
			t.Errorf("implausible result %+v", r)
		}
	}
	t.Logf("\n%s", Table(res))
}
