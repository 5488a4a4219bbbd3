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
	port := startUnbound(t, "\tmodule-config: \"iterator\"\n")
	s := dig(t, port, "www.hamburger.edu", "A")
	if !strings.Contains(s, "www.hamburger.edu.\t3600\tIN\tCNAME\tweb.hamburger.edu.") || !strings.Contains(s, "127.0.0.80") || !strings.Contains(s, "127.0.0.81") {
		t.Fatalf("unbound through the hierarchy:\n%s", s)
	}
}

// TestInteropUnboundValidates: Unbound, given the signed hierarchy's
// trust anchor, validates its answers (AD set), sees the unsigned zone as
// insecure (no AD), and refuses expired signatures (SERVFAIL).
func TestInteropUnboundValidates(t *testing.T) {
	if _, err := exec.LookPath("unbound"); err != nil {
		t.Skip("unbound not installed")
	}
	for _, expired := range []bool{false, true} {
		sign := &dnstest.Signing{Unsigned: []string{"plain.edu."}}
		if expired {
			sign.Now = func() time.Time { return time.Now().Add(-30 * 24 * time.Hour) }
			sign.Validity = 24 * time.Hour
		}
		h, err := dnstest.Start(dnstest.Config{Port: 53, Zones: signedZones(), Sign: sign})
		if err != nil {
			t.Skipf("cannot listen on port 53: %v", err)
		}
		anchor := h.TrustAnchor()[0]
		port := startUnbound(t, "\tmodule-config: \"validator iterator\"\n\ttrust-anchor: \""+anchor.String()+"\"\n\tval-log-level: 2\n")
		secure := dig(t, port, "+dnssec", "_25._tcp.mail.hamburger.edu", "TLSA")
		cname := dig(t, port, "+dnssec", "www.hamburger.edu", "A")
		nx := dig(t, port, "+dnssec", "nope.hamburger.edu", "A")
		insecure := dig(t, port, "+dnssec", "www.plain.edu", "A")
		h.Close()
		if expired {
			if !strings.Contains(secure, "status: SERVFAIL") {
				t.Errorf("expired signatures not refused:\n%s", secure)
			}
			continue
		}
		for name, out := range map[string]string{"TLSA": secure, "CNAME": cname, "NXDOMAIN": nx} {
			if !strings.Contains(out, " ad;") && !strings.Contains(out, " ad ") {
				t.Errorf("%s not validated:\n%s", name, out)
			}
		}
		if !strings.Contains(nx, "status: NXDOMAIN") {
			t.Errorf("NXDOMAIN:\n%s", nx)
		}
		if !strings.Contains(insecure, "status: NOERROR") || strings.Contains(insecure, " ad;") || strings.Contains(insecure, " ad ") {
			t.Errorf("insecure zone:\n%s", insecure)
		}
	}
}

// startUnbound runs Unbound as a resolver of the hierarchy listening on
// port 53, with extra lines in its server section, and returns its port.
func startUnbound(t *testing.T, extra string) int {
	t.Helper()
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
%s	local-zone: "test." nodefault
	access-control: 127.0.0.0/8 allow
remote-control:
	control-enable: no
`, port, port, dir, filepath.Join(dir, "unbound.pid"), filepath.Join(dir, "unbound.log"), filepath.Join(dir, "root.hints"), extra)
	cf := filepath.Join(dir, "unbound.conf")
	os.WriteFile(cf, []byte(conf), 0o644)
	cmd := exec.Command("unbound", "-d", "-c", cf)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return port
}

// dig asks Unbound at port until it answers (it starts in the
// background), and returns dig's output.
func dig(t *testing.T, port int, args ...string) string {
	t.Helper()
	var out []byte
	var err error
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		out, err = exec.Command("dig", append([]string{"-p", strconv.Itoa(port), "@127.0.0.1", "+tries=1", "+time=2"}, args...)...).CombinedOutput()
		if err == nil && strings.Contains(string(out), "status: ") {
			break
		}
	}
	return string(out)
}
