//go:build interop

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/relaykit/mailbox"
)

// TestInteropMutt drives mutt under tmux against the IMAP server as a
// person would: it lists the mailboxes, opens INBOX, reads Alice's
// message, flags it, deletes and expunges it; after each step the
// server's maildir is checked.
func TestInteropMutt(t *testing.T) {
	mutt, err := exec.LookPath("mutt")
	if err != nil {
		t.Skip("mutt not installed")
	}
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		t.Skip("tmux not installed")
	}
	s, md := startTest(t)
	if err := md.CreateFolder("Sent"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	url := "imap://bob@" + s.imapAddr + "/"
	rc := fmt.Sprintf(`set imap_user=bob
set imap_pass=secret
set folder="%[1]s"
set spoolfile="+INBOX"
set ssl_starttls=no
set ssl_force_tls=no
set imap_passive=no
set header_cache=""
set message_cachedir=""
set mail_check=1
set timeout=1
set delete=yes
set move=no
set mark_old=no
set confirmappend=no
set wait_key=no
set pager_stop=yes
set quit=yes
set beep=no
set help=no
`, url)
	rcFile := filepath.Join(dir, "muttrc")
	if err := os.WriteFile(rcFile, []byte(rc), 0o600); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "tmux.sock")
	tm := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(tmux, append([]string{"-S", sock}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	tm("new-session", "-d", "-s", "mutt", "-x", "120", "-y", "40",
		"env", "HOME="+dir, "TERM=screen", mutt, "-n", "-F", rcFile, "-f", url+"INBOX")
	t.Cleanup(func() { exec.Command(tmux, "-S", sock, "kill-server").Run() })
	screen := func() string { return tm("capture-pane", "-p", "-t", "mutt") }
	// waitFor polls the screen (mutt redraws on its own schedule) until
	// it shows want, for at most 20 seconds.
	waitFor := func(want string) string {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			sc := screen()
			if strings.Contains(sc, want) {
				return sc
			}
			if time.Now().After(deadline) {
				t.Fatalf("mutt's screen never showed %q:\n%s", want, sc)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	keys := func(k ...string) { t.Helper(); tm(append([]string{"send-keys", "-t", "mutt"}, k...)...) }
	inboxState := func() []mailbox.Message {
		t.Helper()
		f, err := md.Inbox()
		if err != nil {
			t.Fatal(err)
		}
		return f.Messages()
	}
	// Open: the index lists Alice's message.
	waitFor("Crepes")
	// List: the folder browser shows both mailboxes (IMAP LIST).
	keys("c", "?")
	sc := waitFor("Sent")
	if !strings.Contains(sc, "INBOX") {
		t.Fatalf("browser without INBOX:\n%s", sc)
	}
	keys("q")
	waitFor("Crepes")
	// Read: the pager shows the body; mutt fetches it, so the server
	// marks it \Seen.
	keys("Enter")
	waitFor("Hello Bob")
	keys("q")
	// Flag, then sync ($) so mutt stores it.
	keys("F")
	keys("$")
	for deadline := time.Now().Add(20 * time.Second); ; {
		if m := inboxState(); len(m) == 1 && m[0].Flags == mailbox.Seen|mailbox.Flagged {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after F and $: %+v\n%s", inboxState(), screen())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Delete and expunge.
	keys("d")
	keys("$")
	for deadline := time.Now().Add(20 * time.Second); ; {
		if len(inboxState()) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after d and $: %+v\n%s", inboxState(), screen())
		}
		time.Sleep(100 * time.Millisecond)
	}
	files, _ := filepath.Glob(filepath.Join(md.Root(), "cur", "*"))
	news, _ := filepath.Glob(filepath.Join(md.Root(), "new", "*"))
	if len(files)+len(news) != 0 {
		t.Errorf("maildir still holds %v %v", files, news)
	}
	keys("q")
}
