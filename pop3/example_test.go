package pop3_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"strings"

	"github.com/relaykit/relaykit/pop3"
)

// drop is a one-message maildrop; a real server uses mailbox.Snapshot.
type drop struct{ msgs []string }

func (d *drop) Count() int                                 { return len(d.msgs) }
func (d *drop) Size(i int) int64                           { return int64(len(d.msgs[i])) }
func (d *drop) UIDL(i int) string                          { return fmt.Sprintf("msg%d", i+1) }
func (d *drop) Close() error                               { return nil }
func (d *drop) Expunge(_ context.Context, idx []int) error { return nil }
func (d *drop) Open(_ context.Context, i int) (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader(d.msgs[i])), nil
}

func Example() {
	srv := &pop3.Server{
		Backend: pop3.BackendFunc(func(ctx context.Context, user string) (pop3.Maildrop, error) {
			return &drop{msgs: []string{"Subject: hi\r\n\r\nHello Bob.\r\n"}}, nil
		}),
		Authenticator:     pop3.Secrets{"bob": "secret"},
		AllowInsecureAuth: true, // a test on loopback; use TLSConfig in production
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()

	ctx := context.Background()
	c, err := pop3.Dial(ctx, l.Addr().String(), nil)
	if err != nil {
		log.Fatal(err)
	}
	if err := c.Login(ctx, "bob", "secret"); err != nil {
		log.Fatal(err)
	}
	list, _ := c.List(ctx)
	for _, m := range list {
		var b bytes.Buffer
		c.Retr(ctx, m.Number, &b)
		fmt.Printf("message %d (%s, %d octets): %q\n", m.Number, m.UID, m.Size, b.String())
		c.Dele(ctx, m.Number)
	}
	if err := c.Quit(ctx); err != nil {
		log.Fatal(err)
	}
	// Output:
	// message 1 (msg1, 27 octets): "Subject: hi\r\n\r\nHello Bob.\r\n"
}
