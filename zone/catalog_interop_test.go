//go:build interop

package zone

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaykit/relaykit/dnswire"
)

// TestInteropKnotCatalog: our server as a secondary of a catalog zone
// that Knot DNS generates (RFC 9432, catalog-role: generate) learns the
// member zones from it and serves them.
func TestInteropKnotCatalog(t *testing.T) {
	if _, err := os.Stat("/usr/sbin/knotd"); err != nil {
		t.Skip("knotd not installed")
	}
	dir := t.TempDir()
	port := freePort(t)
	members := []string{"example.com.", "example.org."}
	zones := ""
	for _, m := range members {
		f := filepath.Join(dir, m+"zone")
		os.WriteFile(f, []byte("$ORIGIN "+m+"\n$TTL 3600\n@ SOA ns hm 1 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.80\n"), 0o644)
		zones += fmt.Sprintf("  - domain: %s\n    file: %q\n    catalog-role: member\n    catalog-zone: catalog.invalid.\n    acl: xfr\n", m, f)
	}
	conf := fmt.Sprintf(`server:
    listen: 127.0.0.1@%d
    rundir: %q
control:
    listen: %q
database:
    storage: %q
log:
  - target: stderr
    any: info
acl:
  - id: xfr
    address: 127.0.0.0/8
    action: transfer
zone:
  - domain: catalog.invalid.
    catalog-role: generate
    acl: xfr
%s`, port, dir, filepath.Join(dir, "knot.sock"), dir, zones)
	cf := filepath.Join(dir, "knot.conf")
	os.WriteFile(cf, []byte(conf), 0o644)
	var log strings.Builder
	cmd := exec.Command("/usr/sbin/knotd", "-c", cf)
	cmd.Stderr, cmd.Stdout = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("knotd:\n%s", log.String())
		}
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	waitUDP(t, addr, "catalog.invalid.")

	sec := &Server{}
	startServer(t, sec)
	got := make(refreshes, 16)
	if err := sec.AddSecondary(Secondary{Origin: dnswire.MustName("catalog.invalid."), Primary: netip.MustParseAddrPort(addr), Catalog: true,
		OnRefresh: func(z *Zone, err error) { got <- refreshed{z, err} }}); err != nil {
		t.Fatal(err)
	}
	left := map[string]bool{"catalog.invalid.": true, "example.com.": true, "example.org.": true}
	for tries := 0; len(left) > 0 && tries < 200; tries++ {
		r := got.next(t)
		if r.err != nil {
			// Knot answers SERVFAIL until it has generated the
			// catalog: ask again at once (instead of after the retry
			// interval).
			if r.z == nil {
				sec.Refresh(dnswire.MustName("catalog.invalid."))
			}
			continue
		}
		if r.z != nil {
			delete(left, r.z.Origin().String())
		}
	}
	if len(left) > 0 {
		cat := sec.Zone(dnswire.MustName("catalog.invalid."))
		var text []string
		if cat != nil {
			text = texts(cat.Records())
		}
		t.Fatalf("not served: %v; catalog:\n%s", left, strings.Join(text, "\n"))
	}
	for _, m := range members {
		if _, r := ask(t, sec, query("www."+m, dnswire.TypeA)); r.RCode != "NOERROR" || len(r.Answer) != 1 {
			t.Errorf("%s from the secondary: %+v", m, r)
		}
	}
}
