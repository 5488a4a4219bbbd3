package rfc5322

import (
	"bufio"
	"bytes"
	"io"
)

// ReadHeader reads a header block from r with the default limits. See
// Parser.ReadHeader.
func ReadHeader(r *bufio.Reader) (*Header, error) {
	var p Parser
	return p.ReadHeader(r)
}

// ReadHeader reads the header block from r, up to and including the empty
// line that ends it (or EOF), and leaves r at the first byte of the body:
// nothing past the header is consumed. The bytes are copied once into a
// buffer of exactly their size owned by the Header. Limits are checked
// while reading, so an oversized header costs at most MaxHeaderBytes of
// memory.
func (p *Parser) ReadHeader(r *bufio.Reader) (*Header, error) {
	h := new(Header)
	if err := p.ReadHeaderInto(h, r); err != nil {
		return nil, err
	}
	return h, nil
}

// ReadHeaderInto is ReadHeader into an existing Header, reusing its
// memory: the buffer that held the previous header's bytes and its field
// list. A server that reads one message after another with one Header
// allocates nothing once the buffers have grown to the size of its
// messages. Fields taken from h before the call (and slices they
// returned, such as Raw) must not be used after it, since their bytes
// are overwritten. On error h is left empty.
func (p *Parser) ReadHeaderInto(h *Header, r *bufio.Reader) error {
	maxHdr, _, _ := p.limits()
	buf := h.own[:0]
	clear(h.fields)
	*h = Header{fields: h.fields[:0]}
	f := endFinder{lenient: p.Lenient, lineStart: true, blockStart: true}
	buf, err := readBlock(r, buf, maxHdr, &f)
	if err != nil {
		h.own = buf[:0]
		return err
	}
	n, err := p.parseInto(h, buf)
	h.own = buf
	if err != nil {
		clear(h.fields)
		*h = Header{fields: h.fields[:0], own: buf[:0]}
		return err
	}
	if n != len(buf) {
		// buf ends at the first empty line (or, lenient, before the
		// first line that is not a field), where the parser stops too,
		// but for a field name longer than r's buffer.
		clear(h.fields)
		*h = Header{fields: h.fields[:0], own: buf[:0]}
		return &ParseError{What: "header", Offset: n, Msg: "field name longer than the read buffer", Err: ErrMalformedHeader}
	}
	f.addDefect(h, len(buf))
	return nil
}

// addDefect reports in h the line that ended a lenient header block at
// off, which the parser did not see.
func (f *endFinder) addDefect(h *Header, off int) {
	if f.nonField {
		h.defects = append(h.defects, &ParseError{What: "header", Offset: off, Msg: "line is not a field: the header ends before it", Err: ErrMalformedHeader})
	}
}

// readBlock appends to buf the header block at the front of r: every
// byte up to and including the first empty line (CRLF or a bare LF at the
// start of a line), or everything up to EOF; in lenient mode the block
// also ends before a line that is not a field. It looks for the end in
// r's buffer and copies the block once, so a header that fits in r's
// buffer (4 KiB by default) costs one copy and no line-by-line calls; a
// larger one is moved over in whole lines, a buffer at a time.
func readBlock(r *bufio.Reader, buf []byte, maxHdr int, f *endFinder) ([]byte, error) {
	for {
		b, _ := r.Peek(r.Buffered()) // never fails
		if len(b) == 0 {
			// Fill the buffer: Peek(1) reads once.
			var err error
			b, err = r.Peek(1)
			if len(b) == 0 {
				if err == io.EOF {
					return buf, nil
				}
				return buf, err
			}
		}
		if end := f.find(b); end >= 0 {
			if len(buf)+end > maxHdr {
				return buf, &ParseError{What: "header", Offset: len(buf), Err: ErrHeaderTooLarge}
			}
			if cap(buf) == 0 {
				// One exactly sized copy (no zeroing).
				buf = bytes.Clone(b[:end])
			} else {
				buf = append(buf, b[:end]...)
			}
			r.Discard(end)
			return buf, nil
		}
		if len(buf)+len(b) > maxHdr {
			return buf, &ParseError{What: "header", Offset: len(buf), Err: ErrHeaderTooLarge}
		}
		if len(b) < r.Size() {
			// Room in r's buffer: read more and search again.
			if _, err := r.Peek(len(b) + 1); err != nil && r.Buffered() == len(b) {
				if err == io.EOF {
					// No empty line: the whole input is header
					// (lenient: up to a last line that is not a
					// field). Peek may have moved the data in r's
					// buffer: look at it again.
					b, _ = r.Peek(r.Buffered())
					end := f.endAtEOF(b)
					buf = append(buf, b[:end]...)
					r.Discard(end)
					return buf, nil
				}
				return buf, err
			}
			continue
		}
		// r's buffer is full and holds no end: move what has been
		// searched over, so the search goes on in the rest.
		n := f.movable(b)
		buf = append(buf, b[:n]...)
		r.Discard(n)
		f.shift(b, n)
	}
}

// endFinder finds where a header block ends in a window of input that
// grows at its end and is consumed at its front, resuming its search
// where it stopped.
type endFinder struct {
	lenient    bool
	nonField   bool // lenient: the block ended before a line that is not a field
	scanned    int  // strict: how much of the window was searched
	lineStart  bool // strict: the window starts at a line start
	next       int  // lenient: the line start to look at next; -1: mid-line
	blockStart bool // the window starts at the start of the header
}

// find returns the offset just past the header block in b, or -1 if b
// does not show it yet.
func (f *endFinder) find(b []byte) int {
	if !f.lenient {
		end := blockEnd(b, max(f.scanned-2, 0), f.lineStart)
		f.scanned = len(b)
		return end
	}
	i := f.next
	if i < 0 {
		nl := bytes.IndexByte(b, '\n')
		if nl < 0 {
			return -1
		}
		i = nl + 1
	}
	for ; i < len(b); i++ {
		f.next = i
		// i is a line start.
		switch c := b[i]; {
		case c == '\n':
			return i + 1
		case c == '\r':
			if i+1 >= len(b) {
				return -1
			}
			if b[i+1] == '\n' {
				return i + 2
			}
			f.nonField = true
			return i // not a field: the body starts here
		case isWSP(c):
			// A continuation line (or, first, one the parser skips).
		case f.blockStart && i == 0 && len(b) < 5 && bytes.IndexByte(b, '\n') < 0:
			return -1 // an mbox "From " line or not
		case f.blockStart && i == 0 && bytes.HasPrefix(b, []byte("From ")):
			// An mbox separator line.
		default:
			j := i
			for j < len(b) && classTable[b[j]]&classFtext != 0 {
				j++
			}
			k := j
			for k < len(b) && isWSP(b[k]) {
				k++
			}
			if k >= len(b) {
				return -1
			}
			if j == i || b[k] != ':' {
				f.nonField = true
				return i // not a field: the body starts here
			}
		}
		nl := bytes.IndexByte(b[i:], '\n')
		if nl < 0 {
			return -1
		}
		i += nl
	}
	f.next = len(b)
	return -1
}

// endAtEOF returns where the header block ends in b, the whole rest of
// the input, when find found no end: at its end, or in lenient mode
// before a last line that is not a field (find could not tell, as the
// line had no line end).
func (f *endFinder) endAtEOF(b []byte) int {
	if !f.lenient || f.next < 0 || f.next >= len(b) {
		return len(b)
	}
	line := b[f.next:]
	if isWSP(line[0]) || f.blockStart && f.next == 0 && bytes.HasPrefix(line, []byte("From ")) {
		return len(b)
	}
	j := 0
	for j < len(line) && classTable[line[j]]&classFtext != 0 {
		j++
	}
	k := j
	for k < len(line) && isWSP(line[k]) {
		k++
	}
	if j > 0 && k < len(line) && line[k] == ':' {
		return len(b)
	}
	f.nonField = true
	return f.next
}

// movable returns how much of the front of a full window b can be moved
// out: strict, whole lines; lenient, the lines already searched, or all
// of b if one undecided line fills it (it is then taken for a field
// line, and the parser reports it if it is not).
func (f *endFinder) movable(b []byte) int {
	n := bytes.LastIndexByte(b, '\n') + 1
	if f.lenient {
		n = max(f.next, 0)
	}
	if n == 0 {
		n = len(b)
	}
	return n
}

// shift tells f that the first n octets of the window b were consumed.
func (f *endFinder) shift(b []byte, n int) {
	f.blockStart = false
	f.scanned = 0
	f.lineStart = b[n-1] == '\n'
	f.next = -1
	if f.lineStart {
		f.next = 0
	}
}

// blockEnd returns the offset just past the empty line that ends the
// header block in b, searching from from (at a line start if from is 0
// and lineStart is set), or -1 if b holds no complete empty line. An
// empty line is CRLF or LF at the start of a line (RFC 5322 2.1; LF
// alone is read leniently).
func blockEnd(b []byte, from int, lineStart bool) int {
	if from == 0 && lineStart {
		if len(b) >= 1 && b[0] == '\n' {
			return 1
		}
		if len(b) >= 2 && b[0] == '\r' && b[1] == '\n' {
			return 2
		}
	}
	for i := from; ; {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return -1
		}
		i += j + 1
		if i >= len(b) {
			return -1
		}
		switch b[i] {
		case '\n':
			return i + 1
		case '\r':
			if i+1 < len(b) && b[i+1] == '\n' {
				return i + 2
			}
		}
	}
}

// A Message is a parsed header and the unread body.
type Message struct {
	Header *Header
	Body   io.Reader
}

// ReadMessage reads the header block from r with the default limits and
// returns it with a reader for the body, which is passed through
// untouched.
func ReadMessage(r io.Reader) (*Message, error) {
	var p Parser
	return p.ReadMessage(r)
}

// ReadMessage is the Parser's ReadMessage. If r is a *bufio.Reader the
// header is read with ReadHeader and r is the body, left at its first
// byte. Otherwise the message is read into a buffer of the Header's own
// (no bufio.Reader is made) until the empty line is in it: the header
// is parsed in place, without a copy, and Body gives the bytes read past
// the header first, then the rest of r.
func (p *Parser) ReadMessage(r io.Reader) (*Message, error) {
	if br, ok := r.(*bufio.Reader); ok {
		h, err := p.ReadHeader(br)
		if err != nil {
			return nil, err
		}
		return &Message{Header: h, Body: br}, nil
	}
	maxHdr, _, _ := p.limits()
	// Message, Header and body reader in one allocation.
	m := new(struct {
		m    Message
		h    Header
		body prefixReader
	})
	buf := make([]byte, min(maxHdr, readChunk))
	filled, end, empty := 0, -1, 0
	f := endFinder{lenient: p.Lenient, lineStart: true, blockStart: true}
	for end < 0 {
		if filled == len(buf) {
			if filled >= maxHdr {
				return nil, &ParseError{What: "header", Offset: filled, Err: ErrHeaderTooLarge}
			}
			buf = append(buf, make([]byte, min(len(buf), maxHdr-len(buf)))...)
			buf = buf[:cap(buf)]
		}
		n, err := r.Read(buf[filled:])
		filled += n
		if n > 0 {
			empty = 0
			end = f.find(buf[:filled])
		} else if err == nil {
			if empty++; empty >= 100 {
				err = io.ErrNoProgress // as bufio.Reader says
			}
		}
		switch {
		case end >= 0:
			// The header is whole; an error is the body reader's.
		case err == io.EOF:
			// No empty line: the whole input is header (lenient: up
			// to a last line that is not a field).
			end = f.endAtEOF(buf[:filled])
		case err != nil:
			return nil, err
		}
	}
	if end > maxHdr {
		return nil, &ParseError{What: "header", Offset: 0, Err: ErrHeaderTooLarge}
	}
	if _, err := p.parseInto(&m.h, buf[:end:end]); err != nil {
		return nil, err
	}
	f.addDefect(&m.h, end)
	m.h.own = buf[:end:end]
	m.body = prefixReader{pre: buf[end:filled], r: r}
	m.m = Message{Header: &m.h, Body: &m.body}
	return &m.m, nil
}

// readChunk is the size of ReadMessage's first read buffer, which most
// headers fit in; a larger header grows it, doubling, up to the limit.
const readChunk = 4096

// prefixReader reads pre, then r.
type prefixReader struct {
	pre []byte
	r   io.Reader
}

func (p *prefixReader) Read(b []byte) (int, error) {
	if len(p.pre) > 0 {
		n := copy(b, p.pre)
		p.pre = p.pre[n:]
		return n, nil
	}
	return p.r.Read(b)
}
