package queuectl_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/relaykit/relaykit/mailqueue"
	"github.com/relaykit/relaykit/mailqueue/queuectl"
)

// openSpool opens a spool in a new directory holding two messages, as
// a stopped relay leaves it.
func openSpool(dir string) (*mailqueue.Spool, error) {
	s, err := mailqueue.OpenSpool(dir, mailqueue.SpoolConfig{})
	if err != nil {
		return nil, err
	}
	for i, to := range []string{"bob@example.net", "carol@example.net"} {
		m := &mailqueue.Message{
			ID:       mailqueue.ID(0x3f2a9c01d4e5b670 + i),
			Envelope: mailqueue.Envelope{From: "alice@example.org", Recipients: []mailqueue.Recipient{{Addr: to}}},
			State: mailqueue.State{Created: time.Now(), NextAttempt: time.Now(),
				Rcpts: []mailqueue.RcptState{{Reply: "451 4.4.1 connection refused"}}, Attempts: 1},
			Body: []byte("Subject: hello\r\n\r\nHi.\r\n"),
		}
		if err := s.Put(context.Background(), m); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// The operator's commands on the spool of a stopped relay: StoreOps
// changes the stored messages, which the relay finds when it starts.
func Example() {
	dir, _ := os.MkdirTemp("", "queuectl")
	defer os.RemoveAll(dir)
	spool, err := openSpool(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer spool.Close()

	ops := queuectl.StoreOps{Store: spool}
	for _, cmd := range [][]string{
		{"hold", "3f2a9c01d4e5b670"},
		{"delete", "3f2a9c01d4e5b671"},
		{"counts"},
		{"show", "3f2a9c01d4e5b671"},
	} {
		if err := queuectl.Run(context.Background(), ops, cmd, os.Stdout); err != nil {
			fmt.Println(err, "- status", queuectl.Status(err))
		}
	}
	// Output:
	// 3f2a9c01d4e5b670: held
	// 3f2a9c01d4e5b671: deleted
	// messages 1
	// held 1
	// deferred 1
	// running 0
	// unreadable 0
	// pending-recipients 1
	// bytes 23
	// queuectl: show 3f2a9c01d4e5b671: mailqueue: no such message - status 1
}

// A running relay serves its queue on a control socket; a command-line
// tool sends one command per connection with Do. Here the Ops are a
// spool's; a relay would pass QueueOps{Queue: q, Store: spool}.
func ExampleServer() {
	dir, _ := os.MkdirTemp("", "queuectl")
	defer os.RemoveAll(dir)
	spool, err := openSpool(filepath.Join(dir, "spool"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer spool.Close()

	// The socket's directory decides who may use it.
	l, err := net.Listen("unix", filepath.Join(dir, "control.sock"))
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := &queuectl.Server{Ops: queuectl.StoreOps{Store: spool}}
	go srv.Serve(l)
	defer srv.Close()

	ctx := context.Background()
	for _, cmd := range [][]string{{"hold", "3f2a9c01d4e5b671"}, {"counts"}, {"release", "0123456789abcdef"}} {
		c, err := net.Dial("unix", filepath.Join(dir, "control.sock"))
		if err != nil {
			fmt.Println(err)
			return
		}
		if err := queuectl.Do(ctx, c, cmd, os.Stdout); err != nil {
			fmt.Println(err)
		}
	}
	// Output:
	// 3f2a9c01d4e5b671: held
	// messages 2
	// held 1
	// deferred 2
	// running 0
	// unreadable 0
	// pending-recipients 2
	// bytes 46
	// queuectl: release 0123456789abcdef: mailqueue: no such message
}

// WriteQueue prints what relay -mailq prints, as Postfix's mailq does.
func ExampleWriteQueue() {
	arrived := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	queuectl.WriteQueue(os.Stdout, []mailqueue.Entry{
		{ID: 0x3f2a9c01d4e5b677, From: "alice@example.org", Size: 1840, Created: arrived, Held: true,
			Recipients: []mailqueue.EntryRecipient{
				{Recipient: mailqueue.Recipient{Addr: "bob@example.net"}, RcptState: mailqueue.RcptState{Reply: "451 4.4.1 connection refused"}},
				{Recipient: mailqueue.Recipient{Addr: "carol@example.net"}, RcptState: mailqueue.RcptState{Status: mailqueue.StatusDelivered}},
			}},
		{ID: 0x3f2a9c01d4e5b678, Size: 3100, Created: arrived.Add(time.Minute), Running: true,
			Recipients: []mailqueue.EntryRecipient{{Recipient: mailqueue.Recipient{Addr: "alice@example.org"}}}},
	})
	// Output:
	// -Queue ID-        --Size-- ----Arrival Time---- -Sender/Recipient-------
	// 3f2a9c01d4e5b677!     1840 Sun Mar  1 09:30:00  alice@example.org
	//                   (451 4.4.1 connection refused)
	//                                                  bob@example.net
	//
	// 3f2a9c01d4e5b678*     3100 Sun Mar  1 09:31:00  MAILER-DAEMON
	//                                                  alice@example.org
	//
	// -- 5 Kbytes in 2 Requests.
}
