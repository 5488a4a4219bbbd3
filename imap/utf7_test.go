package imap

import (
	"context"
	"errors"
	"slices"
	"testing"
	"unicode/utf8"
)

func TestMailboxUTF7(t *testing.T) {
	for _, tc := range []struct{ utf8, utf7 string }{
		{"INBOX", "INBOX"},
		{"Tom & Jerry", "Tom &- Jerry"},
		// RFC 3501 5.1.3's example.
		{"~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"},
		{"Entwürfe", "Entw&APw-rfe"},
		{"😀", "&2D3eAA-"},
		{"Gesendete Objekte", "Gesendete Objekte"},
	} {
		if got := EncodeMailboxUTF7(tc.utf8); got != tc.utf7 {
			t.Errorf("EncodeMailboxUTF7(%q) = %q, want %q", tc.utf8, got, tc.utf7)
		}
		if got, err := DecodeMailboxUTF7(tc.utf7); err != nil || got != tc.utf8 {
			t.Errorf("DecodeMailboxUTF7(%q) = %q, %v, want %q", tc.utf7, got, err, tc.utf8)
		}
	}
	for _, bad := range []string{
		"&U,BTFw",  // unterminated
		"&AGE-",    // "a" encoded
		"&U,BTF-",  // leftover bits
		"&2D0-",    // unpaired surrogate
		"&APw",     // unterminated
		"Entwürfe", // raw 8-bit
		"a\x01",
	} {
		if _, err := DecodeMailboxUTF7(bad); !errors.Is(err, ErrMailboxUTF7) {
			t.Errorf("DecodeMailboxUTF7(%q): %v, want ErrMailboxUTF7", bad, err)
		}
	}
}

func FuzzMailboxUTF7(f *testing.F) {
	for _, s := range []string{"INBOX", "&U,BTFw-/&ZeVnLIqe-", "&-", "&2D3eAA-", "Entwürfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if dec, err := DecodeMailboxUTF7(s); err == nil {
			// A valid name encodes back to itself (the encoding is unique
			// but for where runs split, which decoding accepts anyway).
			if back, err := DecodeMailboxUTF7(EncodeMailboxUTF7(dec)); err != nil || back != dec {
				t.Fatalf("%q decodes to %q, re-encoded decodes to %q %v", s, dec, back, err)
			}
		}
		if utf8.ValidString(s) {
			if got, err := DecodeMailboxUTF7(EncodeMailboxUTF7(s)); err != nil || got != s {
				t.Fatalf("round trip of %q: %q %v", s, got, err)
			}
		}
	})
}

// TestSessionMailboxUTF7: an IMAP4rev1 client's names are modified UTF-7
// on the wire and UTF-8 in the backend; after ENABLE UTF8=ACCEPT they
// are UTF-8 on the wire too (RFC 6855 3).
func TestSessionMailboxUTF7(t *testing.T) {
	ts := startServer(t, nil)
	c, _ := ts.dial(t)
	c.check("a1", "LOGIN bob secret", "a1 OK [CAPABILITY "+caps+"] Logged in")
	c.check("a2", "CREATE &ZeVnLIqe-", "a2 OK CREATE completed")
	c.check("a3", `LIST "" &ZeVnLIqe-`, `* LIST () "/" &ZeVnLIqe-`, "a3 OK LIST completed")
	c.check("a4", "STATUS &ZeVnLIqe- (MESSAGES)", `* STATUS &ZeVnLIqe- (MESSAGES 0)`, "a4 OK STATUS completed")
	c.check("a5", "CREATE &AGE-", "a5 NO Mailbox name is not valid modified UTF-7")
	c.check("a6", `CREATE "Entw`+"\u00fc"+`rfe"`, "a6 NO Mailbox name is not valid modified UTF-7")
	c.check("a7", "ENABLE UTF8=ACCEPT", "* ENABLED UTF8=ACCEPT", "a7 OK ENABLE completed")
	c.check("a8", `LIST "" "日本語"`, `* LIST () "/" "日本語"`, "a8 OK LIST completed")
	c.check("a9", `CREATE "Entwürfe"`, "a9 OK CREATE completed")
	names, err := ts.be.Mailboxes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range names {
		got = append(got, n.Name)
	}
	if !slices.Contains(got, "日本語") || !slices.Contains(got, "Entwürfe") {
		t.Errorf("backend's mailboxes %q", got)
	}
}
