package pop3

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// memDrop is an in-memory Maildrop; memStore hands them out and records
// expunges.
type memStore struct {
	mu       sync.Mutex
	msgs     map[string][]memMsg
	openErr  error
	expunged map[string][]string // user -> UIDLs removed
	closed   int
}

type memMsg struct {
	uidl string
	data string
}

func (s *memStore) Open(_ context.Context, user string) (Maildrop, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.openErr != nil {
		return nil, s.openErr
	}
	return &memDrop{s: s, user: user, msgs: append([]memMsg(nil), s.msgs[user]...)}, nil
}

type memDrop struct {
	s    *memStore
	user string
	msgs []memMsg
}

func (d *memDrop) Count() int { return len(d.msgs) }
func (d *memDrop) Size(i int) int64 {
	return int64(len(strings.ReplaceAll(strings.ReplaceAll(d.msgs[i].data, "\r\n", "\n"), "\n", "\r\n")))
}
func (d *memDrop) UIDL(i int) string { return d.msgs[i].uidl }
func (d *memDrop) Open(_ context.Context, i int) (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader(d.msgs[i].data)), nil
}
func (d *memDrop) Expunge(_ context.Context, idx []int) error {
	d.s.mu.Lock()
	defer d.s.mu.Unlock()
	gone := map[string]bool{}
	for _, i := range idx {
		gone[d.msgs[i].uidl] = true
		if d.s.expunged == nil {
			d.s.expunged = map[string][]string{}
		}
		d.s.expunged[d.user] = append(d.s.expunged[d.user], d.msgs[i].uidl)
	}
	var keep []memMsg
	for _, m := range d.s.msgs[d.user] {
		if !gone[m.uidl] {
			keep = append(keep, m)
		}
	}
	d.s.msgs[d.user] = keep
	return nil
}
func (d *memDrop) Close() error {
	d.s.mu.Lock()
	d.s.closed++
	d.s.mu.Unlock()
	return nil
}

func testStore() *memStore {
	return &memStore{msgs: map[string][]memMsg{
		"bob": {
			{"uid-1", "Subject: one\n\nHello Bob.\n.leading dot\n"},
			{"uid-2", "Subject: two\r\n\r\nline 1\r\nline 2\r\nline 3\r\n"},
			{"uid-3", "Subject: three\n\nno final newline"},
		},
		"alice": {},
	}}
}

// startServer runs s on 127.0.0.1:0 and stops it when the test ends.
func startServer(t *testing.T, s *Server) string {
	t.Helper()
	if s.Authenticator == nil {
		s.Authenticator = Secrets{"bob": "secret", "alice": "wonderland"}
	}
	if s.LoginFailureDelay == 0 {
		s.LoginFailureDelay = -1
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-done; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return l.Addr().String()
}

// lineConn is a raw test client speaking lines.
type lineConn struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

func dialLine(t *testing.T, addr string) *lineConn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(30 * time.Second))
	lc := &lineConn{t: t, nc: nc, br: bufio.NewReader(nc)}
	lc.expect("+OK")
	return lc
}

func (lc *lineConn) send(line string) {
	lc.t.Helper()
	if _, err := io.WriteString(lc.nc, line+"\r\n"); err != nil {
		lc.t.Fatal(err)
	}
}

func (lc *lineConn) line() string {
	lc.t.Helper()
	l, err := lc.br.ReadString('\n')
	if err != nil {
		lc.t.Fatalf("read: %v (got %q)", err, l)
	}
	if !strings.HasSuffix(l, "\r\n") {
		lc.t.Fatalf("line without CRLF: %q", l)
	}
	return strings.TrimSuffix(l, "\r\n")
}

// expect reads a line and checks its prefix.
func (lc *lineConn) expect(prefix string) string {
	lc.t.Helper()
	l := lc.line()
	if !strings.HasPrefix(l, prefix) {
		lc.t.Fatalf("got %q, want prefix %q", l, prefix)
	}
	return l
}

// cmd sends line and checks the status line's prefix.
func (lc *lineConn) cmd(line, prefix string) string {
	lc.t.Helper()
	lc.send(line)
	return lc.expect(prefix)
}

// multi reads a multi-line body up to "." (raw, still stuffed).
func (lc *lineConn) multi() string {
	lc.t.Helper()
	var b bytes.Buffer
	for {
		l := lc.line()
		if l == "." {
			return b.String()
		}
		b.WriteString(l + "\r\n")
	}
}

func (lc *lineConn) closed() bool {
	lc.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := lc.br.ReadByte()
	return err != nil
}

// testTLS returns a server config with a fresh self-signed certificate
// for localhost and 127.0.0.1, and a client config that trusts it.
func testTLS(t testing.TB) (server, client *tls.Config) {
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
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		&tls.Config{RootCAs: pool, ServerName: "localhost"}
}

func newReader(nc net.Conn) *bufio.Reader {
	nc.SetDeadline(time.Now().Add(30 * time.Second))
	return bufio.NewReader(nc)
}

// fakeRemoteConn is a net.Conn whose peer is not on loopback.
type fakeRemoteConn struct{ net.Conn }

func (fakeRemoteConn) RemoteAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 110}
}
func (fakeRemoteConn) Close() error { return nil }

// endHandler is a slog.Handler that signals each "pop3 connection
// closed" record: the moment a session has released everything.
type endHandler struct{ ch chan struct{} }

func (h endHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h endHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "pop3 connection closed" {
		h.ch <- struct{}{}
	}
	return nil
}
func (h endHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h endHandler) WithGroup(string) slog.Handler      { return h }
