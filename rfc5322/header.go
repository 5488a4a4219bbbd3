package rfc5322

import (
	"bytes"
	"unicode/utf8"
)

// A Field is one header field. A parsed field's bytes are a slice of the
// parser's input (nothing is copied), exactly as they were on the wire,
// folding and line end included, so a DKIM verifier sees them byte for
// byte. A field made by Header.Add or Header.Set holds its value unfolded;
// the writer folds it.
type Field struct {
	raw   []byte // "Name: value" (+ line end for parsed fields)
	name  int32  // length of the field name
	colon int32  // index of the colon
	made  bool   // built by Add/Set: raw has no line end and is folded on write
}

// NewField returns a field with the given name and unfolded value. The
// name and value are checked when the field is written (AppendHeader).
func NewField(name, value string) Field {
	raw := make([]byte, 0, len(name)+2+len(value))
	raw = append(raw, name...)
	raw = append(raw, ':', ' ')
	raw = append(raw, value...)
	return Field{raw: raw, name: int32(len(name)), colon: int32(len(name)), made: true}
}

// Name returns the field name as written.
func (f Field) Name() string { return string(f.raw[:f.name]) }

// NameBytes returns the field name as written, without copying.
func (f Field) NameBytes() []byte { return f.raw[:f.name:f.name] }

// Is reports whether the field's name is name, ignoring ASCII case
// (RFC 5322 1.2.2: field names are case-insensitive).
func (f Field) Is(name string) bool { return equalFold(f.raw[:f.name], name) }

// Raw returns the whole field as it was parsed: name, colon, value with
// its folding, and the line end. For a field made by Add or Set it is
// "Name: value" without a line end. The slice must not be modified.
func (f Field) Raw() []byte { return f.raw }

// RawValue returns the bytes after the colon, folding kept, line end
// removed. The slice must not be modified.
func (f Field) RawValue() []byte {
	if len(f.raw) == 0 {
		return nil // the zero Field, as Lookup returns for a missing name
	}
	v := f.raw[f.colon+1:]
	if !f.made {
		v = trimLineEnd(v)
	}
	return v
}

// Value returns the field body unfolded (RFC 5322 2.2.3: every CRLF that
// is followed by WSP is removed) with leading and trailing whitespace
// removed. Encoded words are not decoded; see Text.
func (f Field) Value() string {
	return string(appendUnfolded(nil, f.RawValue()))
}

// Text returns the value unfolded with RFC 2047 encoded words decoded,
// as for an unstructured field such as Subject. A *CharsetError is
// returned with the text when a word names an unknown charset; a
// *ParseError wrapping ErrInvalidUTF8 with the text when the field holds
// octets that are not UTF-8 (RFC 6532 3.2), which the caller may want to
// read in another charset from RawValue.
func (f Field) Text() (string, error) {
	v := f.Value()
	if !utf8.ValidString(v) {
		t, _ := DecodeText(v)
		return t, &ParseError{What: "header", Offset: 0, Msg: "field " + f.Name() + " is not UTF-8", Err: ErrInvalidUTF8}
	}
	return DecodeText(v)
}

// Header is an ordered list of header fields. Duplicates are kept in
// order; lookups ignore case. The zero value is an empty header ready to
// use.
type Header struct {
	fields   []Field
	mboxFrom []byte
	bareLF   bool
	own      []byte // the buffer ReadHeaderInto copied the header into
	defects  []error
}

// Defects returns the problems a lenient Parser read past (see
// Parser.Lenient), each a *ParseError, or nil.
func (h *Header) Defects() []error { return h.defects }

// Len returns the number of fields.
func (h *Header) Len() int { return len(h.fields) }

// Field returns the i'th field, 0 <= i < Len().
func (h *Header) Field(i int) Field { return h.fields[i] }

// Fields returns the fields in order. The slice is the header's own: do
// not modify it; use Add, Set and Del.
func (h *Header) Fields() []Field { return h.fields }

// MboxFrom returns the mbox "From " separator line (without its line end)
// if the parsed input started with one, else nil. It is not a field.
func (h *Header) MboxFrom() []byte { return h.mboxFrom }

// BareLF reports whether the parsed header had lines ending in LF alone
// instead of CRLF (accepted leniently; RFC 5322 2.1 requires CRLF).
func (h *Header) BareLF() bool { return h.bareLF }

// Has reports whether a field named name is present.
func (h *Header) Has(name string) bool { return h.index(name, 0) >= 0 }

// Count returns the number of fields named name.
func (h *Header) Count(name string) int {
	n := 0
	for i := range h.fields {
		if h.fields[i].Is(name) {
			n++
		}
	}
	return n
}

func (h *Header) index(name string, from int) int {
	for i := from; i < len(h.fields); i++ {
		if h.fields[i].Is(name) {
			return i
		}
	}
	return -1
}

// Lookup returns the first field named name.
func (h *Header) Lookup(name string) (Field, bool) {
	if i := h.index(name, 0); i >= 0 {
		return h.fields[i], true
	}
	return Field{}, false
}

// Get returns the unfolded value of the first field named name, or "".
func (h *Header) Get(name string) string {
	if f, ok := h.Lookup(name); ok {
		return f.Value()
	}
	return ""
}

// Values returns the unfolded values of every field named name, in order.
func (h *Header) Values(name string) []string {
	var vs []string
	for i := range h.fields {
		if h.fields[i].Is(name) {
			vs = append(vs, h.fields[i].Value())
		}
	}
	return vs
}

// Add appends a field. The value is given unfolded, as it is to be
// written (non-ASCII stays raw UTF-8, for RFC 6532 headers); the writer
// folds it. AddText encodes unstructured text for a 7-bit header.
func (h *Header) Add(name, value string) {
	h.fields = append(h.fields, NewField(name, value))
}

// AddText appends an unstructured field (RFC 5322 3.2.5: Subject,
// Comments, X- fields) whose value is text: words that are not printable
// ASCII, or that look like encoded words, are written as RFC 2047
// encoded words (EncodeText), so Field.Text reads value back.
func (h *Header) AddText(name, value string) {
	h.Add(name, EncodeText(value))
}

// AddField appends a field (for example one from another Header, kept
// byte for byte).
func (h *Header) AddField(f Field) { h.fields = append(h.fields, f) }

// Set replaces the first field named name by one with the given value
// and deletes the others; if there is none, it appends one.
func (h *Header) Set(name, value string) {
	i := h.index(name, 0)
	if i < 0 {
		h.Add(name, value)
		return
	}
	h.fields[i] = NewField(name, value)
	h.delFrom(name, i+1)
}

// Del deletes every field named name.
func (h *Header) Del(name string) { h.delFrom(name, 0) }

func (h *Header) delFrom(name string, from int) {
	j := from
	for i := from; i < len(h.fields); i++ {
		if !h.fields[i].Is(name) {
			h.fields[j] = h.fields[i]
			j++
		}
	}
	clear(h.fields[j:])
	h.fields = h.fields[:j]
}

// Clone returns a copy of h that shares the parsed bytes but not the
// field list, so Add/Set/Del on one do not affect the other.
func (h *Header) Clone() *Header {
	c := *h
	c.fields = append([]Field(nil), h.fields...)
	return &c
}

// equalFold compares an ASCII field name with s, ignoring case.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		x, y := b[i], s[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func trimLineEnd(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b
}

func isWSP(c byte) bool { return c == ' ' || c == '\t' }

// appendUnfolded appends v with every line end that is followed by WSP
// removed (RFC 5322 2.2.3), and leading and trailing whitespace trimmed.
// A line end not followed by WSP (only possible in hand-built input) is
// kept, so nothing is silently joined.
func appendUnfolded(dst []byte, v []byte) []byte {
	// Trim leading and trailing WSP and line ends.
	for len(v) > 0 && (isWSP(v[0]) || v[0] == '\r' || v[0] == '\n') {
		v = v[1:]
	}
	for len(v) > 0 && (isWSP(v[len(v)-1]) || v[len(v)-1] == '\r' || v[len(v)-1] == '\n') {
		v = v[:len(v)-1]
	}
	for {
		i := indexLF(v)
		if i < 0 {
			return append(dst, v...)
		}
		end := i
		if end > 0 && v[end-1] == '\r' {
			end--
		}
		if i+1 < len(v) && isWSP(v[i+1]) {
			dst = append(dst, v[:end]...)
		} else {
			dst = append(dst, v[:i+1]...)
		}
		v = v[i+1:]
	}
}

func indexLF(b []byte) int { return bytes.IndexByte(b, '\n') }
