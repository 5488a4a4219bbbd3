package imap

import (
	"bufio"
	"bytes"
	"io"
	"testing"
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
