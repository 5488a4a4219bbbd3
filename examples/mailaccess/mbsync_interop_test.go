//go:build interop

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaykit/relaykit/mailbox"
)

// TestInteropMbsync syncs bob's mail two ways with isync's mbsync through
// the IMAP server: the message comes down into a local maildir, a flag
// set locally goes up into the server's maildir, and a message written
// locally is appended on the server.
func TestInteropMbsync(t *testing.T) {
	bin, err := exec.LookPath("mbsync")
	if err != nil {
		t.Skip("mbsync (isync) not installed")
	}
	s, md := startTest(t)
	local := t.TempDir()
	host, port, _ := strings.Cut(s.imapAddr, ":")
	conf := fmt.Sprintf(`IMAPAccount bob
Host %s
Port %s
User bob
Pass secret
SSLType None
AuthMechs LOGIN

IMAPStore remote
Account bob

MaildirStore local
Path %s/
Inbox %s/INBOX
SubFolders Verbatim

Channel inbox
Far :remote:INBOX
Near :local:INBOX
Create Both
Expunge Both
Sync All
SyncState *
`, host, port, local, local)
	cfg := filepath.Join(t.TempDir(), "mbsyncrc")
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	sync := func() {
		t.Helper()
		out, err := exec.Command(bin, "-c", cfg, "-a").CombinedOutput()
		if err != nil {
			t.Fatalf("mbsync: %v\n%s", err, out)
		}
	}
	sync()
	files, _ := filepath.Glob(filepath.Join(local, "INBOX", "*", "*"))
	if len(files) != 1 {
		t.Fatalf("local INBOX after pull: %v", files)
	}
	data, err := os.ReadFile(files[0])
	if err != nil || !strings.Contains(string(data), "Subject: Crepes") {
		t.Fatalf("pulled message %q %v", data, err)
	}
	// Mark it seen and flagged locally (Maildir flags), and write a new
	// message locally.
	cur := filepath.Join(local, "INBOX", "cur")
	base := filepath.Base(files[0])
	if i := strings.Index(base, ":2,"); i >= 0 {
		base = base[:i]
	}
	if err := os.Rename(files[0], filepath.Join(cur, base+":2,FS")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(local, "INBOX", "new", "1700000000.local1.test"), []byte("From: bob@hamburger.edu\nSubject: note to self\n\nremember the eggs\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sync()
	inbox, err := md.Inbox()
	if err != nil {
		t.Fatal(err)
	}
	msgs := inbox.Messages()
	if len(msgs) != 2 {
		t.Fatalf("server INBOX after push: %d messages", len(msgs))
	}
	if msgs[0].Flags != mailbox.Seen|mailbox.Flagged {
		t.Errorf("flags pushed: %v", msgs[0].Flags)
	}
	up, err := inbox.ReadMessage(msgs[1].UID)
	if err != nil || !strings.Contains(string(up), "remember the eggs") {
		t.Errorf("appended message %q %v", up, err)
	}
}
