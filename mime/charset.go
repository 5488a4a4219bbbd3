package mime

import (
	"io"
	"strings"
	"unicode/utf8"
)

// A CharsetFunc returns a reader that converts text in charset (a MIME
// charset name as written, e.g. "windows-1252") read from r into UTF-8,
// or an error wrapping ErrUnknownCharset. Plug golang.org/x/text in
// here for the charsets this package does not know:
//
//	func(cs string, r io.Reader) (io.Reader, error) {
//		e, err := htmlindex.Get(cs)
//		if err != nil {
//			return nil, mime.ErrUnknownCharset
//		}
//		return e.NewDecoder().Reader(r), nil
//	}
type CharsetFunc func(charset string, r io.Reader) (io.Reader, error)

// NewCharsetReader returns a reader that converts r from charset into
// UTF-8. UTF-8, US-ASCII (and their aliases) pass through (invalid
// octets are kept; the caller checks with utf8.Valid if it matters);
// ISO-8859-1 (latin1) is converted here; any other charset goes to
// hook, which may be nil.
func NewCharsetReader(charset string, r io.Reader, hook CharsetFunc) (io.Reader, error) {
	return decodeCharset(charset, r, hook)
}

func decodeCharset(cs string, r io.Reader, hook CharsetFunc) (io.Reader, error) {
	switch strings.ToLower(strings.TrimSpace(cs)) {
	case "", "utf-8", "utf8", "us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us":
		return r, nil
	case "iso-8859-1", "iso8859-1", "latin1", "l1", "iso_8859-1", "cp819", "ibm819":
		return &latin1Reader{r: r}, nil
	}
	if hook != nil {
		return hook(cs, r)
	}
	return nil, &charsetError{cs}
}

type charsetError struct{ cs string }

func (e *charsetError) Error() string { return ErrUnknownCharset.Error() + " " + e.cs }
func (e *charsetError) Unwrap() error { return ErrUnknownCharset }

// latin1Reader converts ISO-8859-1 to UTF-8: each octet is the code
// point of the same value.
type latin1Reader struct {
	r   io.Reader
	in  [512]byte
	buf [1024]byte
	out []byte
	err error
}

func (l *latin1Reader) Read(p []byte) (int, error) {
	for len(l.out) == 0 {
		if l.err != nil {
			return 0, l.err
		}
		var n int
		// Each octet becomes at most two: buf holds twice in.
		n, l.err = l.r.Read(l.in[:])
		o := l.buf[:0]
		for _, c := range l.in[:n] {
			o = utf8.AppendRune(o, rune(c))
		}
		l.out = o
	}
	n := copy(p, l.out)
	l.out = l.out[n:]
	return n, nil
}
