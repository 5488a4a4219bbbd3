//go:build interop

package zone

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

const exampleNet = "$ORIGIN example.net.\n$TTL 3600\n@ SOA ns hm 7 2 3 4 60\n@ NS ns\nns A 192.0.2.100\nx A 192.0.2.101\n"

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitUDP waits until something answers an SOA query at addr.
func waitUDP(t *testing.T, addr, zone string) {
	t.Helper()
	q, _ := query(zone, dnswire.TypeSOA).Pack()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.Dial("udp", addr)
		if err == nil {
			c.SetDeadline(time.Now().Add(200 * time.Millisecond))
			c.Write(q)
			buf := make([]byte, 1500)
			_, err = c.Read(buf)
			c.Close()
			if err == nil {
				return
			}
		}
	}
	t.Fatalf("%s does not answer", addr)
}

// startNSD serves the given zones (origin -> text) with NSD on 127.0.0.1.
func startNSD(t *testing.T, zones map[string]string, extra string) string {
	t.Helper()
	if _, err := os.Stat("/usr/sbin/nsd"); err != nil {
		t.Skip("nsd not installed")
	}
	dir := t.TempDir()
	port := freePort(t)
	conf := fmt.Sprintf("server:\n\tip-address: 127.0.0.1@%d\n\tport: %d\n\tusername: \"\"\n\tchroot: \"\"\n"+
		"\tzonesdir: %q\n\tpidfile: %q\n\tdatabase: \"\"\n\tzonelistfile: %q\n\txfrdfile: %q\n\txfrdir: %q\n"+
		"\tlogfile: %q\n\tserver-count: 1\n\tminimal-responses: yes\n\trefuse-any: no\nremote-control:\n\tcontrol-enable: no\n",
		port, port, dir, filepath.Join(dir, "nsd.pid"), filepath.Join(dir, "zone.list"),
		filepath.Join(dir, "xfrd.state"), dir, filepath.Join(dir, "nsd.log"))
	first := ""
	for origin, text := range zones {
		f := strings.TrimSuffix(origin, ".") + ".zone"
		if err := os.WriteFile(filepath.Join(dir, f), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		conf += fmt.Sprintf("zone:\n\tname: %s\n\tzonefile: %s\n%s", origin, f, extra)
		first = origin
	}
	cf := filepath.Join(dir, "nsd.conf")
	os.WriteFile(cf, []byte(conf), 0o644)
	cmd := exec.Command("/usr/sbin/nsd", "-d", "-c", cf)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := "127.0.0.1:" + strconv.Itoa(port)
	waitUDP(t, addr, first)
	return addr
}

var (
	digID     = regexp.MustCompile(`id: \d+`)
	digNoise  = regexp.MustCompile(`(?m)^;; (Query time|SERVER|WHEN|MSG SIZE|global options).*$|^; COOKIE.*$|^; <<>>.*$|^;; Got answer.*$`)
	kdigNoise = regexp.MustCompile(`(?m)^;; (Received|From|Time).*$|^;; ->>HEADER<<-.*$`)
)

// normalise drops ids and timing and sorts the lines of each section.
func normalise(out string, re *regexp.Regexp) string {
	out = digID.ReplaceAllString(out, "id: X")
	out = re.ReplaceAllString(out, "")
	var parts []string
	for _, sec := range strings.Split(out, "\n\n") {
		lines := strings.Split(strings.TrimSpace(sec), "\n")
		sort.Strings(lines)
		parts = append(parts, strings.Join(lines, "\n"))
	}
	// Case is compared apart (TestQuestionCaseKept): NSD writes names in
	// record data in the question's case where it compresses them.
	return strings.ToLower(strings.TrimSpace(strings.Join(parts, "\n\n")))
}

var corpus = []string{
	"web.example. A", "WeB.ExAmple. AAAA", "example. NS", "example. MX", "example. SOA",
	"nope.example. A", "b.c.example. A", "www.example. A", "www.example. CNAME", "chain.example. A",
	"out.example. A", "x.wild.example. TXT", "y.x.wild.example. MX", "x.wild.example. A",
	"wild.example. TXT", "www.sub.example. A", "sub.example. NS", "sub.example. DS",
	"_sip._tcp.example. SRV", "x.dn.example. A", "dn.example. DNAME",
	"mail.example. A", "x.example.net. A", "example.net. NS",
}

// knownDifferences are the corpus queries where NSD (minimal-responses:
// yes; with "no" it adds the apex NS to every answer) and zone knowingly
// differ in the additional section only: zone adds the addresses of MX
// and SRV targets (RFC 1035 3.3.9, RFC 2782), NSD does not. ANY is left
// out of the corpus: NSD answers it with one RRset (RFC 8482), zone with
// all.
var knownDifferences = map[string]bool{
	"example. MX": true, "y.x.wild.example. MX": true, "_sip._tcp.example. SRV": true,
}

var (
	addCount   = regexp.MustCompile(`additional: \d+`)
	addSection = regexp.MustCompile(`(?s);; additional section:.*?(\n\n|$)`)
)

// dropAdditional removes the additional section and its count (for kdig,
// whose sections are not titled, the lines after the answer's).
func dropAdditional(s string, answers int) string {
	s = addCount.ReplaceAllString(s, "additional: -")
	if strings.Contains(s, ";; additional section:") {
		return strings.TrimSpace(addSection.ReplaceAllString(s, ""))
	}
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, "\tin\ta\t") && !strings.Contains(l, "mx") && !strings.Contains(l, "srv") {
			continue
		}
		keep = append(keep, l)
	}
	return strings.TrimSpace(strings.Join(keep, "\n"))
}

// TestInteropDigAgainstNSD: dig and kdig print the same answers from our
// server and from NSD serving the same zone files.
func TestInteropDigAgainstNSD(t *testing.T) {
	text, err := os.ReadFile("testdata/example.zone")
	if err != nil {
		t.Fatal(err)
	}
	nsd := startNSD(t, map[string]string{"example.": string(text), "example.net.": exampleNet}, "")
	s := testServer(t)
	if err := s.ListenAndServe("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ours := s.Addr().String()
	type tool struct {
		bin   string
		args  func(addr, name, typ string) []string
		noise *regexp.Regexp
	}
	tools := []tool{
		{"dig", func(addr, name, typ string) []string {
			h, p, _ := net.SplitHostPort(addr)
			return []string{"-p", p, "@" + h, "+norec", "+nocookie", "+tries=1", "+time=2", name, typ}
		}, digNoise},
		{"kdig", func(addr, name, typ string) []string {
			h, p, _ := net.SplitHostPort(addr)
			return []string{"-p", p, "@" + h, "+norec", "+nocookie", "+noall", "+header", "+answer", "+authority", "+additional", "+opt", name, typ}
		}, kdigNoise},
	}
	for _, tl := range tools {
		if _, err := exec.LookPath(tl.bin); err != nil {
			t.Logf("%s not installed", tl.bin)
			continue
		}
		for _, q := range corpus {
			f := strings.Fields(q)
			a, err1 := exec.Command(tl.bin, tl.args(ours, f[0], f[1])...).CombinedOutput()
			b, err2 := exec.Command(tl.bin, tl.args(nsd, f[0], f[1])...).CombinedOutput()
			if err1 != nil || err2 != nil {
				t.Errorf("%s %s: %v %v", tl.bin, q, err1, err2)
				continue
			}
			x, y := normalise(string(a), tl.noise), normalise(string(b), tl.noise)
			if knownDifferences[q] {
				x, y = dropAdditional(x, 0), dropAdditional(y, 0)
			}
			if x != y {
				t.Errorf("%s %s differs:\n--- zone\n%s\n--- NSD\n%s", tl.bin, q, x, y)
			}
		}
	}
}

// TestInteropNsupdate: nsupdate -y and knsupdate change a zone through
// TSIG-signed UPDATEs; dig AXFR and IXFR with the key fetch the result.
func TestInteropNsupdate(t *testing.T) {
	if _, err := exec.LookPath("nsupdate"); err != nil {
		t.Skip("nsupdate not installed")
	}
	dir := t.TempDir()
	s := updateServer(t, dir)
	s.Now = nil
	s.TransferKeys = []dnswire.Name{admin.Name}
	startServer(t, s)
	h, p, _ := net.SplitHostPort(s.Addr().String())
	reg := "hmac-sha256:registrar:" + base64.StdEncoding.EncodeToString(registrar.Secret)
	script := fmt.Sprintf("server %s %s\nzone edu.\nprereq nxdomain hamburger.edu.\nupdate add hamburger.edu. 86400 NS dns1.hamburger.edu.\nupdate add dns1.hamburger.edu. 86400 A 212.212.212.1\nsend\n", h, p)
	cmd := exec.Command("nsupdate", "-y", reg)
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nsupdate: %v\n%s", err, out)
	}
	if s.Zone(dnswire.MustName("edu.")).set(dnswire.MustName("hamburger.edu."), dnswire.TypeNS) == nil {
		t.Fatal("nsupdate's change not in the zone")
	}
	// The policy refuses the registrar an MX; nsupdate reports REFUSED.
	cmd = exec.Command("nsupdate", "-y", reg)
	cmd.Stdin = strings.NewReader(fmt.Sprintf("server %s %s\nzone edu.\nupdate add hamburger.edu. 60 MX 10 mail.hamburger.edu.\nsend\n", h, p))
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "REFUSED") {
		t.Errorf("refused update: %v\n%s", err, out)
	}
	// A wrong secret: nsupdate sees the TSIG error.
	cmd = exec.Command("nsupdate", "-y", "hmac-sha256:registrar:"+base64.StdEncoding.EncodeToString([]byte("wrong")))
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Errorf("bad key accepted:\n%s", out)
	}
	if kn, err := exec.LookPath("knsupdate"); err == nil {
		adm := "hmac-sha512:admin:" + base64.StdEncoding.EncodeToString(admin.Secret)
		cmd = exec.Command(kn, "-y", adm)
		cmd.Stdin = strings.NewReader(fmt.Sprintf("server %s %s\nzone edu.\norigin edu.\nadd www.hamburger.edu. 60 A 212.212.212.80\nadd www.hamburger.edu. 60 A 212.212.212.81\nsend\nquit\n", h, p))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("knsupdate: %v\n%s", err, out)
		} else if len(s.Zone(dnswire.MustName("edu.")).set(dnswire.MustName("www.hamburger.edu."), dnswire.TypeA)) != 2 {
			t.Errorf("knsupdate's change not in the zone:\n%s", out)
		}
	}
	adm := "hmac-sha512:admin:" + base64.StdEncoding.EncodeToString(admin.Secret)
	out, err := exec.Command("dig", "-p", p, "@"+h, "-y", adm, "edu.", "AXFR").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "dns1.hamburger.edu.\t86400\tIN\tA\t212.212.212.1") || strings.Contains(string(out), "failed") {
		t.Errorf("dig AXFR: %v\n%s", err, out)
	}
	out, err = exec.Command("dig", "-p", p, "@"+h, "-y", adm, "edu.", "IXFR=100").CombinedOutput()
	if err != nil || strings.Count(string(out), "\tSOA\t") < 4 || strings.Contains(string(out), "failed") {
		t.Errorf("dig IXFR=100: %v\n%s", err, out)
	}
	out, _ = exec.Command("dig", "-p", p, "@"+h, "edu.", "AXFR").CombinedOutput()
	if !strings.Contains(string(out), "failed") {
		t.Errorf("unsigned AXFR not refused:\n%s", out)
	}
}

// TestInteropNSDSecondary: NSD as our secondary follows NOTIFY and IXFR.
func TestInteropNSDSecondary(t *testing.T) {
	s := updateServer(t, "")
	s.Now = nil
	s.TransferFrom = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	startServer(t, s)
	ours := s.Addr()
	extra := fmt.Sprintf("\trequest-xfr: %s@%d NOKEY\n\tallow-notify: 127.0.0.1 NOKEY\n", ours.Addr(), ours.Port())
	nsd := startNSDSecondary(t, "edu.", extra)
	s.Notify = []netip.AddrPort{netip.MustParseAddrPort(nsd)}
	waitSerial(t, nsd, 100)
	u := dnswire.NewUpdate(dnswire.MustName("edu."))
	u.UpdateAdd(rr(t, "x.edu. 60 IN A 192.0.2.1"))
	if m := send(t, s, u, admin, time.Now()); m.RCode != dnswire.RCodeSuccess {
		t.Fatal(m.RCode)
	}
	waitSerial(t, nsd, 101)
}

func startNSDSecondary(t *testing.T, origin, extra string) string {
	t.Helper()
	if _, err := os.Stat("/usr/sbin/nsd"); err != nil {
		t.Skip("nsd not installed")
	}
	dir := t.TempDir()
	port := freePort(t)
	conf := fmt.Sprintf("server:\n\tip-address: 127.0.0.1@%d\n\tport: %d\n\tusername: \"\"\n\tchroot: \"\"\n"+
		"\tzonesdir: %q\n\tpidfile: %q\n\tdatabase: \"\"\n\tzonelistfile: %q\n\txfrdfile: %q\n\txfrdir: %q\n"+
		"\tlogfile: %q\n\tserver-count: 1\nremote-control:\n\tcontrol-enable: no\nzone:\n\tname: %s\n\tzonefile: sec.zone\n%s",
		port, port, dir, filepath.Join(dir, "nsd.pid"), filepath.Join(dir, "zone.list"),
		filepath.Join(dir, "xfrd.state"), dir, filepath.Join(dir, "nsd.log"), origin, extra)
	cf := filepath.Join(dir, "nsd.conf")
	os.WriteFile(cf, []byte(conf), 0o644)
	cmd := exec.Command("/usr/sbin/nsd", "-d", "-c", cf)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "nsd.log"))
			t.Logf("nsd.log:\n%s", log)
		}
	})
	return "127.0.0.1:" + strconv.Itoa(port)
}

// waitSerial polls the secondary until it serves serial (a bounded wait
// on an outside process, which has no other ready signal).
func waitSerial(t *testing.T, addr string, serial uint32) {
	t.Helper()
	q, _ := query("edu.", dnswire.TypeSOA).Pack()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.Dial("udp", addr)
		if err == nil {
			c.SetDeadline(time.Now().Add(300 * time.Millisecond))
			c.Write(q)
			buf := make([]byte, 1500)
			n, err := c.Read(buf)
			c.Close()
			var m dnswire.Msg
			if err == nil && m.Unpack(buf[:n]) == nil && len(m.Answer) == 1 {
				if soa, ok := m.Answer[0].Data.(*dnswire.SOA); ok && soa.Serial == serial {
					return
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("secondary %s never reached serial %d", addr, serial)
}
