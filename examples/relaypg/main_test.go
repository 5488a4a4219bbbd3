package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaykit/relaykit/examples/internal/relay"
)

// A database that cannot be reached stops the relay before it listens,
// with pgstore's error (the PostgreSQL run itself is the relay's interop
// test, examples/internal/relay/nodes_interop_test.go).
func TestPostgresUnreachable(t *testing.T) {
	dir := t.TempDir()
	var out, errOut strings.Builder
	code := relay.Main([]string{"-listen", "127.0.0.1:0", "-spool", filepath.Join(dir, "spool"),
		"-maildir", filepath.Join(dir, "mail"), "-postgres", "host=" + filepath.Join(dir, "nosocket") + " user=x connect_timeout=2"},
		&out, &errOut, relay.Options{OpenStore: openStore})
	if code != 1 || !strings.Contains(errOut.String(), "pgstore") {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
}

// The plain relay refuses -postgres: it has no driver.
func TestPostgresNotBuiltIn(t *testing.T) {
	var out, errOut strings.Builder
	code := relay.Main([]string{"-postgres", "host=/x"}, &out, &errOut, relay.Options{})
	if code != 2 || !strings.Contains(errOut.String(), "relaypg") {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
}
