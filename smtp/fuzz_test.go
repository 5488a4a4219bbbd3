package smtp

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/textproto"
	"strings"
	"testing"
	"time"
)

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{
		"MAIL FROM:<a@b.example> SIZE=10 BODY=8BITMIME",
		"RCPT TO:<\"q\\\"x\"@[IPv6:::1]> NOTIFY=SUCCESS ORCPT=rfc822;a+40b",
		"RCPT TO:<@a,@b:c@d>",
		"MAIL FROM:<>",
		"EHLO [192.0.2.1]",
		"BDAT 10 LAST",
		"AUTH PLAIN =",
		"MAIL FROM:<ü@ä>",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		c, err := ParseCommand(line)
		if err != nil {
			return
		}
		if c.Verb == VerbMAIL || c.Verb == VerbRCPT {
			// The mailbox is a valid Mailbox (or null/Postmaster), and
			// checking it again agrees.
			if len(c.Arg) > 0 && !equalFold(c.Arg, "postmaster") {
				na, err := checkMailbox(c.Arg, PathLimits{})
				if err != nil {
					t.Fatalf("%q: parsed mailbox %q fails the check: %v", line, c.Arg, err)
				}
				if na != c.NonASCII {
					t.Fatalf("%q: NonASCII %v, check says %v", line, c.NonASCII, na)
				}
			}
			if bytes.ContainsAny(c.Arg, "\r\n<>") && c.Arg[0] != '"' {
				t.Fatalf("%q: mailbox %q", line, c.Arg)
			}
			it := c.ParamIter()
			for it.Next() {
				if len(it.Key()) == 0 {
					t.Fatalf("%q: empty key", line)
				}
			}
		}
	})
}

func FuzzReplyReader(f *testing.F) {
	for _, s := range []string{
		"250 OK\r\n",
		"250-mx\r\n250-PIPELINING\r\n250 SIZE 10\r\n",
		"550-5.1.1 a\r\n550 5.1.1 b\r\n",
		"421 4.3.2 bye\n",
		"250-a\r\n251 b\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		rr := &ReplyReader{R: bufio.NewReaderSize(bytes.NewReader(in), 64), MaxLineLength: 100}
		for range 10 {
			code, enh, text, err := rr.Read()
			if err != nil {
				return
			}
			if code < 200 || code > 599 || !enh.IsZero() && int(enh.Class) != code/100 {
				t.Fatalf("code %d enh %v", code, enh)
			}
			// Oracle: writing the reply and reading it back gives the same
			// reply when the text has no control characters.
			if bytes.ContainsFunc(text, func(r rune) bool { return r < 32 && r != '\n' || r == 127 }) {
				continue
			}
			out := AppendReply(nil, code, enh, string(text))
			code2, enh2, text2, err := NewReplyReader(bufio.NewReader(bytes.NewReader(out))).Read()
			if err != nil || code2 != code {
				t.Fatalf("round trip of %q: %d %v", out, code2, err)
			}
			if enh.IsZero() {
				// Text that starts like an enhanced code is read as one.
				continue
			}
			if enh2 != enh || !bytes.Equal(bytes.TrimLeft(text2, " "), bytes.TrimLeft(text, " ")) && !bytes.Contains(text, []byte("\n")) {
				t.Fatalf("round trip of %q: %v %q, want %v %q", out, enh2, text2, enh, text)
			}
		}
	})
}

func FuzzDataReader(f *testing.F) {
	for _, s := range []string{
		"a\r\n.\r\n",
		"..x\r\n.\r\nMAIL",
		"a\n.\nMAIL FROM:<x@y>\r\n.\r\n",
		"a\r.\r\r\n.\r\n",
		strings.Repeat("x", 70) + "\r\n.\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		br := bufio.NewReaderSize(bytes.NewReader(in), 16)
		d := NewDataReader(br)
		d.MaxLineLength = 50
		d.MaxSize = 200
		got, err := io.ReadAll(d)
		if err != nil {
			return
		}
		// Accepted data has only CRLF line endings and re-encodes to a
		// stream that reads back identically.
		if !checkCRLF(got, new(bool)) {
			t.Fatalf("accepted data %q has bare line endings", got)
		}
		var b bytes.Buffer
		w := NewDataWriter(&b)
		if _, err := w.Write(got); err != nil {
			t.Fatalf("re-encoding %q: %v", got, err)
		}
		w.Close()
		again, err := io.ReadAll(NewDataReader(bufio.NewReader(&b)))
		if err != nil || !bytes.Equal(again, got) {
			t.Fatalf("round trip: %q -> %q (%v)", got, again, err)
		}
		// Differential oracle: net/textproto's DotReader (which turns CRLF
		// into LF) agrees on input that has only CRLF line endings.
		peer, err := io.ReadAll(textproto.NewReader(bufio.NewReader(bytes.NewReader(in))).DotReader())
		if err != nil {
			t.Fatalf("textproto refused %q: %v", in, err)
		}
		if want := bytes.ReplaceAll(got, []byte("\r\n"), []byte("\n")); !bytes.Equal(peer, want) {
			t.Fatalf("%q: relaykit %q, net/textproto %q", in, got, peer)
		}
	})
}

// fuzzConn is a net.Conn that reads a fixed input and discards writes.
type fuzzConn struct {
	r *bytes.Reader
}

func (c *fuzzConn) Read(p []byte) (int, error)         { return c.r.Read(p) }
func (c *fuzzConn) Write(p []byte) (int, error)        { return len(p), nil }
func (c *fuzzConn) Close() error                       { return nil }
func (c *fuzzConn) LocalAddr() net.Addr                { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 25} }
func (c *fuzzConn) RemoteAddr() net.Addr               { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2), Port: 1234} }
func (c *fuzzConn) SetDeadline(t time.Time) error      { return nil }
func (c *fuzzConn) SetReadDeadline(t time.Time) error  { return nil }
func (c *fuzzConn) SetWriteDeadline(t time.Time) error { return nil }

func FuzzServerSession(f *testing.F) {
	for _, s := range []string{
		"EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nhi\r\n.\r\nQUIT\r\n",
		"EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 4 LAST\r\nhi\r\nQUIT\r\n",
		"EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\na\n.\nMAIL FROM:<e@f>\r\n.\r\n",
		"EHLO x\r\nAUTH PLAIN\r\nAGFsaWNlAHNlY3JldA==\r\nAUTH LOGIN\r\n*\r\n",
		"EHLO x\r\nSTARTTLS\r\n\x16\x03\x01garbage",
		"LHLO x\r\nMAIL FROM:<> SMTPUTF8\r\nRCPT TO:<ü@ä> NOTIFY=NEVER\r\nBDAT 2\r\nabBDAT x\r\n",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	cert := testCert(f)
	f.Fuzz(func(t *testing.T, in []byte, lmtp bool) {
		be := &testBackend{lmtp: lmtp}
		s := &Server{Backend: be, LMTP: lmtp, AllowInsecureAuth: true, MaxRecipients: 5,
			MaxMessageBytes: 1000, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}}
		s.ServeConn(&fuzzConn{r: bytes.NewReader(in)})
		for _, m := range be.messages() {
			if !checkCRLF(m.Data, new(bool)) {
				t.Fatalf("accepted message %q with bare line endings", m.Data)
			}
			if len(m.To) == 0 || len(m.To) > 5 {
				t.Fatalf("accepted message with %d recipients", len(m.To))
			}
		}
		be.mu.Lock()
		defer be.mu.Unlock()
		if be.logouts != be.sessions {
			t.Fatalf("%d sessions, %d logouts", be.sessions, be.logouts)
		}
	})
}

// FuzzClientSession feeds the Client arbitrary server bytes: it must not
// panic, hang or report success for a message the replies did not accept.
func FuzzClientSession(f *testing.F) {
	for _, s := range []string{
		"220 x\r\n250-x\r\n250-PIPELINING\r\n250 CHUNKING\r\n250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n221 bye\r\n",
		"220 x\r\n250 x\r\n250 ok\r\n550 no\r\n250 ok\r\n354 go\r\n250 ok\r\n",
		"220 x\r\n500 no\r\n250 x\r\n250 ok\r\n250 ok\r\n354 go\r\n451 later\r\n",
		"220 x\r\n250-x\r\n250 PIPELINING\r\n421 bye\r\n",
		"554 go away\r\n",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, in []byte, chunking bool) {
		ctx := context.Background()
		c, err := NewClient(ctx, &fuzzConn{r: bytes.NewReader(in)}, "x", &ClientConfig{MaxReplyLine: 200})
		if err != nil {
			return
		}
		res, err := c.SendMail(ctx, "a@example.org", []string{"b@example.net", "c@example.net"},
			strings.NewReader("Subject: x\r\n\r\n.hi\r\n"), &SendOptions{Chunking: chunking})
		if err == nil && (res == nil || res.Accepted() == 0) {
			t.Fatalf("success without an accepted recipient: %+v", res)
		}
		if res != nil && len(res.Recipients) != 2 {
			t.Fatalf("%d results", len(res.Recipients))
		}
		batch := c.SendBatch(ctx, []Envelope{
			{From: "a@example.org", To: []string{"b@example.net"}, Msg: strings.NewReader("1\r\n")},
			{From: "a@example.org", To: []string{"b@example.net", "c@example.net"}, Msg: strings.NewReader("2\r\n")},
		})
		for i, r := range batch {
			if r.Err == nil && (r.Result == nil || r.Result.Accepted() == 0) {
				t.Fatalf("batch %d: success without an accepted recipient", i)
			}
		}
		c.Quit(ctx)
	})
}
