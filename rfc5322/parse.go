package rfc5322

import (
	"bytes"
)

// Default limits of a zero Parser.
const (
	DefaultMaxHeaderBytes = 256 << 10 // whole header block
	DefaultMaxFields      = 1000
	DefaultMaxFieldBytes  = 64 << 10 // one field, folding included
)

// Parser reads header blocks within limits. The zero value is ready to use
// with the defaults above; a limit over is reported as a *ParseError
// wrapping ErrHeaderTooLarge, ErrTooManyFields or ErrFieldTooLong before
// the memory for it is spent.
type Parser struct {
	// MaxHeaderBytes caps the header block (mbox line, fields and the
	// empty line). 0 means DefaultMaxHeaderBytes.
	MaxHeaderBytes int
	// MaxFields caps the number of fields. 0 means DefaultMaxFields.
	MaxFields int
	// MaxFieldBytes caps one field, name and folded value and line end
	// included. 0 means DefaultMaxFieldBytes.
	MaxFieldBytes int
	// Lenient reads a header that strict parsing refuses, as a server
	// that must keep every message it accepted does (and as Python's
	// email package does, reporting defects): a line that is not a
	// field ends the header and begins the body (no empty line is
	// consumed), and continuation lines before the first field are
	// skipped. Each such problem is reported in Header.Defects as a
	// *ParseError wrapping ErrMalformedHeader; the raw bytes are kept.
	// Limits stay errors.
	Lenient bool
}

func (p *Parser) limits() (hdr, fields, field int) {
	hdr, fields, field = p.MaxHeaderBytes, p.MaxFields, p.MaxFieldBytes
	if hdr <= 0 {
		hdr = DefaultMaxHeaderBytes
	}
	if fields <= 0 {
		fields = DefaultMaxFields
	}
	if field <= 0 {
		field = DefaultMaxFieldBytes
	}
	return
}

// ParseHeader parses the header block at the start of msg with the
// default limits. See Parser.ParseHeader.
func ParseHeader(msg []byte) (*Header, int, error) {
	var p Parser
	return p.ParseHeader(msg)
}

// ParseHeader parses the header block at the start of msg and returns it
// with the offset of the body: the byte after the empty line that ends
// the header (RFC 5322 2.1: CRLF CRLF; LF LF is accepted and reported by
// Header.BareLF). If there is no empty line, the whole input is header
// and the body offset is len(msg). An mbox "From " line at the start is
// recognised and kept apart (Header.MboxFrom).
//
// Nothing is copied: the fields are slices of msg, which must not be
// modified while the Header is in use.
func (p *Parser) ParseHeader(msg []byte) (*Header, int, error) {
	h := new(Header)
	n, err := p.parseInto(h, msg)
	if err != nil {
		return nil, 0, err
	}
	return h, n, nil
}

// stackFields is how many fields parseInto collects on the stack before
// copying them into one exactly sized slice.
const stackFields = 48

func (p *Parser) parseInto(h *Header, msg []byte) (int, error) {
	maxHdr, maxFields, maxField := p.limits()
	var stack [stackFields]Field
	fields := stack[:0]
	pos := 0
	// An mbox separator line: "From " then anything. A field named
	// "From" is followed by optional WSP and a colon, never by WSP and
	// then a non-colon (RFC 5322 3.6.8 with obs-optional's WSP).
	if bytes.HasPrefix(msg, []byte("From ")) && !isObsFromField(msg) {
		i := bytes.IndexByte(msg, '\n')
		if i < 0 {
			i = len(msg)
		}
		if i+1 > maxHdr {
			return 0, &ParseError{What: "header", Offset: 0, Err: ErrHeaderTooLarge}
		}
		h.mboxFrom = trimLineEnd(msg[:min(i+1, len(msg))])
		pos = min(i+1, len(msg))
	}
	for pos < len(msg) {
		c := msg[pos]
		// The empty line that ends the header.
		if c == '\n' {
			h.bareLF = true
			pos++
			return p.finish(h, fields, pos, maxHdr)
		}
		if c == '\r' && pos+1 < len(msg) && msg[pos+1] == '\n' {
			pos += 2
			return p.finish(h, fields, pos, maxHdr)
		}
		if isWSP(c) {
			err := &ParseError{What: "header", Offset: pos, Msg: "continuation line without a field", Err: ErrMalformedHeader}
			if !p.Lenient {
				return 0, err
			}
			// Python: FirstHeaderLineIsContinuationDefect; the line
			// is skipped.
			h.defects = append(h.defects, err)
			if i := bytes.IndexByte(msg[pos:], '\n'); i >= 0 {
				pos += i + 1
			} else {
				pos = len(msg)
			}
			continue
		}
		// field-name = 1*ftext, ftext = %d33-57 / %d59-126 (RFC 5322
		// 3.6.8); obs-optional allows WSP before the colon (4.5).
		start := pos
		i := pos
		for i < len(msg) && classTable[msg[i]]&classFtext != 0 {
			i++
		}
		nameEnd := i
		for i < len(msg) && isWSP(msg[i]) {
			i++
		}
		if nameEnd == start || i >= len(msg) || msg[i] != ':' {
			err := &ParseError{What: "header", Offset: start, Msg: "line is not a field", Err: ErrMalformedHeader}
			if !p.Lenient {
				return 0, err
			}
			// Python: MissingHeaderBodySeparatorDefect; the body
			// starts with this line.
			err.Msg = "line is not a field: the header ends before it"
			h.defects = append(h.defects, err)
			return p.finish(h, fields, start, maxHdr)
		}
		colon := i
		// Find the end of the field: a line end not followed by WSP.
		end := colon + 1
		for {
			j := bytes.IndexByte(msg[end:], '\n')
			if j < 0 {
				end = len(msg)
				break
			}
			end += j + 1
			if end-start > maxField {
				break
			}
			if j == 0 || msg[end-2] != '\r' {
				h.bareLF = true
			}
			if end >= len(msg) || !isWSP(msg[end]) {
				break
			}
		}
		if end-start > maxField {
			return 0, &ParseError{What: "header", Offset: start, Err: ErrFieldTooLong}
		}
		if end > maxHdr {
			return 0, &ParseError{What: "header", Offset: start, Err: ErrHeaderTooLarge}
		}
		if len(fields) >= maxFields {
			return 0, &ParseError{What: "header", Offset: start, Err: ErrTooManyFields}
		}
		fields = append(fields, Field{raw: msg[start:end:end], name: int32(nameEnd - start), colon: int32(colon - start)})
		pos = end
	}
	return p.finish(h, fields, pos, maxHdr)
}

func isObsFromField(msg []byte) bool {
	i := 4
	for i < len(msg) && isWSP(msg[i]) {
		i++
	}
	return i < len(msg) && msg[i] == ':'
}

func (p *Parser) finish(h *Header, fields []Field, pos, maxHdr int) (int, error) {
	if pos > maxHdr {
		return 0, &ParseError{What: "header", Offset: pos, Err: ErrHeaderTooLarge}
	}
	if len(fields) > 0 {
		if cap(h.fields) >= len(fields) {
			h.fields = h.fields[:len(fields)] // ReadHeaderInto reuses it
		} else {
			h.fields = make([]Field, len(fields))
		}
		copy(h.fields, fields)
	}
	return pos, nil
}
