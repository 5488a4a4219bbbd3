package imap

import (
	"bufio"
	"io"
	"strings"
)

// Value is one element of a response as read by ReadResponse: an atom
// (or number, or NIL), a string (quoted or literal), or a parenthesised
// list. A section spec such as BODY[HEADER.FIELDS (A B)] is read as one
// atom with its brackets ("BODY[HEADER.FIELDS (A B)]"), so FETCH data
// reads as name/value pairs.
type Value struct {
	Atom   string
	Str    []byte
	IsStr  bool
	List   []Value
	IsList bool
}

// IsNil reports whether v is the atom NIL.
func (v Value) IsNil() bool { return !v.IsStr && !v.IsList && equalFold(v.Atom, "NIL") }

// Text returns a string's value or an atom's text.
func (v Value) Text() string {
	if v.IsStr {
		return string(v.Str)
	}
	return v.Atom
}

// Response is one response line: Tag is "*" for untagged data, "+" for a
// continuation request, else the command's tag; Fields are the
// space-separated values after it (for "* 3 FETCH (...)", "3", "FETCH",
// and the list).
type Response struct {
	Tag    string
	Fields []Value
	// Text is the human-readable rest of a status response (OK, NO,
	// BAD, BYE, PREAUTH) or a continuation, response code included.
	Text string
}

// ReadResponse reads one response (RFC 9051 7), literals included. The
// Decoder's limits bound it: MaxLiteral bounds each literal (raise it for
// FETCH of large messages), MaxLine each line, MaxDepth and MaxItems the
// lists.
func (d *Decoder) ReadResponse() (*Response, error) {
	d.begin()
	r := &Response{}
	b, err := d.peek()
	if err != nil {
		return nil, err
	}
	if b == '+' {
		d.readByte()
		r.Tag = "+"
		r.Text, err = d.restOfLine()
		r.Text = strings.TrimPrefix(r.Text, " ")
		return r, err
	}
	if b == '*' {
		d.readByte()
		r.Tag = "*"
	} else if r.Tag, err = d.Tag(); err != nil {
		return nil, err
	}
	for {
		if eol, err := d.AtEOL(); err != nil {
			return nil, err
		} else if eol {
			return r, d.CRLF()
		}
		if err := d.SP(); err != nil {
			return nil, err
		}
		// After a status word the rest is text (RFC 9051 7.1).
		if n := len(r.Fields); n > 0 && n <= 2 && !r.Fields[n-1].IsStr && !r.Fields[n-1].IsList {
			switch upper(r.Fields[n-1].Atom) {
			case "OK", "NO", "BAD", "BYE", "PREAUTH":
				if n == 1 || (n == 2 && r.Tag == "*" && isNumber(r.Fields[0].Atom)) {
					r.Text, err = d.restOfLine()
					return r, err
				}
			}
		}
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		r.Fields = append(r.Fields, v)
	}
}

func isNumber(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func (d *Decoder) restOfLine() (string, error) {
	var buf []byte
	for {
		b, err := d.readByte()
		if err != nil {
			return "", err
		}
		if b == '\r' {
			if err := d.expect('\n', "LF"); err != nil {
				return "", err
			}
			d.lineLen = 0
			return string(buf), nil
		}
		buf = append(buf, b)
	}
}

// value reads one response value.
func (d *Decoder) value() (Value, error) {
	b, err := d.peek()
	if err != nil {
		return Value{}, err
	}
	switch b {
	case '(':
		// Not Decoder.List: a multipart's body parts follow each other
		// without a space (RFC 9051 9 body-type-mpart = 1*body SP ...).
		d.readByte()
		d.depth++
		defer func() { d.depth-- }()
		if d.depth > d.Limits.depth() {
			return Value{}, d.fail(ErrTooComplex, "shallower nesting")
		}
		v := Value{IsList: true, List: []Value{}}
		for {
			if ok, err := d.accept(')'); err != nil || ok {
				return v, err
			}
			if len(v.List) > 0 {
				b, err := d.peek()
				if err != nil {
					return v, err
				}
				if b == ' ' {
					d.readByte()
				} else if b != '(' {
					return v, d.syntax(`SP or ")"`)
				}
			}
			if len(v.List) >= d.Limits.items() {
				return v, d.fail(ErrTooComplex, "fewer list elements")
			}
			e, err := d.value()
			if err != nil {
				return v, err
			}
			v.List = append(v.List, e)
		}
	case '"':
		s, err := d.Quoted()
		return Value{Str: []byte(s), IsStr: true}, err
	case '{', '~':
		n, _, err := d.LiteralHeader(b == '~')
		if err != nil {
			return Value{}, err
		}
		if n > d.Limits.literal() {
			return Value{}, d.fail(ErrLiteralTooLarge, "")
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(d.r, buf); err != nil {
			return Value{}, d.ioErr(err)
		}
		d.off += n
		d.pending = 0
		return Value{Str: buf, IsStr: true}, nil
	}
	// An atom, with a bracketed section and partial kept in it.
	var buf []byte
	depth := 0
	for {
		b, err := d.peek()
		if err != nil {
			return Value{}, err
		}
		if depth == 0 && (b == ' ' || b == ')' || b == '\r' || b == '(') {
			break
		}
		if b == '\r' || b == '\n' {
			return Value{}, d.syntax("]")
		}
		switch b {
		case '[':
			depth++
		case ']':
			depth--
		}
		if _, err := d.readByte(); err != nil {
			return Value{}, err
		}
		buf = append(buf, b)
	}
	if len(buf) == 0 {
		return Value{}, d.syntax("value")
	}
	return Value{Atom: string(buf)}, nil
}

// newResponseDecoder returns a Decoder for a server's responses.
func newResponseDecoder(r *bufio.Reader) *Decoder {
	d := NewDecoder(r)
	d.Limits.MaxLiteral = DefaultMaxAppend
	d.Limits.MaxItems = 100000
	return d
}
