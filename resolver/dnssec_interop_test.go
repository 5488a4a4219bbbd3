//go:build interop

package resolver

import (
	"context"
	"errors"
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

// TestInteropDNSSECVerdictsUnbound serves the ldns-signed lab zones on
// 127.0.0.1, points a validating Unbound at them (stub zone, the lab's DS
// as trust anchor) and checks that our Validator and Unbound give the
// same verdict on every case: Unbound's AD flag for secure, NOERROR or
// NXDOMAIN without AD for insecure, SERVFAIL for bogus. The iterative
// Resolver with Config.DNSSEC, given the same server as its root hint,
// must agree too (verdict and rcode). It runs on the
// real clock (the fixtures are signed from 2026 to 2036).
func TestInteropDNSSECVerdictsUnbound(t *testing.T) {
	bin, err := exec.LookPath("unbound")
	if err != nil {
		if _, err := os.Stat("/usr/sbin/unbound"); err != nil {
			t.Skip("unbound not installed")
		}
		bin = "/usr/sbin/unbound"
	}
	a := newLabAuth(t)
	// Bogus data for two names only, so the other cases stay clean in
	// Unbound's cache: a forged address, and an RRSIG stripped.
	a.edit = func(q dnswire.Name, ty dnswire.Type, m *dnswire.Msg) {
		switch {
		case ty == dnswire.TypeA && q.Equal(dnswire.MustName("ns.sec.lab.")) && len(m.Answer) > 0:
			m.Answer[0].Data = &dnswire.A{Addr: netip.MustParseAddr("192.0.2.66")}
		case ty == dnswire.TypeA && q.Equal(dnswire.MustName("ns.lab.")) && len(m.Answer) > 1:
			m.Answer = m.Answer[:1]
		}
	}
	auth, _ := serveLab(t, a)
	anchor := labAnchor(t)[0]
	ds := anchor.Data.(*dnswire.DS)

	dir := t.TempDir()
	l, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.LocalAddr().(*net.UDPAddr).Port
	l.Close()
	conf := fmt.Sprintf(`server:
  interface: 127.0.0.1
  port: %d
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "%s"
  pidfile: ""
  use-syslog: no
  logfile: ""
  verbosity: 1
  val-log-level: 2
  do-not-query-localhost: no
  qname-minimisation: no
  aggressive-nsec: no
  module-config: "validator iterator"
  trust-anchor: "lab. DS %d %d %d %x"
stub-zone:
  name: "lab."
  stub-addr: 127.0.0.1@%d
`, port, dir, ds.KeyTag, ds.Algorithm, ds.DigestType, ds.Digest, auth.Port())
	cf := filepath.Join(dir, "unbound.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-d", "-c", cf)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	ub := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port))
	ask := func(name string, ty dnswire.Type) (*dnswire.Msg, error) {
		h := dnswire.Header{ID: 4242, RecursionDesired: true}
		b := dnswire.NewBuilder(nil, h, dnswire.BuildOptions{})
		b.Question(&dnswire.Question{Name: dnswire.MustName(name), Type: ty, Class: dnswire.ClassINET})
		b.OPT(&dnswire.EDNS{UDPSize: 1232, DO: true})
		q, _ := b.Finish()
		raw, err := NetTransport{}.Exchange(context.Background(), "udp", ub, q, time.Second)
		if err != nil {
			return nil, err
		}
		m := &dnswire.Msg{}
		return m, m.Unpack(raw)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := ask("lab.", dnswire.TypeSOA); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("unbound did not start:\n%s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	v := &Validator{Anchors: labAnchor(t), Query: UpstreamQuery(nil, time.Second, auth)}
	// The iterative resolver validating by itself, from the lab's
	// server as its root hint.
	r := New(Config{DNSSEC: true, TrustAnchors: labAnchor(t), RootHints: []netip.AddrPort{auth}, AllowSpecialAddrs: true})
	cases := []struct {
		name string
		ty   dnswire.Type
		want Security
	}{
		{"www.lab.", dnswire.TypeA, Secure},
		{"mx.sec.lab.", dnswire.TypeA, Secure},
		{"_25._tcp.mx.sec.lab.", dnswire.TypeTLSA, Secure},
		{"x.wild.sec.lab.", dnswire.TypeTXT, Secure},
		{"nope.sec.lab.", dnswire.TypeA, Secure},
		{"mx.sec.lab.", dnswire.TypeTXT, Secure},
		{"nope.lab.", dnswire.TypeA, Secure},
		{"www.lab.", dnswire.TypeMX, Secure},
		{"www.insec.lab.", dnswire.TypeA, Insecure},
		{"nope.insec.lab.", dnswire.TypeA, Insecure},
		{"ns.sec.lab.", dnswire.TypeA, Bogus},
		{"ns.lab.", dnswire.TypeA, Bogus},
	}
	for _, tc := range cases {
		t.Run(tc.name+"/"+tc.ty.String(), func(t *testing.T) {
			m, err := ask(tc.name, tc.ty)
			if err != nil {
				t.Fatal(err)
			}
			theirs := Insecure
			switch {
			case m.RCode == dnswire.RCodeServerFailure:
				theirs = Bogus
			case m.AuthenticData:
				theirs = Secure
			}
			ours, err := v.Resolve(context.Background(), dnswire.MustName(tc.name), tc.ty)
			t.Logf("unbound: %v (rcode %v); ours: %v (%v)", theirs, m.RCode, ours.Security, err)
			if theirs != ours.Security || ours.Security != tc.want {
				t.Fatalf("unbound %v, ours %v, want %v\n%s", theirs, ours.Security, tc.want, out.String())
			}
			res, err := r.Resolve(context.Background(), dnswire.MustName(tc.name), tc.ty)
			t.Logf("iterative: %v (rcode %v, %v)", res.Security, res.RCode, err)
			if res.Security != theirs || res.RCode != m.RCode || (theirs == Bogus) != errors.Is(err, ErrBogus) {
				t.Fatalf("unbound %v (%v), iterative resolver %v (%v, %v)", theirs, m.RCode, res.Security, res.RCode, err)
			}
		})
	}
}
