package mailqueue

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaykit/relaykit/smtp"
	"github.com/relaykit/relaykit/tlstest"
)

// tapListener records every byte its connections read from clients.
type tapListener struct {
	net.Listener
	mu  sync.Mutex
	buf bytes.Buffer
}

type tapConn struct {
	net.Conn
	l *tapListener
}

func (c tapConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.l.mu.Lock()
	c.l.buf.Write(p[:n])
	c.l.mu.Unlock()
	return n, err
}

func (l *tapListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return tapConn{c, l}, nil
}

func (l *tapListener) seen() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// tlsSink is a sink server; cfg nil means no STARTTLS.
type tlsSink struct {
	*sink
	addr netip.AddrPort
	tap  *tapListener
	tls  []bool // per message: was the session over TLS
}

type tlsRecordingBackend struct{ s *tlsSink }

func (b tlsRecordingBackend) NewSession(ctx context.Context, c *smtp.Conn) (smtp.Session, error) {
	b.s.mu.Lock()
	b.s.sessions++
	b.s.mu.Unlock()
	return &tlsSession{sinkSession{s: b.s.sink}, c, b.s}, nil
}

// tlsSession records, per message, whether it came over TLS.
type tlsSession struct {
	sinkSession
	c  *smtp.Conn
	ts *tlsSink
}

func (s *tlsSession) Data(ctx context.Context, r io.Reader) error {
	s.ts.mu.Lock()
	s.ts.tls = append(s.ts.tls, s.c.TLS() != nil)
	s.ts.mu.Unlock()
	return s.sinkSession.Data(ctx, r)
}

func (s *tlsSink) overTLS() []bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]bool(nil), s.tls...)
}

func startTLSSink(t *testing.T, cfg *tls.Config) *tlsSink {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := &tlsSink{sink: &sink{}, tap: &tapListener{Listener: l}}
	srv := &smtp.Server{Backend: tlsRecordingBackend{ts}, Hostname: "mx.example.com", TLSConfig: cfg}
	go srv.Serve(ts.tap)
	t.Cleanup(func() { srv.Close() })
	ts.addr = netip.MustParseAddrPort(l.Addr().String())
	return ts
}

// tlsWorld is a CA and a certificate for mx.example.com issued by it.
type tlsWorld struct {
	ca   *tlstest.CA
	leaf *tlstest.Leaf
}

func newTLSWorld(t testing.TB, names ...string) tlsWorld {
	t.Helper()
	ca, err := tlstest.New("relaykit test CA")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		names = []string{"mx.example.com"}
	}
	leaf, err := ca.Issue(names, tlstest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return tlsWorld{ca, leaf}
}

func (w tlsWorld) server() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{w.leaf.TLS}}
}

// tlsReports collects OutboundTLS.Report calls.
type tlsReports struct {
	mu  sync.Mutex
	got []TLSResult
}

func (r *tlsReports) add(t Target, res TLSResult) {
	r.mu.Lock()
	r.got = append(r.got, res)
	r.mu.Unlock()
}

func (r *tlsReports) all() []TLSResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]TLSResult(nil), r.got...)
}

func rcptState(t *testing.T, h *harness, id ID) RcptState {
	t.Helper()
	m, err := h.store.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m.State.Rcpts[0]
}

func TestTLSOpportunisticByDefault(t *testing.T) {
	w := newTLSWorld(t)
	for _, trusted := range []bool{false, true} {
		sk := startTLSSink(t, w.server())
		var rep tlsReports
		d := &SMTPDeliverer{OutboundTLS: OutboundTLS{Report: rep.add}}
		if trusted {
			d.TLS = &tls.Config{RootCAs: w.ca.Pool()}
		}
		h, _ := smtpHarness(t, sk.addr.Port(), d)
		h.enqueue("alice@example.org", "bob@example.com")
		h.q.settle()
		if n := len(sk.received()); n != 1 || !sk.overTLS()[0] {
			t.Fatalf("trusted=%v: received %d, over TLS %v", trusted, n, sk.overTLS())
		}
		got := rep.all()
		if len(got) != 1 {
			t.Fatalf("%d reports", len(got))
		}
		r := got[0]
		if !r.TLS || r.Version != tls.VersionTLS13 || r.CipherSuite == 0 || r.Applied != TLSMay || r.ServerName != "mx.example.com" || len(r.PeerCertificates) != 1 || r.Failure != "" {
			t.Fatalf("report %+v", r)
		}
		if r.Verified != trusted || (trusted && r.VerifiedBy != "pkix") || (!trusted && r.VerifyError == nil) {
			t.Fatalf("trusted=%v: verified %v by %q err %v", trusted, r.Verified, r.VerifiedBy, r.VerifyError)
		}
		if r.VersionName() != "TLS 1.3" {
			t.Fatal(r.VersionName())
		}
		d.Close()
	}
}

func TestTLSNotOfferedNeverSent(t *testing.T) {
	sk := startTLSSink(t, nil)
	var rep tlsReports
	h, _ := smtpHarness(t, sk.addr.Port(), &SMTPDeliverer{OutboundTLS: OutboundTLS{Report: rep.add}})
	h.enqueue("alice@example.org", "bob@example.com")
	h.q.settle()
	if len(sk.received()) != 1 || sk.overTLS()[0] {
		t.Fatal("not delivered in plaintext")
	}
	if s := sk.tap.seen(); strings.Contains(strings.ToUpper(s), "STARTTLS") {
		t.Fatalf("STARTTLS sent to a server that did not offer it:\n%s", s)
	}
	if r := rep.all(); len(r) != 1 || r[0].TLS || r[0].Applied != TLSMay {
		t.Fatalf("reports %+v", r)
	}
}

func TestTLSPolicyLevels(t *testing.T) {
	w := newTLSWorld(t)
	wrong := newTLSWorld(t) // right name, another CA
	expired, err := w.ca.Issue([]string{"mx.example.com"}, tlstest.Options{NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	srvExpired := &tls.Config{Certificates: []tls.Certificate{expired.TLS}}
	// The client trusts w's CA; wrong's certificate comes from another CA
	// and names another host.
	wrongHost, err := w.ca.Issue([]string{"other.example.net"}, tlstest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srvWrongHost := &tls.Config{Certificates: []tls.Certificate{wrongHost.TLS}}
	tests := []struct {
		name      string
		level     TLSLevel
		srv       *tls.Config // nil: no STARTTLS
		delivered bool
		overTLS   bool
		enhanced  string // of the deferral
		failure   string
	}{
		{"none/offered", TLSNone, w.server(), true, false, "", ""},
		{"may/absent", TLSMay, nil, true, false, "", ""},
		{"may/untrusted", TLSMay, wrong.server(), true, true, "", ""},
		{"encrypt/absent", TLSEncrypt, nil, false, false, "4.7.4", FailureSTARTTLSNotSupported},
		{"encrypt/untrusted", TLSEncrypt, wrong.server(), true, true, "", ""},
		{"verify/absent", TLSVerify, nil, false, false, "4.7.4", FailureSTARTTLSNotSupported},
		{"verify/untrusted", TLSVerify, wrong.server(), false, false, "4.7.5", FailureCertificateNotTrusted},
		{"verify/wronghost", TLSVerify, srvWrongHost, false, false, "4.7.5", FailureCertificateHost},
		{"verify/expired", TLSVerify, srvExpired, false, false, "4.7.5", FailureCertificateExpired},
		{"verify/ok", TLSVerify, w.server(), true, true, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sk := startTLSSink(t, tc.srv)
			var rep tlsReports
			d := &SMTPDeliverer{
				TLS: &tls.Config{RootCAs: w.ca.Pool()},
				OutboundTLS: OutboundTLS{
					Report:   rep.add,
					Policies: StaticTLSPolicies{Default: TLSPolicy{Level: TLSMay}, Domains: map[string]TLSPolicy{"example.com": {Level: tc.level}}},
				},
			}
			h, _ := smtpHarness(t, sk.addr.Port(), d)
			defer d.Close()
			id := h.enqueue("alice@example.org", "bob@example.com")
			h.q.settle()
			got := sk.received()
			if tc.delivered != (len(got) == 1) {
				t.Fatalf("delivered %d messages", len(got))
			}
			reps := rep.all()
			if len(reps) == 0 {
				t.Fatal("no TLS report")
			}
			last := reps[len(reps)-1]
			if last.Requested != tc.level || last.Failure != tc.failure {
				t.Fatalf("report %+v", last)
			}
			if tc.delivered {
				if o := sk.overTLS(); o[len(o)-1] != tc.overTLS || last.TLS != tc.overTLS {
					t.Fatalf("over TLS: server %v, report %v", o, last.TLS)
				}
				return
			}
			// Deferred with a 4xx, never sent in clear.
			if h.q.Len() != 1 {
				t.Fatal("message left the queue")
			}
			rs := rcptState(t, h, id)
			if rs.Status != StatusPending || rs.Enhanced != tc.enhanced || !strings.HasPrefix(rs.Reply, "45") {
				t.Fatalf("state %+v", rs)
			}
			if s := sk.tap.seen(); strings.Contains(s, "MAIL FROM") {
				t.Fatalf("MAIL sent although the policy failed:\n%s", s)
			}
		})
	}
}

func TestTLSMayFallsBackAfterHandshakeFailure(t *testing.T) {
	w := newTLSWorld(t)
	srv := w.server()
	srv.ClientAuth = tls.RequireAnyClientCert // the client has none: the handshake fails
	srv.MinVersion = tls.VersionTLS12
	srv.MaxVersion = tls.VersionTLS12 // TLS 1.2: the failure shows during the client's handshake
	sk := startTLSSink(t, srv)
	var rep tlsReports
	h, _ := smtpHarness(t, sk.addr.Port(), &SMTPDeliverer{OutboundTLS: OutboundTLS{Report: rep.add}})
	h.enqueue("alice@example.org", "bob@example.com")
	h.q.settle()
	if len(sk.received()) != 1 {
		t.Fatal("not delivered")
	}
	r := rep.all()
	if len(r) != 1 || r[0].TLS || !r[0].Fallback {
		t.Fatalf("reports %+v", r)
	}
	if n := strings.Count(sk.tap.seen(), "STARTTLS"); n != 1 {
		t.Fatalf("STARTTLS sent %d times, want once (the plaintext retry must not)", n)
	}
}

func TestTLSCachedConnectionPolicy(t *testing.T) {
	w := newTLSWorld(t, "mx.example.com", "mx.example.net")
	sk := startTLSSink(t, w.server())
	var rep tlsReports
	d := &SMTPDeliverer{
		TLS: &tls.Config{RootCAs: w.ca.Pool()},
		OutboundTLS: OutboundTLS{Report: rep.add, Policies: StaticTLSPolicies{Domains: map[string]TLSPolicy{
			"example.com": {Level: TLSNone}, "example.net": {Level: TLSVerify},
		}}},
	}
	h, _ := smtpHarnessWith(t, sk.addr.Port(), d, func(c *Config) { c.MaxPerDomain = 1 })
	// All three domains route to the same address. The plaintext
	// connection made for example.com must not carry example.net's mail.
	h.res.ip["mx.example.net"] = h.res.ip["mx.example.com"]
	h.enqueue("alice@example.org", "bob@example.com")
	h.q.settle()
	h.enqueue("alice@example.org", "carol@example.net")
	h.q.settle()
	h.enqueue("alice@example.org", "dave@example.net")
	h.q.settle()
	if len(sk.received()) != 3 {
		t.Fatal("not delivered")
	}
	r := rep.all()
	if len(r) != 3 || r[0].TLS || !r[1].TLS || !r[1].Verified || r[1].Reused || !r[2].Reused || !r[2].Verified {
		t.Fatalf("reports %+v", r)
	}
	d.Close()
}

func TestParseTLSLevel(t *testing.T) {
	for i, n := range tlsLevelNames {
		l, err := ParseTLSLevel(strings.ToUpper(n))
		if err != nil || l != TLSLevel(i) || l.String() != n {
			t.Fatalf("%s: %v %v", n, l, err)
		}
	}
	if _, err := ParseTLSLevel("secure"); err == nil {
		t.Fatal("unknown level accepted")
	}
}

type failingPolicies struct{}

func (failingPolicies) TLSPolicy(ctx context.Context, domain string) (TLSPolicy, error) {
	return TLSPolicy{}, errors.New("policy store down")
}

func TestTLSPolicyLookupFailureDefers(t *testing.T) {
	sk := startTLSSink(t, nil)
	h, _ := smtpHarness(t, sk.addr.Port(), &SMTPDeliverer{OutboundTLS: OutboundTLS{Policies: failingPolicies{}}})
	id := h.enqueue("alice@example.org", "bob@example.com")
	h.q.settle()
	if len(sk.received()) != 0 {
		t.Fatal("delivered without a policy")
	}
	if rs := rcptState(t, h, id); rs.Status != StatusPending || rs.Enhanced != "4.7.5" {
		t.Fatalf("state %+v", rs)
	}
}
