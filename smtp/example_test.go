package smtp_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"

	"github.com/relaykit/relaykit/smtp"
)

// printBackend prints every message it receives. Recipients at
// example.com are refused.
type printBackend struct {
	mu  sync.Mutex
	out strings.Builder
}

func (b *printBackend) NewSession(ctx context.Context, c *smtp.Conn) (smtp.Session, error) {
	return &printSession{b: b}, nil
}

type printSession struct {
	b    *printBackend
	from string
	to   []string
}

func (s *printSession) Mail(ctx context.Context, from string, opts *smtp.MailOptions) error {
	s.from = from
	return nil
}

func (s *printSession) Rcpt(ctx context.Context, to string, opts *smtp.RcptOptions) error {
	if strings.HasSuffix(to, "@example.com") {
		return smtp.NewError(550, smtp.EnhancedCode{Class: 5, Subject: 1, Detail: 1}, "No such user here")
	}
	s.to = append(s.to, to)
	return nil
}

func (s *printSession) Data(ctx context.Context, r io.Reader) error {
	body, err := io.ReadAll(r)
	if err != nil {
		return err // bare CR/LF, too large...: the server answers for us
	}
	s.b.mu.Lock()
	fmt.Fprintf(&s.b.out, "from %s to %v: %q\n", s.from, s.to, body)
	s.b.mu.Unlock()
	return nil
}

func (s *printSession) Reset(ctx context.Context)        { s.from, s.to = "", nil }
func (s *printSession) Logout(ctx context.Context) error { return nil }

// A server with a backend: every connection gets a Session, whose methods
// take the context first and return *smtp.Error to choose the reply.
func ExampleServer() {
	be := &printBackend{}
	srv := &smtp.Server{Backend: be, Hostname: "mx.example.net"}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go srv.Serve(l)
	defer srv.Close()

	ctx := context.Background()
	c, err := smtp.Dial(ctx, l.Addr().String(), nil)
	if err != nil {
		panic(err)
	}
	msg := "Subject: hello\r\n\r\nHi Bob.\r\n"
	if _, err := c.SendMail(ctx, "alice@example.org", []string{"bob@example.net"}, strings.NewReader(msg), nil); err != nil {
		panic(err)
	}
	c.Quit(ctx)
	srv.Shutdown(ctx)
	fmt.Print(be.out.String())
	// Output:
	// from alice@example.org to [bob@example.net]: "Subject: hello\r\n\r\nHi Bob.\r\n"
}

// Sending a message: one Client carries many messages; with PIPELINING
// each takes two round trips, and every recipient gets its own result.
func ExampleClient_SendMail() {
	srv := &smtp.Server{Backend: &printBackend{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go srv.Serve(l)
	defer srv.Close()

	ctx := context.Background()
	c, err := smtp.Dial(ctx, l.Addr().String(), &smtp.ClientConfig{LocalName: "mail.example.org"})
	if err != nil {
		panic(err)
	}
	defer c.Quit(ctx)
	res, err := c.SendMail(ctx, "alice@example.org",
		[]string{"bob@example.net", "nobody@example.com"},
		bytes.NewReader([]byte("Subject: hi\r\n\r\nHello.\r\n")), nil)
	if err != nil {
		panic(err)
	}
	for _, r := range res.Recipients {
		var e *smtp.Error
		switch {
		case r.Err == nil:
			fmt.Println(r.To, "accepted")
		case errors.As(r.Err, &e) && e.Permanent:
			fmt.Println(r.To, "refused:", e.Code, e.Enhanced, e.Message)
		default:
			fmt.Println(r.To, "try later:", r.Err)
		}
	}
	// Output:
	// bob@example.net accepted
	// nobody@example.com refused: 550 5.1.1 No such user here
}

// Several messages to one server: with PIPELINING each message's data
// travels with the next message's commands, so a message costs about one
// round trip.
func ExampleClient_SendBatch() {
	be := &printBackend{}
	srv := &smtp.Server{Backend: be}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go srv.Serve(l)
	defer srv.Close()

	ctx := context.Background()
	c, err := smtp.Dial(ctx, l.Addr().String(), nil)
	if err != nil {
		panic(err)
	}
	defer c.Quit(ctx)
	results := c.SendBatch(ctx, []smtp.Envelope{
		{From: "alice@example.org", To: []string{"bob@example.net"}, Msg: strings.NewReader("first\r\n")},
		{From: "alice@example.org", To: []string{"x@example.com"}, Msg: strings.NewReader("second\r\n")},
		{From: "", To: []string{"carol@example.net"}, Msg: strings.NewReader("third\r\n")},
	})
	for i, r := range results {
		fmt.Println(i, r.Err)
	}
	be.mu.Lock()
	fmt.Print(be.out.String())
	be.mu.Unlock()
	// Output:
	// 0 <nil>
	// 1 smtp: 550 5.1.1 No such user here
	// 2 <nil>
	// from alice@example.org to [bob@example.net]: "first\r\n"
	// from  to [carol@example.net]: "third\r\n"
}

func ExampleParseCommand() {
	cmd, err := smtp.ParseCommand([]byte("MAIL FROM:<alice@example.org> SIZE=4096 BODY=8BITMIME"))
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s %s\n", cmd.Verb, cmd.Arg)
	it := cmd.ParamIter()
	for it.Next() {
		fmt.Printf("  %s = %s\n", it.Key(), it.Value())
	}
	// Output:
	// MAIL alice@example.org
	//   SIZE = 4096
	//   BODY = 8BITMIME
}

// The DATA writer dot-stuffs and terminates a message; the reader undoes
// it and treats a bare LF as an error, never as a line ending.
func ExampleDataReader() {
	var wire bytes.Buffer
	w := smtp.NewDataWriter(&wire)
	io.WriteString(w, ".hidden line\r\nend\r\n")
	w.Close()
	fmt.Printf("%q\n", wire.String())

	wire.WriteString("evil\n.\nMAIL FROM:<x@y>\r\n.\r\n")
	r := bufio.NewReader(&wire)
	msg, err := io.ReadAll(smtp.NewDataReader(r))
	fmt.Printf("%q %v\n", msg, err)
	_, err = io.ReadAll(smtp.NewDataReader(r))
	fmt.Println(err)
	// Output:
	// "..hidden line\r\nend\r\n.\r\n"
	// ".hidden line\r\nend\r\n" <nil>
	// smtp: bare CR or LF
}
