package localmail_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/relaykit/relaykit/mailbox"
	"github.com/relaykit/relaykit/mailqueue"
	"github.com/relaykit/relaykit/mailqueue/localmail"
)

// remote records what the queue sends to other domains.
type remote struct {
	mu   sync.Mutex
	txns []mailqueue.Transaction
	done chan struct{}
}

func (r *remote) Deliver(_ context.Context, _ mailqueue.Target, txn *mailqueue.Transaction) ([]mailqueue.Reply, error) {
	r.mu.Lock()
	r.txns = append(r.txns, *txn)
	r.mu.Unlock()
	r.done <- struct{}{}
	out := make([]mailqueue.Reply, len(txn.Recipients))
	for i := range out {
		out[i] = mailqueue.Reply{Code: 250}
	}
	return out, nil
}

// startQueue runs a queue that delivers local.test into Maildirs under
// root (through a Writer if withWriter) and everything else to rem.
func startQueue(t testing.TB, root string, users map[string]bool, rem *remote, withWriter bool) *mailqueue.Queue {
	spool, err := mailqueue.OpenSpool(t.TempDir(), mailqueue.SpoolConfig{})
	if err != nil {
		t.Fatal(err)
	}
	mb := &localmail.Mailboxes{Root: root, Domains: []string{"local.test"}, Users: users}
	d := localmail.Deliverer{Mailboxes: mb, Next: rem}
	if withWriter {
		d.Writer = localmail.NewWriter(mb)
		t.Cleanup(func() { d.Writer.Close() })
	}
	q, err := mailqueue.New(spool, mailqueue.Config{
		Hostname:  "mx.local.test",
		Resolver:  localmail.Routes{Mailboxes: mb, Next: mailqueue.StaticResolver{MX: map[string][]mailqueue.MX{"far.test": {{Host: "mx.far.test"}}}, IP: map[string][]netip.Addr{"mx.far.test": {netip.MustParseAddr("192.0.2.1")}}}},
		Deliverer: d,
	})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func inbox(t testing.TB, dir string) []string {
	t.Helper()
	md, err := mailbox.Open(dir, mailbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := md.Inbox()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range f.Messages() {
		b, err := f.ReadMessage(m.UID)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

// TestLocalDelivery: a message for two local users (one unknown) and a
// remote one: the known user's Maildir gets a copy with Return-Path and
// Delivered-To in LF form, the remote one goes to the next deliverer,
// and the unknown user's 550 bounces to the sender (remote too); the same
// with the copies written through a Writer.
func TestLocalDelivery(t *testing.T) {
	t.Run("batch", func(t *testing.T) { testLocalDelivery(t, false) })
	t.Run("writer", func(t *testing.T) { testLocalDelivery(t, true) })
}

func testLocalDelivery(t *testing.T, withWriter bool) {
	root := t.TempDir()
	rem := &remote{done: make(chan struct{}, 4)}
	q := startQueue(t, root, map[string]bool{"bob@local.test": true}, rem, withWriter)
	defer q.Shutdown(context.Background())
	env := mailqueue.Envelope{From: "alice@far.test", Recipients: []mailqueue.Recipient{
		{Addr: "Bob@local.test"}, {Addr: "nobody@local.test"}, {Addr: "carol@far.test"}}}
	if _, err := q.Enqueue(context.Background(), env, []byte("Subject: hi\r\n\r\nHello.\r\n")); err != nil {
		t.Fatal(err)
	}
	<-rem.done // carol
	<-rem.done // the bounce for nobody
	q.Shutdown(context.Background())
	msgs := inbox(t, filepath.Join(root, "local.test", "bob"))
	want := "Return-Path: <alice@far.test>\nDelivered-To: Bob@local.test\nSubject: hi\n\nHello.\n"
	if len(msgs) != 1 || msgs[0] != want {
		t.Fatalf("bob's inbox: %q, want [%q]", msgs, want)
	}
	if _, err := os.Stat(filepath.Join(root, "local.test", "nobody")); !os.IsNotExist(err) {
		t.Fatalf("a Maildir was made for an unknown user: %v", err)
	}
	rem.mu.Lock()
	defer rem.mu.Unlock()
	var bounce *mailqueue.Transaction
	for i := range rem.txns {
		if rem.txns[i].From == "" {
			bounce = &rem.txns[i]
		}
	}
	if bounce == nil || bounce.Recipients[0].Addr != "alice@far.test" || !strings.Contains(string(bounce.Body), "5.1.1") {
		t.Fatalf("no bounce to alice for nobody: %+v", rem.txns)
	}
}

// deliveries is an Observer that passes on delivery events.
type deliveries chan mailqueue.Event

func (d deliveries) Observe(e mailqueue.Event) {
	if e.Kind == mailqueue.EventDelivered {
		d <- e
	}
}

func Example() {
	root, _ := os.MkdirTemp("", "mail")
	defer os.RemoveAll(root)
	spool, _ := mailqueue.OpenSpool(filepath.Join(root, "spool"), mailqueue.SpoolConfig{})
	defer spool.Close()
	mb := &localmail.Mailboxes{Root: filepath.Join(root, "mail"), Domains: []string{"example.org"}}
	done := make(deliveries, 1)
	q, _ := mailqueue.New(spool, mailqueue.Config{
		Hostname: "mx.example.org",
		// A real server passes its DNS and SMTP as Next (nil: the
		// standard library's DNS, and SMTP).
		Resolver:  localmail.Routes{Mailboxes: mb, Next: mailqueue.StaticResolver{}},
		Deliverer: localmail.Deliverer{Mailboxes: mb},
		Observer:  done,
	})
	env := mailqueue.Envelope{From: "alice@example.com", Recipients: []mailqueue.Recipient{{Addr: "bob@example.org"}}}
	q.Enqueue(context.Background(), env, []byte("Subject: hi\r\n\r\nHello Bob.\r\n"))
	fmt.Println((<-done).Reply[:33])
	q.Shutdown(context.Background())

	md, _ := mailbox.Open(filepath.Join(root, "mail", "example.org", "bob"), mailbox.Options{})
	f, _ := md.Inbox()
	for _, m := range f.Messages() {
		b, _ := f.ReadMessage(m.UID)
		fmt.Print(string(b))
	}
	// Output:
	// 250 2.0.0 delivered to maildir as
	// Return-Path: <alice@example.com>
	// Delivered-To: bob@example.org
	// Subject: hi
	//
	// Hello Bob.
}
