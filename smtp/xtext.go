package smtp

// AppendXtext appends s encoded as RFC 3461 4 xtext: bytes 33-126 other
// than "+" and "=" as themselves, every other byte as "+" and two upper-case
// hex digits.
func AppendXtext(dst []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 33 && c <= 126 && c != '+' && c != '=' {
			dst = append(dst, c)
			continue
		}
		dst = append(dst, '+', hex[c>>4], hex[c&15])
	}
	return dst
}

// AppendXtextDecoded appends the decoding of the RFC 3461 4 xtext src to
// dst. It returns ErrXtextSyntax for a byte outside xchar or a "+" not
// followed by two upper-case hex digits. A hexchar encoding a byte that
// could have been sent as itself is accepted (RFC 3461 4 only says the
// encoder "should" not).
func AppendXtextDecoded(dst, src []byte) ([]byte, error) {
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '+':
			if i+2 >= len(src) {
				return dst, ErrXtextSyntax
			}
			h, ok1 := unhexUpper(src[i+1])
			l, ok2 := unhexUpper(src[i+2])
			if !ok1 || !ok2 {
				return dst, ErrXtextSyntax
			}
			dst = append(dst, h<<4|l)
			i += 2
		case c >= 33 && c <= 126 && c != '=':
			dst = append(dst, c)
		default:
			return dst, ErrXtextSyntax
		}
	}
	return dst, nil
}

// unhexUpper decodes an RFC 3461 hexchar digit: %x30-39 / %x41-46.
func unhexUpper(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
