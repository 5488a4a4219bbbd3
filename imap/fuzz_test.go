package imap

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// FuzzReadCommand feeds arbitrary bytes to the command reader the way a
// server does (read, skip on error) and checks it never panics, always
// makes progress, and never holds more than the limits allow.
func FuzzReadCommand(f *testing.F) {
	for _, s := range []string{
		"a1 CAPABILITY\r\n",
		"a LOGIN {3}\r\nbob {2+}\r\npw\r\n",
		"a6 UID FETCH 1:*,7 (FLAGS BODY.PEEK[HEADER.FIELDS (From To)]<0.100> BINARY[1.2] UID) (CHANGEDSINCE 12345)\r\n",
		"b2 SEARCH RETURN (MIN COUNT) CHARSET utf-8 UNSEEN OR FROM alice (SUBJECT \"hi\" SINCE 1-Feb-2024) UID 1:5\r\n",
		"b6 LIST (SUBSCRIBED) \"\" (INBOX %) RETURN (SPECIAL-USE STATUS (MESSAGES UNSEEN))\r\n",
		"a APPEND Sent (\\Seen) \" 5-Mar-2024 10:11:12 +0100\" {5}\r\nhello\r\n",
		"b1 UID STORE 5 (UNCHANGEDSINCE 9) -FLAGS \\Deleted\r\n",
		"c2 ID (\"name\" \"mutt\" \"version\" NIL)\r\n",
		"d FROB {3+}\r\nabc more\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		d := NewDecoder(bufio.NewReader(bytes.NewReader(in)))
		d.Limits = Limits{MaxLine: 4096, MaxLiteral: 1024, MaxAppend: 4096, MaxRanges: 64, MaxDepth: 8, MaxItems: 64}
		d.Continue = func(int64) error { return nil }
		for i := 0; i <= len(in); i++ {
			cmd, err := d.ReadCommand()
			if err == nil && cmd.Literal != nil {
				n, err2 := io.Copy(io.Discard, cmd.Literal)
				if err2 != nil {
					return
				}
				if n != cmd.Size || n > 4096 {
					t.Fatalf("literal %d octets, Size %d", n, cmd.Size)
				}
				err = d.EndAppend()
			}
			if err == nil {
				if len(cmd.Seq.Ranges) > 64 {
					t.Fatalf("%d ranges past the limit", len(cmd.Seq.Ranges))
				}
				continue
			}
			if err == io.ErrUnexpectedEOF || err == io.EOF {
				return
			}
			if err := d.SkipCommand(); err != nil {
				return
			}
		}
		t.Fatalf("no progress on %q", in)
	})
}

// FuzzSession runs a whole server session over arbitrary client bytes
// (after a login and SELECT, so every state is reached) and checks that
// it never panics and always ends when the client stops sending.
func FuzzSession(f *testing.F) {
	for _, s := range []string{
		"c FETCH 1:* (BODYSTRUCTURE BODY.PEEK[1.MIME] BINARY[2] ENVELOPE)\r\n",
		"c SEARCH OR FROM a (NOT SEEN) UID 1:*\r\nd STORE 1 +FLAGS (\\Deleted)\r\ne EXPUNGE\r\n",
		"c APPEND INBOX {5+}\r\nhello\r\nd IDLE\r\nDONE\r\n",
		"c UID MOVE 1:* Trash\r\nd LIST \"\" *\r\ne STATUS Trash (MESSAGES)\r\n",
		"c AUTHENTICATE PLAIN\r\n*\r\nd LOGOUT\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		be := newMemBackend()
		be.deliver("INBOX", msg1)
		b, err := os.ReadFile("testdata/mime/mixed.eml")
		if err != nil {
			t.Fatal(err)
		}
		be.deliver("INBOX", string(b), `\Seen`)
		srv := &Server{Backend: be, AllowInsecureAuth: true, IdlePoll: time.Hour,
			Limits: Limits{MaxLine: 4096, MaxLiteral: 1024, MaxAppend: 4096},
			Sleep:  func(context.Context, time.Duration) {}}
		cli, sv := net.Pipe()
		c := &conn{srv: srv, nc: sv}
		done := make(chan struct{})
		go func() { c.serve(); close(done) }()
		go io.Copy(io.Discard, cli)
		cli.Write([]byte("a LOGIN bob secret\r\nb SELECT INBOX\r\n"))
		cli.Write(in)
		cli.Close()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("session did not end on %q", in)
		}
	})
}

func newBufioReader(b []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(b)) }
