package imapstore

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/relaykit/relaykit/mailbox"
)

// TestAppendSessionExists: through imap.Server, APPENDs into the
// selected folder are answered with the EXISTS of the extended
// snapshot, and flag changes, another program's delivery and later
// APPENDs are each reported as a fresh session would see them.
func TestAppendSessionExists(t *testing.T) {
	ctx := context.Background()
	md, err := mailbox.Open(t.TempDir(), mailbox.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, err := md.Deliver(ctx, mailbox.Inbox, fmt.Appendf(nil, "Subject: %d\n\nx\n", i), 0); err != nil {
			t.Fatal(err)
		}
	}
	s := session(t, md)
	// do sends cmd and returns the untagged lines of its answer.
	do := func(cmd string) []string {
		t.Helper()
		lines := s(cmd)
		if _, status, _ := strings.Cut(lines[len(lines)-1], " "); !strings.HasPrefix(status, "OK") {
			t.Fatalf("%s: %s", cmd, lines[len(lines)-1])
		}
		return lines[:len(lines)-1]
	}
	appendMsg := func(flags string) []string {
		msg := "Subject: appended\r\n\r\nbody\r\n"
		return do(fmt.Sprintf("APPEND INBOX (%s) {%d+}\r\n%s", flags, len(msg), msg))
	}
	do("LOGIN bob secret")
	do("SELECT INBOX")
	check := func(step string, got, want []string) {
		t.Helper()
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s -want +got\n%s", step, diff)
		}
	}
	check("first APPEND", appendMsg(""), []string{"* 3 EXISTS"})
	check("second APPEND", appendMsg(`\Seen`), []string{"* 4 EXISTS"})
	check("STORE", do(`STORE 1 +FLAGS (\Flagged)`), []string{`* 1 FETCH (FLAGS (\Flagged))`})
	check("APPEND after STORE", appendMsg(""), []string{"* 5 EXISTS"})
	if _, err := md.Deliver(ctx, mailbox.Inbox, []byte("Subject: other\n\nx\n"), 0); err != nil {
		t.Fatal(err)
	}
	check("NOOP after another delivery", do("NOOP"), []string{"* 6 EXISTS"})
	check("APPEND after NOOP", appendMsg(""), []string{"* 7 EXISTS"})
	check("FETCH", do("FETCH 1:* (UID FLAGS)"), []string{
		`* 1 FETCH (UID 1 FLAGS (\Flagged))`,
		`* 2 FETCH (UID 2 FLAGS ())`,
		`* 3 FETCH (UID 3 FLAGS ())`,
		`* 4 FETCH (UID 4 FLAGS (\Seen))`,
		`* 5 FETCH (UID 5 FLAGS ())`,
		`* 6 FETCH (UID 6 FLAGS ())`,
		`* 7 FETCH (UID 7 FLAGS ())`,
	})
}
