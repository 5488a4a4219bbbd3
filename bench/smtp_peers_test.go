package bench

import (
	"bytes"
	"io"
	"net"
	"sync"
	"testing"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/relaykit/relaykit/bench/fixtures"
)

// discardBackend is a go-smtp backend that reads and drops every message,
// counting them: the peer server for the SMTP throughput comparison.
type discardBackend struct {
	mu       sync.Mutex
	messages int
}

func (b *discardBackend) NewSession(*gosmtp.Conn) (gosmtp.Session, error) {
	return &discardSession{b: b}, nil
}

type discardSession struct{ b *discardBackend }

func (s *discardSession) Reset()                                 {}
func (s *discardSession) Logout() error                          { return nil }
func (s *discardSession) Mail(string, *gosmtp.MailOptions) error { return nil }
func (s *discardSession) Rcpt(string, *gosmtp.RcptOptions) error { return nil }
func (s *discardSession) Data(r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	s.b.mu.Lock()
	s.b.messages++
	s.b.mu.Unlock()
	return nil
}

// startGoSMTP serves a go-smtp discard server on 127.0.0.1 and returns its
// address; the server stops when the test ends.
func startGoSMTP(tb testing.TB, be *discardBackend) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s := gosmtp.NewServer(be)
	s.Domain = "sink.test"
	s.MaxMessageBytes = 1 << 20
	s.MaxRecipients = 100
	go s.Serve(l)
	tb.Cleanup(func() { s.Close() })
	return l.Addr().String()
}

// TestGoSMTPPeerServes checks the peer harness itself: go-smtp's client
// delivers the 3 KiB fixture to go-smtp's server several times over one
// connection.
func TestGoSMTPPeerServes(t *testing.T) {
	be := &discardBackend{}
	addr := startGoSMTP(t, be)
	c, err := gosmtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.test"); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := c.SendMail("alice@crepes.fr", []string{"bob@hamburger.edu"}, bytes.NewReader(fixtures.Message3K)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	if be.messages != 3 {
		t.Fatalf("server got %d messages, want 3", be.messages)
	}
}
