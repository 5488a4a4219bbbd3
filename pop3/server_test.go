package pop3

import (
	"context"
	"crypto/md5"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestServerTransaction(t *testing.T) {
	st := testStore()
	addr := startServer(t, &Server{Backend: st, AllowInsecureAuth: true})
	c := dialLine(t, addr)
	c.cmd("STAT", "-ERR")
	c.cmd("USER bob", "+OK")
	c.cmd("PASS secret", "+OK maildrop has 3 messages")
	// Sizes with CRLF line endings.
	sizes := []int{len("Subject: one\r\n\r\nHello Bob.\r\n.leading dot\r\n"), len("Subject: two\r\n\r\nline 1\r\nline 2\r\nline 3\r\n"), len("Subject: three\r\n\r\nno final newline")}
	total := sizes[0] + sizes[1] + sizes[2]
	c.cmd("STAT", fmt.Sprintf("+OK 3 %d", total))
	c.cmd("LIST", "+OK")
	if got, want := c.multi(), fmt.Sprintf("1 %d\r\n2 %d\r\n3 %d\r\n", sizes[0], sizes[1], sizes[2]); got != want {
		t.Errorf("LIST:\n%q\nwant\n%q", got, want)
	}
	c.cmd("LIST 2", fmt.Sprintf("+OK 2 %d", sizes[1]))
	c.cmd("UIDL", "+OK")
	if got := c.multi(); got != "1 uid-1\r\n2 uid-2\r\n3 uid-3\r\n" {
		t.Errorf("UIDL: %q", got)
	}
	c.cmd("UIDL 3", "+OK 3 uid-3")
	c.cmd("RETR 1", fmt.Sprintf("+OK %d octets", sizes[0]))
	if got := c.multi(); got != "Subject: one\r\n\r\nHello Bob.\r\n..leading dot\r\n" {
		t.Errorf("RETR 1 (stuffed): %q", got)
	}
	c.cmd("RETR 3", "+OK")
	if got := c.multi(); got != "Subject: three\r\n\r\nno final newline\r\n" {
		t.Errorf("RETR 3: %q", got)
	}
	c.cmd("TOP 2 1", "+OK")
	if got := c.multi(); got != "Subject: two\r\n\r\nline 1\r\n" {
		t.Errorf("TOP 2 1: %q", got)
	}
	c.cmd("TOP 2 0", "+OK")
	if got := c.multi(); got != "Subject: two\r\n\r\n" {
		t.Errorf("TOP 2 0: %q", got)
	}
	c.cmd("DELE 1", "+OK")
	c.cmd("DELE 1", "-ERR")
	c.cmd("RETR 1", "-ERR")
	c.cmd("LIST 1", "-ERR")
	c.cmd("STAT", fmt.Sprintf("+OK 2 %d", sizes[1]+sizes[2]))
	c.cmd("RSET", "+OK")
	c.cmd("STAT", "+OK 3")
	c.cmd("DELE 2", "+OK")
	c.cmd("NOOP", "+OK")
	c.cmd("RETR 4", "-ERR")
	c.cmd("RETR 0", "-ERR")
	c.cmd("RETR x", "-ERR")
	c.cmd("XYZZY", "-ERR")
	c.cmd("QUIT", "+OK bye (2 messages left)")
	st.mu.Lock()
	defer st.mu.Unlock()
	if diff := cmp.Diff(map[string][]string{"bob": {"uid-2"}}, st.expunged); diff != "" {
		t.Errorf("expunged:\n%s", diff)
	}
}

// TestServerHangupLosesNothing: a client that hangs up mid-RETR (after
// DELE) leaves every message in place: no UPDATE without QUIT.
func TestServerHangupLosesNothing(t *testing.T) {
	st := testStore()
	big := strings.Repeat("x", 70) + "\n"
	st.msgs["bob"] = append(st.msgs["bob"], memMsg{"uid-big", "Subject: big\n\n" + strings.Repeat(big, 100000)})
	ended := make(chan struct{}, 4)
	addr := startServer(t, &Server{Backend: st, AllowInsecureAuth: true, Logger: slog.New(endHandler{ended})})
	c := dialLine(t, addr)
	c.cmd("USER bob", "+OK")
	c.cmd("PASS secret", "+OK")
	c.cmd("DELE 1", "+OK")
	c.cmd("RETR 4", "+OK")
	c.line()
	c.nc.Close()
	// The session ends (its write fails) and releases the maildrop; a
	// new one sees all four messages.
	<-ended
	c2 := dialLine(t, addr)
	c2.cmd("USER bob", "+OK")
	c2.cmd("PASS secret", "+OK maildrop has 4 messages")
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.expunged) != 0 {
		t.Errorf("expunged after hangup: %v", st.expunged)
	}
}

func TestServerInUse(t *testing.T) {
	st := testStore()
	addr := startServer(t, &Server{Backend: st, AllowInsecureAuth: true})
	a := dialLine(t, addr)
	a.cmd("USER bob", "+OK")
	a.cmd("PASS secret", "+OK")
	b := dialLine(t, addr)
	b.cmd("USER bob", "+OK")
	b.cmd("PASS secret", "-ERR [IN-USE]")
	a.cmd("QUIT", "+OK")
	// The maildrop is free once QUIT is answered.
	b.cmd("USER bob", "+OK")
	b.cmd("PASS secret", "+OK")
	st.openErr = ErrInUse
	c := dialLine(t, addr)
	c.cmd("USER alice", "+OK")
	c.cmd("PASS wonderland", "-ERR [IN-USE]")
	st.openErr = fmt.Errorf("disk on fire")
	c.cmd("USER alice", "+OK")
	c.cmd("PASS wonderland", "-ERR [SYS/TEMP]")
}

func TestServerPlaintextRefusedBeforeSTLS(t *testing.T) {
	srvTLS, cliTLS := testTLS(t)
	addr := startServer(t, &Server{Backend: testStore(), TLSConfig: srvTLS})
	c := dialLine(t, addr)
	c.cmd("CAPA", "+OK")
	capa := c.multi()
	if !strings.Contains(capa, "STLS\r\n") || strings.Contains(capa, "USER") || strings.Contains(capa, "SASL") {
		t.Errorf("CAPA before STLS: %q", capa)
	}
	c.cmd("USER bob", "-ERR [AUTH]")
	c.cmd("AUTH PLAIN AGJvYgBzZWNyZXQ=", "-ERR [AUTH]")
	c.cmd("STLS", "+OK")
	tc := tls.Client(c.nc, cliTLS)
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	c.nc = tc
	c.br.Reset(tc)
	c.cmd("CAPA", "+OK")
	capa = c.multi()
	if strings.Contains(capa, "STLS") || !strings.Contains(capa, "USER\r\n") || !strings.Contains(capa, "SASL PLAIN\r\n") {
		t.Errorf("CAPA after STLS: %q", capa)
	}
	c.cmd("STLS", "-ERR")
	c.cmd("AUTH PLAIN "+base64.StdEncoding.EncodeToString([]byte("\x00bob\x00secret")), "+OK maildrop has 3")
	c.cmd("QUIT", "+OK")
}

func TestServerImplicitTLS(t *testing.T) {
	srvTLS, cliTLS := testTLS(t)
	s := &Server{Backend: testStore(), Authenticator: Secrets{"bob": "secret"}, LoginFailureDelay: -1}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(tls.NewListener(l, srvTLS))
	defer s.Close()
	ctx := context.Background()
	nc, err := tls.Dial("tcp", l.Addr().String(), cliTLS)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(ctx, nc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(ctx, "bob", "secret"); err != nil {
		t.Fatal(err)
	}
	n, _, err := c.Stat(ctx)
	if err != nil || n != 3 {
		t.Errorf("Stat = %d, %v", n, err)
	}
	c.Quit(ctx)
}

func TestServerAPOPAndAuthContinuation(t *testing.T) {
	addr := startServer(t, &Server{Backend: testStore(), AllowInsecureAuth: true})
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	lc := &lineConn{t: t, nc: nc}
	lc.br = newReader(nc)
	greet := lc.expect("+OK")
	ts := greet[strings.IndexByte(greet, '<'):]
	sum := md5.Sum([]byte(ts + "secret"))
	lc.cmd("APOP bob "+hex.EncodeToString(sum[:]), "+OK maildrop has 3")
	lc.cmd("QUIT", "+OK")

	c := dialLine(t, addr)
	c.cmd("APOP bob 00000000000000000000000000000000", "-ERR [AUTH]")
	c.cmd("AUTH", "+OK")
	if got := c.multi(); got != "PLAIN\r\n" {
		t.Errorf("AUTH list: %q", got)
	}
	c.cmd("AUTH PLAIN", "+ ")
	c.cmd("*", "-ERR")
	c.cmd("AUTH PLAIN", "+ ")
	c.cmd(base64.StdEncoding.EncodeToString([]byte("alice\x00bob\x00secret")), "-ERR [AUTH]")
	c.cmd("AUTH PLAIN", "+ ")
	c.cmd(base64.StdEncoding.EncodeToString([]byte("bob\x00bob\x00secret")), "+OK")
}

func TestServerLoginFailureLimits(t *testing.T) {
	var clock atomic.Int64
	clock.Store(1_800_000_000)
	s := &Server{Backend: testStore(), AllowInsecureAuth: true, MaxLoginFailures: 2, MaxLoginFailuresPerIP: 3,
		LoginFailureWindow: time.Minute, Now: func() time.Time { return time.Unix(clock.Load(), 0) }}
	addr := startServer(t, s)
	c := dialLine(t, addr)
	c.cmd("USER bob", "+OK")
	c.cmd("PASS wrong", "-ERR [AUTH] authentication failed")
	c.cmd("USER bob", "+OK")
	c.cmd("PASS wrong", "-ERR [AUTH] authentication failed, too many")
	if !c.closed() {
		t.Fatal("connection not closed after MaxLoginFailures")
	}
	c = dialLine(t, addr)
	c.cmd("USER bob", "+OK")
	c.cmd("PASS wrong", "-ERR [AUTH]")
	// The address has used its three failures: even the right password
	// is refused now, and the connection dropped.
	c.cmd("USER bob", "+OK")
	c.cmd("PASS secret", "-ERR [AUTH] too many failed logins from your address")
	if !c.closed() {
		t.Fatal("connection not closed after per-address limit")
	}
	clock.Add(60)
	c = dialLine(t, addr)
	c.cmd("USER bob", "+OK")
	c.cmd("PASS secret", "+OK")
}

func TestServerLoginFailureDelay(t *testing.T) {
	s := &Server{Backend: testStore(), AllowInsecureAuth: true, LoginFailureDelay: 50 * time.Millisecond}
	addr := startServer(t, s)
	c := dialLine(t, addr)
	c.cmd("USER bob", "+OK")
	start := time.Now()
	c.cmd("PASS wrong", "-ERR [AUTH]")
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("failure answered after %v, want at least the 50ms delay", d)
	}
}

func TestServerConnectionLimit(t *testing.T) {
	addr := startServer(t, &Server{Backend: testStore(), MaxConnections: 1})
	dialLine(t, addr)
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	lc := &lineConn{t: t, nc: nc, br: newReader(nc)}
	lc.expect("-ERR [SYS/TEMP] too many connections")
}

func TestServerLongLineAndErrors(t *testing.T) {
	addr := startServer(t, &Server{Backend: testStore(), MaxErrors: 3})
	c := dialLine(t, addr)
	c.cmd("NOOP "+strings.Repeat("a", 1000), "-ERR line too long")
	c.cmd("CAPA", "+OK")
	c.multi()
	c.cmd("BAD\x01", "-ERR")
	c.send("X")
	c.expect("-ERR")
	c.expect("-ERR too many errors")
	if !c.closed() {
		t.Fatal("not closed after MaxErrors")
	}
}

func TestServerIdleTimeout(t *testing.T) {
	addr := startServer(t, &Server{Backend: testStore(), IdleTimeout: 50 * time.Millisecond})
	c := dialLine(t, addr)
	if !c.closed() {
		t.Fatal("idle connection not closed")
	}
}

func TestServerShutdown(t *testing.T) {
	st := testStore()
	s := &Server{Backend: st, AllowInsecureAuth: true}
	addr := startServer(t, s)
	c := dialLine(t, addr)
	c.cmd("USER bob", "+OK")
	c.cmd("PASS secret", "+OK")
	c.cmd("DELE 1", "+OK")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	c.expect("-ERR [SYS/TEMP] server shutting down")
	if len(st.expunged) != 0 || st.closed != 1 {
		t.Errorf("after shutdown: expunged %v, closed %d", st.expunged, st.closed)
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Error("still accepting after Shutdown")
	}
}

func TestServerCommandRate(t *testing.T) {
	addr := startServer(t, &Server{Backend: testStore(), CommandRate: 20})
	c := dialLine(t, addr)
	start := time.Now()
	for i := 0; i < 30; i++ {
		c.cmd("CAPA", "+OK")
		c.multi()
	}
	// 20 in the burst, then 10 more at 20 a second: at least 0.45 s.
	if d := time.Since(start); d < 450*time.Millisecond {
		t.Errorf("30 commands at rate 20/s took %v", d)
	}
}
