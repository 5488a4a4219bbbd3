package rfc5322

// isAtext reports whether c is atext; octets >= 0x80 are taken as parts
// of UTF-8 sequences (RFC 6532 3.2), which the callers check once for the
// whole input.
func isAtext(c byte) bool { return classTable[c]&classAtext != 0 }

// isDtext: %d33-90 / %d94-126 / UTF8-non-ascii (RFC 5322 3.4.1).
func isDtext(c byte) bool { return classTable[c]&classDtext != 0 }

func hasNonASCII(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		// Eight octets at a time: any high bit set?
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if w&0x8080808080808080 != 0 {
			return true
		}
	}
	for ; i < len(s); i++ {
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
// quoted-pair (RFC 5322 3.2.4), and NUL, CR and LF too, which may appear
// in a quoted-string only as obs-qp (4.1).
func appendQuoted(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '"' || c == '\\' || c == 0 || c == '\r' || c == '\n' {
			dst = append(dst, '\\')
		}
		dst = append(dst, c)
	}
	return append(dst, '"')
}
