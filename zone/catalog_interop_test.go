//go:build interop

package zone

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	// Knot answers no queries for a catalog zone (only transfers) and
	// generates it after the members load: wait for an AXFR to work.
	waitAXFR(t, addr, "catalog.invalid.")

	sec := &Server{}
	startServer(t, sec)
	got := make(refreshes, 16)
	if err := sec.AddSecondary(Secondary{Origin: dnswire.MustName("catalog.invalid."), Primary: netip.MustParseAddrPort(addr), Catalog: true,
		OnRefresh: func(z *Zone, err error) { got <- refreshed{z, err} }}); err != nil {
		t.Fatal(err)
	}
	left := map[string]bool{"catalog.invalid.": true, "example.com.": true, "example.org.": true}
	for tries := 0; len(left) > 0 && tries < 12; tries++ {
		r := got.next(t)
		if r.err != nil {
			t.Logf("refresh: %v", r.err)
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

// waitReady waits until the server at addr answers an SOA query for zone
// with the SOA over UDP and accepts TCP connections (Knot loads zones
// and opens TCP after it first answers).
func waitReady(t *testing.T, addr, zone string) {
	t.Helper()
	q, _ := query(zone, dnswire.TypeSOA).Pack()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("udp", addr); err == nil {
			c.SetDeadline(time.Now().Add(200 * time.Millisecond))
			c.Write(q)
			buf := make([]byte, 1500)
			n, err := c.Read(buf)
			c.Close()
			var m dnswire.Msg
			if err == nil && m.Unpack(buf[:n]) == nil && m.RCode == dnswire.RCodeSuccess && len(m.Answer) > 0 {
				if tc, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
					tc.Close()
					return
				}
			}
		}
		time.Sleep(50 * time.Millisecond) // polling a process we started
	}
	t.Fatalf("%s does not serve %s", addr, zone)
}

// waitAXFR waits until an AXFR of zone from addr succeeds.
func waitAXFR(t *testing.T, addr, zone string) {
	t.Helper()
	q, _ := query(zone, dnswire.TypeAXFR).Pack()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.SetDeadline(time.Now().Add(time.Second))
			var m dnswire.Msg
			if dnswire.WriteTCP(c, q) == nil {
				if msg, err := dnswire.ReadTCP(c, nil); err == nil && m.Unpack(msg) == nil && m.RCode == dnswire.RCodeSuccess && len(m.Answer) > 0 {
					c.Close()
					return
				}
			}
			c.Close()
		}
		time.Sleep(50 * time.Millisecond) // polling a process we started
	}
	t.Fatalf("%s does not transfer %s", addr, zone)
}
