//go:build interop

package relay

import (
	"fmt"
	"net"
	"net/netip"
	netsmtp "net/smtp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/relaykit/internal/postfixtest"
)

func startPostfix(t *testing.T, cfg postfixtest.Config) *postfixtest.Server {
	t.Helper()
	if err := postfixtest.Available(); err != nil {
		t.Skip(err)
	}
	cfg.Dir = t.TempDir()
	s, err := postfixtest.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop() })
	return s
}

// TestInteropRelayToPostfix: mail submitted to our relay for a remote
// domain goes through our queue (MX lookup with our resolver in a
// loopback DNS hierarchy, SMTP with our client, one connection reused)
// into Postfix's maildir.
func TestInteropRelayToPostfix(t *testing.T) {
	pf := startPostfix(t, postfixtest.Config{MaildirDomains: []string{"postfix.test"}})
	_, pfPort, _ := net.SplitHostPort(pf.Addr)
	h := startTestDNS(t, "postfix MX 10 mail.postfix\nmail.postfix A 127.0.0.1")
	port, _ := strconv.Atoi(pfPort)
	r := startRelay(t, Config{
		Domains:    []string{"local.test"},
		Trusted:    []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		Roots:      h.RootHints(),
		RemotePort: port,
	})
	const n = 20
	for i := 0; i < n; i++ {
		body := fmt.Sprintf("From: a@local.test\r\nTo: u@postfix.test\r\nSubject: to postfix %d\r\n\r\nmessage %d\r\n", i, i)
		if err := netsmtp.SendMail(r.Addr(), nil, "a@local.test", []string{"u@postfix.test"}, []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := pf.WaitDelivered(n, time.Minute); err != nil {
		t.Fatal(err)
	}
	msgs, err := pf.Messages("u@postfix.test")
	if err != nil || len(msgs) != n {
		t.Fatalf("Postfix maildir: %d messages, %v", len(msgs), err)
	}
	m := string(msgs[0])
	if !strings.Contains(m, "by relay.test (relaykit)") || !strings.Contains(m, "by postfix.test (Postfix)") {
		t.Errorf("Received fields do not show both hops:\n%s", m)
	}
	// Postfix logs one connection per session; the queue's deliverer
	// reuses connections, so there are fewer sessions than messages.
	if conns := len(pf.Grep("postfix/smtpd")); conns == 0 {
		t.Error("no smtpd activity in Postfix's log")
	}
	if sessions := len(pf.Grep(": connect from")); sessions >= n {
		t.Errorf("%d SMTP sessions for %d messages: no connection reuse", sessions, n)
	}
}

// TestInteropPostfixRelaysToUs: Postfix accepts mail for relay.test and
// relays it to our server, which delivers it into a maildir.
func TestInteropPostfixRelaysToUs(t *testing.T) {
	r := startRelay(t, Config{Domains: []string{"relay.test"}, Hold: true})
	pf := startPostfix(t, postfixtest.Config{Relay: map[string]string{"relay.test": r.Addr()}})
	const n = 10
	for i := 0; i < n; i++ {
		body := fmt.Sprintf("From: a@x.test\r\nTo: bob@relay.test\r\nSubject: via postfix %d\r\n\r\n8-bit caf\xc3\xa9 %d\r\n.leading dot\r\n", i, i)
		if err := netsmtp.SendMail(pf.Addr, nil, "a@x.test", []string{"bob@relay.test"}, []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(time.Minute)
	var msgs [][]byte
	for {
		var err error
		if msgs, err = r.Backend().Mailboxes().Messages("bob@relay.test"); err != nil {
			t.Fatal(err)
		}
		if len(msgs) >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond) // waiting on Postfix's queue manager
	}
	if len(msgs) != n {
		t.Fatalf("%d of %d messages arrived from Postfix\n%s", len(msgs), n, pf.LogTail(20))
	}
	m := string(msgs[0])
	for _, want := range []string{"by postfix.test (Postfix)", "by relay.test (relaykit) with ESMTP", "café", "\n.leading dot\n"} {
		if !strings.Contains(m, want) {
			t.Errorf("message from Postfix lacks %q:\n%s", want, m)
		}
	}
	// Postfix logs "status=sent" after our 250 and through postlogd, so
	// the last line may trail the mailbox: wait for it, bounded.
	sent := 0
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if sent = len(pf.Grep("status=sent")); sent >= n {
			break
		}
	}
	if sent != n {
		t.Errorf("Postfix logged %d deliveries, want %d", sent, n)
	}
}
