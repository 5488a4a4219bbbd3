package imapstore

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaykit/relaykit/imap"
	"github.com/relaykit/relaykit/mailbox"
)

// crlfSlow is the rule crlfTail encodes, an octet at a time: every LF
// not after a CR becomes CRLF.
func crlfSlow(b []byte) []byte {
	var out []byte
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, c)
	}
	return out
}

// FuzzCRLFTail: crlfTail converts exactly the part after from, whatever
// precedes it and whatever room the slice has, as crlfSlow does.
func FuzzCRLFTail(f *testing.F) {
	for _, s := range []string{"", "\n", "\r\n", "a\nb\r\nc\n\n", "\r\r\n\n\r", "x\r", "\n\n\n"} {
		f.Add([]byte("p\r"), []byte(s), uint8(0))
		f.Add([]byte(nil), []byte(s), uint8(7))
	}
	f.Fuzz(func(t *testing.T, prefix, data []byte, room uint8) {
		b := make([]byte, 0, len(prefix)+len(data)+int(room))
		b = append(append(b, prefix...), data...)
		got := crlfTail(b, len(prefix))
		want := append(bytes.Clone(prefix), crlfSlow(data)...)
		if !bytes.Equal(got, want) {
			t.Fatalf("crlfTail(%q + %q) = %q, want %q", prefix, data, got, want)
		}
	})
}

// TestReadMessageTo: ReadMessageTo gives what Open gives, after what dst
// holds, whatever line ends the file has, and reuses dst's room; a
// missing UID leaves dst as it was.
func TestReadMessageTo(t *testing.T) {
	ctx := context.Background()
	md, err := mailbox.Open(filepath.Join(t.TempDir(), "m"), mailbox.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	stored := []string{
		"Subject: a\n\nline\n",
		"Subject: b\r\n\r\nline\r\n",
		"\nSubject: c\n\r\n\n" + strings.Repeat("long line\n", 2000),
		"no line end",
	}
	for _, s := range stored {
		if _, err := md.Deliver(ctx, mailbox.Inbox, []byte(s), 0); err != nil {
			t.Fatal(err)
		}
	}
	mb, err := NewUser(md).Select(ctx, "INBOX", true)
	if err != nil {
		t.Fatal(err)
	}
	mr := mb.(imap.MessageReader)
	buf := make([]byte, 0, 64<<10)
	for i, s := range stored {
		buf = append(buf[:0], "kept"...)
		got, err := mr.ReadMessageTo(ctx, uint32(i+1), buf)
		if err != nil {
			t.Fatal(err)
		}
		if want := "kept" + string(crlfSlow([]byte(s))); string(got) != want {
			t.Errorf("message %d: %.80q, want %.80q", i+1, got, want)
		}
		if &got[0] != &buf[0] {
			t.Errorf("message %d: a buffer with room was reallocated", i+1)
		}
		rc, err := mb.Open(ctx, uint32(i+1))
		if err != nil {
			t.Fatal(err)
		}
		var opened bytes.Buffer
		opened.ReadFrom(rc)
		rc.Close()
		if opened.String() != string(got[len("kept"):]) {
			t.Errorf("message %d: Open gives %.80q, ReadMessageTo %.80q", i+1, opened.Bytes(), got[4:])
		}
	}
	buf = append(buf[:0], "kept"...)
	if got, err := mr.ReadMessageTo(ctx, 99, buf); err == nil || string(got) != "kept" {
		t.Errorf("missing UID: %q, %v", got, err)
	}
}
