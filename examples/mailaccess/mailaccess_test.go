package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaykit/relaykit/imap"
	"github.com/relaykit/relaykit/mailbox"
	"github.com/relaykit/relaykit/pop3"
)

const testMsg = "From: Alice <alice@crepes.fr>\nTo: bob@hamburger.edu\nSubject: Crepes\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nHello Bob\n--b\nContent-Type: text/plain; name=recipe.txt\nContent-Disposition: attachment; filename=recipe.txt\n\nflour, eggs, milk\n--b--\n"

// startTest starts both servers on loopback over a maildir for bob with
// one message delivered, and returns them and bob's maildir.
func startTest(t *testing.T) (*servers, *mailbox.Maildir) {
	t.Helper()
	root := t.TempDir()
	h, err := pop3.HashPassword("secret", 1000)
	if err != nil {
		t.Fatal(err)
	}
	pw, err := pop3.ReadPasswordFile(strings.NewReader("bob:" + h + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	md, err := mailbox.Open(filepath.Join(root, "bob"), mailbox.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := md.Deliver(context.Background(), mailbox.Inbox, []byte(testMsg), 0); err != nil {
		t.Fatal(err)
	}
	s, err := start(config{Root: root, Passwords: pw, IMAP: "127.0.0.1:0", POP3: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.shutdown(context.Background()) })
	return s, md
}

// TestIMAPOnMaildir: the IMAP client sees the message POP3 sees, with
// CRLF line ends, its MIME structure, and flags stored in the file name.
func TestIMAPOnMaildir(t *testing.T) {
	s, md := startTest(t)
	ctx := context.Background()
	c, err := imap.Dial(ctx, s.imapAddr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("bob", "wrong"); err == nil {
		t.Fatal("wrong password accepted")
	}
	if err := c.Login("bob", "secret"); err != nil {
		t.Fatal(err)
	}
	sd, err := c.Select("INBOX", false)
	if err != nil || sd.Exists != 1 {
		t.Fatalf("select: %+v %v", sd, err)
	}
	fds, err := c.Fetch(imap.SeqSet{Ranges: []imap.Range{{Start: 1, Stop: imap.Star}}}, "(UID RFC822.SIZE BODYSTRUCTURE BODY.PEEK[2])")
	if err != nil || len(fds) != 1 {
		t.Fatalf("fetch: %v %v", fds, err)
	}
	crlf := strings.ReplaceAll(testMsg, "\n", "\r\n")
	if fds[0].Size != int64(len(crlf)) {
		t.Errorf("RFC822.SIZE %d, want %d", fds[0].Size, len(crlf))
	}
	if got := string(fds[0].Sections["BODY[2]"]); got != "flour, eggs, milk" {
		t.Errorf("BODY[2] = %q", got)
	}
	if bs := fds[0].Items["BODYSTRUCTURE"]; len(bs.List) != 7 || bs.List[2].Text() != "mixed" {
		t.Errorf("BODYSTRUCTURE %+v", bs)
	}
	uid := fds[0].UID
	if err := c.Store(imap.SeqSet{Ranges: []imap.Range{{Start: uid, Stop: uid}}}, imap.StoreAdd, []string{`\Seen`, `\Flagged`}); err != nil {
		t.Fatal(err)
	}
	inbox, err := md.Inbox()
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := inbox.Message(uid); !ok || m.Flags != mailbox.Seen|mailbox.Flagged {
		t.Errorf("flags in the maildir: %v %v", m.Flags, ok)
	}
	nuid, err := c.Append("Sent", []string{`\Seen`}, []byte("Subject: copy\r\n\r\nhi\r\n"))
	if err == nil {
		t.Fatalf("append to a missing folder succeeded (uid %d)", nuid)
	}
	if err := md.CreateFolder("Sent"); err != nil {
		t.Fatal(err)
	}
	if nuid, err = c.Append("Sent", []string{`\Seen`}, []byte("Subject: copy\r\n\r\nhi\r\n")); err != nil || nuid != 1 {
		t.Fatalf("append: %d %v", nuid, err)
	}
	sent, _ := md.Folder("Sent")
	data, err := sent.ReadMessage(1)
	if err != nil || string(data) != "Subject: copy\n\nhi\n" {
		t.Errorf("appended file %q %v (stored with LF ends)", data, err)
	}
	if err := c.Logout(); err != nil {
		t.Fatal(err)
	}
}

// TestPOP3OnMaildir: POP3 retrieves the same message.
func TestPOP3OnMaildir(t *testing.T) {
	s, _ := startTest(t)
	ctx := context.Background()
	c, err := pop3.Dial(ctx, s.pop3Addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(ctx, "bob", "secret"); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := c.Retr(ctx, 1, &b); err != nil {
		t.Fatal(err)
	}
	if want := strings.ReplaceAll(testMsg, "\n", "\r\n"); b.String() != want {
		t.Errorf("RETR:\n%q\nwant\n%q", b.String(), want)
	}
	if err := c.Quit(ctx); err != nil {
		t.Fatal(err)
	}
}
