//go:build interop

package mailqueue

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dane"
	"github.com/relaykit/relaykit/internal/postfixtest"
	"github.com/relaykit/relaykit/smtp"
	"github.com/relaykit/relaykit/tlstest"
)

// tlsPostfix starts a private Postfix for example.com on 127.0.0.1;
// with a certificate it offers STARTTLS (smtpd_tls_security_level=may).
func tlsPostfix(t *testing.T, leaf *tlstest.Leaf) *postfixtest.Server {
	t.Helper()
	dir := t.TempDir()
	cfg := postfixtest.Config{Dir: filepath.Join(dir, "pf"), MaildirDomains: []string{"example.com"}}
	if leaf != nil {
		cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
		if err := leaf.WritePEM(cert, key); err != nil {
			t.Fatal(err)
		}
		cfg.Main = []string{
			"smtpd_tls_security_level = may",
			"smtpd_tls_cert_file = " + cert,
			"smtpd_tls_key_file = " + key,
		}
	}
	s, err := postfixtest.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop() })
	return s
}

// postfixVerdict asks posttls-finger whether Postfix's SMTP client, at
// level, would deliver to s (verify: matching mx.example.com against the
// CA in caFile). It also returns the SHA-256 public key fingerprint it
// reports, as hex.
func postfixVerdict(t *testing.T, s *postfixtest.Server, level, caFile string) (bool, string) {
	t.Helper()
	bin, err := exec.LookPath("posttls-finger")
	if err != nil {
		if _, err := os.Stat("/usr/sbin/posttls-finger"); err != nil {
			t.Skip("posttls-finger not installed")
		}
		bin = "/usr/sbin/posttls-finger"
	}
	cmd := exec.Command(bin, "-c", "-l", level, "-F", caFile, "-d", "sha256", "-L", "summary,certmatch,verbose", "-t", "10", "-T", "10",
		"["+strings.Split(s.Addr, ":")[0]+"]:"+strings.Split(s.Addr, ":")[1], "mx.example.com")
	cmd.Env = append(os.Environ(), "MAIL_CONFIG="+s.ConfigDir)
	out, _ := cmd.CombinedOutput()
	o := string(out)
	var fp string
	if i := strings.Index(o, "pkey_fingerprint="); i >= 0 {
		fp = o[i+len("pkey_fingerprint="):]
		fp = strings.ToLower(strings.ReplaceAll(strings.Fields(fp)[0], ":", ""))
	}
	switch level {
	case "none", "may":
		return !strings.Contains(o, "Connection refused"), fp
	case "encrypt":
		return strings.Contains(o, "TLS connection established"), fp
	case "verify":
		return strings.Contains(o, "Verified TLS connection established") || strings.Contains(o, "Trusted TLS connection established"), fp
	}
	t.Fatalf("level %s", level)
	return false, ""
}

// TestInteropTLSPolicyPostfix delivers to Postfix over STARTTLS at each
// level, with and without a certificate the client trusts and with
// STARTTLS not offered at all, and checks the queue delivers exactly
// where posttls-finger says Postfix's own client would.
func TestInteropTLSPolicyPostfix(t *testing.T) {
	if err := postfixtest.Available(); err != nil {
		t.Skip(err)
	}
	ca, err := tlstest.New("interop CA")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue([]string{"mx.example.com"}, tlstest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	otherCA, err := tlstest.New("other CA")
	if err != nil {
		t.Fatal(err)
	}
	untrusted, err := otherCA.Issue([]string{"mx.example.com"}, tlstest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := ca.WritePEM(caFile); err != nil {
		t.Fatal(err)
	}
	servers := []struct {
		name string
		leaf *tlstest.Leaf
	}{{"trusted", leaf}, {"untrusted", untrusted}, {"plaintext", nil}}
	for _, srv := range servers {
		pf := tlsPostfix(t, srv.leaf)
		port := pf.Addr[strings.LastIndexByte(pf.Addr, ':')+1:]
		var fp string
		for _, level := range []TLSLevel{TLSNone, TLSMay, TLSEncrypt, TLSVerify} {
			t.Run(srv.name+"/"+level.String(), func(t *testing.T) {
				want, f := postfixVerdict(t, pf, level.String(), caFile)
				if f != "" {
					fp = f
				}
				got, res := deliverOnce(t, port, level, ca, nil)
				t.Logf("postfix delivers: %v; we deliver: %v; TLS %v %s verified %v %s failure %q", want, got, res.TLS, res.VersionName(), res.Verified, res.VerifiedBy, res.Failure)
				if got != want {
					t.Fatalf("we deliver %v, Postfix's client would %v\n%s", got, want, pf.LogTail(15))
				}
				// A server with a certificate must really have
				// negotiated TLS above level none (a Postfix whose
				// TLS is broken would otherwise agree with itself).
				if got && srv.leaf != nil && level != TLSNone && !res.TLS {
					t.Fatalf("delivered without TLS at %v to a server offering it", level)
				}
			})
		}
		if srv.leaf == nil {
			continue
		}
		// DANE: TLSA records from a fake validated lookup, matching and
		// not matching Postfix's certificate. posttls-finger cannot be
		// given TLSA records without a DNSSEC resolver, so it is asked
		// for the certificate's public key fingerprint instead, which
		// must be the 3 1 1 record's data.
		match := dane.Record(dane.DANEEE, dane.SelectorSPKI, dane.MatchSHA256, srv.leaf.Cert)
		if fp != "" && fp != hex.EncodeToString(match.Data) {
			t.Fatalf("posttls-finger fingerprint %s, our 3 1 1 data %x", fp, match.Data)
		}
		ta := dane.Record(dane.DANETA, dane.SelectorSPKI, dane.MatchSHA256, ca.Cert)
		wrong := dane.Record(dane.DANEEE, dane.SelectorSPKI, dane.MatchSHA256, leafOf(t, srv.leaf, ca, untrusted))
		for _, tc := range []struct {
			name string
			rec  dane.TLSA
			want bool
		}{{"dane-ee-match", match, true}, {"dane-ee-mismatch", wrong, false}, {"dane-ta-root-not-sent", ta, false}} {
			t.Run(srv.name+"/"+tc.name, func(t *testing.T) {
				got, res := deliverOnce(t, port, TLSDANE, ca, dane.MapLookup{dane.TLSAName("mx.example.com", portNum(port)): {Verdict: dane.Secure, Records: []dane.TLSA{tc.rec}}})
				t.Logf("we deliver: %v; TLS %s verified %v by %s failure %q (%v)", got, res.VersionName(), res.Verified, res.VerifiedBy, res.Failure, res.VerifyError)
				if got != tc.want {
					t.Fatalf("delivered %v, want %v\n%s", got, tc.want, pf.LogTail(15))
				}
			})
		}
	}
}

// leafOf returns a certificate that is not this server's.
func leafOf(t *testing.T, l *tlstest.Leaf, ca *tlstest.CA, other *tlstest.Leaf) *x509.Certificate {
	if l == other {
		x, err := ca.Issue([]string{"mx.example.com"}, tlstest.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return x.Cert
	}
	return other.Cert
}

func portNum(p string) uint16 {
	var n uint16
	for _, c := range p {
		n = n*10 + uint16(c-'0')
	}
	return n
}

// deliverOnce queues one message to bob@example.com (MX mx.example.com
// at 127.0.0.1:port) under level and reports whether it was delivered on
// the first attempt, with the TLS record.
func deliverOnce(t *testing.T, port string, level TLSLevel, ca *tlstest.CA, tlsa dane.Lookup) (bool, TLSResult) {
	t.Helper()
	var rep tlsReports
	d := &SMTPDeliverer{
		TLS: &tls.Config{RootCAs: ca.Pool()},
		OutboundTLS: OutboundTLS{
			Policies: StaticTLSPolicies{Default: TLSPolicy{Level: level}},
			DANE:     tlsa,
			Report:   rep.add,
		},
		Client: smtp.ClientConfig{Timeouts: smtp.ClientTimeouts{Greeting: 10 * time.Second, Command: 10 * time.Second, DataInit: 10 * time.Second, DataBlock: 10 * time.Second, DataTerm: 10 * time.Second}},
	}
	h, _ := smtpHarness(t, portNum(port), d)
	defer d.Close()
	id := h.enqueue("alice@example.org", "bob@example.com")
	h.q.settle()
	var res TLSResult
	if r := rep.all(); len(r) > 0 {
		res = r[len(r)-1]
	}
	if h.q.Len() == 0 {
		return true, res
	}
	m, err := h.store.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("deferred: %s", m.State.Rcpts[0].Reply)
	if rs := m.State.Rcpts[0]; rs.Status != StatusPending || !strings.HasPrefix(rs.Reply, "4") {
		t.Fatalf("not deferred with a 4xx: %+v", rs)
	}
	return false, res
}
