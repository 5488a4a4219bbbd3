package localmail

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	netsmtp "net/smtp"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaykit/relaykit/mailbox"
	"github.com/relaykit/relaykit/mailqueue"
	"github.com/relaykit/relaykit/smtp"
)

// fakeQueue records what would be relayed.
type fakeQueue struct {
	mu   sync.Mutex
	envs []mailqueue.Envelope
	fail error
}

func (q *fakeQueue) Enqueue(_ context.Context, env mailqueue.Envelope, body []byte) (mailqueue.ID, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.fail != nil {
		return 0, q.fail
	}
	q.envs = append(q.envs, env)
	return mailqueue.ID(len(q.envs)), nil
}

func (q *fakeQueue) count() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.envs)
}

func serve(t *testing.T, cfg Config) (*Backend, string) {
	t.Helper()
	if cfg.Mailboxes == nil {
		cfg.Mailboxes = &Mailboxes{}
	}
	if cfg.Mailboxes.Root == "" {
		cfg.Mailboxes.Root = t.TempDir()
	}
	b := NewBackend(cfg)
	srv := &smtp.Server{Backend: b, Hostname: "mx.local.test", AllowInsecureAuth: true}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		srv.Serve(l)
		close(done)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
		b.Close()
	})
	return b, l.Addr().String()
}

const msg = "From: a@remote.test\r\nTo: bob@local.test\r\nSubject: hi\r\n\r\nline one\r\n.dot line\r\n"

func TestBackendLocalDelivery(t *testing.T) {
	var got []Accepted
	var mu sync.Mutex
	b, addr := serve(t, Config{
		Hostname: "mx.local.test", Mailboxes: &Mailboxes{Domains: []string{"Local.Test"}},
		Now:      func() time.Time { return time.Date(2026, 11, 26, 17, 0, 0, 0, time.UTC) },
		OnAccept: func(a Accepted) { mu.Lock(); got = append(got, a); mu.Unlock() },
	})
	if err := netsmtp.SendMail(addr, nil, "a@remote.test", []string{"bob@local.test", "Carol@LOCAL.test"}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	for _, rcpt := range []string{"bob@local.test", "carol@local.test"} {
		msgs, err := b.Mailboxes().Messages(rcpt)
		if err != nil || len(msgs) != 1 {
			t.Fatalf("%s: %d messages, %v", rcpt, len(msgs), err)
		}
		m := string(msgs[0])
		for _, want := range []string{
			"Return-Path: <a@remote.test>\n",
			"Received: from localhost ([127.0.0.1])\n\tby mx.local.test (relaykit) with ESMTP id ",
			"Thu, 26 Nov 2026 17:00:00 +0000\n",
			"\nline one\n.dot line\n",
		} {
			if !strings.Contains(m, want) {
				t.Errorf("%s: message lacks %q:\n%s", rcpt, want, m)
			}
		}
		if strings.Contains(m, "\r") {
			t.Errorf("%s: CR left in maildir file", rcpt)
		}
	}
	if n, _ := b.Mailboxes().Count(); n != 2 {
		t.Errorf("Count = %d, want 2", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || len(got[0].Local) != 2 || len(got[0].Files) != 2 || got[0].Client != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("OnAccept got %+v", got)
	}
}

func TestMailboxesAndRelayPolicy(t *testing.T) {
	q := &fakeQueue{}
	_, addr := serve(t, Config{
		Mailboxes: &Mailboxes{Domains: []string{"local.test"}, Users: map[string]bool{"bob@local.test": true}},
		Queue:     q,
		Users:     map[string]string{"alice": "s3cret"},
	})
	send := func(auth netsmtp.Auth, to string) error {
		return netsmtp.SendMail(addr, auth, "alice@local.test", []string{to}, []byte(msg))
	}
	if err := send(nil, "nobody@local.test"); err == nil || !strings.Contains(err.Error(), "550") {
		t.Errorf("unknown mailbox: %v, want 550", err)
	}
	if err := send(nil, "bob@local.test"); err != nil {
		t.Errorf("known mailbox: %v", err)
	}
	// Not authenticated, not trusted: no relaying.
	if err := send(nil, "x@elsewhere.test"); err == nil || !strings.Contains(err.Error(), "Relay access denied") {
		t.Errorf("open relay probe: %v, want 554 5.7.1", err)
	}
	if err := send(netsmtp.PlainAuth("", "alice", "wrong", "127.0.0.1"), "x@elsewhere.test"); err == nil || !strings.Contains(err.Error(), "535") {
		t.Errorf("bad password: %v, want 535", err)
	}
	if err := send(netsmtp.PlainAuth("", "alice", "s3cret", "127.0.0.1"), "x@elsewhere.test"); err != nil {
		t.Errorf("authenticated relay: %v", err)
	}
	if err := send(netsmtp.PlainAuth("bob", "alice", "s3cret", "127.0.0.1"), "x@elsewhere.test"); err == nil {
		t.Error("AUTH as alice acting for bob was accepted")
	}
	if q.count() != 1 || q.envs[0].From != "alice@local.test" || q.envs[0].Recipients[0].Addr != "x@elsewhere.test" {
		t.Errorf("queue got %+v", q.envs)
	}
}

func TestTrustedRelayAndQueueFailure(t *testing.T) {
	q := &fakeQueue{}
	_, addr := serve(t, Config{Queue: q, Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	if err := netsmtp.SendMail(addr, nil, "", []string{"x@elsewhere.test"}, []byte(msg)); err != nil {
		t.Fatalf("trusted relay: %v", err)
	}
	if q.count() != 1 {
		t.Fatalf("queue has %d", q.count())
	}
	q.fail = errors.New("disk full")
	if err := netsmtp.SendMail(addr, nil, "a@b.test", []string{"x@elsewhere.test"}, []byte(msg)); err == nil || !strings.Contains(err.Error(), "452") {
		t.Errorf("queue failure: %v, want 452", err)
	}
}

func TestPathIsConfined(t *testing.T) {
	m := NewWriter(&Mailboxes{Root: "/root/mail", Options: mailbox.Options{Host: "h"}})
	defer m.Close()
	for addr, want := range map[string]string{
		"Bob@Local.Test":         "/root/mail/local.test/bob",
		"../../etc@local.test":   "/root/mail/local.test/%2E.%2F..%2Fetc",
		"a/b@local.test":         "/root/mail/local.test/a%2Fb",
		`"x y"@local.test`:       "/root/mail/local.test/%22x%20y%22",
		"bob@../../../tmp":       "/root/mail/%2E.%2F..%2F..%2Ftmp/bob",
		"dotted.name@local.test": "/root/mail/local.test/dotted.name",
	} {
		got, err := m.mb.Path(addr)
		if err != nil || got != want {
			t.Errorf("Path(%q) = %q, %v; want %q", addr, got, err, want)
		}
		if !strings.HasPrefix(filepath.Clean(got), "/root/mail/") {
			t.Errorf("Path(%q) escapes the root: %q", addr, got)
		}
	}
	for _, bad := range []string{"nodomain", "@x", "x@"} {
		if _, err := m.mb.Path(bad); !errors.Is(err, ErrBadAddress) {
			t.Errorf("Path(%q): err = %v", bad, err)
		}
	}
}

func TestGroupCommitConcurrent(t *testing.T) {
	root := t.TempDir()
	m := NewWriter(&Mailboxes{Root: root, Options: mailbox.Options{Host: "h"}})
	const n = 64
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			rcpt := fmt.Sprintf("u%d@d.test", i%4)
			if _, err := m.Deliver(context.Background(), "s@x", []string{rcpt}, []byte(fmt.Sprintf("Subject: %d\r\n\r\nbody\r\n", i))); err != nil {
				errs <- err
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if c, err := m.mb.Count(); c != n || err != nil {
		t.Errorf("Count = %d, %v; want %d", c, err, n)
	}
	m.Close()
	if _, err := m.Deliver(context.Background(), "s@x", []string{"u@d.test"}, []byte("x\r\n")); !errors.Is(err, ErrClosed) {
		t.Errorf("Deliver after Close: %v", err)
	}
	// Nothing is left in tmp/.
	left, _ := filepath.Glob(filepath.Join(root, "*", "*", "tmp", "*"))
	if len(left) != 0 {
		t.Errorf("files left in tmp/: %v", left)
	}
}

// TestGroupCommitFailureIsolated: a delivery whose file cannot be created
// fails as a whole (no file of it reaches new/, none is left in tmp/),
// and deliveries committed in the same batches still succeed.
func TestGroupCommitFailureIsolated(t *testing.T) {
	root := t.TempDir()
	m := NewWriter(&Mailboxes{Root: root, Options: mailbox.Options{Host: "h"}})
	defer m.Close()
	msg := []byte("Subject: s\r\n\r\nbody\r\n")
	if _, err := m.Deliver(context.Background(), "s@x", []string{"bad@d.test"}, msg); err != nil {
		t.Fatal(err)
	}
	// bad's tmp/ becomes a plain file: creating a file in it fails with
	// ENOTDIR even for root, whom permissions would not stop.
	dir, _ := m.mb.Path("bad@d.test")
	if err := os.RemoveAll(filepath.Join(dir, "tmp")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tmp"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	rcpts := [][]string{{"good@d.test"}, {"bad@d.test"}, {"good@d.test", "bad@d.test"}}
	const rounds = 16
	var wg sync.WaitGroup
	results := make([][]error, len(rcpts))
	for k := range rcpts {
		results[k] = make([]error, rounds)
		for i := range rounds {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, results[k][i] = m.Deliver(context.Background(), "s@x", rcpts[k], msg)
			}()
		}
	}
	wg.Wait()
	for i := range rounds {
		if err := results[0][i]; err != nil {
			t.Errorf("delivery to good alone: %v", err)
		}
		for k := 1; k < len(rcpts); k++ {
			if results[k][i] == nil {
				t.Errorf("delivery to %v succeeded, want an error", rcpts[k])
			}
		}
	}
	got, err := m.mb.Messages("good@d.test")
	if err != nil || len(got) != rounds {
		t.Errorf("good has %d messages (%v), want %d: nothing of the failed two-recipient deliveries", len(got), err, rounds)
	}
	left, _ := filepath.Glob(filepath.Join(root, "*", "*", "tmp", "*"))
	if len(left) != 0 {
		t.Errorf("files left in tmp/: %v", left)
	}
}

// TestReceivedField pins the whole trace field (RFC 5321 4.4) for an
// authenticated single-recipient message: the RFC 3848 protocol keyword
// ESMTPA and the "for" clause.
func TestReceivedField(t *testing.T) {
	b, addr := serve(t, Config{
		Hostname: "mx.local.test", Mailboxes: &Mailboxes{Domains: []string{"local.test"}},
		Users: map[string]string{"alice": "secret"},
		Now:   func() time.Time { return time.Date(2026, 11, 26, 17, 0, 0, 0, time.UTC) },
	})
	auth := netsmtp.PlainAuth("", "alice", "secret", "127.0.0.1")
	if err := netsmtp.SendMail(addr, auth, "a@remote.test", []string{"bob@local.test"}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	msgs, err := b.Mailboxes().Messages("bob@local.test")
	if err != nil || len(msgs) != 1 {
		t.Fatalf("%d messages, %v", len(msgs), err)
	}
	want := "Return-Path: <a@remote.test>\nDelivered-To: bob@local.test\n" +
		"Received: from localhost ([127.0.0.1])\n\tby mx.local.test (relaykit) with ESMTPA id 1\n\tfor <bob@local.test>;\n\tThu, 26 Nov 2026 17:00:00 +0000\n" +
		"From: a@remote.test\n"
	if got := string(msgs[0]); !strings.HasPrefix(got, want) {
		t.Errorf("maildir file starts\n%q\nwant\n%q", got[:min(len(got), len(want))], want)
	}
}
