package rfc5322

import (
	"strings"
	"unicode/utf8"
)

// charsetKind says how decodeCharset turns octets into UTF-8.
type charsetKind int

const (
	csUnknown charsetKind = iota
	csUTF8
	csASCII
	csLatin1 // ISO-8859-1: octet = code point
	csTable  // a single-byte table for 0x80-0xFF, ASCII below
)

// lookupCharset resolves a MIME charset name (RFC 2978 names and the
// common aliases, any case, an RFC 2231 "*language" suffix ignored).
func lookupCharset(name string) (charsetKind, string) {
	if i := strings.IndexByte(name, '*'); i >= 0 {
		name = name[:i]
	}
	// Normalise: lower case, drop '-', '_', ' ' and ':'.
	var buf [32]byte
	n := 0
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '-' || c == '_' || c == ' ' || c == ':' {
			continue
		}
		if n == len(buf) {
			return csUnknown, ""
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[n] = c
		n++
	}
	k := string(buf[:n])
	switch k {
	case "utf8":
		return csUTF8, ""
	case "usascii", "ascii", "ansix3.41968", "iso646us", "us":
		return csASCII, ""
	case "iso88591", "latin1", "l1", "iso885911987", "cp819":
		return csLatin1, ""
	case "koi8r":
		return csTable, table_koi8_r
	case "koi8u":
		return csTable, table_koi8_u
	}
	if rest, ok := strings.CutPrefix(k, "iso8859"); ok {
		// "iso88592" and "iso885921987" style names.
		if i := strings.Index(rest, "19"); i > 0 && len(rest)-i == 4 {
			rest = rest[:i]
		}
		switch rest {
		case "2":
			return csTable, table_iso8859_2
		case "3":
			return csTable, table_iso8859_3
		case "4":
			return csTable, table_iso8859_4
		case "5":
			return csTable, table_iso8859_5
		case "6":
			return csTable, table_iso8859_6
		case "7":
			return csTable, table_iso8859_7
		case "8":
			return csTable, table_iso8859_8
		case "9":
			return csTable, table_iso8859_9
		case "10":
			return csTable, table_iso8859_10
		case "11":
			return csTable, table_iso8859_11
		case "13":
			return csTable, table_iso8859_13
		case "14":
			return csTable, table_iso8859_14
		case "15":
			return csTable, table_iso8859_15
		case "16":
			return csTable, table_iso8859_16
		}
		return csUnknown, ""
	}
	switch k {
	case "latin2", "l2":
		return csTable, table_iso8859_2
	case "latin9", "l9":
		return csTable, table_iso8859_15
	}
	for _, pre := range [...]string{"windows", "cp", "xcp"} {
		if rest, ok := strings.CutPrefix(k, pre); ok {
			switch rest {
			case "1250":
				return csTable, table_cp1250
			case "1251":
				return csTable, table_cp1251
			case "1252":
				return csTable, table_cp1252
			case "1253":
				return csTable, table_cp1253
			case "1254":
				return csTable, table_cp1254
			case "1255":
				return csTable, table_cp1255
			case "1256":
				return csTable, table_cp1256
			case "1257":
				return csTable, table_cp1257
			case "1258":
				return csTable, table_cp1258
			}
		}
	}
	return csUnknown, ""
}

// appendCharset appends the octets b, in the given charset, as UTF-8.
// Octets that are invalid in the charset become U+FFFD.
func appendCharset(dst []byte, kind charsetKind, table string, b []byte) []byte {
	switch kind {
	case csUTF8:
		if utf8.Valid(b) {
			return append(dst, b...)
		}
		for len(b) > 0 {
			r, n := utf8.DecodeRune(b)
			if r == utf8.RuneError && n <= 1 {
				dst = utf8.AppendRune(dst, utf8.RuneError)
				b = b[1:]
				continue
			}
			dst = append(dst, b[:n]...)
			b = b[n:]
		}
		return dst
	case csASCII:
		for _, c := range b {
			if c >= 0x80 {
				dst = utf8.AppendRune(dst, utf8.RuneError)
			} else {
				dst = append(dst, c)
			}
		}
		return dst
	case csLatin1:
		for _, c := range b {
			if c < 0x80 {
				dst = append(dst, c)
			} else {
				dst = utf8.AppendRune(dst, rune(c))
			}
		}
		return dst
	}
	for _, c := range b {
		if c < 0x80 {
			dst = append(dst, c)
			continue
		}
		i := 2 * int(c-0x80)
		dst = utf8.AppendRune(dst, rune(table[i])<<8|rune(table[i+1]))
	}
	return dst
}
