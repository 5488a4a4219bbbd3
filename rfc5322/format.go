package rfc5322

import "strings"

// String formats the address as a mailbox that ParseAddress reads back
// as the same Address: the display name as a phrase of atoms when it is
// one, as a quoted-string when it is printable ASCII, and as RFC 2047
// encoded words when it holds non-ASCII or control characters; then the
// addr-spec in angle brackets. With no name it is the bare addr-spec.
func (a Address) String() string { return string(a.AppendFormat(nil, false)) }

// AppendFormat appends the address formatted as by String. If utf8 is
// true a non-ASCII display name is written as UTF-8 (RFC 6532, for
// messages sent with SMTPUTF8) instead of as encoded words.
func (a Address) AppendFormat(dst []byte, utf8 bool) []byte {
	if a.Name == "" {
		return append(dst, a.Addr...)
	}
	dst = appendPhrase(dst, a.Name, utf8)
	dst = append(dst, ' ', '<')
	dst = append(dst, a.Addr...)
	return append(dst, '>')
}

// appendPhrase writes a display name so that the address parser gives
// it back.
func appendPhrase(dst []byte, name string, utf8 bool) []byte {
	plainAtoms, printable := true, true
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == ' ':
			if i == 0 || i == len(name)-1 || name[i-1] == ' ' {
				plainAtoms = false
			}
		case c < ' ' || c == 0x7f:
			plainAtoms, printable = false, false
		case c >= 0x80:
			if !utf8 {
				plainAtoms, printable = false, false
			}
		case !isAtext(c):
			plainAtoms = false
		}
	}
	if strings.Contains(name, "=?") {
		// A word that looks encoded would be decoded by a reader.
		return appendEncodedWords(dst, name)
	}
	switch {
	case plainAtoms:
		return append(dst, name...)
	case printable:
		return appendQuoted(dst, name)
	}
	return appendEncodedWords(dst, name)
}

// FormatAddressList formats addresses as an address-list, comma
// separated, for a To, Cc or From field value.
func FormatAddressList(addrs []Address) string {
	return string(AppendAddressList(nil, addrs, false))
}

// AppendAddressList appends addrs as an address-list; see AppendFormat
// for utf8.
func AppendAddressList(dst []byte, addrs []Address, utf8 bool) []byte {
	for i, a := range addrs {
		if i > 0 {
			dst = append(dst, ',', ' ')
		}
		dst = a.AppendFormat(dst, utf8)
	}
	return dst
}
