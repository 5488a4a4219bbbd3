package smtp

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// testMessage is one message a testBackend received.
type testMessage struct {
	From     string
	To       []string
	Data     []byte
	MailOpts MailOptions
	RcptOpts []RcptOptions
	Hello    string
	TLS      bool
	AuthUser string
}

// testBackend records every accepted message. Recipients starting with
// "reject" are refused with 550, "temp" with a plain error (451); data
// containing "REJECT-DATA" is refused with 554.
type testBackend struct {
	mu       sync.Mutex
	msgs     []testMessage
	sessions int
	logouts  int
	noAuth   bool
	lmtp     bool
}

func (b *testBackend) NewSession(ctx context.Context, c *Conn) (Session, error) {
	b.mu.Lock()
	b.sessions++
	b.mu.Unlock()
	s := &testSession{b: b, c: c}
	switch {
	case b.lmtp:
		return &testLMTPSession{s}, nil
	case b.noAuth:
		return noAuthSession{s}, nil
	}
	return s, nil
}

func (b *testBackend) messages() []testMessage {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]testMessage(nil), b.msgs...)
}

type testSession struct {
	b    *testBackend
	c    *Conn
	cur  testMessage
	auth string
}

type noAuthSession struct{ Session }

type testLMTPSession struct{ *testSession }

func (s *testLMTPSession) DataLMTP(ctx context.Context, r io.Reader, res []error) error {
	if err := s.Data(ctx, r); err != nil {
		return err
	}
	for i, to := range s.cur.To {
		if strings.HasPrefix(to, "lmtpfail") {
			res[i] = NewError(550, EnhancedCode{5, 1, 1}, "Mailbox unavailable")
		}
	}
	return nil
}

func (s *testSession) Auth(ctx context.Context, mech, identity, user, pass string) error {
	if user == "alice" && pass == "secret" {
		s.auth = user
		return nil
	}
	return errors.New("bad password")
}

func (s *testSession) Mail(ctx context.Context, from string, o *MailOptions) error {
	if from == "blocked@example.org" {
		return NewError(550, EnhancedCode{5, 7, 1}, "Sender blocked")
	}
	s.cur = testMessage{From: from, MailOpts: *o, Hello: s.c.Hello(), TLS: s.c.TLS() != nil, AuthUser: s.auth}
	return nil
}

func (s *testSession) Rcpt(ctx context.Context, to string, o *RcptOptions) error {
	switch {
	case strings.HasPrefix(to, "reject"):
		return NewError(550, EnhancedCode{5, 1, 1}, "No such user")
	case strings.HasPrefix(to, "temp"):
		return errors.New("database down")
	}
	s.cur.To = append(s.cur.To, to)
	s.cur.RcptOpts = append(s.cur.RcptOpts, *o)
	return nil
}

func (s *testSession) Data(ctx context.Context, r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if strings.Contains(string(b), "REJECT-DATA") {
		return NewError(554, EnhancedCode{5, 6, 0}, "Content refused")
	}
	s.cur.Data = b
	s.b.mu.Lock()
	s.b.msgs = append(s.b.msgs, s.cur)
	s.b.mu.Unlock()
	return nil
}

func (s *testSession) Reset(ctx context.Context) { s.cur = testMessage{} }

func (s *testSession) Logout(ctx context.Context) error {
	s.b.mu.Lock()
	s.b.logouts++
	s.b.mu.Unlock()
	return nil
}

// testCert returns a self-signed certificate for "localhost".
func testCert(t testing.TB) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// pipeServer serves one connection of s over net.Pipe and returns the
// client end; the server goroutine is waited for at cleanup.
func pipeServer(t testing.TB, s *Server) net.Conn {
	t.Helper()
	cc, sc := net.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.ServeConn(sc)
	}()
	t.Cleanup(func() {
		cc.Close()
		<-done
	})
	return cc
}

// lineClient is a raw client for tests: it writes bytes and reads reply
// lines.
type lineClient struct {
	t  testing.TB
	c  net.Conn
	br *bufio.Reader
	wq chan []byte
	we chan error
}

func newLineClient(t testing.TB, c net.Conn) *lineClient {
	lc := &lineClient{t: t, c: c, br: bufio.NewReader(c), wq: make(chan []byte, 64), we: make(chan error, 1)}
	go func() {
		for b := range lc.wq {
			if _, err := c.Write(b); err != nil {
				select {
				case lc.we <- err:
				default:
				}
				for range lc.wq {
				}
				return
			}
		}
	}()
	t.Cleanup(func() { close(lc.wq) })
	return lc
}

// send queues b to be written (writes happen in order, asynchronously, so
// a large write never deadlocks against the server's replies).
func (lc *lineClient) send(b string) { lc.wq <- []byte(b) }

// line reads one reply line without CRLF.
func (lc *lineClient) line() string {
	lc.t.Helper()
	lc.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	s, err := lc.br.ReadString('\n')
	if err != nil {
		lc.t.Fatalf("reading reply: %v (got %q)", err, s)
	}
	if !strings.HasSuffix(s, "\r\n") {
		lc.t.Fatalf("reply line %q does not end in CRLF", s)
	}
	return strings.TrimSuffix(s, "\r\n")
}

// reply reads a whole (possibly multi-line) reply, lines joined by "\n".
func (lc *lineClient) reply() string {
	lc.t.Helper()
	var lines []string
	for {
		l := lc.line()
		lines = append(lines, l)
		if len(l) < 4 || l[3] != '-' {
			return strings.Join(lines, "\n")
		}
	}
}

// expectEOF checks the server closed the connection.
func (lc *lineClient) expectEOF() {
	lc.t.Helper()
	lc.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	s, err := lc.br.ReadString('\n')
	if err == nil {
		lc.t.Fatalf("got %q, want connection closed", s)
	}
}
