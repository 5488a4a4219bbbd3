//go:build interop

package resolver_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnstest"
	"github.com/relaykit/relaykit/dnswire"
	"github.com/relaykit/relaykit/resolver"
)

// The interop hierarchy, served by NSD on 127.53.0.x:53 (Unbound asks
// port 53 only): one NSD process per server address, so each answers only
// for its own zones and the root, TLD and authoritative servers refer to
// each other as on the Internet.
const interopPrefix = "127.53.0."

func interopZones(prefix string) map[string]string {
	z := map[string]string{
		".": `
.                   86400  SOA a.root-servers.test. hostmaster.root.test. 1 1800 900 604800 86400
.                   518400 NS  a.root-servers.test.
a.root-servers.test. 518400 A  P1
com.                172800 NS  a.tld.test.
net.                172800 NS  a.tld.test.
org.                172800 NS  a.tld.test.
a.tld.test.         172800 A   P2
`,
		"com.": `
@                 900    SOA a.tld.test. hostmaster.tld.test. 1 1800 900 604800 900
@                 172800 NS  a.tld.test.
example.com.      172800 NS  ns1.example.com.
ns1.example.com.  172800 A   P3
lame.com.         172800 NS  ns1.lame.com.
lame.com.         172800 NS  ns2.lame.com.
ns1.lame.com.     172800 A   P5
ns2.lame.com.     172800 A   P3
split.com.        172800 NS  ns.split.com.
ns.split.com.     172800 A   P6
`,
		"net.": `
@                 900    SOA a.tld.test. hostmaster.tld.test. 1 1800 900 604800 900
@                 172800 NS  a.tld.test.
example.net.      172800 NS  ns.example.net.
ns.example.net.   172800 A   P4
`,
		"org.": `
@                 900    SOA a.tld.test. hostmaster.tld.test. 1 1800 900 604800 900
@                 172800 NS  a.tld.test.
example.org.      172800 NS  ns.example.net.
`,
		"example.com.": `
@        3600 SOA ns1 hostmaster 1 3600 600 86400 300
@        3600 NS  ns1
ns1      3600 A   P3
www      3600 A   192.0.2.1
multi    3600 A   192.0.2.1
multi    3600 A   192.0.2.2
multi    3600 A   192.0.2.3
v6       3600 AAAA 2001:db8::1
alias    3600 CNAME www
alias2   3600 CNAME alias
@        3600 MX  10 mx1
@        3600 MX  20 mx2
mx1      3600 A   192.0.2.11
mx2      3600 A   192.0.2.12
txt      3600 TXT "v=spf1 -all" "second"
a.b.c.deep 3600 A 192.0.2.9
dn       3600 DNAME example.net.
long     3600 DNAME ` + strings.Repeat("x", 60) + "." + strings.Repeat("y", 60) + "." + strings.Repeat("z", 60) + `.example.net.
sub      3600 NS  ns.sub
ns.sub   3600 A   P6
tosub    3600 CNAME www.sub
`,
		"lame.com.": `
@        3600 SOA ns2 hostmaster 1 3600 600 86400 300
@        3600 NS  ns1
@        3600 NS  ns2
ns1      3600 A   P5
ns2      3600 A   P3
www      3600 A   192.0.2.50
`,
		"sub.example.com.": `
@        3600 SOA ns hostmaster 1 3600 600 86400 300
@        3600 NS  ns
ns       3600 A   P6
www      3600 A   192.0.2.77
`,
		// split.com's own NS RRset names a server that does not
		// answer; the parent's names one that does (parent-side
		// fallback).
		"split.com.": `
@        3600 SOA ns hostmaster 1 3600 600 86400 300
@        3600 NS  dead
ns       3600 A   P6
dead     3600 A   P7
www      3600 A   192.0.2.80
www2     3600 A   192.0.2.81
`,
		"example.net.": `
@        3600 SOA ns hostmaster 1 3600 600 86400 300
@        3600 NS  ns
ns       3600 A   P4
www      3600 A   192.0.2.100
`,
		"example.org.": `
@        3600 SOA ns.example.net. hostmaster.example.net. 1 3600 600 86400 300
@        3600 NS  ns.example.net.
www      3600 A   192.0.2.200
`,
	}
	var big strings.Builder
	for i := range 40 {
		fmt.Fprintf(&big, "big 3600 TXT \"record %02d of an RRset too big for UDP: padding padding padding\"\n", i)
	}
	z["example.com."] += big.String()
	for k, v := range z {
		for i := 7; i >= 1; i-- {
			v = strings.ReplaceAll(v, "P"+strconv.Itoa(i), prefix+strconv.Itoa(i))
		}
		z[k] = v
	}
	return z
}

func interopServers(prefix string) map[string][]string {
	return map[string][]string{
		prefix + "1": {"."},
		prefix + "2": {"com.", "net.", "org."},
		prefix + "3": {"example.com.", "lame.com."},
		prefix + "4": {"example.net.", "example.org."},
		prefix + "5": {"example.net."}, // listed for lame.com, does not serve it: REFUSED
		prefix + "6": {"sub.example.com.", "split.com."},
		// prefix + "7" (dead.split.com) runs nothing.
	}
}

func need(t *testing.T, progs ...string) {
	for _, p := range progs {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("%s not installed", p)
		}
	}
}

// startProc starts cmd, stops it by PID at cleanup.
func startProc(t *testing.T, cmd *exec.Cmd, log string) {
	t.Helper()
	f, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		f.Close()
		if t.Failed() {
			b, _ := os.ReadFile(log)
			t.Logf("%s:\n%s", filepath.Base(log), b)
		}
	})
}

// waitDNS waits until addr answers a query for name (bounded polling: an
// external process gives no readiness signal).
func waitDNS(t *testing.T, addr string, name string) {
	t.Helper()
	ap := netipAddrPort(t, addr)
	q := dnswire.Msg{}
	q.ID = 9
	q.SetQuestion(dnswire.MustName(name), dnswire.TypeSOA)
	b, _ := q.Pack()
	for delay := 10 * time.Millisecond; delay < 3*time.Second; delay *= 2 {
		if _, err := (resolver.NetTransport{}).Exchange(context.Background(), "udp", ap, b, delay); err == nil {
			return
		}
		time.Sleep(delay) // refused: the process is not listening yet

	}
	t.Fatalf("%s does not answer", addr)
}

func startNSD(t *testing.T, prefix string) {
	need(t, "nsd")
	zones := interopZones(prefix)
	for addr, origins := range interopServers(prefix) {
		dir := t.TempDir()
		var conf strings.Builder
		fmt.Fprintf(&conf, "server:\n ip-address: %s@53\n username: \"\"\n chroot: \"\"\n zonesdir: %q\n"+
			" pidfile: %q\n database: \"\"\n xfrdfile: %q\n zonelistfile: %q\n logfile: %q\n"+
			" server-count: 1\n verbosity: 1\n hide-version: yes\n rrl-ratelimit: 0\n"+
			"remote-control:\n control-enable: no\n",
			addr, dir, filepath.Join(dir, "nsd.pid"), filepath.Join(dir, "xfrd.state"),
			filepath.Join(dir, "zone.list"), filepath.Join(dir, "nsd.log"))
		for i, o := range origins {
			file := fmt.Sprintf("z%d.zone", i)
			text := fmt.Sprintf("$ORIGIN %s\n$TTL 3600\n%s", o, zones[o])
			if err := os.WriteFile(filepath.Join(dir, file), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&conf, "zone:\n name: %q\n zonefile: %q\n", o, file)
		}
		cf := filepath.Join(dir, "nsd.conf")
		if err := os.WriteFile(cf, []byte(conf.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		startProc(t, exec.Command("nsd", "-d", "-c", cf), filepath.Join(dir, "stdout.log"))
		waitDNS(t, addr+":53", origins[0])
	}
}

// freePort returns a port free for UDP and TCP on ip.
func freePort(t *testing.T, ip string) int {
	for range 20 {
		pc, err := net.ListenPacket("udp", ip+":0")
		if err != nil {
			t.Fatal(err)
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp", fmt.Sprintf("%s:%d", ip, port))
		pc.Close()
		if err == nil {
			l.Close()
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

// unboundConf is what differs between the Unbound instances the interop
// tests start.
type unboundConf struct {
	rootIP string   // the address of the only root hint
	extra  string   // more server: lines, each "  name: value\n"
	prefix []string // words before unbound on the command line (taskset)
}

// iteratorConf is the server: lines of a non-validating Unbound with
// QNAME minimisation, for threads threads.
func iteratorConf(threads int) string {
	return fmt.Sprintf("  verbosity: 0\n  num-threads: %d\n  qname-minimisation: yes\n  module-config: \"iterator\"\n"+
		"  trust-anchor-signaling: no\n  msg-cache-size: 64m\n  rrset-cache-size: 128m\n", threads)
}

// runUnbound starts Unbound as c says on a free port of 127.0.0.1, waits
// until it answers, and returns its PID and port.
func runUnbound(t *testing.T, c unboundConf) (int, int) {
	need(t, "unbound")
	dir := t.TempDir()
	port := freePort(t, "127.0.0.1")
	hints := fmt.Sprintf(".  3600000 NS a.root-servers.test.\na.root-servers.test. 3600000 A %s\n", c.rootIP)
	os.WriteFile(filepath.Join(dir, "root.hints"), []byte(hints), 0o644)
	conf := fmt.Sprintf(`server:
  interface: 127.0.0.1@%d
  port: %d
  username: ""
  chroot: ""
  directory: %q
  pidfile: %q
  do-daemonize: no
  use-syslog: no
  logfile: ""
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  root-hints: %q
  do-not-query-localhost: no
%sremote-control:
  control-enable: no
`, port, port, dir, filepath.Join(dir, "unbound.pid"), filepath.Join(dir, "root.hints"), c.extra)
	cf := filepath.Join(dir, "unbound.conf")
	os.WriteFile(cf, []byte(conf), 0o644)
	args := append(append([]string(nil), c.prefix...), "unbound", "-d", "-c", cf)
	cmd := exec.Command(args[0], args[1:]...)
	startProc(t, cmd, filepath.Join(dir, "unbound.log"))
	waitDNS(t, fmt.Sprintf("127.0.0.1:%d", port), ".")
	return cmd.Process.Pid, port // taskset execs unbound: same PID
}

// startUnbound runs Unbound on 127.0.0.1:<port> with rootIP as its only
// root hint, QNAME minimisation on, no DNSSEC, and returns the port.
func startUnbound(t *testing.T, rootIP string, threads int) int {
	_, port := runUnbound(t, unboundConf{rootIP: rootIP, extra: iteratorConf(threads)})
	return port
}

// startOurs serves a resolver with rootIP:53 as hint on 127.0.0.1.
func startOurs(t *testing.T, cfg resolver.Config) (*resolver.Resolver, int) {
	r := resolver.New(cfg)
	port := freePort(t, "127.0.0.1")
	s := resolver.NewServer(resolver.ServerConfig{Resolver: r})
	go s.ListenAndServe(fmt.Sprintf("127.0.0.1:%d", port))
	waitDNS(t, fmt.Sprintf("127.0.0.1:%d", port), "www.example.com.")
	t.Cleanup(func() { s.Close() })
	return r, port
}

// dig asks 127.0.0.1:port and returns the status and the answer section
// normalised: lower-case owner, no TTL, sorted.
func dig(t *testing.T, port int, name, typ string) (string, []string) {
	t.Helper()
	out, err := exec.Command("dig", "@127.0.0.1", "-p", strconv.Itoa(port), name, typ,
		"+noall", "+comments", "+answer", "+tries=1", "+time=10").CombinedOutput()
	if err != nil && strings.Contains(string(out), "timed out") {
		return "TIMEOUT", nil
	}
	if err != nil {
		t.Fatalf("dig %s %s: %v\n%s", name, typ, err, out)
	}
	status := ""
	var ans []string
	section := ""
	for _, line := range strings.Split(string(out), "\n") {
		if i := strings.Index(line, "status: "); i >= 0 {
			status = strings.TrimSuffix(strings.Fields(line[i+8:])[0], ",")
		}
		if strings.HasPrefix(line, ";; ANSWER SECTION") {
			section = "answer"
			continue
		}
		if strings.HasPrefix(line, ";") || strings.TrimSpace(line) == "" {
			if strings.TrimSpace(line) == "" {
				section = ""
			}
			continue
		}
		if section == "answer" {
			f := strings.Fields(line)
			if len(f) >= 4 {
				ans = append(ans, strings.ToLower(f[0])+" "+strings.Join(f[2:], " "))
			}
		}
	}
	sort.Strings(ans)
	return status, ans
}

var interopCases = []struct{ name, typ string }{
	{"www.example.com.", "A"},
	{"v6.example.com.", "AAAA"},
	{"alias2.example.com.", "A"}, // CNAME chain
	{"example.com.", "MX"},
	{"multi.example.com.", "A"},
	{"txt.example.com.", "TXT"},
	{"nope.example.com.", "A"},       // NXDOMAIN
	{"www.example.com.", "AAAA"},     // NODATA
	{"www.example.org.", "A"},        // glueless delegation
	{"www.lame.com.", "A"},           // one of two servers lame
	{"big.example.com.", "TXT"},      // needs TCP
	{"alias.example.com.", "CNAME"},  // qtype CNAME: the CNAME itself
	{"alias2.example.com.", "CNAME"}, // not followed
	{"alias.example.com.", "ANY"},    // ANY at a CNAME
	{"www.dn.example.com.", "A"},     // DNAME: DNAME, synthesised CNAME, A
	{"nope.dn.example.com.", "A"},    // DNAME to a missing name
	{"dn.example.com.", "DNAME"},
	{strings.Repeat("w", 60) + ".long.example.com.", "A"}, // YXDOMAIN
	{"tosub.example.com.", "A"},                           // CNAME into a delegated child
	{"www.sub.example.com.", "A"},
	{"split.com.", "NS"},     // the child's NS set: a dead server
	{"www2.split.com.", "A"}, // parent-side fallback (Unbound 1.17 times out here)
}

func TestInteropNSDUnbound(t *testing.T) {
	need(t, "nsd", "unbound", "dig")
	startNSD(t, interopPrefix)
	root := interopPrefix + "1"
	uport := startUnbound(t, root, 1)
	hint := netipAddrPort(t, root+":53")
	r, oport := startOurs(t, resolver.Config{RootHints: []netip.AddrPort{hint}, GluePort: 53, AllowSpecialAddrs: true})
	for _, c := range interopCases {
		us, ua := dig(t, uport, c.name, c.typ)
		os_, oa := dig(t, oport, c.name, c.typ)
		if (us == "TIMEOUT" || us == "SERVFAIL") && os_ == "NOERROR" && len(oa) > 0 {
			t.Logf("%s %s: unbound %s, ours %s %q", c.name, c.typ, us, os_, oa)
			continue
		}
		if us != os_ || strings.Join(ua, "\n") != strings.Join(oa, "\n") {
			t.Errorf("%s %s:\n unbound %s %q\n ours    %s %q", c.name, c.typ, us, ua, os_, oa)
			continue
		}
		t.Logf("%s %s: %s, %d records agree", c.name, c.typ, us, len(ua))
		// The library agrees with what our server said.
		typ, _ := dnswire.ParseType(c.typ)
		res, err := r.Resolve(context.Background(), dnswire.MustName(c.name), typ)
		if (err == nil) != (us == "NOERROR" && len(ua) > 0) || len(res.Answer) != len(ua) {
			t.Errorf("%s %s: Resolve gave %d records, %v", c.name, c.typ, len(res.Answer), err)
		}
	}
}

func netipAddrPort(t *testing.T, s string) netip.AddrPort {
	t.Helper()
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		t.Fatal(err)
	}
	return ap
}

// startDNSTest serves the interop hierarchy on prefix.x:53 with dnstest
// instead of NSD, each address serving what interopServers lists (and
// what the zones' NS records give it), until the test ends. It skips
// the test when port 53 cannot be bound.
func startDNSTest(t *testing.T, prefix string) *dnstest.Hierarchy {
	t.Helper()
	h, err := dnstest.Start(dnstest.Config{Zones: interopZones(prefix), Servers: interopServers(prefix), Port: 53})
	if errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EADDRINUSE) {
		t.Skip("cannot listen on port 53:", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	interopFaults(h, prefix)
	return h
}

// interopFaults makes the dnstest servers behave as NSD does with
// interopServers: lame.com's NS records name prefix.5, which NSD does
// not configure for it (REFUSED), and nothing runs on prefix.7
// (dead.split.com), while dnstest serves every zone at the addresses of
// its NS records.
func interopFaults(h *dnstest.Hierarchy, prefix string) {
	lame := dnswire.MustName("lame.com.")
	for _, s := range h.Servers() {
		switch s.Addr.Addr().String() {
		case prefix + "5":
			s.SetFault(dnstest.Fault{Edit: func(m *dnswire.Msg) {
				if len(m.Question) == 1 && m.Question[0].Name.IsSubdomainOf(lame) {
					m.Answer, m.Ns, m.Extra = nil, nil, nil
					m.Authoritative, m.RCode = false, dnswire.RCodeRefused
				}
			}})
		case prefix + "7":
			s.SetFault(dnstest.Fault{Drop: true})
		default:
			s.SetFault(dnstest.Fault{})
		}
	}
}

// TestInteropUpstreamQueries counts the upstream queries a cold Unbound
// and a cold resolver of ours send for the same questions to the same
// hierarchy (dnstest on 127.54.0.x:53, which counts what it receives),
// both with QNAME minimisation.
func TestInteropUpstreamQueries(t *testing.T) {
	need(t, "unbound", "dig")
	const prefix = "127.54.0."
	h := startDNSTest(t, prefix)
	hint := netipAddrPort(t, prefix+"1:53")
	for _, c := range []struct{ name, typ string }{
		{"www.example.com.", "A"},
		{"a.b.c.deep.example.com.", "A"},
		{"www.example.org.", "A"},
		{"example.com.", "MX"},
		{"alias2.example.com.", "A"},
		{"alias.example.com.", "CNAME"},
		{"www.dn.example.com.", "A"},
		{"tosub.example.com.", "A"},
		{"nope.example.com.", "A"},
		{"big.example.com.", "TXT"},
	} {
		uport := startUnbound(t, prefix+"1", 1)
		h.ResetQueries()
		dig(t, uport, c.name, c.typ)
		theirs := h.QueryCount()
		// startUnbound's readiness probe (". SOA") primed Unbound;
		// ours gets the same question first.
		r := resolver.New(resolver.Config{RootHints: []netip.AddrPort{hint}, GluePort: 53, AllowSpecialAddrs: true})
		r.Resolve(context.Background(), dnswire.Root(), dnswire.TypeSOA)
		h.ResetQueries()
		typ, _ := dnswire.ParseType(c.typ)
		if _, err := r.Resolve(context.Background(), dnswire.MustName(c.name), typ); err != nil && !errors.Is(err, resolver.ErrNXDomain) {
			t.Fatal(err)
		}
		ours := h.QueryCount()
		t.Logf("cold %s %s: relaykit %d upstream queries, unbound %d", c.name, c.typ, ours, theirs)
		if ours > theirs {
			t.Errorf("cold %s %s: %d upstream queries, more than Unbound's %d", c.name, c.typ, ours, theirs)
		}
	}
}
