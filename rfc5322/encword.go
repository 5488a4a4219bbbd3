package rfc5322

import (
	"encoding/base64"
	"strings"
	"unicode/utf8"
)

// RFC 2047 encoded words: "=?" charset "?" encoding "?" encoded-text "?=".

// isEncodedWordShape is a quick test that an atom may be an encoded
// word; parseEncodedWord decides.
func isEncodedWordShape(w string) bool {
	return len(w) >= 8 && w[0] == '=' && w[1] == '?' && w[len(w)-2] == '?' && w[len(w)-1] == '='
}

// parseEncodedWord parses the encoded word at the start of s and returns
// its parts and length. Charset and encoding are tokens (RFC 2047 2: no
// SPACE, CTLs or especials); encoded-text is printable ASCII without
// '?' or SPACE (RFC 2047 2 and 4). The 75-octet limit of RFC 2047 2 is
// not enforced on reading, as many mailers exceed it.
func parseEncodedWord(s string) (charset string, enc byte, text string, n int, ok bool) {
	if len(s) < 8 || s[0] != '=' || s[1] != '?' {
		return
	}
	i := 2
	for i < len(s) && s[i] != '?' {
		if c := s[i]; c <= ' ' || c >= 127 || strings.IndexByte("()<>@,;:\"/[]?=", c) >= 0 {
			return
		}
		i++
	}
	if i == 2 || i+3 > len(s) || s[i+2] != '?' {
		return
	}
	charset = s[2:i]
	enc = s[i+1] | 0x20
	if enc != 'q' && enc != 'b' {
		return
	}
	st := i + 3
	j := st
	for j+1 < len(s) && !(s[j] == '?' && s[j+1] == '=') {
		if c := s[j]; c <= ' ' || c >= 127 || c == '?' {
			return
		}
		j++
	}
	if j+1 >= len(s) {
		return
	}
	return charset, enc, s[st:j], j + 2, true
}

// appendDecodedWord decodes the encoded word w (which must be all of w)
// and appends the text as UTF-8. ok is false if w is not a well-formed
// encoded word; then nothing is appended. An unknown charset appends w
// itself, unchanged, and returns a *CharsetError with ok true.
func appendDecodedWord(dst []byte, w string) ([]byte, bool, error) {
	charset, enc, text, n, ok := parseEncodedWord(w)
	if !ok || n != len(w) {
		return dst, false, nil
	}
	return appendDecodedParts(dst, w, charset, enc, text)
}

func appendDecodedParts(dst []byte, w, charset string, enc byte, text string) ([]byte, bool, error) {
	kind, table := lookupCharset(charset)
	if kind == csUnknown {
		return append(dst, w...), true, &CharsetError{Charset: charset}
	}
	var stack [256]byte
	raw := stack[:0]
	if enc == 'b' {
		// RFC 2047 4.1: base64 of RFC 2045; padding is required
		// there but often missing in the wild, so accept both.
		var ok bool
		if raw, ok = appendBase64(raw, strings.TrimRight(text, "=")); !ok {
			return dst, false, nil
		}
	} else {
		// RFC 2047 4.2: "_" is SPACE, "=" two hex digits is an octet.
		for i := 0; i < len(text); i++ {
			c := text[i]
			switch c {
			case '_':
				raw = append(raw, ' ')
			case '=':
				if i+2 >= len(text) {
					return dst, false, nil
				}
				h, l := unhex(text[i+1]), unhex(text[i+2])
				if h < 0 || l < 0 {
					return dst, false, nil
				}
				raw = append(raw, byte(h<<4|l))
				i += 2
			default:
				raw = append(raw, c)
			}
		}
	}
	return appendCharset(dst, kind, table, raw), true, nil
}

// appendBase64 decodes unpadded base64 (RFC 4648 4) without allocating
// beyond dst. A final group of one character is invalid; unused bits of a
// final group are ignored, as encoding/base64 does.
func appendBase64(dst []byte, s string) ([]byte, bool) {
	var acc uint32
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		var v byte
		switch {
		case 'A' <= c && c <= 'Z':
			v = c - 'A'
		case 'a' <= c && c <= 'z':
			v = c - 'a' + 26
		case '0' <= c && c <= '9':
			v = c - '0' + 52
		case c == '+':
			v = 62
		case c == '/':
			v = 63
		default:
			return dst, false
		}
		acc = acc<<6 | uint32(v)
		n++
		if n == 4 {
			dst = append(dst, byte(acc>>16), byte(acc>>8), byte(acc))
			acc, n = 0, 0
		}
	}
	switch n {
	case 1:
		return dst, false
	case 2:
		dst = append(dst, byte(acc>>4))
	case 3:
		dst = append(dst, byte(acc>>10), byte(acc>>2))
	}
	return dst, true
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c|0x20 && c|0x20 <= 'f':
		return int(c|0x20-'a') + 10
	}
	return -1
}

// DecodeWord decodes one RFC 2047 encoded word. It returns a *ParseError
// wrapping ErrInvalidEncodedWord if w is not one, and the raw word with a
// *CharsetError if its charset is unknown.
func DecodeWord(w string) (string, error) {
	b, ok, err := appendDecodedWord(nil, w)
	if !ok {
		return "", &ParseError{What: "encoded-word", Offset: 0, Err: ErrInvalidEncodedWord}
	}
	return string(b), err
}

// DecodeText decodes the encoded words in unstructured text (RFC 2047
// 5(1), 6.2): each whitespace-separated token that is one or more
// encoded words is decoded, whitespace between two encoded words is
// dropped, everything else is kept. A malformed encoded word is kept as
// it is. The first unknown charset is reported as a *CharsetError with
// the text, its raw word kept in place.
func DecodeText(s string) (string, error) {
	if !strings.Contains(s, "=?") {
		return s, nil
	}
	var stack [512]byte
	b, err := appendDecodedText(stack[:0], s)
	return string(b), err
}

func appendDecodedText(dst []byte, s string) ([]byte, error) {
	var firstErr error
	prevEW := false
	i := 0
	for i < len(s) {
		// Whitespace run.
		ws := i
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
			i++
		}
		space := s[ws:i]
		st := i
		for i < len(s) && !(s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
			i++
		}
		tok := s[st:i]
		if tok == "" {
			dst = append(dst, space...)
			break
		}
		n := len(dst)
		if !prevEW || !strings.HasPrefix(tok, "=?") {
			dst = append(dst, space...)
		}
		out, ok, err := appendTokenWords(dst, tok)
		if ok {
			dst = out
			if err != nil && firstErr == nil {
				firstErr = err
			}
			prevEW = err == nil
			continue
		}
		if prevEW && strings.HasPrefix(tok, "=?") {
			dst = append(dst[:n], space...)
		}
		dst = append(dst, tok...)
		prevEW = false
	}
	return dst, firstErr
}

// appendTokenWords decodes tok if it is entirely a run of encoded words
// (some mailers omit the space between them).
func appendTokenWords(dst []byte, tok string) ([]byte, bool, error) {
	if !strings.HasPrefix(tok, "=?") {
		return dst, false, nil
	}
	var firstErr error
	n := len(dst)
	for tok != "" {
		charset, enc, text, m, ok := parseEncodedWord(tok)
		if !ok {
			return dst[:n], false, nil
		}
		var err error
		dst, ok, err = appendDecodedParts(dst, tok[:m], charset, enc, text)
		if !ok {
			return dst[:n], false, nil
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
		tok = tok[m:]
	}
	return dst, true, firstErr
}

// Encoding.

// maxEncodedWord is the RFC 2047 2 limit on an encoded word's length.
const maxEncodedWord = 75

// qSafe reports octets that Q encoding writes as themselves in every
// context, phrases included (RFC 2047 5(3): ALPHA, DIGIT, "!", "*", "+",
// "-", "/"); SPACE is written as "_".
func qSafe(c byte) bool {
	return 'a' <= c|0x20 && c|0x20 <= 'z' || '0' <= c && c <= '9' ||
		c == '!' || c == '*' || c == '+' || c == '-' || c == '/'
}

// needsEncoding reports whether a word of text cannot be written as
// is in a 7-bit header: it has non-ASCII or control octets, or it looks
// like an encoded word itself.
func needsEncoding(w string) bool {
	for i := 0; i < len(w); i++ {
		if c := w[i]; c >= 0x7f || c < ' ' && c != '\t' {
			return true
		}
	}
	return strings.Contains(w, "=?")
}

// EncodeWord encodes s as one or more UTF-8 encoded words separated by
// single spaces, each at most 75 octets (RFC 2047 2), choosing Q or B
// encoding, whichever is shorter. Decoding the result gives s back.
func EncodeWord(s string) string {
	return string(appendEncodedWords(nil, s))
}

func appendEncodedWords(dst []byte, s string) []byte {
	q := 0
	for i := 0; i < len(s); i++ {
		if qSafe(s[i]) || s[i] == ' ' {
			q++
		} else {
			q += 3
		}
	}
	useB := q > base64.StdEncoding.EncodedLen(len(s))
	const prefix = "=?utf-8?q?"
	room := maxEncodedWord - len(prefix) - 2
	first := true
	for len(s) > 0 || first {
		// Take as many whole runes as fit in one word.
		n, size := 0, 0
		for n < len(s) {
			_, rl := utf8.DecodeRuneInString(s[n:])
			add := 0
			if useB {
				add = base64.StdEncoding.EncodedLen(n+rl) - size
			} else {
				for k := n; k < n+rl; k++ {
					if qSafe(s[k]) || s[k] == ' ' {
						add++
					} else {
						add += 3
					}
				}
			}
			if size+add > room && n > 0 {
				break
			}
			size += add
			n += rl
		}
		if !first {
			dst = append(dst, ' ')
		}
		first = false
		if useB {
			dst = append(dst, "=?utf-8?b?"...)
			dst = base64.StdEncoding.AppendEncode(dst, []byte(s[:n]))
		} else {
			dst = append(dst, prefix...)
			for k := 0; k < n; k++ {
				c := s[k]
				switch {
				case c == ' ':
					dst = append(dst, '_')
				case qSafe(c):
					dst = append(dst, c)
				default:
					dst = append(dst, '=', "0123456789ABCDEF"[c>>4], "0123456789ABCDEF"[c&15])
				}
			}
		}
		dst = append(dst, '?', '=')
		s = s[n:]
	}
	return dst
}

// EncodeText makes unstructured text (such as a Subject) 7-bit: runs of
// words that need it (non-ASCII, control characters, or text that looks
// like an encoded word) become encoded words (RFC 2047 5(1)); other words
// and the whitespace between them are kept. Pure printable ASCII comes
// back unchanged. DecodeText of the result gives s back.
func EncodeText(s string) string {
	if !needsEncoding(s) {
		return s
	}
	return string(appendEncodedText(nil, s))
}

func appendEncodedText(dst []byte, s string) []byte {
	i := 0
	for i < len(s) {
		// Copy whitespace.
		for i < len(s) && isWSP(s[i]) {
			dst = append(dst, s[i])
			i++
		}
		if i >= len(s) {
			break
		}
		// Next word.
		st := i
		for i < len(s) && !isWSP(s[i]) {
			i++
		}
		if !needsEncoding(s[st:i]) {
			dst = append(dst, s[st:i]...)
			continue
		}
		// Extend the run over following words that need encoding, and
		// over words between them, so that the whitespace inside the
		// run travels inside the encoded text.
		end := i
		j := i
		for j < len(s) {
			k := j
			for k < len(s) && isWSP(s[k]) {
				k++
			}
			w := k
			for w < len(s) && !isWSP(s[w]) {
				w++
			}
			if k == w || !needsEncoding(s[k:w]) {
				break
			}
			end, j = w, w
		}
		// An encoded word next to plain text must be separated from
		// it by whitespace (RFC 2047 5(1)); it is, by construction.
		dst = appendEncodedWords(dst, s[st:end])
		i = end
	}
	return dst
}
