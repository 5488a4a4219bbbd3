package dnswire

import (
	"bufio"
	"io"
	"strings"
)

// token is one field of presentation text. Escapes are kept as written;
// quoted strings keep their content without the quotes.
type token struct {
	s      string
	quoted bool
}

// lexer splits master-file text (RFC 1035 5.1) into logical lines: fields
// separated by blanks, `;` comments to the end of the line, parentheses
// that let one entry span lines, quoted strings, and backslash escapes.
type lexer struct {
	r      *bufio.Reader
	line   int // physical line being read, 1 based
	toks   []token
	buf    []byte
	maxLen int // cap on one logical line's size, against endless input
}

func newLexer(r io.Reader) *lexer {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(r)
	}
	return &lexer{r: br, line: 1, maxLen: 1 << 20}
}

// next returns the fields of the next non-empty logical line, whether it
// began with a blank (the owner is omitted, RFC 1035 5.1) and the number
// of the physical line it started on. It returns io.EOF at the end.
func (l *lexer) next() (toks []token, blankStart bool, start int, err error) {
	l.toks = l.toks[:0]
	l.buf = l.buf[:0]
	depth := 0
	atStart := true
	start = l.line
	size := 0
	flush := func() {
		if len(l.buf) > 0 {
			l.toks = append(l.toks, token{s: string(l.buf)})
			l.buf = l.buf[:0]
		}
	}
	for {
		c, rerr := l.r.ReadByte()
		if rerr != nil {
			if rerr != io.EOF {
				return nil, false, start, rerr
			}
			flush()
			if depth > 0 {
				return nil, false, start, &SyntaxError{Line: l.line, Token: "(", Err: errUnbalanced}
			}
			if len(l.toks) > 0 {
				return l.toks, blankStart, start, nil
			}
			return nil, false, start, io.EOF
		}
		size++
		if size > l.maxLen {
			return nil, false, start, &SyntaxError{Line: l.line, Err: errLineTooLong}
		}
		switch c {
		case '\n':
			flush()
			l.line++
			if depth == 0 {
				if len(l.toks) > 0 {
					return l.toks, blankStart, start, nil
				}
				atStart, blankStart, start = true, false, l.line
			}
			continue
		case ' ', '\t', '\r':
			flush()
			if atStart && depth == 0 && len(l.toks) == 0 && c != '\r' {
				blankStart = true
			}
		case ';':
			flush()
			for {
				c, rerr = l.r.ReadByte()
				if rerr != nil {
					break
				}
				if c == '\n' {
					_ = l.r.UnreadByte()
					break
				}
			}
		case '(':
			flush()
			depth++
		case ')':
			flush()
			if depth == 0 {
				return nil, false, start, &SyntaxError{Line: l.line, Token: ")", Err: errUnbalanced}
			}
			depth--
		case '"':
			flush()
			for {
				c, rerr = l.r.ReadByte()
				if rerr != nil || c == '\n' {
					return nil, false, start, &SyntaxError{Line: l.line, Token: `"` + string(l.buf), Err: errUnterminated}
				}
				size++
				if size > l.maxLen {
					return nil, false, start, &SyntaxError{Line: l.line, Err: errLineTooLong}
				}
				if c == '"' {
					break
				}
				l.buf = append(l.buf, c)
				if c == '\\' {
					c, rerr = l.r.ReadByte()
					if rerr != nil {
						return nil, false, start, &SyntaxError{Line: l.line, Err: errUnterminated}
					}
					if c == '\n' {
						l.line++
					}
					l.buf = append(l.buf, c)
				}
			}
			l.toks = append(l.toks, token{s: string(l.buf), quoted: true})
			l.buf = l.buf[:0]
		case '\\':
			l.buf = append(l.buf, c)
			c, rerr = l.r.ReadByte()
			if rerr != nil {
				return nil, false, start, &SyntaxError{Line: l.line, Token: string(l.buf), Err: ErrSyntax}
			}
			if c == '\n' {
				l.line++
			}
			l.buf = append(l.buf, c)
		default:
			l.buf = append(l.buf, c)
		}
		if c != ' ' && c != '\t' && c != '\r' {
			atStart = false
		}
	}
}

const (
	errUnbalanced   Error = "dnswire: syntax error: unbalanced parenthesis"
	errUnterminated Error = "dnswire: syntax error: unterminated quoted string"
	errLineTooLong  Error = "dnswire: syntax error: entry too long"
)

// splitText runs the lexer over a single entry held in a string.
func splitText(s string) ([]token, error) {
	l := newLexer(strings.NewReader(s))
	var all []token
	for {
		toks, _, _, err := l.next()
		if err == io.EOF {
			return all, nil
		}
		if err != nil {
			return nil, err
		}
		if all != nil {
			return nil, &SyntaxError{Line: l.line, Err: ErrSyntax, Token: "more than one entry"}
		}
		all = append([]token(nil), toks...)
	}
}

// unescapeString decodes a character-string's escapes: `\X` is X and
// `\DDD` the octet DDD (RFC 1035 5.1).
func unescapeString(s string) ([]byte, error) {
	if strings.IndexByte(s, '\\') < 0 {
		return []byte(s), nil
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		if i+1 >= len(s) {
			return nil, ErrSyntax
		}
		if isDigit(s[i+1]) {
			if i+3 >= len(s) || !isDigit(s[i+2]) || !isDigit(s[i+3]) {
				return nil, ErrSyntax
			}
			v := int(s[i+1]-'0')*100 + int(s[i+2]-'0')*10 + int(s[i+3]-'0')
			if v > 255 {
				return nil, ErrSyntax
			}
			out = append(out, byte(v))
			i += 3
			continue
		}
		out = append(out, s[i+1])
		i++
	}
	return out, nil
}
