package relay

import (
	"bytes"
	"context"
	"net/netip"
	netsmtp "net/smtp"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func startRelay(t *testing.T, cfg Config) *Relay {
	t.Helper()
	dir := t.TempDir()
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.Hostname == "" {
		cfg.Hostname = "relay.test"
	}
	cfg.Maildir = filepath.Join(dir, "mail")
	cfg.Spool = filepath.Join(dir, "spool")
	if cfg.Retry == 0 {
		cfg.Retry = time.Minute
	}
	r, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := r.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	return r
}

const testMsg = "From: a@outside.test\r\nTo: bob@local.test\r\nSubject: relay test\r\n\r\nHello.\r\n"

func TestRelayHoldLocalAndQueue(t *testing.T) {
	r := startRelay(t, Config{
		Domains: []string{"local.test"},
		Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		Hold:    true,
	})
	if err := netsmtp.SendMail(r.Addr(), nil, "a@outside.test", []string{"bob@local.test"}, []byte(testMsg)); err != nil {
		t.Fatal(err)
	}
	msgs, err := r.Backend().Mailboxes().Messages("bob@local.test")
	if err != nil || len(msgs) != 1 || !bytes.Contains(msgs[0], []byte("Subject: relay test")) {
		t.Fatalf("mailbox: %d messages, %v", len(msgs), err)
	}
	// Relayed mail from the trusted network is held in the spool.
	if err := netsmtp.SendMail(r.Addr(), nil, "a@local.test", []string{"x@far.test", "y@far.test"}, []byte(testMsg)); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := printQueue(&out, r.cfg.Spool); err != nil {
		t.Fatal(err)
	}
	listing := out.String()
	if !regexp.MustCompile(`(?m)^[0-9a-f]{16}! +\d+ .* a@local\.test$`).MatchString(listing) ||
		!strings.Contains(listing, "x@far.test") || !strings.Contains(listing, "y@far.test") ||
		!strings.Contains(listing, "in 1 Request.") {
		t.Errorf("mailq:\n%s", listing)
	}
}

func TestRelayRefusesOpenRelay(t *testing.T) {
	r := startRelay(t, Config{Domains: []string{"local.test"}, Hold: true})
	err := netsmtp.SendMail(r.Addr(), nil, "a@outside.test", []string{"x@far.test"}, []byte(testMsg))
	if err == nil || !strings.Contains(err.Error(), "Relay access denied") {
		t.Fatalf("relay from an untrusted client: %v, want Relay access denied", err)
	}
	var out bytes.Buffer
	if err := r.WriteQueue(context.Background(), &out); err != nil || out.String() != "Mail queue is empty\n" {
		t.Errorf("queue after refused relay: %q, %v", out.String(), err)
	}
}

func TestRelaySubmissionAuth(t *testing.T) {
	r := startRelay(t, Config{
		Domains:      []string{"local.test"},
		Submission:   "127.0.0.1:0",
		Users:        map[string]string{"alice": "pw"},
		InsecureAuth: true,
		Hold:         true,
	})
	sub := r.SubmissionAddr()
	if sub == "" {
		t.Fatal("no submission listener")
	}
	if err := netsmtp.SendMail(sub, netsmtp.PlainAuth("", "alice", "pw", "127.0.0.1"), "alice@local.test", []string{"x@far.test"}, []byte(testMsg)); err != nil {
		t.Fatalf("authenticated submission: %v", err)
	}
	entries, err := r.Entries(context.Background())
	if err != nil || len(entries) != 1 || entries[0].Recipients[0].Addr != "x@far.test" {
		t.Errorf("queue entries = %+v, %v", entries, err)
	}
}

func TestParseFlags(t *testing.T) {
	var errb bytes.Buffer
	cfg, mailq, err := parseFlags([]string{
		"-listen", "127.0.0.1:2600", "-domains", "a.test, b.test", "-user", "alice:pw",
		"-trusted", "127.0.0.0/8,10.1.2.3", "-root", "127.0.0.2:5300,127.0.0.3", "-hold", "-mailq",
	}, &errb)
	if err != nil {
		t.Fatal(err, errb.String())
	}
	if !mailq || !cfg.Hold || len(cfg.Domains) != 2 || cfg.Users["alice"] != "pw" ||
		len(cfg.Trusted) != 2 || cfg.Trusted[1].String() != "10.1.2.3/32" ||
		len(cfg.Roots) != 2 || cfg.Roots[1].String() != "127.0.0.3:53" {
		t.Errorf("parsed %+v", cfg)
	}
	if gluePort(cfg.Roots) != 0 || gluePort(cfg.Roots[:1]) != 5300 {
		t.Error("gluePort")
	}
	for _, bad := range [][]string{{"-user", "nopass"}, {"-trusted", "x"}, {"-root", "y"}, {"-nosuch"}} {
		if _, _, err := parseFlags(bad, &errb); err == nil {
			t.Errorf("parseFlags(%q): no error", bad)
		}
	}
}

func TestTLSConfig(t *testing.T) {
	c, err := selfSigned("relay.test")
	if err != nil || len(c.Certificates) != 1 {
		t.Fatalf("selfSigned: %v", err)
	}
}

// TestRelayQueueLocal: with QueueLocal, local mail is accepted into the
// queue and the queue's local deliverer writes the mailbox.
func TestRelayQueueLocal(t *testing.T) {
	r := startRelay(t, Config{Domains: []string{"local.test"}, QueueLocal: true})
	if err := netsmtp.SendMail(r.Addr(), nil, "a@outside.test", []string{"bob@local.test"}, []byte(testMsg)); err != nil {
		t.Fatal(err)
	}
	// The queue delivers in the background and tells nobody: look every
	// few milliseconds, bounded.
	var msgs [][]byte
	for deadline := time.Now().Add(30 * time.Second); len(msgs) == 0 && time.Now().Before(deadline); {
		msgs, _ = r.Backend().Mailboxes().Messages("bob@local.test")
		time.Sleep(2 * time.Millisecond)
	}
	if len(msgs) != 1 || !bytes.Contains(msgs[0], []byte("Subject: relay test")) ||
		!bytes.HasPrefix(msgs[0], []byte("Return-Path: <a@outside.test>\n")) {
		t.Fatalf("mailbox: %q", msgs)
	}
}

// TestRelayJournal: with -journal, local mail is accepted into
// SPOOL/journal, the mailbox follows, and the journal empties.
// TestRelayJournalListed: a local delivery the journal holds (here
// because its maildir cannot be written) shows in the queue listing.
func TestRelayJournalListed(t *testing.T) {
	r := startRelay(t, Config{Domains: []string{"local.test"}, Journal: true})
	// A file where the domain's maildir directory should be.
	if err := os.MkdirAll(r.cfg.Maildir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r.cfg.Maildir, "local.test"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := netsmtp.SendMail(r.Addr(), nil, "a@outside.test", []string{"bob@local.test"}, []byte(testMsg)); err != nil {
		t.Fatal(err)
	}
	// Listed by the relay itself, and over its control socket (relay
	// -mailq, relayq), where relayOps adds the journal to the queue.
	var out, overSocket bytes.Buffer
	if err := r.WriteQueue(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	if err := printQueue(&overSocket, r.cfg.Spool); err != nil {
		t.Fatal(err)
	}
	if out.String() != overSocket.String() {
		t.Errorf("listing over the socket:\n%s\nwant:\n%s", overSocket.String(), out.String())
	}
	listing := out.String()
	for _, want := range []string{"a@outside.test", "bob@local.test", "(" + journalReason + ")", "in 1 Request."} {
		if !strings.Contains(listing, want) {
			t.Errorf("listing lacks %q:\n%s", want, listing)
		}
	}
	if counts, code := relayq(t, r.cfg.Spool, "counts"); code != 0 || !strings.HasPrefix(counts, "messages 1\n") {
		t.Errorf("relayq counts (%d):\n%s", code, counts)
	}
}

func TestRelayJournal(t *testing.T) {
	r := startRelay(t, Config{Domains: []string{"local.test"}, Journal: true})
	for i := 0; i < 3; i++ {
		if err := netsmtp.SendMail(r.Addr(), nil, "a@outside.test", []string{"bob@local.test"}, []byte(testMsg)); err != nil {
			t.Fatal(err)
		}
	}
	var msgs [][]byte
	for deadline := time.Now().Add(30 * time.Second); len(msgs) < 3 && time.Now().Before(deadline); {
		msgs, _ = r.Backend().Mailboxes().Messages("bob@local.test")
		time.Sleep(2 * time.Millisecond)
	}
	if len(msgs) != 3 || !bytes.Contains(msgs[2], []byte("Subject: relay test")) {
		t.Fatalf("mailbox: %q", msgs)
	}
	if r.journal == nil {
		t.Fatal("no journal store opened")
	}
	// The stored copies go once the files are durable.
	for deadline := time.Now().Add(30 * time.Second); r.journal.Len() > 0 && time.Now().Before(deadline); {
		time.Sleep(2 * time.Millisecond)
	}
	if n := r.journal.Len(); n != 0 {
		t.Errorf("%d messages left in the journal", n)
	}
}

// TestRelayLongHeaderLine: a To: line over 998 octets (100 addresses on
// one line, as scripts write them) is accepted and queued with every line
// legal.
func TestRelayLongHeaderLine(t *testing.T) {
	r := startRelay(t, Config{
		Domains: []string{"local.test"},
		Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		Hold:    true,
	})
	var to []string
	for i := range 100 {
		to = append(to, "user"+strings.Repeat("x", i%5)+"@far.test")
	}
	msg := "From: a@local.test\r\nTo: " + strings.Join(to, ", ") + "\r\nSubject: many\r\n\r\nhi\r\n"
	if err := netsmtp.SendMail(r.Addr(), nil, "a@local.test", []string{"x@far.test"}, []byte(msg)); err != nil {
		t.Fatalf("long header line refused: %v", err)
	}
	entries, err := r.Entries(context.Background())
	if err != nil || len(entries) != 1 {
		t.Fatalf("entries %+v, %v", entries, err)
	}
	m, err := r.spool.Get(context.Background(), entries[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(m.Body), "\r\n") {
		if len(l) > 998 {
			t.Errorf("stored line %d has %d octets", i, len(l))
		}
	}
}
