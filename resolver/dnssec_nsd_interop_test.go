//go:build interop

package resolver_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaykit/relaykit/dnswire"
	"github.com/relaykit/relaykit/resolver"
)

// The signed interop hierarchy: zones signed at test time with
// ldns-keygen and ldns-signzone, served by NSD on 127.54.0.x:53, one
// process per server so that every zone cut is a real referral and DS
// records come from the parent's servers.
const signedPrefix = "127.54.0."

// signedZone is one zone of the signed hierarchy.
type signedZone struct {
	origin string
	server string // last octet of the server address
	text   string
	alg    string // ldns-keygen algorithm; "" leaves the zone unsigned
	nsec3  bool
	// expired signs with signatures that ran out in 2020.
	expired bool
	// wrongDS publishes, in the parent, the DS of a key the zone does
	// not use.
	wrongDS bool
}

func signedZones() []signedZone {
	return []signedZone{
		{origin: ".", server: "1", alg: "RSASHA256", text: `
.                  86400 SOA a.root-servers.test. hostmaster.root.test. 1 1800 900 604800 3600
.                  86400 NS  a.root-servers.test.
a.root-servers.test. 86400 A P1
lab.               86400 NS  ns.lab.
ns.lab.            86400 A   P2
`},
		{origin: "lab.", server: "2", alg: "ED25519", text: `
@        3600 SOA ns hostmaster 1 3600 600 86400 300
@        3600 NS  ns
ns       3600 A   P2
www      3600 A   192.0.2.1
sec      3600 NS  ns.sec
ns.sec   3600 A   P3
insec    3600 NS  ns.insec
ns.insec 3600 A   P3
bad      3600 NS  ns.bad
ns.bad   3600 A   P3
old      3600 NS  ns.old
ns.old   3600 A   P3
dn       3600 DNAME sec.lab.
`},
		{origin: "sec.lab.", server: "3", alg: "ECDSAP256SHA256", nsec3: true, text: `
@        3600 SOA ns hostmaster 1 3600 600 86400 300
@        3600 NS  ns
ns       3600 A   P3
mx       3600 A   192.0.2.25
_25._tcp.mx 3600 TLSA 3 1 1 0c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d6
*.wild   3600 TXT "wild"
alias    3600 CNAME mx
`},
		{origin: "insec.lab.", server: "3", text: `
@        3600 SOA ns hostmaster 1 3600 600 86400 300
@        3600 NS  ns
ns       3600 A   P3
www      3600 A   192.0.2.9
`},
		{origin: "bad.lab.", server: "3", alg: "ECDSAP256SHA256", wrongDS: true, text: `
@        3600 SOA ns hostmaster 1 3600 600 86400 300
@        3600 NS  ns
ns       3600 A   P3
www      3600 A   192.0.2.66
`},
		{origin: "old.lab.", server: "3", alg: "ECDSAP256SHA256", expired: true, text: `
@        3600 SOA ns hostmaster 1 3600 600 86400 300
@        3600 NS  ns
ns       3600 A   P3
www      3600 A   192.0.2.67
`},
	}
}

// keygen makes a key for origin in dir and returns its base name and
// its DS record (SHA-256) as text.
func keygen(t *testing.T, dir, origin, alg string, ksk bool) (string, string) {
	t.Helper()
	args := []string{"-a", alg}
	if alg == "RSASHA256" {
		args = append(args, "-b", "2048")
	}
	if ksk {
		args = append(args, "-k")
	}
	cmd := exec.Command("ldns-keygen", append(args, origin)...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ldns-keygen %v: %v", args, err)
	}
	base := strings.TrimSpace(string(out))
	if !ksk {
		return base, ""
	}
	ds, err := os.ReadFile(filepath.Join(dir, base+".ds"))
	if err != nil {
		t.Fatal(err)
	}
	return base, strings.Join(strings.Fields(string(ds)), " ")
}

// buildSigned signs the zones bottom-up (a parent carries its children's
// DS), writes them for NSD, and returns the files by origin and the
// root's DS (the trust anchor).
func buildSigned(t *testing.T) (map[string]string, string) {
	need(t, "ldns-keygen", "ldns-signzone")
	zones := signedZones()
	dir := t.TempDir()
	files := map[string]string{}
	var rootDS string
	// Children first: zones with more labels are signed before their
	// parents, whose text gets their DS.
	order := make([]int, len(zones))
	for i := range order {
		order[i] = i
	}
	labels := func(o string) int { return strings.Count(o, ".") - map[bool]int{true: 1}[o == "."] }
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && labels(zones[order[j]].origin) > labels(zones[order[j-1]].origin); j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	extra := map[string]string{} // DS lines to add to a parent
	for _, i := range order {
		z := zones[i]
		text := z.text
		for n := 7; n >= 1; n-- {
			text = strings.ReplaceAll(text, fmt.Sprintf("P%d", n), fmt.Sprintf("%s%d", signedPrefix, n))
		}
		text = fmt.Sprintf("$ORIGIN %s\n$TTL 3600\n%s%s", z.origin, strings.TrimLeft(text, "\n"), extra[z.origin])
		name := strings.TrimSuffix(z.origin, ".")
		if name == "" {
			name = "root"
		}
		file := filepath.Join(dir, name+".zone")
		if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if z.alg == "" {
			files[z.origin] = file
			continue
		}
		ksk, ds := keygen(t, dir, z.origin, z.alg, true)
		zsk, _ := keygen(t, dir, z.origin, z.alg, false)
		if z.wrongDS {
			_, ds = keygen(t, dir, z.origin, z.alg, true) // a key the zone never uses
		}
		args := []string{"-o", z.origin, "-f", file + ".signed"}
		if z.nsec3 {
			args = append(args, "-n", "-t", "0") // RFC 9276: no extra iterations
		}
		if z.expired {
			args = append(args, "-i", "20190101000000", "-e", "20200101000000")
		}
		cmd := exec.Command("ldns-signzone", append(args, file, ksk, zsk)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("ldns-signzone %s: %v\n%s", z.origin, err, out)
		}
		files[z.origin] = file + ".signed"
		if z.origin == "." {
			rootDS = ds
			continue
		}
		parent := z.origin[strings.Index(z.origin, ".")+1:]
		if parent == "" {
			parent = "."
		}
		extra[parent] += ds + "\n"
	}
	return files, rootDS
}

// startSignedNSD serves the signed zones, one NSD per server address.
func startSignedNSD(t *testing.T, files map[string]string) {
	need(t, "nsd")
	byServer := map[string][]string{}
	for _, z := range signedZones() {
		byServer[z.server] = append(byServer[z.server], z.origin)
	}
	for srv, origins := range byServer {
		addr := signedPrefix + srv
		dir := t.TempDir()
		var conf strings.Builder
		fmt.Fprintf(&conf, "server:\n ip-address: %s@53\n username: \"\"\n chroot: \"\"\n zonesdir: %q\n"+
			" pidfile: %q\n database: \"\"\n xfrdfile: %q\n zonelistfile: %q\n logfile: %q\n"+
			" server-count: 1\n verbosity: 1\n hide-version: yes\n rrl-ratelimit: 0\n"+
			"remote-control:\n control-enable: no\n",
			addr, dir, filepath.Join(dir, "nsd.pid"), filepath.Join(dir, "xfrd.state"),
			filepath.Join(dir, "zone.list"), filepath.Join(dir, "nsd.log"))
		for _, o := range origins {
			fmt.Fprintf(&conf, "zone:\n name: %q\n zonefile: %q\n", o, files[o])
		}
		cf := filepath.Join(dir, "nsd.conf")
		if err := os.WriteFile(cf, []byte(conf.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		startProc(t, exec.Command("nsd", "-d", "-c", cf), filepath.Join(dir, "stdout.log"))
		waitDNS(t, addr+":53", origins[0])
	}
}

// startValidatingUnbound runs Unbound validating from rootDS with the
// signed hierarchy's root as its hint, and returns its port.
func startValidatingUnbound(t *testing.T, rootDS string) int {
	_, port := runUnbound(t, unboundConf{rootIP: signedPrefix + "1", extra: fmt.Sprintf(
		"  verbosity: 1\n  val-log-level: 2\n  module-config: \"validator iterator\"\n  trust-anchor: %q\n  aggressive-nsec: no\n", rootDS)})
	return port
}

// TestInteropDNSSECSignedHierarchy: zones signed by ldns (RSA/SHA-256
// root, Ed25519 TLD, ECDSA P-256 leaves, NSEC and NSEC3), served by NSD
// with real referrals; Unbound and our iterative Resolver (Config.DNSSEC)
// validate from the same root DS and must give the same verdict on
// every case: secure answers, NSEC and NSEC3 denials, a wildcard, a
// CNAME, a DNAME, an insecure delegation, a wrong DS and expired
// signatures.
func TestInteropDNSSECSignedHierarchy(t *testing.T) {
	need(t, "dig")
	files, rootDS := buildSigned(t)
	startSignedNSD(t, files)
	port := startValidatingUnbound(t, rootDS)
	anchor, err := dnswire.ReadZone(strings.NewReader(rootDS+"\n"), dnswire.ZoneConfig{TTL: 3600})
	if err != nil || len(anchor) != 1 {
		t.Fatalf("root DS %q: %v", rootDS, err)
	}
	r := resolver.New(resolver.Config{DNSSEC: true, TrustAnchors: anchor,
		RootHints: []netip.AddrPort{netip.MustParseAddrPort(signedPrefix + "1:53")}, AllowSpecialAddrs: true})
	cases := []struct {
		name, typ string
		want      resolver.Security
	}{
		{"www.lab.", "A", resolver.Secure},
		{"mx.sec.lab.", "A", resolver.Secure},
		{"_25._tcp.mx.sec.lab.", "TLSA", resolver.Secure},
		{"x.wild.sec.lab.", "TXT", resolver.Secure},
		{"alias.sec.lab.", "A", resolver.Secure},
		{"mx.dn.lab.", "A", resolver.Secure},    // DNAME, synthesised CNAME
		{"nope.sec.lab.", "A", resolver.Secure}, // NSEC3 NXDOMAIN
		{"mx.sec.lab.", "TXT", resolver.Secure}, // NSEC3 NODATA
		{"nope.lab.", "A", resolver.Secure},     // NSEC NXDOMAIN
		{"www.lab.", "MX", resolver.Secure},     // NSEC NODATA
		{"www.insec.lab.", "A", resolver.Insecure},
		{"nope.insec.lab.", "A", resolver.Insecure},
		{"www.bad.lab.", "A", resolver.Bogus}, // wrong DS
		{"www.old.lab.", "A", resolver.Bogus}, // expired signatures
	}
	for _, tc := range cases {
		t.Run(tc.name+"/"+tc.typ, func(t *testing.T) {
			out, err := exec.Command("dig", "@127.0.0.1", "-p", fmt.Sprint(port), tc.name, tc.typ,
				"+dnssec", "+tries=1", "+time=10").CombinedOutput()
			if err != nil {
				t.Fatalf("dig: %v\n%s", err, out)
			}
			theirs := resolver.Insecure
			switch {
			case strings.Contains(string(out), "status: SERVFAIL"):
				theirs = resolver.Bogus
			case strings.Contains(string(out), " ad;") || strings.Contains(string(out), " ad "):
				theirs = resolver.Secure
			}
			typ, _ := dnswire.ParseType(tc.typ)
			res, err := r.Resolve(context.Background(), dnswire.MustName(tc.name), typ)
			t.Logf("unbound %v; ours %v (%v, %v)", theirs, res.Security, res.RCode, err)
			if theirs != tc.want || res.Security != theirs || (theirs == resolver.Bogus) != errors.Is(err, resolver.ErrBogus) {
				t.Fatalf("unbound %v, ours %v (%v), want %v\n%s", theirs, res.Security, err, tc.want, out)
			}
		})
	}
}
