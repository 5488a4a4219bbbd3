package rfc5322

// Character classes of RFC 5322 3.2.3 and 3.2.4 as bit masks over
// 0-63 and 64-127, so a class test is two shifts and no table in memory.
const (
	// atext: ALPHA / DIGIT / "!" / "#" / "$" / "%" / "&" / "'" / "*" /
	// "+" / "-" / "/" / "=" / "?" / "^" / "_" / "`" / "{" / "|" / "}" / "~"
	atextLo = 1<<'!' | 1<<'#' | 1<<'$' | 1<<'%' | 1<<'&' | 1<<'\'' | 1<<'*' |
		1<<'+' | 1<<'-' | 1<<'/' | 0x3ff<<'0' | 1<<'=' | 1<<'?'
	atextHi = 0x3ffffff<<('A'-64) | 1<<('^'-64) | 1<<('_'-64) | 1<<('`'-64) |
		0x3ffffff<<('a'-64) | 1<<('{'-64) | 1<<('|'-64) | 1<<('}'-64) | 1<<('~'-64)
)

// isAtext reports whether c is atext; octets >= 0x80 are taken as parts
// of UTF-8 sequences (RFC 6532 3.2), which the callers check once for the
// whole input.
func isAtext(c byte) bool {
	switch {
	case c < 64:
		return atextLo&(uint64(1)<<c) != 0
	case c < 128:
		return atextHi&(uint64(1)<<(c-64)) != 0
	}
	return true
}

// isDtext: %d33-90 / %d94-126 / UTF8-non-ascii (RFC 5322 3.4.1).
func isDtext(c byte) bool {
	return (c >= 33 && c <= 90) || (c >= 94 && c <= 126) || c >= 0x80
}

func hasNonASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return true
		}
	}
	return false
}

// isDotAtom reports whether s is a dot-atom-text: 1*atext *("." 1*atext).
func isDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '.' {
			if s[i-1] == '.' {
				return false
			}
			continue
		}
		if !isAtext(c) {
			return false
		}
	}
	return true
}

// appendQuoted appends s as a quoted-string, escaping '"' and '\' with a
// quoted-pair (RFC 5322 3.2.4).
func appendQuoted(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '"' || c == '\\' {
			dst = append(dst, '\\')
		}
		dst = append(dst, c)
	}
	return append(dst, '"')
}
