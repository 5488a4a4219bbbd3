package mailqueue_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	netsmtp "net/smtp"
	"os"
	"strings"
	"time"

	"github.com/relaykit/relaykit/mailqueue"
	"github.com/relaykit/relaykit/smtp"
)

// A queue over a spool directory that routes example.com to its MX and
// delivers through a Deliverer; a real server leaves Deliverer nil to get
// SMTP, and Resolver nil (or package resolver's adapter) to use DNS.
func Example() {
	dir, _ := os.MkdirTemp("", "spool")
	defer os.RemoveAll(dir)
	spool, err := mailqueue.OpenSpool(dir, mailqueue.SpoolConfig{})
	if err != nil {
		panic(err)
	}
	defer spool.Close()

	delivered := make(chan string, 1)
	q, err := mailqueue.New(spool, mailqueue.Config{
		Resolver: mailqueue.StaticResolver{
			MX: map[string][]mailqueue.MX{"example.com": {{Host: "mx.example.com", Pref: 10}}},
			IP: map[string][]netip.Addr{"mx.example.com": {netip.MustParseAddr("192.0.2.25")}},
		},
		Deliverer: mailqueue.DelivererFunc(func(ctx context.Context, t mailqueue.Target, txn *mailqueue.Transaction) ([]mailqueue.Reply, error) {
			delivered <- fmt.Sprintf("%s -> %s via %s (%v)", txn.From, txn.Recipients[0].Addr, t.Host, t.Addr)
			return []mailqueue.Reply{{Code: 250, Enhanced: "2.0.0", Text: "queued"}}, nil
		}),
	})
	if err != nil {
		panic(err)
	}
	env := mailqueue.Envelope{
		From:       "alice@example.org",
		Recipients: []mailqueue.Recipient{{Addr: "bob@example.com"}},
	}
	body := []byte("From: alice@example.org\r\nTo: bob@example.com\r\nSubject: hi\r\n\r\nHello Bob.\r\n")
	if _, err := q.Enqueue(context.Background(), env, body); err != nil {
		panic(err) // an SMTP server answers 452 here
	}
	fmt.Println(<-delivered)
	q.Shutdown(context.Background())
	fmt.Println("still queued:", spool.Len())
	// Output:
	// alice@example.org -> bob@example.com via mx.example.com (192.0.2.25:25)
	// still queued: 0
}

// List shows each message with its recipients and their state, like mailq.
func ExampleQueue_List() {
	dir, _ := os.MkdirTemp("", "spool")
	defer os.RemoveAll(dir)
	spool, _ := mailqueue.OpenSpool(dir, mailqueue.SpoolConfig{})
	defer spool.Close()
	attempted := make(chan struct{})
	q, _ := mailqueue.New(spool, mailqueue.Config{
		Resolver: mailqueue.StaticResolver{IP: map[string][]netip.Addr{"example.com": {netip.MustParseAddr("192.0.2.25")}}},
		Deliverer: mailqueue.DelivererFunc(func(ctx context.Context, t mailqueue.Target, txn *mailqueue.Transaction) ([]mailqueue.Reply, error) {
			defer close(attempted)
			return []mailqueue.Reply{
				{Code: 250, Enhanced: "2.0.0", Text: "ok"},
				{Code: 450, Enhanced: "4.2.1", Text: "mailbox busy"},
			}, nil
		}),
	})
	ctx := context.Background()
	env := mailqueue.Envelope{From: "alice@example.org", Recipients: []mailqueue.Recipient{
		{Addr: "bob@example.com"}, {Addr: "carol@example.com"},
	}}
	q.Enqueue(ctx, env, []byte("Subject: hi\r\n\r\nhi\r\n"))
	<-attempted
	q.Shutdown(ctx) // waits for the attempt to be recorded
	q.List(ctx, func(e mailqueue.Entry) error {
		fmt.Printf("from=%s attempts=%d next in %v\n", e.From, e.Attempts, e.NextAttempt.Sub(e.Created).Round(time.Minute))
		for _, r := range e.Recipients {
			fmt.Printf("  %s %s %q\n", r.Addr, r.Status, r.Reply)
		}
		return nil
	})
	// Output:
	// from=alice@example.org attempts=1 next in 30m0s
	//   bob@example.com delivered "250 2.0.0 ok"
	//   carol@example.com pending "450 4.2.1 mailbox busy"
}

// The exponential schedule doubles from 5 minutes to Postfix's cap of
// 4000 seconds.
func ExampleExponential() {
	s := mailqueue.Exponential{}
	for n := 1; n <= 6; n++ {
		fmt.Print(s.Delay(n).Round(time.Minute), " ")
	}
	fmt.Println()
	// Output: 5m0s 10m0s 20m0s 40m0s 1h7m0s 1h7m0s
}

// Backend turns an smtp.Server into the front of a relay: every message
// it accepts is in the queue before the 250.
func ExampleBackend() {
	dir, _ := os.MkdirTemp("", "spool")
	defer os.RemoveAll(dir)
	spool, _ := mailqueue.OpenSpool(dir, mailqueue.SpoolConfig{})
	defer spool.Close()
	q, _ := mailqueue.New(spool, mailqueue.Config{
		Hostname: "mx.example.org",
		// A real relay leaves these nil (DNS, SMTP); here nothing leaves.
		Resolver: mailqueue.StaticResolver{},
		Deliverer: mailqueue.DelivererFunc(func(context.Context, mailqueue.Target, *mailqueue.Transaction) ([]mailqueue.Reply, error) {
			return []mailqueue.Reply{{Code: 250}}, nil
		}),
	})
	defer q.Shutdown(context.Background())

	srv := &smtp.Server{Hostname: "mx.example.org", Backend: &mailqueue.Backend{
		Queue: q,
		// No open relay (RFC 5321 7.1): only example.com is relayed.
		Rcpt: func(_ context.Context, _ *smtp.Conn, _, to string) error {
			if !strings.HasSuffix(to, "@example.com") {
				return smtp.NewError(554, smtp.EnhancedCode{Class: 5, Subject: 7, Detail: 1}, "Relay access denied")
			}
			return nil
		},
		OnEnqueue: func(id mailqueue.ID, env *mailqueue.Envelope, size int) {
			fmt.Printf("queued: from=<%s> to=<%s> size=%d\n", env.From, env.Recipients[0].Addr, size)
		},
	}}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go srv.Serve(l)
	defer srv.Close()

	c, _ := netsmtp.Dial(l.Addr().String())
	defer c.Close()
	c.Mail("alice@example.org")
	fmt.Println("RCPT eve@example.net:", c.Rcpt("eve@example.net"))
	c.Rcpt("bob@example.com")
	w, _ := c.Data()
	w.Write([]byte("Subject: hi\r\n\r\nHello Bob.\r\n"))
	fmt.Println("DATA:", w.Close())
	// Output:
	// RCPT eve@example.net: 554 "5.7.1 Relay access denied"
	// queued: from=<alice@example.org> to=<bob@example.com> size=27
	// DATA: <nil>
}
