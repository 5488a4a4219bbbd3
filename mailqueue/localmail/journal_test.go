package localmail

import (
	"context"
	"net"
	netsmtp "net/smtp"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/relaykit/mailbox"
	"github.com/relaykit/relaykit/mailqueue"
	"github.com/relaykit/relaykit/smtp"
)

func openJournal(t *testing.T, dir string) *mailqueue.Spool {
	t.Helper()
	sp, err := mailqueue.OpenSpool(dir, mailqueue.SpoolConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

// files lists the names in a maildir subdirectory.
func files(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// TestJournalDelivers: with a Journal the 250 comes after the store write,
// the files follow, and once they are durable the stored copies are gone.
func TestJournalDelivers(t *testing.T) {
	root, jdir := t.TempDir(), t.TempDir()
	store := openJournal(t, jdir)
	defer store.Close()
	var acc []Accepted
	b := NewBackend(Config{
		Hostname: "mx.local.test", Mailboxes: &Mailboxes{Root: root, Domains: []string{"local.test"}}, Journal: store,
		OnAccept: func(a Accepted) { acc = append(acc, a) },
	})
	srv := &smtp.Server{Backend: b, Hostname: "mx.local.test"}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	for i := 0; i < 3; i++ {
		if err := netsmtp.SendMail(l.Addr().String(), nil, "a@remote.test", []string{"bob@local.test", "carol@local.test"}, []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	// The files appear without Close, within a batch's age.
	deadline := time.Now().Add(5 * time.Second)
	for len(files(t, filepath.Join(root, "local.test", "carol", "new"))) < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	srv.Close()
	b.Close()
	for _, box := range []string{"bob", "carol"} {
		got, err := b.Mailboxes().Messages(box + "@local.test")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 {
			t.Fatalf("%s: %d messages, want 3", box, len(got))
		}
		s := string(got[0])
		if !strings.HasPrefix(s, "Return-Path: <a@remote.test>\nDelivered-To: "+box+"@local.test\nReceived: ") || !strings.HasSuffix(s, "\nline one\n.dot line\n") {
			t.Errorf("%s: file is\n%s", box, s)
		}
		if tmp := files(t, filepath.Join(root, "local.test", box, "tmp")); len(tmp) != 0 {
			t.Errorf("%s: left in tmp/: %v", box, tmp)
		}
	}
	if n := store.Len(); n != 0 {
		t.Errorf("%d messages left in the journal after Close, want 0", n)
	}
	if len(acc) != 3 || len(acc[0].Local) != 2 || acc[0].Files != nil {
		t.Errorf("OnAccept got %+v", acc)
	}
}

// putJournal stores a message as Data would, without delivering it: the
// state after a crash between the 250 and the maildir write.
func putJournal(t *testing.T, store mailqueue.Store, id mailqueue.ID, created time.Time, rcpts ...string) *mailqueue.Message {
	t.Helper()
	m := &mailqueue.Message{
		ID:       id,
		Envelope: mailqueue.Envelope{From: "a@remote.test"},
		State:    mailqueue.State{Created: created, Rcpts: make([]mailqueue.RcptState, len(rcpts))},
		Body:     []byte(msg),
	}
	for _, r := range rcpts {
		m.Envelope.Recipients = append(m.Envelope.Recipients, mailqueue.Recipient{Addr: r})
	}
	if err := store.Put(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestJournalRecovery: messages a crash left in the journal are delivered
// when the backend starts, exactly once: a file that already reached new/
// or cur/ (renamed there by a reader) is not written again, a torn
// leftover in tmp/ is replaced, a missing file is written.
func TestJournalRecovery(t *testing.T) {
	root, jdir := t.TempDir(), t.TempDir()
	created := time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC)
	store := openJournal(t, jdir)
	putJournal(t, store, 0xa1, created, "bob@local.test", "carol@local.test")
	putJournal(t, store, 0xb2, created, "bob@local.test")
	putJournal(t, store, 0xc3, created, "bob@local.test")
	store.Close()

	md := NewWriter(&Mailboxes{Root: root, Options: mailbox.Options{Host: "mx.local.test"}})
	j := &journal{md: md}
	name := func(id mailqueue.ID, i int) string {
		return j.journalName(journalItem{id: id, created: created}, i)
	}
	_, bob, err := md.mb.open("bob@local.test")
	if err != nil {
		t.Fatal(err)
	}
	md.Close()
	// a1 reached bob's cur/ (read and flagged), not carol's maildir.
	want := appendFile(nil, "a@remote.test", "bob@local.test", []byte(msg))
	if err := os.WriteFile(filepath.Join(bob, "cur", name(0xa1, 0)+":2,S"), want, 0o600); err != nil {
		t.Fatal(err)
	}
	// b2 was renamed into new/.
	if err := os.WriteFile(filepath.Join(bob, "new", name(0xb2, 0)), want, 0o600); err != nil {
		t.Fatal(err)
	}
	// c3 was cut short in tmp/.
	if err := os.WriteFile(filepath.Join(bob, "tmp", name(0xc3, 0)), want[:10], 0o600); err != nil {
		t.Fatal(err)
	}

	store = openJournal(t, jdir)
	defer store.Close()
	b := NewBackend(Config{Hostname: "mx.local.test", Mailboxes: &Mailboxes{Root: root, Domains: []string{"local.test"}}, Journal: store})
	b.Close()

	if got := files(t, filepath.Join(bob, "cur")); len(got) != 1 {
		t.Errorf("bob cur/: %v, want the one read message", got)
	}
	newNames := files(t, filepath.Join(bob, "new"))
	if len(newNames) != 2 || !strings.Contains(strings.Join(newNames, " "), name(0xc3, 0)) {
		t.Errorf("bob new/: %v, want b2 and c3", newNames)
	}
	c3, err := os.ReadFile(filepath.Join(bob, "new", name(0xc3, 0)))
	if err != nil || string(c3) != string(want) {
		t.Errorf("c3 = %q, %v; want the whole message", c3, err)
	}
	if got := files(t, filepath.Join(bob, "tmp")); len(got) != 0 {
		t.Errorf("bob tmp/: %v", got)
	}
	carol, err := b.Mailboxes().Messages("carol@local.test")
	if err != nil || len(carol) != 1 {
		t.Errorf("carol: %d messages, %v; want 1", len(carol), err)
	}
	if n := store.Len(); n != 0 {
		t.Errorf("%d messages left in the journal, want 0", n)
	}
}

// TestJournalFailureKeepsMessage: a message whose maildir cannot be
// written stays in the journal (it was acknowledged) and is delivered by
// a later start once the mailbox can be written.
func TestJournalFailureKeepsMessage(t *testing.T) {
	root, jdir := t.TempDir(), t.TempDir()
	// A file where the domain's directory should be: ensure fails.
	block := filepath.Join(root, "local.test")
	if err := os.WriteFile(block, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	store := openJournal(t, jdir)
	defer store.Close()
	b := NewBackend(Config{Hostname: "mx.local.test", Mailboxes: &Mailboxes{Root: root, Domains: []string{"local.test"}}, Journal: store})
	if err := b.journal.put(context.Background(), "a@remote.test", []string{"bob@local.test"}, []byte(msg), time.Now()); err != nil {
		t.Fatal(err)
	}
	b.Close()
	if n := store.Len(); n != 1 {
		t.Fatalf("%d messages in the journal after a failed delivery, want 1", n)
	}
	if err := os.Remove(block); err != nil {
		t.Fatal(err)
	}
	b = NewBackend(Config{Hostname: "mx.local.test", Mailboxes: &Mailboxes{Root: root, Domains: []string{"local.test"}}, Journal: store})
	b.Close()
	got, err := b.Mailboxes().Messages("bob@local.test")
	if err != nil || len(got) != 1 {
		t.Fatalf("bob: %d messages, %v; want 1", len(got), err)
	}
	if n := store.Len(); n != 0 {
		t.Errorf("%d messages left in the journal, want 0", n)
	}
}

// TestJournalLargeMessage: a message too large to wait in memory is read
// back from the store by the writer.
func TestJournalLargeMessage(t *testing.T) {
	root := t.TempDir()
	store := openJournal(t, t.TempDir())
	defer store.Close()
	b := NewBackend(Config{Hostname: "mx.local.test", Mailboxes: &Mailboxes{Root: root, Domains: []string{"local.test"}}, Journal: store})
	body := []byte("Subject: big\r\n\r\n" + strings.Repeat("0123456789abcdef\r\n", journalMemLimit/16))
	if err := b.journal.put(context.Background(), "a@remote.test", []string{"bob@local.test"}, body, time.Now()); err != nil {
		t.Fatal(err)
	}
	b.Close()
	got, err := b.Mailboxes().Messages("bob@local.test")
	if err != nil || len(got) != 1 {
		t.Fatalf("bob: %d messages, %v", len(got), err)
	}
	if want := appendFile(nil, "a@remote.test", "bob@local.test", body); string(got[0]) != string(want) {
		t.Errorf("file has %d bytes, want %d", len(got[0]), len(want))
	}
}

// TestJournalRetryBatches: messages waiting for a retry (or recovered at
// start) are written a batch at a time, each full batch committed before
// the next is written, so the files held open stay bounded however many
// messages wait.
func TestJournalRetryBatches(t *testing.T) {
	root := t.TempDir()
	store := openJournal(t, t.TempDir())
	defer store.Close()
	created := time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC)
	retries := map[mailqueue.ID]time.Time{}
	for id := mailqueue.ID(1); id <= 10; id++ {
		putJournal(t, store, id, created, "bob@local.test")
		retries[id] = time.Time{}
	}
	md := NewWriter(&Mailboxes{Root: root, Options: mailbox.Options{Host: "mx.local.test"}})
	defer md.Close()
	j := &journal{store: store, md: md, root: root, logf: func(string, ...any) {},
		batchFiles: 3, batchAge: time.Hour, retry: time.Minute}
	var b journalBatch
	j.retryDue(&b, retries, time.Now())
	if len(b.files) != 1 || len(b.ids) != 1 {
		t.Errorf("batch left uncommitted: %d files, %d messages; want 1 and 1", len(b.files), len(b.ids))
	}
	if n := store.Len(); n != 1 {
		t.Errorf("%d messages left in the journal, want 1 (three batches of 3 committed)", n)
	}
	if len(retries) != 0 {
		t.Errorf("retries left: %v", retries)
	}
	j.commit(&b, retries)
	got, err := md.mb.Messages("bob@local.test")
	if err != nil || len(got) != 10 {
		t.Fatalf("bob: %d messages, %v; want 10", len(got), err)
	}
	if n := store.Len(); n != 0 {
		t.Errorf("%d messages left in the journal, want 0", n)
	}
}
