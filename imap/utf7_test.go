package imap

import (
	"errors"
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
