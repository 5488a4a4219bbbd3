package imapstore

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/relaykit/relaykit/imap"
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
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Minute))
	r := bufio.NewReader(c)
	if _, err := r.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	n := 0
	// do sends cmd and returns the untagged lines of its answer.
	do := func(cmd string) []string {
		t.Helper()
		n++
		tag := fmt.Sprintf("t%d ", n)
		if _, err := c.Write([]byte(tag + cmd + "\r\n")); err != nil {
			t.Fatal(err)
		}
		var out []string
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			line = strings.TrimSuffix(line, "\r\n")
			if strings.HasPrefix(line, tag) {
				if !strings.HasPrefix(line[len(tag):], "OK") {
					t.Fatalf("%s: %s", cmd, line)
				}
				return out
			}
			out = append(out, line)
		}
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
