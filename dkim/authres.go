package dkim

import (
	"errors"
	"strings"
)

// AuthResults is an Authentication-Results header field (RFC 8601): the
// authentication service that wrote it and its results.
type AuthResults struct {
	ServID  string // authserv-id, e.g. the receiving host name
	Version int    // 0 or 1 (RFC 8601 2.2: 1 when absent)
	Results []MethodResult
}

// MethodResult is one resinfo of RFC 8601 2.2: a method (dkim, spf,
// dmarc, ...), its result, an optional reason and properties such as
// header.d=crepes.fr.
type MethodResult struct {
	Method string
	Result string
	Reason string
	Props  []Prop
}

// Prop is one property: Type is "smtp", "header", "body" or "policy";
// Name is e.g. "d" or "mailfrom"; Value is the value.
type Prop struct {
	Type, Name, Value string
}

// AuthResult returns the RFC 8601 resinfo for the result: method dkim,
// the status, the reason and header.d, header.i, header.s, header.a and
// header.b (the first 8 characters of the signature, RFC 6008).
func (r *Result) AuthResult() MethodResult {
	m := MethodResult{Method: "dkim", Result: string(r.Status)}
	if r.Status == Pass && r.Testing() {
		m.Reason = "key in testing mode (t=y)"
	}
	if r.Err != nil {
		m.Reason = r.Err.Error()
	}
	if s := r.Signature; s != nil {
		m.Props = append(m.Props, Prop{"header", "d", s.Domain}, Prop{"header", "i", s.Identifier},
			Prop{"header", "s", s.Selector}, Prop{"header", "a", string(s.Algorithm)})
		if len(s.Signature) > 0 {
			b := b64(s.Signature)
			m.Props = append(m.Props, Prop{"header", "b", b[:min(8, len(b))]})
		}
	}
	return m
}

// String formats the field value (without the name
// "Authentication-Results:"), one resinfo per line, folded with CRLF and
// a tab, ready to be prefixed with the field name.
func (a *AuthResults) String() string {
	var b strings.Builder
	b.WriteString(quoteValue(a.ServID))
	if a.Version > 1 {
		b.WriteString(" " + itoa(a.Version))
	}
	if len(a.Results) == 0 {
		// RFC 8601 2.2: "none" when no method was applied.
		b.WriteString("; none")
		return b.String()
	}
	for _, r := range a.Results {
		b.WriteString(";\r\n\t")
		b.WriteString(r.Method + "=" + r.Result)
		if r.Reason != "" {
			b.WriteString(" reason=" + quoteValue(r.Reason))
		}
		for _, p := range r.Props {
			b.WriteString(" " + p.Type + "." + p.Name + "=" + propValue(p.Value))
		}
	}
	return b.String()
}

// itoa formats a small non-negative number.
func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// quoteValue writes a value as a token when it is one (RFC 2045 token),
// as a quoted-string otherwise.
func quoteValue(s string) string {
	if s != "" && isToken(s) {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\r' || c == '\n':
			b.WriteByte(' ')
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// propValue writes a pvalue (RFC 8601 2.2): addresses and domain names
// as they are, other values as a value.
func propValue(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return r <= ' ' || r == '"' || r == '\\' || r == ';' || r == '(' || r == ')' || r >= 0x7f
	}) < 0 {
		return s
	}
	return quoteValue(s)
}

func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>@,;:\\\"/[]?=", c) >= 0 {
			return false
		}
	}
	return true
}

// ErrAuthResults is returned for an Authentication-Results value that
// does not parse.
var ErrAuthResults = errors.New("dkim: malformed Authentication-Results")

// ParseAuthResults parses the value of an Authentication-Results field
// (RFC 8601 2.2). Comments are skipped. Unknown methods and properties
// are kept as they are.
func ParseAuthResults(value string) (*AuthResults, error) {
	l := arLexer{s: value}
	a := &AuthResults{}
	a.ServID = l.value()
	if a.ServID == "" {
		return nil, ErrAuthResults
	}
	if v := l.peekToken(); v != "" && v[0] >= '0' && v[0] <= '9' {
		l.value()
		n := 0
		for _, c := range v {
			if c < '0' || c > '9' || n > 1000 {
				return nil, ErrAuthResults
			}
			n = n*10 + int(c-'0')
		}
		a.Version = n
	}
	for {
		l.skipCFWS()
		if l.eof() {
			return a, nil
		}
		if !l.consume(';') {
			return nil, ErrAuthResults
		}
		l.skipCFWS()
		if l.eof() {
			return a, nil
		}
		method := l.value()
		if method == "" || !isToken(method) {
			return nil, ErrAuthResults
		}
		if strings.EqualFold(method, "none") && len(a.Results) == 0 {
			continue
		}
		l.skipCFWS()
		if l.consume('/') { // method version
			l.value()
			l.skipCFWS()
		}
		if !l.consume('=') {
			return nil, ErrAuthResults
		}
		r := MethodResult{Method: strings.ToLower(method), Result: strings.ToLower(l.pvalue())}
		if !isToken(r.Method) || r.Result == "" || !isToken(r.Result) {
			return nil, ErrAuthResults
		}
		for {
			l.skipCFWS()
			if l.eof() || l.peek() == ';' {
				break
			}
			name := l.value()
			if name == "" {
				return nil, ErrAuthResults
			}
			l.skipCFWS()
			if !l.consume('=') {
				return nil, ErrAuthResults
			}
			val := l.pvalue()
			if strings.EqualFold(name, "reason") {
				r.Reason = val
				continue
			}
			typ, pname, ok := strings.Cut(name, ".")
			if !ok || typ == "" || pname == "" || !isToken(typ) || !isToken(pname) {
				return nil, ErrAuthResults
			}
			r.Props = append(r.Props, Prop{strings.ToLower(typ), strings.ToLower(pname), val})
		}
		a.Results = append(a.Results, r)
		if len(a.Results) > 100 {
			return nil, ErrAuthResults
		}
	}
}

type arLexer struct {
	s string
	i int
}

func (l *arLexer) eof() bool { return l.i >= len(l.s) }

func (l *arLexer) peek() byte {
	if l.eof() {
		return 0
	}
	return l.s[l.i]
}

func (l *arLexer) consume(c byte) bool {
	if l.peek() == c && !l.eof() {
		l.i++
		return true
	}
	return false
}

// skipCFWS skips whitespace and (nested) comments.
func (l *arLexer) skipCFWS() {
	for !l.eof() {
		c := l.s[l.i]
		switch {
		case isFWS(c):
			l.i++
		case c == '(':
			depth := 0
			for !l.eof() {
				c := l.s[l.i]
				l.i++
				if c == '\\' && !l.eof() {
					l.i++
				} else if c == '(' {
					depth++
				} else if c == ')' {
					depth--
					if depth == 0 {
						break
					}
				}
			}
		default:
			return
		}
	}
}

func (l *arLexer) peekToken() string {
	save := l.i
	v := l.value()
	l.i = save
	return v
}

// value reads a token, a quoted-string, or a pvalue (which may contain
// '@' and '.'), after skipping CFWS.
func (l *arLexer) value() string { return l.lex(true) }

// pvalue reads a property value, which may hold '=' and '/' (base64).
func (l *arLexer) pvalue() string { return l.lex(false) }

func (l *arLexer) lex(stopEq bool) string {
	l.skipCFWS()
	if l.peek() == '"' {
		l.i++
		var b strings.Builder
		for !l.eof() {
			c := l.s[l.i]
			l.i++
			if c == '\\' && !l.eof() {
				b.WriteByte(l.s[l.i])
				l.i++
				continue
			}
			if c == '"' {
				break
			}
			b.WriteByte(c)
		}
		return b.String()
	}
	start := l.i
	for !l.eof() {
		c := l.s[l.i]
		if c <= ' ' || c == ';' || c == '(' || c == ')' || c == '"' || stopEq && (c == '=' || c == '/') {
			break
		}
		l.i++
	}
	return l.s[start:l.i]
}
