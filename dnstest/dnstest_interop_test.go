//go:build interop

package dnstest_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnstest"
)

// TestInteropUnbound: Unbound resolves through a hierarchy served only by
// zone. Unbound sends every query to port 53, so the servers listen there
// (the test runs as root in CI).
func TestInteropUnbound(t *testing.T) {
	if _, err := exec.LookPath("unbound"); err != nil {
		t.Skip("unbound not installed")
	}
	h, err := dnstest.Start(dnstest.Config{Port: 53, Zones: map[string]string{
		".":              rootZone,
		"edu.":           eduZone + "hamburger NS dns1.hamburger\ndns1.hamburger A 127.0.0.4\n",
		"hamburger.edu.": hamburgerZone,
	}})
	if err != nil {
		t.Skipf("cannot listen on port 53: %v", err)
	}
	defer h.Close()
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	// Unbound attaches an address only to a name server already read.
	hints := ". 3600 IN NS a.root-servers.test.\na.root-servers.test. 3600 IN A 127.0.0.2\n"
	os.WriteFile(filepath.Join(dir, "root.hints"), []byte(hints), 0o644)
	conf := fmt.Sprintf(`server:
	interface: 127.0.0.1@%d
	port: %d
	username: ""
	chroot: ""
	directory: %q
	pidfile: %q
	use-syslog: no
	logfile: %q
	root-hints: %q
	do-not-query-localhost: no
	do-ip6: no
	qname-minimisation: yes
	harden-referral-path: no
	module-config: "iterator"
	local-zone: "test." nodefault
	access-control: 127.0.0.0/8 allow
remote-control:
	control-enable: no
`, port, port, dir, filepath.Join(dir, "unbound.pid"), filepath.Join(dir, "unbound.log"), filepath.Join(dir, "root.hints"))
	cf := filepath.Join(dir, "unbound.conf")
	os.WriteFile(cf, []byte(conf), 0o644)
	cmd := exec.Command("unbound", "-d", "-c", cf)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	var out []byte
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		out, err = exec.Command("dig", "-p", strconv.Itoa(port), "@127.0.0.1", "+tries=1", "+time=2", "www.hamburger.edu", "A").CombinedOutput()
		if err == nil && strings.Contains(string(out), "status: NOERROR") {
			break
		}
	}
	s := string(out)
	if !strings.Contains(s, "www.hamburger.edu.\t3600\tIN\tCNAME\tweb.hamburger.edu.") || !strings.Contains(s, "127.0.0.80") || !strings.Contains(s, "127.0.0.81") {
		log, _ := os.ReadFile(filepath.Join(dir, "unbound.log"))
		t.Fatalf("unbound through the hierarchy:\n%s\nlog:\n%s", s, log)
	}
}
