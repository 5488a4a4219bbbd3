package rfc5322

import (
	"bytes"
	"io"
)

// Line lengths of RFC 5322 2.1.1: lines SHOULD be at most 78 octets and
// MUST be at most 998, CRLF excluded.
const (
	FoldWidth     = 78
	MaxLineLength = 998
)

// AppendHeader appends the header fields to dst, each ending in CRLF,
// without the empty line that ends the header block. Parsed fields are
// written byte for byte (a bare LF line end becomes CRLF, a bare CR a
// space). Fields made by
// Add or Set are folded at FoldWidth where they contain whitespace (only
// by inserting CRLF before existing WSP, RFC 5322 2.2.3, so unfolding
// gives the value back exactly); a field that cannot be folded to 998
// octets per line is an error wrapping ErrLineTooLong, never a broken
// message.
func (h *Header) AppendHeader(dst []byte) ([]byte, error) {
	for i := range h.fields {
		var err error
		dst, err = appendField(dst, &h.fields[i])
		if err != nil {
			return dst, &FieldError{Field: h.fields[i].Name(), Index: i, Err: err}
		}
	}
	return dst, nil
}

// WriteTo writes the header fields and the empty line that ends the
// header block to w.
func (h *Header) WriteTo(w io.Writer) (int64, error) {
	buf, err := h.AppendHeader(make([]byte, 0, 1024))
	if err != nil {
		return 0, err
	}
	buf = append(buf, '\r', '\n')
	n, err := w.Write(buf)
	return int64(n), err
}

func appendField(dst []byte, f *Field) ([]byte, error) {
	if !f.made {
		if bytes.HasSuffix(f.raw, []byte("\r\n")) && !bytes.ContainsAny(f.raw[:len(f.raw)-2], "\r\n") {
			return append(dst, f.raw...), nil
		}
		return appendCRLF(dst, f.raw), nil
	}
	if !validFieldName(f.raw[:f.name]) {
		return dst, ErrInvalidFieldName
	}
	for _, c := range f.raw[f.colon+1:] {
		if c == '\r' || c == '\n' || c == 0 {
			return dst, ErrInvalidFieldValue
		}
	}
	return appendFolded(dst, f.raw, int(f.colon)+1)
}

// encodedWordWidth is the fold width of a field holding an encoded word:
// RFC 2047 2 limits each of its lines to 76 characters.
const encodedWordWidth = 76

// appendCRLF appends raw with every line end made CRLF and a final CRLF.
func appendCRLF(dst, raw []byte) []byte {
	raw = trimLineEnd(raw)
	for {
		i := bytes.IndexByte(raw, '\n')
		if i < 0 {
			break
		}
		line := raw[:i]
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		dst = appendNoCR(dst, line)
		dst = append(dst, '\r', '\n')
		raw = raw[i+1:]
	}
	dst = appendNoCR(dst, raw)
	return append(dst, '\r', '\n')
}

// appendNoCR appends line with every CR made a space: RFC 5322 2.2 allows
// CR only in CRLF, and a bare CR passed on could end a line for a
// receiver that treats it as one.
func appendNoCR(dst, line []byte) []byte {
	for {
		i := bytes.IndexByte(line, '\r')
		if i < 0 {
			return append(dst, line...)
		}
		dst = append(dst, line[:i]...)
		dst = append(dst, ' ')
		line = line[i+1:]
	}
}

// validFieldName: 1*ftext, ftext = %d33-57 / %d59-126 (RFC 5322 3.6.8).
func validFieldName(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < 33 || c > 126 || c == ':' {
			return false
		}
	}
	return true
}

// appendFolded appends line (one unfolded field, no line end) folded into
// lines of at most FoldWidth octets where possible. Folding inserts CRLF
// before a WSP that is not at the start of the line and, unless the
// field holds an encoded word, not right after the colon, so no line is
// whitespace only (RFC 5322 3.2.2). min is the
// first index where a fold may happen.
func appendFolded(dst, line []byte, minFold int) ([]byte, error) {
	width := FoldWidth
	if bytes.Contains(line, []byte("=?")) {
		width = encodedWordWidth
	}
	last := len(line) - 1 // last non-WSP octet
	for last >= 0 && isWSP(line[last]) {
		last--
	}
	for len(line) > width {
		lead := 0 // first non-WSP octet of this line
		for lead < len(line) && isWSP(line[lead]) {
			lead++
		}
		lo := max(minFold, lead)
		// Last WSP at or before FoldWidth that leaves non-WSP text
		// before it; failing that, the first WSP after FoldWidth.
		cut := -1
		floor := lo
		if width == encodedWordWidth && minFold > 0 {
			// RFC 2047 2 with RFC 5322 3.2.2: "Name:" alone on the
			// first line is legal and leaves a whole line for the
			// first encoded word (at most 75 characters).
			floor = lo - 1
		}
		for i := min(width, len(line)-1); i > floor; i-- {
			if isWSP(line[i]) {
				cut = i
				break
			}
		}
		if cut < 0 {
			for i := max(width+1, lo+1); i < len(line); i++ {
				if isWSP(line[i]) {
					cut = i
					break
				}
			}
		}
		// Never leave a line of WSP only after the fold either.
		if cut < 0 || cut > last {
			break
		}
		if cut > MaxLineLength {
			return dst, ErrLineTooLong
		}
		dst = append(dst, line[:cut]...)
		dst = append(dst, '\r', '\n')
		line = line[cut:]
		last -= cut
		minFold = 0
	}
	if len(line) > MaxLineLength {
		return dst, ErrLineTooLong
	}
	dst = append(dst, line...)
	return append(dst, '\r', '\n'), nil
}
