package mailqueue

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
)

// A message with bare CR and bare LF is sent with canonical CRLF line
// endings (RFC 5321 2.3.8) and delivered, over DATA and over BDAT, instead
// of making the client drop the connection and the queue retry it until it
// expires.
func TestSMTPBareLineEndingsNormalized(t *testing.T) {
	for _, noChunking := range []bool{true, false} {
		t.Run(fmt.Sprintf("NoChunking=%v", noChunking), func(t *testing.T) {
			sk, addr := startSink(t)
			h, d := smtpHarness(t, addr.Port(), &SMTPDeliverer{NoChunking: noChunking})
			env := Envelope{From: "alice@example.org", Recipients: []Recipient{{Addr: "bob@example.com"}}}
			body := "Subject: bare\nX-A: 1\r\n\r\nline one\nline two\rline three\r\n.dot\n"
			if _, err := h.q.Enqueue(context.Background(), env, []byte(body)); err != nil {
				t.Fatal(err)
			}
			h.q.settle()
			h.enqueue("alice@example.org", "bob@example.com")
			h.q.settle()
			got := sk.received()
			if len(got) != 2 || h.q.Len() != 0 {
				t.Fatalf("received %d, queued %d", len(got), h.q.Len())
			}
			want := "Subject: bare\r\nX-A: 1\r\n\r\nline one\r\nline two\r\nline three\r\n.dot\r\n"
			if string(got[0].Data) != want {
				t.Fatalf("data %q, want %q", got[0].Data, want)
			}
			if n := normalizedSize([]byte(body)); n != int64(len(want)) {
				t.Fatalf("SIZE announced %d, sent %d", n, len(want))
			}
			d.mu.Lock()
			defer d.mu.Unlock()
			if d.dials != 1 {
				t.Fatalf("dials %d: the connection did not survive the message", d.dials)
			}
		})
	}
}

// recordingConn copies what the client writes.
type recordingConn struct {
	net.Conn
	mu  *sync.Mutex
	out *bytes.Buffer
}

func (c recordingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.out.Write(p)
	c.mu.Unlock()
	return c.Conn.Write(p)
}

// The default deliverer sends with BDAT when the server offers CHUNKING
// and PIPELINING (RFC 3030); NoChunking keeps DATA.
func TestSMTPDeliveryChunking(t *testing.T) {
	for _, noChunking := range []bool{false, true} {
		t.Run(fmt.Sprintf("NoChunking=%v", noChunking), func(t *testing.T) {
			sk, addr := startSink(t)
			var mu sync.Mutex
			var out bytes.Buffer
			d := &SMTPDeliverer{NoChunking: noChunking}
			d.Client.Dial = func(ctx context.Context, network, a string) (net.Conn, error) {
				var nd net.Dialer
				c, err := nd.DialContext(ctx, network, a)
				if err != nil {
					return nil, err
				}
				return recordingConn{c, &mu, &out}, nil
			}
			h, _ := smtpHarness(t, addr.Port(), d)
			h.enqueue("alice@example.org", "bob@example.com")
			h.q.settle()
			d.Close()
			got := sk.received()
			if len(got) != 1 || !strings.HasSuffix(string(got[0].Data), "hello\r\n") {
				t.Fatalf("received %+v", got)
			}
			mu.Lock()
			defer mu.Unlock()
			bdat := strings.Contains(out.String(), "\r\nBDAT ")
			data := strings.Contains(out.String(), "\r\nDATA\r\n")
			if bdat == noChunking || data != noChunking {
				t.Fatalf("BDAT %v DATA %v with NoChunking=%v:\n%s", bdat, data, noChunking, out.String())
			}
		})
	}
}

// fixedReplyServer answers a whole transaction of three recipients with
// the given RCPT replies and final reply after the data.
// With chunking it offers PIPELINING and CHUNKING and reads one BDAT LAST.
func fixedReplyServer(t *testing.T, rcpt []string, final string, chunking bool) netip.AddrPort {
	return rawServer(t, func(c net.Conn, br *bufio.Reader) {
		io.WriteString(c, "220 fault.test ESMTP\r\n")
		if !expect(br, "EHLO") {
			return
		}
		if chunking {
			io.WriteString(c, "250-fault.test\r\n250-PIPELINING\r\n250 CHUNKING\r\n")
		} else {
			io.WriteString(c, "250 fault.test\r\n")
		}
		if !expect(br, "MAIL") {
			return
		}
		io.WriteString(c, "250 ok\r\n")
		for _, r := range rcpt {
			if !expect(br, "RCPT") {
				return
			}
			io.WriteString(c, r+"\r\n")
		}
		if chunking {
			line, err := br.ReadString('\n')
			var n int
			if err != nil || !strings.HasPrefix(line, "BDAT ") {
				return
			}
			if _, err := fmt.Sscanf(line, "BDAT %d LAST", &n); err != nil {
				return
			}
			if _, err := io.CopyN(io.Discard, br, int64(n)); err != nil {
				return
			}
		} else {
			if !expect(br, "DATA") {
				return
			}
			io.WriteString(c, "354 go\r\n")
			if !expect(br, ".\r") {
				return
			}
		}
		io.WriteString(c, final+"\r\n")
		if strings.HasPrefix(final, "421") {
			return
		}
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			if strings.HasPrefix(strings.ToUpper(line), "QUIT") {
				io.WriteString(c, "221 bye\r\n")
				return
			}
			io.WriteString(c, "250 ok\r\n") // RSET
		}
	})
}

// A failure at the end of DATA settles every recipient accepted at RCPT
// with the DATA reply (4xx deferred, 5xx failed), never as delivered, and
// keeps each refused recipient's own RCPT reply.
func TestSMTPDataEndFailurePerRecipient(t *testing.T) {
	rcpts := []string{"250 2.1.5 ok", "550 5.1.1 no such user", "450 4.2.1 busy"}
	tests := []struct {
		final  string
		status Status
	}{
		{"421 4.3.2 shutting down", StatusPending},
		{"451 4.3.0 try later", StatusPending},
		{"554 5.6.0 content refused", StatusFailed},
	}
	for _, tt := range tests {
		for _, chunking := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/chunking=%v", tt.final[:3], chunking), func(t *testing.T) {
				ap := fixedReplyServer(t, rcpts, tt.final, chunking)
				d := &SMTPDeliverer{NoChunking: !chunking}
				defer d.Close()
				replies, err := d.Deliver(context.Background(), Target{Domain: "example.com", Host: "mx", Addr: ap}, &Transaction{
					From: "alice@example.org", Body: []byte("hi\r\n"),
					Recipients: []Recipient{{Addr: "a@example.com"}, {Addr: "b@example.com"}, {Addr: "c@example.com"}},
				})
				if err != nil {
					t.Fatalf("err %v, want per-recipient replies", err)
				}
				if len(replies) != 3 {
					t.Fatalf("replies %v", replies)
				}
				if replies[0].String() != tt.final || statusOf(replies[0]) != tt.status {
					t.Errorf("accepted recipient got %q (%v), want the DATA reply %q", replies[0], statusOf(replies[0]), tt.final)
				}
				if replies[1].String() != rcpts[1] || replies[2].String() != rcpts[2] {
					t.Errorf("refused recipients got %q, %q", replies[1], replies[2])
				}
			})
		}
	}
}

func TestNormalizedSize(t *testing.T) {
	for in, want := range map[string]int64{
		"":               0,
		"a\r\nb\r\n":     6,
		"a\nb\n":         6,
		"a\rb\r":         6,
		"\n\r":           4,
		"\r\r\n":         4,
		"x\r\n\n\r\r\ny": 10,
	} {
		if got := normalizedSize([]byte(in)); got != want {
			t.Errorf("normalizedSize(%q) = %d, want %d", in, got, want)
		}
	}
}
