package rfc5322

import (
	"errors"
	"testing"
)

// RFC 5322 3.2.1 and 4.1: a quoted-pair may not carry NUL, CR or LF;
// accepting them lets an address smuggle a line end into the SMTP
// envelope (header injection).
func TestQuotedPairControls(t *testing.T) {
	bad := []string{
		"\"a\\\x00b\"@example.org",
		"\"a\\\rb\"@example.org",
		"\"a\\\nb\"@example.org",
		"\"a\\\r\nRCPT TO:<evil@example.net>\"@example.org",
		"\"Name \\\r\" <a@example.org>",
		"a@[1.2.3.\\\r4]",
		"a@[1.2.3.\\\x004]",
		"a@example.org (c\\\nd)",
	}
	for _, s := range bad {
		if a, err := ParseAddress(s); err == nil || !errors.Is(err, ErrInvalidAddress) {
			t.Errorf("ParseAddress(%q) = %+v, %v; want ErrInvalidAddress", s, a, err)
		}
		if l, err := ParseAddressList("ok@example.org, " + s); err == nil {
			t.Errorf("ParseAddressList(%q) = %+v, nil; want an error", s, l)
		}
	}
}

// A Bcc (or To, Cc) read from a header must not reach the recipients
// with a line end in it; the error names the field.
func TestHeaderInjectionRecipients(t *testing.T) {
	msg := "From: a@example.org\r\nBcc: \"x\\\rRCPT TO:<evil@example.net>\"@example.org\r\n\r\n"
	h, _, err := ParseHeader([]byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.AddressList("Bcc")
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "Bcc" || !errors.Is(err, ErrInvalidAddress) {
		t.Fatalf("AddressList(Bcc) error = %v; want a *FieldError for Bcc wrapping ErrInvalidAddress", err)
	}
	b := Builder{
		From: []Address{{Addr: "a@example.org"}},
		Bcc:  []Address{{Addr: "\"x\\\r\nRCPT TO:<evil@example.net>\"@example.org"}},
	}
	if _, _, err := b.Message(); !errors.As(err, &fe) || fe.Field != "Bcc" {
		t.Fatalf("Builder with an injected Bcc: error = %v; want a *FieldError for Bcc", err)
	}
}
