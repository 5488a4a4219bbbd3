package imap

import (
	"encoding/base64"
	"errors"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// ErrMailboxUTF7 reports a mailbox name that is not valid modified
// UTF-7 (RFC 3501 5.1.3).
var ErrMailboxUTF7 = errors.New("imap: mailbox name is not valid modified UTF-7")

// mutf7 is RFC 3501 5.1.3's modified BASE64: RFC 2045's alphabet with ","
// for "/", without padding.
var mutf7 = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,").WithPadding(base64.NoPadding)

// EncodeMailboxUTF7 returns name (UTF-8) in modified UTF-7, the form
// IMAP4rev1 clients use for mailbox names (RFC 3501 5.1.3): printable
// US-ASCII stands for itself, "&" is "&-", and every run of other
// characters is "&", the modified BASE64 of their UTF-16, "-". Invalid
// UTF-8 is encoded as U+FFFD.
func EncodeMailboxUTF7(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); {
		c := name[i]
		if c >= 0x20 && c <= 0x7e {
			b.WriteByte(c)
			if c == '&' {
				b.WriteByte('-')
			}
			i++
			continue
		}
		var units []uint16
		for i < len(name) && (name[i] < 0x20 || name[i] > 0x7e) {
			r, n := utf8.DecodeRuneInString(name[i:])
			i += n
			if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
				units = append(units, uint16(r1), uint16(r2))
			} else {
				units = append(units, uint16(r))
			}
		}
		raw := make([]byte, 0, 2*len(units))
		for _, u := range units {
			raw = append(raw, byte(u>>8), byte(u))
		}
		b.WriteByte('&')
		b.WriteString(mutf7.EncodeToString(raw))
		b.WriteByte('-')
	}
	return b.String()
}

// DecodeMailboxUTF7 returns the UTF-8 form of a modified UTF-7 mailbox
// name (RFC 3501 5.1.3). It is strict, as the RFC asks of the encoding:
// bytes outside printable US-ASCII, an unterminated or empty-but-"&-"
// shift, BASE64 that encodes printable US-ASCII or leaves non-zero bits,
// an odd number of octets and unpaired surrogates are ErrMailboxUTF7.
func DecodeMailboxUTF7(name string) (string, error) {
	if !strings.ContainsAny(name, "&") {
		for i := 0; i < len(name); i++ {
			if name[i] < 0x20 || name[i] > 0x7e {
				return "", ErrMailboxUTF7
			}
		}
		return name, nil
	}
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c < 0x20 || c > 0x7e {
			return "", ErrMailboxUTF7
		}
		if c != '&' {
			b.WriteByte(c)
			continue
		}
		end := strings.IndexByte(name[i+1:], '-')
		if end < 0 {
			return "", ErrMailboxUTF7
		}
		enc := name[i+1 : i+1+end]
		i += end + 1 // at the '-'
		if enc == "" {
			b.WriteByte('&')
			continue
		}
		raw, err := mutf7.Strict().DecodeString(enc)
		if err != nil || len(raw)%2 != 0 {
			return "", ErrMailboxUTF7
		}
		units := make([]uint16, len(raw)/2)
		for j := range units {
			units[j] = uint16(raw[2*j])<<8 | uint16(raw[2*j+1])
		}
		for j := 0; j < len(units); j++ {
			u := rune(units[j])
			switch {
			case u >= 0x20 && u <= 0x7e:
				return "", ErrMailboxUTF7 // must stand for itself
			case utf16.IsSurrogate(u):
				if j+1 >= len(units) {
					return "", ErrMailboxUTF7
				}
				r := utf16.DecodeRune(u, rune(units[j+1]))
				if r == utf8.RuneError {
					return "", ErrMailboxUTF7
				}
				b.WriteRune(r)
				j++
			default:
				b.WriteRune(u)
			}
		}
	}
	return b.String(), nil
}
