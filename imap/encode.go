package imap

import (
	"strconv"
)

// maxQuoted is the longest value written as a quoted string; longer
// values are sent as literals, which need no escaping and no scanning by
// the reader.
const maxQuoted = 1024

// needsLiteral reports whether s cannot be a quoted string: it holds
// CR, LF or NUL (never allowed in quoted, RFC 9051 9 TEXT-CHAR), 8-bit
// octets when utf8 is false (RFC 3501 quoted is 7-bit), or is long.
func needsLiteral(s string, utf8 bool) bool {
	if len(s) > maxQuoted {
		return true
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\r' || c == '\n' || c == 0 || (c >= 0x80 && !utf8) {
			return true
		}
	}
	return false
}

// AppendString appends s as a quoted string, or as a literal when it
// cannot be quoted. utf8 says whether the peer accepts UTF-8 in quoted
// strings (IMAP4rev2, or UTF8=ACCEPT enabled, RFC 9051 9 utf8-quoted);
// when false, 8-bit values are sent as literals.
func AppendString(dst []byte, s string, utf8 bool) []byte {
	if needsLiteral(s, utf8) {
		dst = append(dst, '{')
		dst = strconv.AppendInt(dst, int64(len(s)), 10)
		dst = append(dst, "}\r\n"...)
		return append(dst, s...)
	}
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			dst = append(dst, '\\')
		}
		dst = append(dst, s[i])
	}
	return append(dst, '"')
}

// AppendNString appends s as a string, or NIL when ok is false.
func AppendNString(dst []byte, s string, ok bool, utf8 bool) []byte {
	if !ok {
		return append(dst, "NIL"...)
	}
	return AppendString(dst, s, utf8)
}

// AppendAstring appends s as an atom when it is one (and is not NIL,
// which a reader of an nstring would take for nothing), else as a string.
func AppendAstring(dst []byte, s string, utf8 bool) []byte {
	if s != "" && !equalFold(s, "NIL") {
		atom := true
		for i := 0; i < len(s); i++ {
			if !isAstringChar(s[i]) {
				atom = false
				break
			}
		}
		if atom {
			return append(dst, s...)
		}
	}
	return AppendString(dst, s, utf8)
}

// AppendNumber appends n in decimal.
func AppendNumber(dst []byte, n uint64) []byte { return strconv.AppendUint(dst, n, 10) }
