package imapstore

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/relaykit/relaykit/imap"
	"github.com/relaykit/relaykit/mailbox"
)

// session serves md over loopback and returns a function that sends a
// command and returns the answer's lines, the tagged one last.
func session(t *testing.T, md *mailbox.Maildir) func(cmd string) []string {
	t.Helper()
	srv := &imap.Server{Backend: benchBackend{md}, AllowInsecureAuth: true}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(c)
	r.ReadString('\n')
	n := 0
	return func(cmd string) []string {
		n++
		tag := fmt.Sprintf("t%d", n)
		fmt.Fprintf(c, "%s %s\r\n", tag, cmd)
		var lines []string
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("%s: %v", cmd, err)
			}
			l = strings.TrimSuffix(l, "\r\n")
			lines = append(lines, l)
			if strings.HasPrefix(l, tag+" ") {
				return lines
			}
		}
	}
}

// TestKeywords: keywords are kept as Maildir letters named in
// dovecot-keywords, reported in FLAGS and PERMANENTFLAGS, and survive a
// new session.
func TestKeywords(t *testing.T) {
	md, err := mailbox.Open(filepath.Join(t.TempDir(), "k"), mailbox.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	do := session(t, md)
	do("LOGIN bob secret")
	msg := "Subject: k\r\n\r\nx\r\n"
	if got := do(fmt.Sprintf("APPEND INBOX ($Junk \\Seen) {%d+}\r\n%s", len(msg), msg)); !strings.Contains(got[len(got)-1], "OK") {
		t.Fatalf("APPEND: %q", got)
	}
	do("SELECT INBOX")
	check := func(cmd string, want ...string) {
		t.Helper()
		got := do(cmd)
		got[len(got)-1] = got[len(got)-1][strings.IndexByte(got[len(got)-1], ' ')+1:]
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: -want +got\n%s", cmd, diff)
		}
	}
	check(`STORE 1 +FLAGS ($Forwarded Work)`, `* 1 FETCH (FLAGS (\Seen $Junk $Forwarded Work))`, "OK STORE completed")
	check(`STORE 1 -FLAGS ($junk)`, `* 1 FETCH (FLAGS (\Seen $Forwarded Work))`, "OK STORE completed")
	check(`SEARCH KEYWORD work`, "* SEARCH 1", "OK SEARCH completed")

	kw, _ := os.ReadFile(filepath.Join(md.Root(), KeywordsFile))
	if want := "0 $Junk\n1 $Forwarded\n2 Work\n"; string(kw) != want {
		t.Errorf("%s: %q, want %q", KeywordsFile, kw, want)
	}
	f, _ := md.Inbox()
	if m, _ := f.Message(1); m.Flags != mailbox.Seen|mailbox.ParseFlags("bc") {
		t.Errorf("file flags %q", m.Flags)
	}

	do2 := session(t, md)
	do2("LOGIN bob secret")
	got := do2("SELECT INBOX")
	for _, want := range []string{
		`* FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Junk $Forwarded Work)`,
		`* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $Junk $Forwarded Work \*)] Flags permitted`,
	} {
		found := false
		for _, l := range got {
			found = found || l == want
		}
		if !found {
			t.Errorf("SELECT lacks %q:\n%s", want, strings.Join(got, "\n"))
		}
	}
}

// TestKeywordsFull: past 26 keywords no new one is kept and
// PERMANENTFLAGS loses \*.
func TestKeywordsFull(t *testing.T) {
	md, err := mailbox.Open(filepath.Join(t.TempDir(), "k"), mailbox.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := md.Deliver(t.Context(), mailbox.Inbox, []byte("x\n"), 0); err != nil {
		t.Fatal(err)
	}
	s := NewUser(md).(*imapStore)
	var names []string
	for i := range 27 {
		names = append(names, fmt.Sprintf("k%d", i))
	}
	f, err := s.maildirFlags(names, true)
	if err != nil || f != mailbox.ParseFlags("abcdefghijklmnopqrstuvwxyz") {
		t.Fatalf("flags %q %v", f, err)
	}
	box, _ := s.Select(t.Context(), "INBOX", false)
	snap, _ := box.Snapshot(t.Context())
	if len(snap.Keywords) != 26 || len(snap.PermanentFlags) != 31 || snap.PermanentFlags[30] != "k25" {
		t.Errorf("keywords %v, permanent %v", snap.Keywords, snap.PermanentFlags)
	}
}
