package imapstore_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/relaykit/relaykit/imap"
	"github.com/relaykit/relaykit/imapstore"
	"github.com/relaykit/relaykit/mailbox"
)

// A message delivered into a Maildir is seen through the IMAP face with
// its UID, flags and CRLF line ends; a STORE sets its Maildir flag.
func Example() {
	dir, err := os.MkdirTemp("", "imapstore")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	md, err := mailbox.Open(dir, mailbox.Options{Host: "mail.example", Create: true})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if _, err := md.Deliver(ctx, mailbox.Inbox, []byte("Subject: hi\n\nHello Bob.\n"), 0); err != nil {
		log.Fatal(err)
	}

	user := imapstore.NewUser(md) // what an imap.Backend's Login returns
	inbox, err := user.Select(ctx, "INBOX", false)
	if err != nil {
		log.Fatal(err)
	}
	snap, _ := inbox.Snapshot(ctx)
	m := snap.Messages[0]
	r, _ := inbox.Open(ctx, m.UID)
	body, _ := io.ReadAll(r)
	r.Close()
	fmt.Printf("%d message, UID %d, flags %v: %q\n", len(snap.Messages), m.UID, m.Flags, body)

	if err := inbox.Store(ctx, []uint32{m.UID}, imap.StoreAdd, []string{`\Seen`, `\Flagged`}); err != nil {
		log.Fatal(err)
	}
	snap, _ = inbox.Snapshot(ctx)
	fmt.Println("flags now", snap.Messages[0].Flags)
	// Output:
	// 1 message, UID 1, flags []: "Subject: hi\r\n\r\nHello Bob.\r\n"
	// flags now [\Flagged \Seen]
}
