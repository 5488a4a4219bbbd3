//go:build interop

package zone

import (
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// startKnot serves eduZone with Knot DNS as a primary that allows
// transfers and updates signed with key and notifies notify.
func startKnot(t *testing.T, key *dnswire.TSIGKey, notify netip.AddrPort) string {
	t.Helper()
	if _, err := os.Stat("/usr/sbin/knotd"); err != nil {
		t.Skip("knotd not installed")
	}
	dir := t.TempDir()
	port := freePort(t)
	if err := os.WriteFile(filepath.Join(dir, "edu.zone"), []byte("$ORIGIN edu.\n"+eduZone+"a.edu-servers.net. A 192.0.2.1\n"), 0o644); err != nil {
		t.Fatal(err)
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
key:
  - id: %s
    algorithm: hmac-sha256
    secret: %s
remote:
  - id: ours
    address: %s@%d
    key: %s
acl:
  - id: signed
    address: 127.0.0.0/8
    key: %s
    action: [transfer, update]
zone:
  - domain: edu.
    file: %q
    notify: ours
    acl: signed
    zonefile-sync: -1
    semantic-checks: off
`, port, dir, filepath.Join(dir, "knot.sock"), dir, key.Name, base64.StdEncoding.EncodeToString(key.Secret),
		notify.Addr(), notify.Port(), key.Name, key.Name, filepath.Join(dir, "edu.zone"))
	cf := filepath.Join(dir, "knot.conf")
	os.WriteFile(cf, []byte(conf), 0o644)
	var log strings.Builder
	cmd := exec.Command("/usr/sbin/knotd", "-c", cf)
	cmd.Stderr = &log
	cmd.Stdout = &log
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
	waitReady(t, addr, "edu.")
	return addr
}

// TestInteropKnotPrimary: our server as a secondary of Knot DNS: AXFR
// first, then each knsupdate change arrives by NOTIFY and IXFR, all
// signed with the transfer key.
func TestInteropKnotPrimary(t *testing.T) {
	kn, err := exec.LookPath("knsupdate")
	if err != nil {
		t.Skip("knsupdate not installed")
	}
	key := &dnswire.TSIGKey{Name: dnswire.MustName("xfr."), Algorithm: dnswire.HMACSHA256, Secret: []byte("transfer secret 0123456789abcdef")}
	var logs syncBuffer
	sec := &Server{Keys: []*dnswire.TSIGKey{key},
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	startServer(t, sec)
	knot := startKnot(t, key, sec.Addr())
	got := make(refreshes, 8)
	if err := sec.AddSecondary(Secondary{Origin: dnswire.MustName("edu."), Primary: netip.MustParseAddrPort(knot), Key: key,
		OnRefresh: func(z *Zone, err error) { got <- refreshed{z, err} }}); err != nil {
		t.Fatal(err)
	}
	if r := got.next(t); r.err != nil || r.z == nil || r.z.Serial() != 100 {
		t.Fatalf("first transfer: %v %v\n%s", r.z, r.err, logs.String())
	}
	h, p, _ := strings.Cut(knot, ":")
	secret := "hmac-sha256:xfr:" + base64.StdEncoding.EncodeToString(key.Secret)
	for i, add := range []string{
		"add hamburger.edu. 3600 NS dns1.hamburger.edu.\nadd dns1.hamburger.edu. 3600 A 212.212.212.1",
		"del ns.mit.edu. A 192.0.2.10\nadd ns.mit.edu. 3600 A 192.0.2.11",
	} {
		cmd := exec.Command(kn, "-y", secret)
		cmd.Stdin = strings.NewReader(fmt.Sprintf("server %s %s\nzone edu.\norigin edu.\n%s\nsend\nquit\n", h, p, add))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("knsupdate: %v\n%s", err, out)
		}
		// Knot's NOTIFY brings the change; wait for the refresh that has it.
		deadline := time.Now().Add(20 * time.Second)
		for {
			r := got.next(t)
			if r.err == nil && r.z != nil && r.z.Serial() > uint32(100+i) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("change %d never arrived: %v %v\n%s", i, r.z, r.err, logs.String())
			}
		}
	}
	if n := strings.Count(logs.String(), "by=IXFR"); n < 2 {
		t.Errorf("%d changes by IXFR, want 2:\n%s", n, logs.String())
	}
	z := sec.Zone(dnswire.MustName("edu."))
	if a := z.set(dnswire.MustName("ns.mit.edu."), dnswire.TypeA); len(a) != 1 || a[0].Data.String() != "192.0.2.11" {
		t.Errorf("ns.mit.edu. A = %v", a)
	}
	if z.set(dnswire.MustName("dns1.hamburger.edu."), dnswire.TypeA) == nil {
		t.Errorf("glue missing:\n%s", strings.Join(texts(z.Records()), "\n"))
	}
	out, err := exec.Command("dig", "-p", fmt.Sprint(sec.Addr().Port()), "@"+sec.Addr().Addr().String(), "www.hamburger.edu.", "A").CombinedOutput()
	if err == nil && (!strings.Contains(string(out), "IN\tNS\tdns1.hamburger.edu.") || !strings.Contains(string(out), "status: NOERROR")) {
		t.Errorf("dig against the secondary:\n%s", out)
	}
}
