package mailqueue

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaykit/relaykit/smtp"
)

// sink is an smtp.Backend that records what it receives and refuses
// recipients by local part: "reject*" 550, "busy*" 450.
type sink struct {
	mu       sync.Mutex
	msgs     []sunkMsg
	sessions int
	resets   int
	cond     *sync.Cond // broadcast on each message, when set
}

type sunkMsg struct {
	From string
	To   []string
	Data []byte
}

func (s *sink) NewSession(ctx context.Context, c *smtp.Conn) (smtp.Session, error) {
	s.mu.Lock()
	s.sessions++
	s.mu.Unlock()
	return &sinkSession{s: s}, nil
}

type sinkSession struct {
	s    *sink
	from string
	to   []string
}

func (ss *sinkSession) Mail(ctx context.Context, from string, opts *smtp.MailOptions) error {
	ss.from = from
	return nil
}

func (ss *sinkSession) Rcpt(ctx context.Context, to string, opts *smtp.RcptOptions) error {
	switch {
	case strings.HasPrefix(to, "reject"):
		return smtp.NewError(550, smtp.EnhancedCode{Class: 5, Subject: 1, Detail: 1}, "no such user")
	case strings.HasPrefix(to, "busy"):
		return smtp.NewError(450, smtp.EnhancedCode{Class: 4, Subject: 2, Detail: 1}, "mailbox busy")
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *sinkSession) Data(ctx context.Context, r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, sunkMsg{ss.from, ss.to, b})
	if ss.s.cond != nil {
		ss.s.cond.Broadcast()
	}
	ss.s.mu.Unlock()
	return nil
}

func (ss *sinkSession) Reset(ctx context.Context) {
	ss.from, ss.to = "", nil
	ss.s.mu.Lock()
	ss.s.resets++
	ss.s.mu.Unlock()
}

func (ss *sinkSession) Logout(ctx context.Context) error { return nil }

func (s *sink) received() []sunkMsg {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sunkMsg(nil), s.msgs...)
}

// startSink serves an smtp.Server on a loopback port.
func startSink(t testing.TB) (*sink, netip.AddrPort) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &sink{}
	srv := &smtp.Server{Backend: s, Hostname: "sink.test"}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return s, netip.MustParseAddrPort(l.Addr().String())
}

// smtpHarness is a queue with the real SMTP deliverer, a fake clock, and
// every test domain routed to one loopback port.
func smtpHarness(t *testing.T, port uint16, dcfg *SMTPDeliverer) (*harness, *SMTPDeliverer) {
	return smtpHarnessWith(t, port, dcfg, nil)
}

// smtpHarnessWith is smtpHarness with a hook that adjusts the queue's
// Config before the queue starts.
func smtpHarnessWith(t *testing.T, port uint16, dcfg *SMTPDeliverer, adjust func(*Config)) (*harness, *SMTPDeliverer) {
	h := &harness{t: t, clock: newFakeClock(), res: newFakeResolver()}
	for _, d := range []string{"example.com", "example.org", "example.net"} {
		h.res.simple(d, "127.0.0.1")
	}
	h.store = openSpool(t, t.TempDir(), SpoolConfig{})
	if dcfg == nil {
		dcfg = &SMTPDeliverer{}
	}
	if dcfg.Client.Timeouts.Command == 0 {
		dcfg.Client.Timeouts = smtp.ClientTimeouts{Greeting: 2 * time.Second, Command: 2 * time.Second, DataInit: 2 * time.Second, DataBlock: 2 * time.Second, DataTerm: 2 * time.Second}
	}
	h.cfg = Config{Clock: h.clock, Resolver: h.res, Deliverer: dcfg, Port: port, Hostname: "mq.example.org"}
	if adjust != nil {
		adjust(&h.cfg)
	}
	h.start()
	return h, dcfg
}

func TestSMTPDeliveryReusesConnection(t *testing.T) {
	sk, addr := startSink(t)
	// One delivery at a time to the domain, so every message after the
	// first must find the cached connection: the test cannot depend on
	// how the scheduler happens to interleave concurrent deliveries.
	h, d := smtpHarnessWith(t, addr.Port(), nil, func(c *Config) { c.MaxPerDomain = 1 })
	const n = 5
	for range n {
		h.enqueue("alice@example.org", "bob@example.com")
	}
	h.q.settle()
	got := sk.received()
	if len(got) != n || h.q.Len() != 0 {
		t.Fatalf("received %d, queued %d", len(got), h.q.Len())
	}
	if !strings.Contains(string(got[0].Data), "hello\r\n") || got[0].From != "alice@example.org" || got[0].To[0] != "bob@example.com" {
		t.Fatalf("message %+v", got[0])
	}
	d.mu.Lock()
	dials, reuses := d.dials, d.reuses
	d.mu.Unlock()
	// One connection, reused (with RSET before each reuse) for the rest.
	if dials != 1 || reuses != n-1 {
		t.Fatalf("dials %d reuses %d", dials, reuses)
	}
	d.Close()
}

func TestSMTPDeliveryReuseSequential(t *testing.T) {
	sk, addr := startSink(t)
	h, d := smtpHarness(t, addr.Port(), nil)
	for i := range 4 {
		h.enqueue("alice@example.org", "bob@example.com")
		h.q.settle()
		if len(sk.received()) != i+1 {
			t.Fatalf("message %d not delivered", i)
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dials != 1 || d.reuses != 3 {
		t.Fatalf("dials %d reuses %d, want one connection for all", d.dials, d.reuses)
	}
	sk.mu.Lock()
	defer sk.mu.Unlock()
	if sk.sessions != 1 || sk.resets < 3 {
		t.Fatalf("server saw %d sessions, %d resets", sk.sessions, sk.resets)
	}
}

func TestSMTPDeliveryLimits(t *testing.T) {
	sk, addr := startSink(t)
	h, d := smtpHarness(t, addr.Port(), &SMTPDeliverer{MaxMessagesPerConn: 2})
	for range 5 {
		h.enqueue("alice@example.org", "bob@example.com")
		h.q.settle()
	}
	if len(sk.received()) != 5 {
		t.Fatal("not all delivered")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dials != 3 {
		t.Fatalf("dials %d, want 3 (2 messages per connection)", d.dials)
	}
}

func TestSMTPPerRecipientResults(t *testing.T) {
	sk, addr := startSink(t)
	h, _ := smtpHarness(t, addr.Port(), nil)
	id := h.enqueue("alice@example.org", "bob@example.com", "reject@example.com", "busy@example.com")
	h.q.settle()
	got := sk.received()
	// bob's copy, then the bounce for reject@ to alice.
	if len(got) != 2 || len(got[0].To) != 1 || got[0].To[0] != "bob@example.com" || got[1].From != "" || got[1].To[0] != "alice@example.org" {
		t.Fatalf("received %+v", got)
	}
	d := parseDSN(t, got[1].Data)
	if d.perRcpt[0].Get("Final-Recipient") != "rfc822; reject@example.com" || d.perRcpt[0].Get("Status") != "5.1.1" {
		t.Fatalf("bounce %v", d.perRcpt)
	}
	m, err := h.store.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if m.State.Rcpts[2].Status != StatusPending || m.State.Rcpts[2].Enhanced != "4.2.1" {
		t.Fatalf("busy rcpt %+v", m.State.Rcpts[2])
	}
}

// rawServer accepts connections and runs script on each.
func rawServer(t *testing.T, script func(c net.Conn, br *bufio.Reader)) netip.AddrPort {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				script(c, bufio.NewReader(c))
			}()
		}
	}()
	return netip.MustParseAddrPort(l.Addr().String())
}

// expect reads lines until one starts with prefix (case-insensitive).
func expect(br *bufio.Reader, prefix string) bool {
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return false
		}
		if strings.HasPrefix(strings.ToUpper(line), prefix) {
			return true
		}
	}
}

func TestSMTPFaultsDefer(t *testing.T) {
	greetAndMail := func(c net.Conn, br *bufio.Reader) bool {
		io.WriteString(c, "220 fault.test ESMTP\r\n")
		if !expect(br, "EHLO") {
			return false
		}
		io.WriteString(c, "250 fault.test\r\n")
		if !expect(br, "MAIL") {
			return false
		}
		io.WriteString(c, "250 ok\r\n")
		if !expect(br, "RCPT") {
			return false
		}
		io.WriteString(c, "250 ok\r\n")
		return true
	}
	tests := []struct {
		name   string
		script func(c net.Conn, br *bufio.Reader)
	}{
		{"never greets", func(c net.Conn, br *bufio.Reader) { io.Copy(io.Discard, br) }},
		{"slow after DATA", func(c net.Conn, br *bufio.Reader) {
			if greetAndMail(c, br) && expect(br, "DATA") {
				io.WriteString(c, "354 go\r\n")
				expect(br, ".")
				io.Copy(io.Discard, br) // never sends the final reply
			}
		}},
		{"drops mid-DATA", func(c net.Conn, br *bufio.Reader) {
			if greetAndMail(c, br) && expect(br, "DATA") {
				io.WriteString(c, "354 go\r\n")
				br.ReadString('\n')
				// close without a reply
			}
		}},
		{"garbage reply", func(c net.Conn, br *bufio.Reader) {
			io.WriteString(c, "220 fault.test ESMTP\r\n")
			if expect(br, "EHLO") {
				io.WriteString(c, "250 fault.test\r\n")
			}
			if expect(br, "MAIL") {
				io.WriteString(c, "\x00\xffgarbage without a code\r\n")
			}
			expect(br, "QUIT")
		}},
		{"garbage greeting", func(c net.Conn, br *bufio.Reader) {
			io.WriteString(c, "hello there\r\n")
			br.ReadString('\n')
		}},
		{"421 at DATA end", func(c net.Conn, br *bufio.Reader) {
			if greetAndMail(c, br) && expect(br, "DATA") {
				io.WriteString(c, "354 go\r\n")
				expect(br, ".")
				io.WriteString(c, "421 4.3.0 closing\r\n")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := rawServer(t, tt.script)
			h, d := smtpHarness(t, addr.Port(), &SMTPDeliverer{Client: smtp.ClientConfig{Timeouts: smtp.ClientTimeouts{
				Greeting: 300 * time.Millisecond, Command: 300 * time.Millisecond, DataInit: 300 * time.Millisecond,
				DataBlock: 300 * time.Millisecond, DataTerm: 300 * time.Millisecond}}})
			id := h.enqueue("alice@example.org", "bob@example.com")
			h.q.settle()
			m, err := h.store.Get(context.Background(), id)
			if err != nil {
				t.Fatalf("message lost: %v", err)
			}
			if m.State.Rcpts[0].Status != StatusPending || m.State.Attempts != 1 {
				t.Fatalf("state %+v", m.State)
			}
			if !m.State.NextAttempt.After(h.clock.Now()) {
				t.Fatalf("not rescheduled: %v", m.State.NextAttempt)
			}
			d.Close()
		})
	}
}

func TestSMTPDeliverConnectRefused(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	port := netip.MustParseAddrPort(l.Addr().String()).Port()
	l.Close()
	d := &SMTPDeliverer{}
	_, err := d.Deliver(context.Background(), Target{Domain: "example.com", Host: "mx", Addr: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port)},
		&Transaction{From: "a@example.org", Recipients: []Recipient{{Addr: "b@example.com"}}, Body: []byte("x\r\n")})
	var de *DeliveryError
	if !errors.As(err, &de) || de.Stage != StageConnect {
		t.Fatalf("err %v", err)
	}
}
