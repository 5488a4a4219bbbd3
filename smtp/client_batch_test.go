package smtp

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
)

// scriptedLimitServer accepts one connection and one message, then answers
// the next MAIL with 421 and closes: a common way for a server to limit
// messages per connection (RFC 5321 3.8).
func scriptedLimitServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		r := bufio.NewReader(conn)
		w := bufio.NewWriter(conn)
		reply := func(s string) { w.WriteString(s + "\r\n"); w.Flush() }
		reply("220 limit.test ESMTP")
		mails := 0
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			verb := strings.ToUpper(strings.Fields(line + " x")[0])
			switch verb {
			case "EHLO":
				reply("250-limit.test\r\n250 PIPELINING")
			case "MAIL":
				mails++
				if mails > 1 {
					reply("421 4.7.0 limit.test one message per connection")
					return
				}
				reply("250 2.1.0 OK")
			case "RCPT":
				reply("250 2.1.5 OK")
			case "DATA":
				reply("354 go ahead")
				for {
					l, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if l == ".\r\n" {
						break
					}
				}
				reply("250 2.0.0 queued")
			case "QUIT":
				reply("221 bye")
				return
			default:
				reply("500 5.5.1 what")
			}
		}
	}()
	return l.Addr().String()
}

// TestClientSendBatchAcceptedThen421 checks that a message the server has
// already accepted keeps its success when the server then answers the
// next message's MAIL with 421: reporting it as failed would make a queue
// deliver it twice.
func TestClientSendBatchAcceptedThen421(t *testing.T) {
	addr := scriptedLimitServer(t)
	c := dialTest(t, addr, &ClientConfig{LocalName: "client.test"})
	ctx := context.Background()
	res := c.SendBatch(ctx, []Envelope{
		{From: "a@example.org", To: []string{"b@example.net"}, Msg: strings.NewReader("one\r\n")},
		{From: "a@example.org", To: []string{"b@example.net"}, Msg: strings.NewReader("two\r\n")},
		{From: "a@example.org", To: []string{"b@example.net"}, Msg: strings.NewReader("three\r\n")},
	})
	if res[0].Err != nil || res[0].Result == nil || res[0].Result.Accepted() != 1 {
		t.Fatalf("message 0 was accepted by the server but reported %+v, %v", res[0].Result, res[0].Err)
	}
	for i := 1; i < 3; i++ {
		var e *Error
		if !errors.As(res[i].Err, &e) || e.Code != 421 {
			t.Errorf("message %d: %v, want the 421", i, res[i].Err)
		}
	}
}
