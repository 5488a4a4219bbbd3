package mailqueue

import (
	"context"
	"errors"
	"net"
	netsmtp "net/smtp"
	"net/textproto"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/relaykit/relaykit/smtp"
)

// serveBackend serves b on loopback until the test ends.
func serveBackend(t *testing.T, b *Backend, maxBytes int64) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &smtp.Server{Backend: b, Hostname: "mx.example.org", MaxMessageBytes: maxBytes}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

// sendOne sends one message and returns the SMTP error code of the
// first failing step (0 for success).
func sendOne(t *testing.T, addr, from string, to []string, body string) int {
	t.Helper()
	c, err := netsmtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	code := func(err error) int {
		var te *textproto.Error
		if errors.As(err, &te) {
			return te.Code
		}
		t.Fatalf("not an SMTP reply: %v", err)
		return 0
	}
	if err := c.Mail(from); err != nil {
		return code(err)
	}
	for _, r := range to {
		if err := c.Rcpt(r); err != nil {
			return code(err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return code(err)
	}
	w.Write([]byte(body))
	if err := w.Close(); err != nil {
		return code(err)
	}
	return 0
}

func TestBackendEnqueues(t *testing.T) {
	h := newHarness(t, Config{})
	addr := serveBackend(t, &Backend{Queue: h.q, Rcpt: func(_ context.Context, _ *smtp.Conn, _, to string) error {
		if strings.HasSuffix(to, "@example.net") {
			return smtp.NewError(554, smtp.EnhancedCode{Class: 5, Subject: 7, Detail: 1}, "Relay access denied")
		}
		return nil
	}}, 0)
	if c := sendOne(t, addr, "alice@example.org", []string{"bob@example.com"}, "Subject: hi\r\n\r\nhello\r\n"); c != 0 {
		t.Fatalf("send: %d", c)
	}
	if c := sendOne(t, addr, "alice@example.org", []string{"eve@example.net"}, "x\r\n"); c != 554 {
		t.Fatalf("refused recipient: %d, want 554", c)
	}
	h.q.settle()
	calls := h.dlv.snapshot()
	if len(calls) != 1 {
		t.Fatalf("%d deliveries, want 1", len(calls))
	}
	body := string(calls[0].Txn.Body)
	if !strings.HasPrefix(body, "Received: from ") || !strings.Contains(body, "by mq.example.org") ||
		!strings.Contains(body, "for <bob@example.com>") || !strings.HasSuffix(body, "Subject: hi\r\n\r\nhello\r\n") {
		t.Fatalf("delivered body:\n%s", body)
	}
}

// The store failing (a full disk) is 452 and nothing is queued; a
// message over the queue's limit is 552; a queue shutting down is 421.
func TestBackendReplies(t *testing.T) {
	dir := t.TempDir()
	var full atomic.Bool
	s, err := OpenSpool(dir, SpoolConfig{noLock: true, fault: func(op string) error {
		if full.Load() && op != "truncate" {
			return syscall.ENOSPC
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dlv := &fakeDeliverer{clock: newFakeClock()}
	q, err := New(s, Config{Clock: dlv.clock, Resolver: newFakeResolver(), Deliverer: dlv, MaxMessageSize: 1000, Hostname: "mq.example.org"})
	if err != nil {
		t.Fatal(err)
	}
	addr := serveBackend(t, &Backend{Queue: q}, 100000)
	full.Store(true)
	if c := sendOne(t, addr, "a@example.org", []string{"b@example.com"}, "x\r\n"); c != 452 {
		t.Fatalf("full store: %d, want 452", c)
	}
	if q.Len() != 0 {
		t.Fatal("a refused message was queued")
	}
	full.Store(false)
	if c := sendOne(t, addr, "a@example.org", []string{"b@example.com"}, strings.Repeat("yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\r\n", 50)); c != 552 {
		t.Fatalf("too large: %d, want 552", c)
	}
	if c := sendOne(t, addr, "a@example.org", []string{"b@example.com"}, "x\r\n"); c != 0 {
		t.Fatalf("after the disk has room again: %d, want success", c)
	}
	q.Shutdown(context.Background())
	if c := sendOne(t, addr, "a@example.org", []string{"b@example.com"}, "x\r\n"); c != 421 {
		t.Fatalf("queue shut down: %d, want 421", c)
	}
}
