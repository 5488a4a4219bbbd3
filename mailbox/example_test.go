package mailbox_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/relaykit/relaykit/mailbox"
)

func Example() {
	dir, _ := os.MkdirTemp("", "maildir")
	defer os.RemoveAll(dir)
	m, err := mailbox.Open(filepath.Join(dir, "bob"), mailbox.Options{Create: true})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if _, err := m.Deliver(ctx, "", []byte("Subject: hi\n\nHello Bob.\n"), 0); err != nil {
		log.Fatal(err)
	}
	inbox, err := m.Inbox()
	if err != nil {
		log.Fatal(err)
	}
	for _, msg := range inbox.Messages() {
		vsize, _ := inbox.VirtualSize(msg.UID)
		fmt.Printf("UID %d, %d bytes (%d with CRLF), recent %v\n", msg.UID, msg.Size, vsize, msg.Recent)
	}
	// Reading marks it seen: the file moves to cur/ with ":2,S".
	msgs, _ := inbox.SetFlags([]uint32{1}, mailbox.FlagsAdd, mailbox.Seen)
	fmt.Println("flags:", msgs[0].Flags, "recent:", msgs[0].Recent)
	// Output:
	// UID 1, 24 bytes (27 with CRLF), recent true
	// flags: S recent: false
}
