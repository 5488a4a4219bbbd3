package mime

import (
	"bytes"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// ParseMediaType parses a Content-Type or Content-Disposition value
// (RFC 2045 5.1, RFC 2183 2): a type/subtype or disposition token
// followed by ";"-separated attribute=value parameters, values tokens
// or quoted-strings, comments allowed between tokens (RFC 822 rules, as
// RFC 2045 5.1 says). The type and the parameter names are returned in
// lower case.
//
// RFC 2231 parameter value continuations (name*0, name*1*, ...) are
// joined and extended values (name*=charset'lang'%XX) decoded to UTF-8
// with charset (nil means the built-in UTF-8, US-ASCII and ISO-8859-1);
// a value in an unknown charset is kept with its octets as they were.
//
// Parsing is lenient as mail readers are: a bad parameter is skipped and
// the ones before and after it are kept, and the error (wrapping
// ErrMalformedMediaType) is returned with them. Only a value without a
// type gives an empty type.
func ParseMediaType(v string, charset CharsetFunc) (mediatype string, params map[string]string, err error) {
	p := mtParser{s: v}
	p.skipCFWS()
	start := p.i
	t := p.token()
	if t == "" {
		return "", nil, malformed("no type")
	}
	mediatype = strings.ToLower(t)
	p.skipCFWS()
	if p.peek('/') {
		p.i++
		p.skipCFWS()
		subStart := p.i
		sub := p.token()
		if sub == "" {
			err = malformed("no subtype")
		}
		if subStart == start+len(t)+1 && isLowerASCII(v[start:p.i]) {
			mediatype = v[start:p.i] // "type/subtype" as written: no copy
		} else {
			mediatype += "/" + strings.ToLower(sub)
		}
		p.skipCFWS()
	}
	var cont []contPiece
	for p.i < len(p.s) {
		if !p.peek(';') {
			if err == nil {
				err = malformed("expected ';' at offset " + strconv.Itoa(p.i))
			}
			// Resynchronise at the next ';' outside a quoted string.
			p.skipTo(';')
			continue
		}
		p.i++
		p.skipCFWS()
		if p.i >= len(p.s) {
			break // a trailing ';' is common and harmless
		}
		name := strings.ToLower(p.token())
		p.skipCFWS()
		if name == "" || !p.peek('=') {
			if err == nil {
				err = malformed("bad parameter at offset " + strconv.Itoa(p.i))
			}
			p.skipTo(';')
			continue
		}
		p.i++
		p.skipCFWS()
		var val string
		if p.peek('"') {
			var ok bool
			val, ok = p.quoted()
			if !ok && err == nil {
				err = malformed("unterminated quoted-string")
			}
		} else {
			val = p.token()
		}
		p.skipCFWS()
		if params == nil {
			params = make(map[string]string, 2)
		}
		// RFC 2231 3 and 4: name*N[*] pieces and name* extended values.
		if star := strings.IndexByte(name, '*'); star > 0 {
			base, rest := name[:star], name[star+1:]
			ext := strings.HasSuffix(rest, "*") || rest == ""
			rest = strings.TrimSuffix(rest, "*")
			n := 0
			if rest != "" {
				var e error
				n, e = strconv.Atoi(rest)
				if e != nil || n < 0 || n > 999 || (len(rest) > 1 && rest[0] == '0') {
					params[name] = val
					continue
				}
			}
			cont = append(cont, contPiece{base, n, val, ext})
			continue
		}
		if _, dup := params[name]; !dup {
			params[name] = val
		}
	}
	// Each name's pieces in order of number; of two with one number the
	// later one counts.
	slices.SortStableFunc(cont, func(a, b contPiece) int {
		if c := strings.Compare(a.base, b.base); c != 0 {
			return c
		}
		return a.n - b.n
	})
	for i := 0; i < len(cont); {
		j := i + 1
		for j < len(cont) && cont[j].base == cont[i].base {
			j++
		}
		params[cont[i].base] = joinPieces(cont[i:j], charset)
		i = j
	}
	return mediatype, params, err
}

// isLowerASCII reports whether s has no upper-case or non-ASCII octet,
// so strings.ToLower would return it unchanged.
func isLowerASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 || 'A' <= c && c <= 'Z' {
			return false
		}
	}
	return true
}

type contPiece struct {
	base string // the parameter name
	n    int    // the piece's number
	v    string
	ext  bool // extended: %XX escapes, charset'language' first
}

// joinPieces joins RFC 2231 3 continuations in order, stopping at the
// first missing number, and decodes the extended ones (4.1: only the
// first piece carries charset'language').
func joinPieces(pieces []contPiece, charset CharsetFunc) string {
	var raw []byte
	cs := ""
	for i, k := 0, 0; k < len(pieces); k++ {
		if k+1 < len(pieces) && pieces[k+1].n == pieces[k].n {
			continue // a later piece has this number
		}
		pc := pieces[k]
		if pc.n != i {
			break
		}
		v := pc.v
		if pc.ext {
			if i == 0 {
				if a := strings.IndexByte(v, '\''); a >= 0 {
					if b := strings.IndexByte(v[a+1:], '\''); b >= 0 {
						cs, v = v[:a], v[a+1+b+1:]
					}
				}
			}
			raw = appendPctDecoded(raw, v)
		} else {
			raw = append(raw, v...)
		}
		i++
	}
	if cs == "" {
		return string(raw)
	}
	var src io.Reader = bytes.NewReader(raw)
	r, err := decodeCharset(cs, src, charset)
	if r == src {
		return string(raw) // UTF-8 or US-ASCII: nothing to convert
	}
	if err != nil {
		return string(raw)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return string(raw)
	}
	return string(out)
}

func appendPctDecoded(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if h, ok := unhex(s[i+1]); ok {
				if l, ok := unhex(s[i+2]); ok {
					dst = append(dst, h<<4|l)
					i += 2
					continue
				}
			}
		}
		dst = append(dst, s[i])
	}
	return dst
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func malformed(msg string) error {
	return &mtError{msg}
}

type mtError struct{ msg string }

func (e *mtError) Error() string { return ErrMalformedMediaType.Error() + ": " + e.msg }
func (e *mtError) Unwrap() error { return ErrMalformedMediaType }

type mtParser struct {
	s string
	i int
}

func (p *mtParser) peek(c byte) bool { return p.i < len(p.s) && p.s[p.i] == c }

// isTSpecial: RFC 2045 5.1 tspecials.
func isTSpecial(c byte) bool { return strings.IndexByte(`()<>@,;:\"/[]?=`, c) >= 0 }

// token reads RFC 2045 token; octets over 127 are accepted (RFC 6532
// headers and mailers that put raw UTF-8 in file names).
func (p *mtParser) token() string {
	st := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c <= ' ' || c == 0x7f || isTSpecial(c) {
			break
		}
		p.i++
	}
	return p.s[st:p.i]
}

// quoted reads a quoted-string with quoted-pairs resolved.
func (p *mtParser) quoted() (string, bool) {
	p.i++
	st := p.i
	var b []byte
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch c {
		case '"':
			p.i++
			if b == nil {
				return p.s[st : p.i-1], true
			}
			return string(b), true
		case '\\':
			if b == nil {
				b = append(make([]byte, 0, len(p.s)-st), p.s[st:p.i]...)
			}
			if p.i+1 < len(p.s) {
				p.i++
				b = append(b, p.s[p.i])
			}
		default:
			if b != nil {
				b = append(b, c)
			}
		}
		p.i++
	}
	if b == nil {
		return p.s[st:], false
	}
	return string(b), false
}

// skipCFWS skips whitespace and (nested) comments.
func (p *mtParser) skipCFWS() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\r', '\n':
			p.i++
		case '(':
			depth := 0
			for p.i < len(p.s) {
				c := p.s[p.i]
				p.i++
				if c == '\\' {
					p.i++
				} else if c == '(' {
					depth++
				} else if c == ')' {
					if depth--; depth == 0 {
						break
					}
				}
			}
			p.i = min(p.i, len(p.s)) // a '\\' last
		default:
			return
		}
	}
}

// skipTo moves to the next c outside a quoted-string, or to the end.
func (p *mtParser) skipTo(c byte) {
	for p.i < len(p.s) && p.s[p.i] != c {
		if p.s[p.i] == '"' {
			p.quoted()
			continue
		}
		p.i++
	}
}

// FormatMediaType formats a type and parameters for Content-Type or
// Content-Disposition, names in sorted order; a value that is not a
// token is quoted, and one that is not ASCII (or too long for a line)
// is written as RFC 2231 extended value in UTF-8, with continuations.
func FormatMediaType(t string, params map[string]string) string {
	var b strings.Builder
	b.WriteString(t)
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		appendParam(&b, k, params[k])
	}
	return b.String()
}

func appendParam(b *strings.Builder, k, v string) {
	ascii, tok := true, v != ""
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 0x7f || c < ' ' {
			ascii = false
		}
		if c <= ' ' || c >= 0x7f || isTSpecial(c) {
			tok = false
		}
	}
	if ascii && len(v) <= 60 {
		b.WriteString("; ")
		b.WriteString(k)
		b.WriteByte('=')
		if tok {
			b.WriteString(v)
			return
		}
		b.WriteByte('"')
		for i := 0; i < len(v); i++ {
			if v[i] == '"' || v[i] == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(v[i])
		}
		b.WriteByte('"')
		return
	}
	// RFC 2231 3, 4: k*0*=utf-8''..., k*1*=..., pieces short enough that
	// the field folds (at the spaces) within 78 octets.
	const hexd = "0123456789ABCDEF"
	var enc []byte
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c > ' ' && c < 0x7f && !isTSpecial(c) && c != '*' && c != '\'' && c != '%' {
			enc = append(enc, c)
		} else {
			enc = append(enc, '%', hexd[c>>4], hexd[c&15])
		}
	}
	for n := 0; len(enc) > 0 || n == 0; n++ {
		piece := enc[:min(len(enc), 48)]
		// Never split a %XX escape.
		if l := len(piece); l < len(enc) {
			if piece[l-1] == '%' {
				piece = piece[:l-1]
			} else if l >= 2 && piece[l-2] == '%' {
				piece = piece[:l-2]
			}
		}
		enc = enc[len(piece):]
		b.WriteString("; ")
		b.WriteString(k)
		if n > 0 || len(enc) > 0 {
			b.WriteByte('*')
			b.WriteString(strconv.Itoa(n))
		}
		b.WriteByte('*')
		b.WriteByte('=')
		if n == 0 {
			b.WriteString("utf-8''")
		}
		b.Write(piece)
	}
}
