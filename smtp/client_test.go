package smtp

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// startServer serves s on 127.0.0.1 and returns its address.
func startServer(t testing.TB, s *Server) string {
	t.Helper()
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

func dialTest(t testing.TB, addr string, cfg *ClientConfig) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestClientSendMail(t *testing.T) {
	be := &testBackend{}
	addr := startServer(t, &Server{Backend: be})
	c := dialTest(t, addr, &ClientConfig{LocalName: "client.test"})
	ctx := context.Background()
	for i := range 3 {
		res, err := c.SendMail(ctx, "alice@example.org", []string{"bob@example.net", "reject@example.net", "carol@example.net"},
			strings.NewReader("Subject: "+string(rune('a'+i))+"\r\n\r\n.dot\r\nend"), nil)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if res.Accepted() != 2 {
			t.Fatalf("accepted %d, want 2", res.Accepted())
		}
		var e *Error
		if !errors.As(res.Recipients[1].Err, &e) || e.Code != 550 || e.Enhanced != (EnhancedCode{5, 1, 1}) || !e.Permanent {
			t.Fatalf("recipient 1: %#v", res.Recipients[1].Err)
		}
	}
	msgs := be.messages()
	if len(msgs) != 3 {
		t.Fatalf("%d messages", len(msgs))
	}
	if got := string(msgs[2].Data); got != "Subject: c\r\n\r\n.dot\r\nend\r\n" {
		t.Fatalf("data %q", got)
	}
	if msgs[0].Hello != "client.test" {
		t.Fatalf("hello %q", msgs[0].Hello)
	}
	// Refusals leave the connection usable.
	if _, err := c.SendMail(ctx, "blocked@example.org", []string{"bob@example.net"}, strings.NewReader("x\r\n"), nil); err == nil {
		t.Fatal("blocked sender accepted")
	} else if e := (*Error)(nil); !errors.As(err, &e) || e.Code != 550 {
		t.Fatalf("blocked sender: %v", err)
	}
	res, err := c.SendMail(ctx, "a@example.org", []string{"reject@example.net", "temp@example.net"}, strings.NewReader("x\r\n"), nil)
	if err == nil || res.Accepted() != 0 {
		t.Fatalf("no recipients: %v %+v", err, res)
	}
	if e := (*Error)(nil); !errors.As(res.Recipients[1].Err, &e) || e.Code != 451 || e.Permanent {
		t.Fatalf("temp recipient: %v", res.Recipients[1].Err)
	}
	if _, err := c.SendMail(ctx, "a@example.org", []string{"b@example.net"}, strings.NewReader("REJECT-DATA\r\n"), nil); err == nil {
		t.Fatal("data accepted")
	}
	if _, err := c.SendMail(ctx, "", []string{"b@example.net"}, strings.NewReader("bounce\r\n"), nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Noop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Quit(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(be.messages()); n != 4 {
		t.Fatalf("%d messages, want 4", n)
	}
}

func TestClientChunkingAndOptions(t *testing.T) {
	be := &testBackend{}
	addr := startServer(t, &Server{Backend: be})
	c := dialTest(t, addr, nil)
	ctx := context.Background()
	big := strings.Repeat("0123456789012345678901234567890123456789\r\n", 5000) // > 3 chunks
	opts := &SendOptions{
		Chunking: true,
		Mail:     MailOptions{Body: Body8BitMIME, Size: int64(len(big)), Return: ReturnHeaders, EnvelopeID: "id=1 +x"},
		Rcpt:     []RcptOptions{{Notify: NotifySuccess | NotifyFailure, OriginalRecipient: "bøb@example.net"}},
	}
	if _, err := c.SendMail(ctx, "ålice@example.org", []string{"bob@example.net"}, strings.NewReader(big), opts); err != nil {
		t.Fatal(err)
	}
	m := be.messages()[0]
	if string(m.Data) != big {
		t.Fatalf("data differs: %d bytes, want %d", len(m.Data), len(big))
	}
	want := MailOptions{Body: Body8BitMIME, Size: int64(len(big)), UTF8: true, Return: ReturnHeaders, EnvelopeID: "id=1 +x"}
	if m.MailOpts != want {
		t.Fatalf("mail options %+v, want %+v", m.MailOpts, want)
	}
	if r := m.RcptOpts[0]; r.Notify != NotifySuccess|NotifyFailure || r.OriginalRecipient != "bøb@example.net" || r.OriginalRecipientType != "rfc822" {
		t.Fatalf("rcpt options %+v", r)
	}
	// Bare line endings: refused before anything is sent, or normalised.
	_, err := c.SendMail(ctx, "a@example.org", []string{"b@example.net"}, strings.NewReader("a\nb\r\n"), &SendOptions{Chunking: true})
	if !errors.Is(err, ErrBareLineEnding) {
		t.Fatalf("bare LF: %v", err)
	}
	if _, err := c.SendMail(ctx, "a@example.org", []string{"b@example.net"}, strings.NewReader("a\nb\rc"), &SendOptions{Chunking: true, Normalize: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendMail(ctx, "a@example.org", []string{"b@example.net"}, strings.NewReader("a\nb\rc"), &SendOptions{Normalize: true}); err != nil {
		t.Fatal(err)
	}
	msgs := be.messages()
	if got := string(msgs[1].Data); got != "a\r\nb\r\nc" {
		t.Fatalf("normalised BDAT data %q", got)
	}
	if got := string(msgs[2].Data); got != "a\r\nb\r\nc\r\n" {
		t.Fatalf("normalised DATA data %q", got)
	}
	// Bare LF with DATA: the connection cannot be saved and is closed.
	_, err = c.SendMail(ctx, "a@example.org", []string{"b@example.net"}, strings.NewReader("a\nb"), nil)
	if !errors.Is(err, ErrBareLineEnding) {
		t.Fatalf("bare LF with DATA: %v", err)
	}
	if err := c.Noop(ctx); !errors.Is(err, ErrClientClosed) {
		t.Fatalf("after failed DATA: %v", err)
	}
}

func TestClientRefusesInjection(t *testing.T) {
	be := &testBackend{}
	addr := startServer(t, &Server{Backend: be})
	c := dialTest(t, addr, nil)
	ctx := context.Background()
	for _, tc := range []struct {
		from string
		to   []string
		opts *SendOptions
	}{
		{"a@example.org>\r\nRCPT TO:<evil@example.net", []string{"b@example.net"}, nil},
		{"a@example.org", []string{"b@example.net>\r\nDATA"}, nil},
		{"a@example.org", []string{"b@example.net\n"}, nil},
		{"a@example.org", []string{"b@exa mple.net"}, nil},
		{"a@example.org", nil, nil},
		{"a@example.org", []string{"b@example.net"}, &SendOptions{Rcpt: []RcptOptions{{OriginalRecipientType: "rfc822\r\nX", OriginalRecipient: "x"}}}},
	} {
		if _, err := c.SendMail(ctx, tc.from, tc.to, strings.NewReader("x\r\n"), tc.opts); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("SendMail(%q, %q): %v, want ErrInvalidInput", tc.from, tc.to, err)
		}
	}
	// Parameters are xtext-encoded, so CRLF in them cannot inject either.
	opts := &SendOptions{Mail: MailOptions{EnvelopeID: "x\r\nRCPT TO:<evil@example.net>"}}
	if _, err := c.SendMail(ctx, "a@example.org", []string{"b@example.net"}, strings.NewReader("x\r\n"), opts); err != nil {
		t.Fatal(err)
	}
	m := be.messages()
	if len(m) != 1 || len(m[0].To) != 1 || m[0].MailOpts.EnvelopeID != opts.Mail.EnvelopeID {
		t.Fatalf("messages %+v", m)
	}
	if _, err := Dial(ctx, addr, &ClientConfig{LocalName: "x\r\nMAIL FROM:<a@b>"}); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("bad LocalName: %v", err)
	}
}

func TestClientLMTP(t *testing.T) {
	be := &testBackend{lmtp: true}
	addr := startServer(t, &Server{Backend: be, LMTP: true})
	c := dialTest(t, addr, &ClientConfig{LMTP: true})
	ctx := context.Background()
	for _, chunking := range []bool{false, true} {
		res, err := c.SendMail(ctx, "a@example.org", []string{"one@example.net", "reject@example.net", "lmtpfail@example.net", "two@example.net"},
			strings.NewReader("hi\r\n"), &SendOptions{Chunking: chunking})
		if err != nil {
			t.Fatal(err)
		}
		var codes []int
		for _, r := range res.Recipients {
			code := 250
			if e := (*Error)(nil); errors.As(r.Err, &e) {
				code = e.Code
			}
			codes = append(codes, code)
		}
		if want := []int{250, 550, 550, 250}; !equalInts(codes, want) {
			t.Fatalf("chunking=%v: codes %v, want %v", chunking, codes, want)
		}
	}
	// A pipelined batch routes each per-recipient reply to its message.
	res := c.SendBatch(ctx, []Envelope{
		{From: "a@example.org", To: []string{"lmtpfail1@example.net", "one@example.net"}, Msg: strings.NewReader("1\r\n")},
		{From: "a@example.org", To: []string{"two@example.net", "lmtpfail2@example.net", "three@example.net"}, Msg: strings.NewReader("2\r\n")},
	})
	var codes []int
	for _, r := range res {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		for _, x := range r.Result.Recipients {
			code := 250
			if e := (*Error)(nil); errors.As(x.Err, &e) {
				code = e.Code
			}
			codes = append(codes, code)
		}
	}
	if want := []int{550, 250, 250, 550, 250}; !equalInts(codes, want) {
		t.Fatalf("batch codes %v, want %v", codes, want)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestClientStartTLSAndAuth(t *testing.T) {
	cert := testCert(t)
	be := &testBackend{}
	addr := startServer(t, &Server{Backend: be, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}})
	pool := x509.NewCertPool()
	leaf, _ := x509.ParseCertificate(cert.Certificate[0])
	pool.AddCert(leaf)
	c := dialTest(t, addr, &ClientConfig{TLSConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"}})
	ctx := context.Background()
	if ok, _, _ := c.Extension(ctx, "AUTH"); ok {
		t.Fatal("AUTH offered before TLS")
	}
	if err := c.StartTLS(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.TLSConnectionState(); !ok {
		t.Fatal("no TLS state")
	}
	if ok, v, _ := c.Extension(ctx, "AUTH"); !ok || v != "PLAIN LOGIN" {
		t.Fatalf("AUTH after TLS: %v %q", ok, v)
	}
	if ok, _, _ := c.Extension(ctx, "STARTTLS"); ok {
		t.Fatal("STARTTLS offered under TLS")
	}
	if err := c.Auth(ctx, Auth{Username: "alice", Password: "wrong"}); err == nil {
		t.Fatal("bad password accepted")
	}
	if err := c.Auth(ctx, Auth{Mechanism: "LOGIN", Username: "alice", Password: "secret"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendMail(ctx, "a@example.org", []string{"b@example.net"}, strings.NewReader("x\r\n"), nil); err != nil {
		t.Fatal(err)
	}
	m := be.messages()[0]
	if !m.TLS || m.AuthUser != "alice" {
		t.Fatalf("message %+v", m)
	}
	be.mu.Lock()
	sessions := be.sessions
	be.mu.Unlock()
	if sessions != 2 {
		t.Fatalf("%d sessions, want 2 (one before and one after STARTTLS)", sessions)
	}

	// PLAIN over plaintext on loopback is allowed by the client (but the
	// server does not offer it).
	c2 := dialTest(t, addr, nil)
	if err := c2.Auth(ctx, Auth{Username: "alice", Password: "secret"}); !errors.Is(err, ErrNotSupported) {
		t.Fatalf("auth without TLS: %v", err)
	}
}

func TestClientRefusesPlaintextAuth(t *testing.T) {
	be := &testBackend{}
	s := &Server{Backend: be, AllowInsecureAuth: true}
	cc := pipeServer(t, s) // net.Pipe: not a loopback address
	ctx := context.Background()
	c, err := NewClient(ctx, cc, "mx.example", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Auth(ctx, Auth{Username: "alice", Password: "secret"}); !errors.Is(err, ErrInsecureAuth) {
		t.Fatalf("got %v, want ErrInsecureAuth", err)
	}
	c.cfg.AllowInsecureAuth = true
	if err := c.Auth(ctx, Auth{Username: "alice", Password: "secret"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Quit(ctx); err != nil {
		t.Fatal(err)
	}
}

// scriptServer answers each command line with the next canned reply; it
// serves one connection over net.Pipe and records what it received.
func scriptServer(t *testing.T, greeting string, replies map[string]string) (net.Conn, func() []string) {
	cc, sc := net.Pipe()
	got := make(chan []string, 1)
	go func() {
		var lines []string
		defer func() { got <- lines }()
		defer sc.Close()
		br := bufio.NewReader(sc)
		sc.Write([]byte(greeting))
		inData := false
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				return
			}
			l = strings.TrimSuffix(l, "\r\n")
			if inData {
				if l == "." {
					inData = false
					sc.Write([]byte(replies["."]))
				}
				continue
			}
			lines = append(lines, l)
			verb, _, _ := strings.Cut(l, " ")
			r, ok := replies[verb]
			if !ok {
				r = "500 what\r\n"
			}
			if verb == "DATA" && strings.HasPrefix(r, "354") {
				inData = true
			}
			sc.Write([]byte(r))
		}
	}()
	t.Cleanup(func() { cc.Close() })
	return cc, func() []string { cc.Close(); return <-got }
}

func TestClientHeloFallbackLockStep(t *testing.T) {
	cc, lines := scriptServer(t, "220 old.example\r\n", map[string]string{
		"EHLO": "502 unknown\r\n",
		"HELO": "250 old.example\r\n",
		"MAIL": "250 ok\r\n",
		"RCPT": "250 ok\r\n",
		"DATA": "354 go\r\n",
		".":    "250 queued\r\n",
		"QUIT": "221 bye\r\n",
	})
	ctx := context.Background()
	c, err := NewClient(ctx, cc, "old.example", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendMail(ctx, "a@example.org", []string{"b@example.net", "c@example.net"}, strings.NewReader("hi\r\n"), &SendOptions{Chunking: true, Mail: MailOptions{Size: 4}}); err != nil {
		t.Fatal(err)
	}
	if err := c.Quit(ctx); err != nil {
		t.Fatal(err)
	}
	want := "EHLO localhost|HELO localhost|MAIL FROM:<a@example.org>|RCPT TO:<b@example.net>|RCPT TO:<c@example.net>|DATA|QUIT"
	if got := strings.Join(lines(), "|"); got != want {
		t.Fatalf("server saw %q, want %q", got, want)
	}
}

func TestClientNoRecipientsGets354(t *testing.T) {
	// RFC 2920 3.1: a server that answers 354 although every RCPT failed
	// gets an empty message.
	cc, lines := scriptServer(t, "220 x\r\n", map[string]string{
		"EHLO": "250-x\r\n250 PIPELINING\r\n",
		"MAIL": "250 ok\r\n",
		"RCPT": "550 no\r\n",
		"DATA": "354 go\r\n",
		".":    "554 no valid recipients\r\n",
		"RSET": "250 ok\r\n",
	})
	ctx := context.Background()
	c, err := NewClient(ctx, cc, "x", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.SendMail(ctx, "a@example.org", []string{"b@example.net"}, strings.NewReader("hi\r\n"), nil)
	var e *Error
	if !errors.As(err, &e) || e.Code != 550 {
		t.Fatalf("got %v, want the RCPT's 550", err)
	}
	want := "EHLO localhost|MAIL FROM:<a@example.org>|RCPT TO:<b@example.net>|DATA|RSET"
	if got := strings.Join(lines(), "|"); got != want {
		t.Fatalf("server saw %q, want %q", got, want)
	}
}

func TestClientContextCancel(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := Dial(ctx, l.Addr().String(), nil) // the server never greets
		errc <- err
	}()
	sc := <-accepted
	defer sc.Close()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	// A deadline bounds the wait as well.
	go func() {
		c, err := l.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	_, err = Dial(ctx2, l.Addr().String(), nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want DeadlineExceeded", err)
	}
	(<-accepted).Close()
}

// countConn counts the writes made on a connection.
type countConn struct {
	net.Conn
	writes int
}

func (c *countConn) Write(p []byte) (int, error) {
	c.writes++
	return c.Conn.Write(p)
}

// TestClientRoundTrips: with PIPELINING a message costs two writes (two
// round trips: MAIL+RCPT+DATA, then the data), with BDAT one.
func TestClientRoundTrips(t *testing.T) {
	addr := startServer(t, &Server{Backend: &testBackend{}})
	var cc *countConn
	cfg := &ClientConfig{Dial: func(ctx context.Context, n, a string) (net.Conn, error) {
		var d net.Dialer
		c, err := d.DialContext(ctx, n, a)
		cc = &countConn{Conn: c}
		return cc, err
	}}
	c := dialTest(t, addr, cfg)
	ctx := context.Background()
	if err := c.Hello(ctx); err != nil {
		t.Fatal(err)
	}
	msg := strings.Repeat(strings.Repeat("x", 76)+"\r\n", 50)
	for _, tc := range []struct {
		chunking bool
		writes   int
	}{{false, 2}, {true, 1}} {
		before := cc.writes
		if _, err := c.SendMail(ctx, "a@example.org", []string{"b@example.net", "c@example.net"}, strings.NewReader(msg), &SendOptions{Chunking: tc.chunking}); err != nil {
			t.Fatal(err)
		}
		if got := cc.writes - before; got != tc.writes {
			t.Errorf("chunking=%v: %d writes, want %d", tc.chunking, got, tc.writes)
		}
	}
}

// TestClientManyRecipients: 10,000 pipelined recipients go out in windows
// without deadlocking against the server's replies.
func TestClientManyRecipients(t *testing.T) {
	be := &testBackend{}
	addr := startServer(t, &Server{Backend: be, MaxRecipients: 5000})
	c := dialTest(t, addr, nil)
	to := make([]string, 10000)
	for i := range to {
		to[i] = "r" + strings.Repeat("x", i%50) + "@example.net"
	}
	res, err := c.SendMail(context.Background(), "a@example.org", to, strings.NewReader("hi\r\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted() != 5000 {
		t.Fatalf("accepted %d, want 5000", res.Accepted())
	}
	var e *Error
	if !errors.As(res.Recipients[5000].Err, &e) || e.Code != 452 {
		t.Fatalf("recipient 5000: %v", res.Recipients[5000].Err)
	}
	if m := be.messages(); len(m) != 1 || len(m[0].To) != 5000 {
		t.Fatalf("%d messages", len(m))
	}
}

func TestClientServerShutdown421(t *testing.T) {
	cc, _ := scriptServer(t, "220 x\r\n", map[string]string{
		"EHLO": "250-x\r\n250 PIPELINING\r\n",
		"MAIL": "421 4.3.2 shutting down\r\n",
		"RCPT": "421 4.3.2 shutting down\r\n",
		"DATA": "421 4.3.2 shutting down\r\n",
	})
	ctx := context.Background()
	c, err := NewClient(ctx, cc, "x", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.SendMail(ctx, "a@example.org", []string{"b@example.net"}, strings.NewReader("hi\r\n"), nil)
	var e *Error
	if !errors.As(err, &e) || e.Code != 421 || e.Permanent {
		t.Fatalf("got %v, want the 421", err)
	}
	if err := c.Noop(ctx); !errors.Is(err, ErrClientClosed) {
		t.Fatalf("after 421: %v", err)
	}
}

// TestImplicitTLS: a Server on a TLS listener (RFC 8314 submission port)
// and a Client over a tls.Conn: AUTH is offered and allowed, STARTTLS is
// not offered.
func TestImplicitTLS(t *testing.T) {
	cert := testCert(t)
	be := &testBackend{}
	s := &Server{Backend: be}
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	defer func() {
		s.Close()
		<-done
	}()
	ctx := context.Background()
	conn, err := tls.Dial("tcp", l.Addr().String(), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(ctx, conn, "localhost", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ok, _, _ := c.Extension(ctx, "STARTTLS"); ok {
		t.Fatal("STARTTLS offered under implicit TLS")
	}
	if err := c.Auth(ctx, Auth{Username: "alice", Password: "secret"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendMail(ctx, "a@example.org", []string{"b@example.net"}, strings.NewReader("x\r\n"), nil); err != nil {
		t.Fatal(err)
	}
	if m := be.messages(); len(m) != 1 || !m[0].TLS || m[0].AuthUser != "alice" {
		t.Fatalf("messages %+v", m)
	}
}

func TestClientParametersFollowExtensions(t *testing.T) {
	opts := &SendOptions{
		Mail: MailOptions{Size: 42, Body: Body7Bit, Return: ReturnFull, EnvelopeID: "e 1", Auth: "<>"},
		Rcpt: []RcptOptions{{Notify: NotifyNever, OriginalRecipientType: "rfc822", OriginalRecipient: "b@example.net"}},
	}
	for _, tc := range []struct {
		ehlo    string
		has8bit bool
		want    string
	}{
		{"250-x\r\n250 PIPELINING\r\n", false,
			"MAIL FROM:<a@example.org>|RCPT TO:<b@example.net>|DATA"},
		{"250-x\r\n250-PIPELINING\r\n250-SIZE 100\r\n250-8BITMIME\r\n250-DSN\r\n250 AUTH PLAIN\r\n", true,
			"MAIL FROM:<a@example.org> SIZE=42 BODY=7BIT RET=FULL ENVID=e+201 AUTH=<>|RCPT TO:<b@example.net> NOTIFY=NEVER ORCPT=rfc822;b@example.net|DATA"},
	} {
		cc, lines := scriptServer(t, "220 x\r\n", map[string]string{
			"EHLO": tc.ehlo, "MAIL": "250 ok\r\n", "RCPT": "250 ok\r\n", "DATA": "354 go\r\n", ".": "250 ok\r\n",
		})
		ctx := context.Background()
		c, err := NewClient(ctx, cc, "x", nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.SendMail(ctx, "a@example.org", []string{"b@example.net"}, strings.NewReader("hi\r\n"), opts); err != nil {
			t.Fatal(err)
		}
		// Extensions the server lacks fail before anything is sent.
		if _, err := c.SendMail(ctx, "ä@example.org", []string{"b@example.net"}, strings.NewReader("hi\r\n"), nil); !errors.Is(err, ErrNotSupported) {
			t.Fatalf("UTF-8 without SMTPUTF8: %v", err)
		}
		_, err = c.SendMail(ctx, "a@example.org", []string{"b@example.net"}, strings.NewReader("hi\r\n"), &SendOptions{Mail: MailOptions{Body: Body8BitMIME}})
		if tc.has8bit && err != nil || !tc.has8bit && !errors.Is(err, ErrNotSupported) {
			t.Fatalf("BODY=8BITMIME (offered: %v): %v", tc.has8bit, err)
		}
		got := strings.Join(lines()[1:4], "|")
		if got != tc.want {
			t.Errorf("server saw %q, want %q", got, tc.want)
		}
	}
}

func TestClientSendBatch(t *testing.T) {
	be := &testBackend{}
	addr := startServer(t, &Server{Backend: be})
	var cc *countConn
	cfg := &ClientConfig{Dial: func(ctx context.Context, n, a string) (net.Conn, error) {
		var d net.Dialer
		c, err := d.DialContext(ctx, n, a)
		cc = &countConn{Conn: c}
		return cc, err
	}}
	c := dialTest(t, addr, cfg)
	ctx := context.Background()
	if err := c.Hello(ctx); err != nil {
		t.Fatal(err)
	}
	msg := func(s string) io.Reader { return strings.NewReader(s) }
	res := c.SendBatch(ctx, []Envelope{
		{From: "a@example.org", To: []string{"b@example.net"}, Msg: msg("one\r\n")},
		{From: "a@example.org", To: []string{"reject@example.net"}, Msg: msg("two\r\n")},
		{From: "a@example.org", To: []string{"b@example.net", "reject@example.net"}, Msg: msg("three\r\n")},
		{From: "a@example.org", To: []string{"b@example.net"}, Msg: msg("REJECT-DATA\r\n")},
		{From: "a@example.org>\r\nRSET", To: []string{"b@example.net"}, Msg: msg("five\r\n")},
		{From: "", To: []string{"c@example.net"}, Msg: msg("six\r\n"), Opts: &SendOptions{Chunking: true}},
		{From: "blocked@example.org", To: []string{"b@example.net"}, Msg: msg("seven\r\n")},
		{From: "a@example.org", To: []string{"d@example.net"}, Msg: msg("eight\r\n")},
	})
	code := func(err error) int {
		var e *Error
		if errors.As(err, &e) {
			return e.Code
		}
		if err != nil {
			return -1
		}
		return 250
	}
	want := []int{250, 550, 250, 554, -1, 250, 550, 250}
	for i, r := range res {
		if got := code(r.Err); got != want[i] {
			t.Errorf("message %d: %v (code %d), want %d", i, r.Err, got, want[i])
		}
	}
	if !errors.Is(res[4].Err, ErrInvalidInput) {
		t.Errorf("message 4: %v", res[4].Err)
	}
	if r := res[2].Result; r == nil || r.Accepted() != 1 || code(r.Recipients[1].Err) != 550 {
		t.Errorf("message 2: %+v", r)
	}
	var bodies []string
	for _, m := range be.messages() {
		bodies = append(bodies, string(m.Data))
	}
	if got := strings.Join(bodies, ""); got != "one\r\nthree\r\nsix\r\neight\r\n" {
		t.Errorf("delivered %q", got)
	}
	// The connection is still fine, and clean messages cost one write
	// each (plus one to finish the batch).
	if err := c.Noop(ctx); err != nil {
		t.Fatal(err)
	}
	before := cc.writes
	var batch []Envelope
	for i := range 5 {
		batch = append(batch, Envelope{From: "a@example.org", To: []string{"b@example.net"}, Msg: msg(strings.Repeat("x", i) + "\r\n")})
	}
	for i, r := range c.SendBatch(ctx, batch) {
		if r.Err != nil {
			t.Fatalf("message %d: %v", i, r.Err)
		}
	}
	if got := cc.writes - before; got != 6 {
		t.Errorf("%d writes for 5 messages, want 6", got)
	}
}
