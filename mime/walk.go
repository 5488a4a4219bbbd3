package mime

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/relaykit/relaykit/rfc5322"
)

// Default limits of a zero Config.
const (
	DefaultMaxDepth       = 32
	DefaultMaxParts       = 10000
	DefaultMaxHeaderBytes = 256 << 10
)

// Config holds the limits and hooks of a parse. The zero value uses the
// defaults above and the built-in charsets.
type Config struct {
	// MaxDepth caps the nesting of multipart and message/rfc822 parts;
	// 0 means DefaultMaxDepth.
	MaxDepth int
	// MaxParts caps the number of parts in the tree, the message
	// included; 0 means DefaultMaxParts.
	MaxParts int
	// MaxHeaderBytes caps one part's header; 0 means
	// DefaultMaxHeaderBytes.
	MaxHeaderBytes int
	// Charset converts text in charsets the package does not know
	// (used by Walker.Text and for RFC 2231 parameter values); nil
	// means only UTF-8, US-ASCII and ISO-8859-1.
	Charset CharsetFunc
}

func (c *Config) limits() (depth, parts, hdr int) {
	depth, parts, hdr = c.MaxDepth, c.MaxParts, c.MaxHeaderBytes
	if depth <= 0 {
		depth = DefaultMaxDepth
	}
	if parts <= 0 {
		parts = DefaultMaxParts
	}
	if hdr <= 0 {
		hdr = DefaultMaxHeaderBytes
	}
	return
}

// A Walker reads the MIME tree of a message from an io.Reader in one
// pass and constant memory (a 4 KiB read buffer, which the base64
// decoder decodes from in place, a quoted-printable decoder's 4 KiB,
// plus each part's header):
// Next returns the parts depth first in order, and between calls Body
// or Decoded read the current part's body as it streams by. It is the
// way to read a large message without holding it; Parse builds the
// whole tree of a message in memory.
//
// Broken input is read as Python's email package and common mail
// readers do: LF line ends, a missing close boundary (the open parts
// end at the end of input), a multipart without boundary (read as a
// leaf), a header without the empty line after it (the body starts at
// the first line that is not a field), bad parameters. Such defects
// are collected in Problems; limits (Config) are errors that stop the
// walk.
type Walker struct {
	cfg                Config
	maxDepth, maxParts int
	maxHdr             int
	br                 *bufio.Reader
	off                int64 // offset of the next octet br returns
	open               []*Part
	root               *Part
	cur                *Part // last part Next returned
	parts              int
	act                action
	prevEOL            int64  // length of the line end before the current line, in scanned content
	atLineStart        bool   // the next octet begins a line
	lineStart          bool   // the last line read began a line
	pending            []byte // a line read ahead by the header reader
	pendingOff         int64
	body               bodyReader
	bodyOpen           bool
	err                error
	problems           []error
	headerBuf          []byte
	b64                *Base64Reader // reused by Decoded from part to part
	qp                 *qpReader
}

type action int

const (
	actHeader   action = iota // a header starts here
	actScan                   // scanning content up to a boundary or EOF
	actEmbedded               // the header of an embedded message starts here
	actDone
)

// walkBufSize is the Walker's read buffer: a line longer than this is
// read in pieces. 4 KiB measured faster than 16 KiB on the 100 KiB
// benchmark message (bench/results/mime.md): allocating and faulting in
// a larger buffer for each message costs more than the extra refills.
const walkBufSize = 4 << 10

// NewWalker returns a Walker reading the message from r. cfg may be nil.
func NewWalker(r io.Reader, cfg *Config) *Walker {
	w := &Walker{br: bufio.NewReaderSize(r, walkBufSize), atLineStart: true}
	if cfg != nil {
		w.cfg = *cfg
	}
	w.maxDepth, w.maxParts, w.maxHdr = w.cfg.limits()
	w.body.w = w
	return w
}

// Reset makes w walk the message in r from the start, with the same
// Config, keeping its read buffer and decoders: a server that walks
// many messages in turn reuses one Walker. The Parts and Problems of
// the previous walk stay valid.
func (w *Walker) Reset(r io.Reader) {
	br, b64, qp, hdr, open := w.br, w.b64, w.qp, w.headerBuf, w.open
	br.Reset(r)
	clear(open)
	*w = Walker{cfg: w.cfg, br: br, b64: b64, qp: qp, headerBuf: hdr[:0], open: open[:0], atLineStart: true}
	w.maxDepth, w.maxParts, w.maxHdr = w.cfg.limits()
	w.body.w = w
}

// Problems returns the defects found so far that did not stop the walk,
// each a *PartError.
func (w *Walker) Problems() []error { return w.problems }

// Root returns the message part, once Next has returned it; its Parts
// fill in as the walk goes on.
func (w *Walker) Root() *Part { return w.root }

func (w *Walker) problem(p *Part, off int64, err error) {
	if len(w.problems) < 100 {
		w.problems = append(w.problems, &PartError{Part: p.Section, Offset: off, Err: err})
	}
}

// Next returns the next part, depth first in input order, skipping what
// is left of the current part's body; io.EOF after the last. The Part's
// End (and Lines) are set once its body has been read past. A limit
// reached is a *PartError wrapping ErrTooDeep, ErrTooManyParts or
// ErrHeaderTooLarge, and so is an error from the reader; the walk stops
// there.
func (w *Walker) Next() (*Part, error) {
	if w.err != nil {
		return nil, w.err
	}
	for {
		switch w.act {
		case actHeader, actEmbedded:
			p, err := w.readPart()
			if err != nil {
				w.err = err
				return nil, err
			}
			w.cur = p
			w.bodyOpen = !p.IsMultipart() && !p.IsMessage()
			return p, nil
		case actScan:
			if err := w.scan(nil); err != nil && err != io.EOF {
				w.err = err
				return nil, err
			}
		case actDone:
			w.err = io.EOF
			return nil, io.EOF
		}
	}
}

// readPart reads a header at the current position and opens its part.
func (w *Walker) readPart() (*Part, error) {
	var parent *Part
	if n := len(w.open); n > 0 {
		parent = w.open[n-1]
	}
	p := &Part{HeaderStart: w.off, MediaType: "text/plain"}
	if w.pending != nil {
		p.HeaderStart = w.pendingOff
	}
	if parent != nil {
		p.Depth = parent.Depth + 1
		if w.act == actEmbedded {
			p.Embedded = true
			p.Section = parent.Section
		} else {
			n := strconv.Itoa(len(parent.Parts) + 1)
			if parent.Section == "" {
				p.Section = n
			} else {
				p.Section = parent.Section + "." + n
			}
			if parent.MediaType == "multipart/digest" {
				p.MediaType = "message/rfc822" // RFC 2046 5.1.5
			}
		}
	}
	w.parts++
	if w.parts > w.maxParts {
		return nil, &PartError{Part: p.Section, Offset: p.HeaderStart, Err: ErrTooManyParts}
	}
	if p.Depth > w.maxDepth {
		return nil, &PartError{Part: p.Section, Offset: p.HeaderStart, Err: ErrTooDeep}
	}
	if parent != nil {
		parent.Parts = append(parent.Parts, p)
	} else {
		w.root = p
	}
	hdr, err := w.readHeader(p)
	if err != nil {
		return nil, err
	}
	var rp rfc5322.Parser
	rp.MaxHeaderBytes = w.maxHdr + 1
	h, _, perr := rp.ParseHeader(hdr)
	if perr != nil {
		w.problem(p, p.HeaderStart, errors.Join(ErrMalformedHeader, perr))
		h = new(rfc5322.Header)
	}
	p.Header = h
	w.classify(p)
	w.open = append(w.open, p)
	w.prevEOL = 0
	switch {
	case p.IsMessage():
		w.act = actEmbedded
	default:
		w.act = actScan
	}
	return p, nil
}

// classify reads the MIME fields of p's header.
func (w *Walker) classify(p *Part) {
	if v := fieldValue(p.Header, "Content-Type"); v != "" {
		t, params, err := ParseMediaType(v, w.cfg.Charset)
		if err != nil {
			w.problem(p, p.HeaderStart, err)
		}
		// RFC 2045 5.2: a syntactically invalid Content-Type is taken
		// as text/plain; a type with no subtype as well.
		if t != "" && strings.IndexByte(t, '/') > 0 && !strings.HasSuffix(t, "/") {
			p.MediaType, p.Params = t, params
		} else if params != nil {
			p.Params = params
		}
	}
	p.Encoding = transferEncoding(p.Header)
	if v := fieldValue(p.Header, "Content-Disposition"); v != "" {
		t, params, err := ParseMediaType(v, w.cfg.Charset)
		if err != nil {
			w.problem(p, p.HeaderStart, err)
		}
		p.Disposition, p.DispParams = t, params
	}
	if strings.HasPrefix(p.MediaType, "multipart/") {
		b := p.Params["boundary"]
		// RFC 2046 5.1.1: 1 to 70 characters; longer ones are read.
		if b == "" || len(b) > 998 {
			w.problem(p, p.HeaderStart, ErrNoBoundary)
		} else {
			p.boundary = b
		}
	}
}

// fieldValue is h.Get(name) with one allocation instead of two where
// the field is not folded.
func fieldValue(h *rfc5322.Header, name string) string {
	f, ok := h.Lookup(name)
	if !ok {
		return ""
	}
	v := trimFieldValue(f.RawValue())
	if bytes.IndexByte(v, '\n') >= 0 {
		return f.Value()
	}
	return string(v)
}

// trimFieldValue trims what Field.Value trims: white space and line
// ends at both ends.
func trimFieldValue(v []byte) []byte {
	for len(v) > 0 && (v[0] == ' ' || v[0] == '\t' || v[0] == '\r' || v[0] == '\n') {
		v = v[1:]
	}
	for n := len(v); n > 0 && (v[n-1] == ' ' || v[n-1] == '\t' || v[n-1] == '\r' || v[n-1] == '\n'); n-- {
		v = v[:n-1]
	}
	return v
}

// transferEncodings are the Content-Transfer-Encoding values of RFC 2045
// 6.1, which transferEncoding returns without allocating.
var transferEncodings = [...]string{"7bit", "8bit", "binary", "quoted-printable", "base64"}

// transferEncoding returns the lower-case Content-Transfer-Encoding of
// h, "" if none.
func transferEncoding(h *rfc5322.Header) string {
	f, ok := h.Lookup("Content-Transfer-Encoding")
	if !ok {
		return ""
	}
	v := trimFieldValue(f.RawValue())
	for _, e := range transferEncodings {
		if asciiEqualFold(v, e) {
			return e
		}
	}
	return strings.ToLower(strings.TrimSpace(f.Value()))
}

// asciiEqualFold reports whether b is s, ASCII letters compared without
// regard to case; s is lower case.
func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// readHeader reads header lines up to and including the empty line and
// returns them in a new slice. A line that is not a field ends the
// header without being part of it; it is kept for the body.
func (w *Walker) readHeader(p *Part) ([]byte, error) {
	buf := w.headerBuf[:0]
	first := true
	for {
		line, off, full, err := w.readLine()
		if len(line) == 0 && err != nil {
			if err != io.EOF {
				return nil, &PartError{Part: p.Section, Offset: w.off, Err: err}
			}
			p.BodyStart = w.off
			break
		}
		if !w.lineStart {
			// The rest of a field line longer than the read buffer.
			buf = append(buf, line...)
			if len(buf) > w.maxHdr {
				return nil, &PartError{Part: p.Section, Offset: p.HeaderStart, Err: ErrHeaderTooLarge}
			}
			continue
		}
		if full && isEmptyLine(line) {
			buf = append(buf, line...)
			p.BodyStart = w.off
			break
		}
		if w.atBoundary(line, full) >= 0 || !looksLikeField(line, first, len(buf) > 0) {
			// RFC 2046 5.1: a part may have no header; Python's
			// email reads a line that is not a field as the start
			// of the body (MissingHeaderBodySeparatorDefect).
			if !(first && w.atBoundary(line, full) >= 0) {
				w.problem(p, off, errors.Join(ErrMalformedHeader, errors.New("mime: header not ended by an empty line")))
			}
			w.pending = append([]byte(nil), line...)
			w.pendingOff = off
			p.BodyStart = off
			break
		}
		first = false
		buf = append(buf, line...)
		if len(buf) > w.maxHdr {
			return nil, &PartError{Part: p.Section, Offset: p.HeaderStart, Err: ErrHeaderTooLarge}
		}
	}
	out := make([]byte, len(buf))
	copy(out, buf)
	w.headerBuf = buf[:0]
	return out, nil
}

// looksLikeField: a continuation line (WSP first, after a field), a
// field name (printable ASCII but ':') then ':', or an mbox "From "
// line first in the message.
func looksLikeField(line []byte, first, haveField bool) bool {
	if len(line) > 0 && (line[0] == ' ' || line[0] == '\t') {
		return haveField
	}
	if first && bytes.HasPrefix(line, []byte("From ")) {
		return true
	}
	for i, c := range line {
		if c == ':' {
			return i > 0
		}
		if c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return false
}

func isEmptyLine(l []byte) bool {
	return len(l) == 1 && l[0] == '\n' || len(l) == 2 && l[0] == '\r' && l[1] == '\n'
}

// readLine returns the next line with its line end, its offset, and
// whether it is a whole line (false for a piece of a line longer than
// the buffer); w.lineStart says whether it begins a line. The slice is
// valid until the next read.
func (w *Walker) readLine() (line []byte, off int64, full bool, err error) {
	if w.pending != nil {
		line, off = w.pending, w.pendingOff
		w.pending = nil
		w.atLineStart, w.lineStart = true, true
		return line, off, true, nil
	}
	w.lineStart = w.atLineStart
	line, err = w.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		err = nil
		// Keep a CR with the LF that may follow it.
		if n := len(line); n > 1 && line[n-1] == '\r' {
			line = line[:n-1]
			_ = w.br.UnreadByte()
		}
		off = w.off
		w.off += int64(len(line))
		w.atLineStart = false
		return line, off, false, nil
	}
	off = w.off
	w.off += int64(len(line))
	w.atLineStart = true
	return line, off, w.lineStart, err
}

// atBoundary returns the index in w.open of the multipart whose
// boundary line this is, or -1. RFC 2046 5.1.1: "--" boundary, "--"
// after it for the close delimiter, then optional whitespace (transport
// padding) and the line end. Outer boundaries are recognised too, which
// ends the inner parts whose close delimiter is missing.
func (w *Walker) atBoundary(line []byte, full bool) int {
	if !full || len(line) < 3 || line[0] != '-' || line[1] != '-' {
		return -1
	}
	for i := len(w.open) - 1; i >= 0; i-- {
		p := w.open[i]
		if p.boundary == "" || p.closed {
			continue
		}
		rest, ok := bytes.CutPrefix(line[2:], []byte(p.boundary))
		if !ok {
			continue
		}
		rest = bytes.TrimPrefix(rest, []byte("--"))
		if len(bytes.TrimRight(rest, " \t\r\n")) == 0 {
			return i
		}
	}
	return -1
}

// scan reads content lines of the innermost open part until a boundary
// or the end of input, handing body octets to sink (nil discards).
// At a boundary it closes the parts it ends and sets the next action;
// it returns errStop when sink asked to stop early (its buffer is
// full), nil at a boundary, io.EOF at the end of input.
func (w *Walker) scan(sink *bodyReader) error {
	for {
		if w.pending == nil && w.atLineStart {
			// Whole lines up to the next one that starts with "--"
			// cannot hold a boundary: take them in one piece.
			if run := w.contentRun(); len(run) > 0 {
				eol := int64(1)
				if len(run) > 1 && run[len(run)-2] == '\r' {
					eol = 2
				}
				if top := w.top(); top.boundary == "" && !top.IsMessage() {
					top.Lines += int64(bytes.Count(run, []byte{'\n'}))
				}
				w.off += int64(len(run))
				w.lineStart = true
				if sink != nil {
					sink.add(w.prevEOL, run[:int64(len(run))-eol])
				}
				w.prevEOL = eol
				if sink != nil {
					return errStop
				}
				continue
			}
		}
		line, off, full, err := w.readLine()
		if len(line) == 0 && err != nil {
			if err != io.EOF {
				return &PartError{Part: w.top().Section, Offset: w.off, Err: err}
			}
			w.endAll(w.off)
			if sink != nil && w.prevEOL > 0 {
				// The last line end is the body's: no boundary follows.
				sink.add(w.prevEOL, nil)
				w.prevEOL = 0
				return errStop
			}
			return io.EOF
		}
		if i := w.atBoundary(line, full); i >= 0 {
			w.boundary(i, line, off)
			return nil
		}
		eol := int64(0)
		if err == nil {
			if n := len(line); n > 0 && line[n-1] == '\n' {
				eol = 1
				if n > 1 && line[n-2] == '\r' {
					eol = 2
				}
			}
		}
		if top := w.top(); w.lineStart && top.boundary == "" && !top.IsMessage() {
			top.Lines++
		}
		if sink != nil {
			sink.add(w.prevEOL, line[:int64(len(line))-eol])
		}
		w.prevEOL = eol
		if sink != nil {
			return errStop
		}
	}
}

var errStop = errors.New("mime: stop")

// contentRun returns the whole lines buffered at the current line start
// up to the first that starts with "--" (which may be a boundary, and is
// left to the line-by-line reader), and consumes them; nil if there is
// no such line in the buffer. The slice is valid until the next read.
func (w *Walker) contentRun() []byte {
	n := w.br.Buffered()
	if n < 2 {
		return nil
	}
	buf, _ := w.br.Peek(n)
	if buf[0] == '-' && buf[1] == '-' {
		return nil
	}
	end := bytes.LastIndexByte(buf, '\n') + 1
	if i := lineStartingDashes(buf[:end]); i >= 0 {
		end = i
	}
	if end == 0 {
		return nil
	}
	_, _ = w.br.Discard(end)
	return buf[:end]
}

// lineStartingDashes returns the index of the first "--" after a LF in
// b, or -1. It looks for "-" rather than LF: base64 never holds one and
// text seldom does, while every line ends in a LF.
func lineStartingDashes(b []byte) int {
	for i := 1; i < len(b)-1; {
		j := bytes.IndexByte(b[i:len(b)-1], '-')
		if j < 0 {
			return -1
		}
		i += j
		if b[i-1] == '\n' && b[i+1] == '-' {
			return i
		}
		i++
	}
	return -1
}

func (w *Walker) top() *Part { return w.open[len(w.open)-1] }

// boundary handles a boundary line of w.open[i] found at off.
func (w *Walker) boundary(i int, line []byte, off int64) {
	end := off - w.prevEOL
	mp := w.open[i]
	for j := len(w.open) - 1; j > i; j-- {
		p := w.open[j]
		p.End = max(end, p.BodyStart)
		if p.boundary != "" && !p.closed {
			w.problem(p, off, ErrMissingBoundary)
		}
	}
	w.open = w.open[:i+1]
	w.bodyOpen = false
	w.prevEOL = 0
	if bytes.HasPrefix(line[2+len(mp.boundary):], []byte("--")) {
		mp.closed = true // the epilogue follows
		// The close delimiter's line end may be the one before an
		// outer boundary (RFC 2046 5.1.1).
		if n := len(line); n > 0 && line[n-1] == '\n' {
			w.prevEOL = 1
			if n > 1 && line[n-2] == '\r' {
				w.prevEOL = 2
			}
		}
		w.act = actScan
		return
	}
	w.act = actHeader
}

// endAll ends every open part at the end of input.
func (w *Walker) endAll(end int64) {
	for _, p := range w.open {
		p.End = max(end, p.BodyStart)
		if p.boundary != "" && !p.closed {
			w.problem(p, end, ErrMissingBoundary)
		}
	}
	w.open = w.open[:0]
	w.bodyOpen = false
	w.act = actDone
}

// Body returns a reader of the raw (still encoded) body of the part
// Next returned last, valid until the next call of Next. Multiparts and
// message/* parts have no body of their own here: their content comes
// as the following parts.
func (w *Walker) Body() io.Reader {
	if !w.bodyOpen {
		return eofReader{}
	}
	return &w.body
}

// Decoded returns Body with the Content-Transfer-Encoding undone (see
// NewDecoder); an unknown encoding gives the raw body and the error.
// Like Body, the reader is valid until the next call of Next: the
// Walker reuses its decoders from part to part.
func (w *Walker) Decoded() (io.Reader, error) {
	if w.cur == nil {
		return eofReader{}, nil
	}
	switch w.cur.Encoding {
	case "base64":
		if w.b64 == nil {
			w.b64 = new(Base64Reader)
		}
		w.b64.reset(&w.body)
		return w.b64, nil
	case "quoted-printable":
		if w.qp == nil {
			w.qp = new(qpReader)
		}
		w.qp.reset(w.Body())
		return w.qp, nil
	}
	return NewDecoder(w.cur.Encoding, w.Body())
}

// Text returns Decoded converted from the part's charset to UTF-8 (see
// NewCharsetReader and Config.Charset).
func (w *Walker) Text() (io.Reader, error) {
	r, err := w.Decoded()
	if err != nil {
		return r, err
	}
	return decodeCharset(w.cur.Charset(), r, w.cfg.Charset)
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// bodyReader streams the current leaf's body out of Walker.scan: a
// line end is held back until the next line shows it is not the one
// before a boundary.
type bodyReader struct {
	w    *Walker
	eol  [2]byte
	neol int
	data []byte
}

func (b *bodyReader) add(prevEOL int64, data []byte) {
	b.neol = int(prevEOL)
	if prevEOL == 2 {
		b.eol = [2]byte{'\r', '\n'}
	} else {
		b.eol = [2]byte{'\n', 0}
	}
	b.data = data
}

// next returns the next piece of the body where it lies in the
// Walker's buffer, valid until the next call, without its line ends
// (for a base64 decoder, which skips them anyway); io.EOF at the end.
func (b *bodyReader) next() ([]byte, error) {
	for {
		b.neol = 0
		if len(b.data) > 0 {
			d := b.data
			b.data = nil
			return d, nil
		}
		if !b.w.bodyOpen || b.w.act != actScan {
			return nil, io.EOF
		}
		if err := b.w.scan(b); err != errStop {
			b.w.bodyOpen = false
			if err != nil && err != io.EOF {
				b.w.err = err
				return nil, err
			}
			return nil, io.EOF
		}
	}
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if b.neol > 0 {
			k := copy(p[n:], b.eol[:b.neol])
			n += k
			if k < b.neol {
				b.eol[0] = b.eol[1]
			}
			b.neol -= k
			continue
		}
		if len(b.data) > 0 {
			k := copy(p[n:], b.data)
			b.data = b.data[k:]
			n += k
			continue
		}
		if !b.w.bodyOpen || b.w.act != actScan {
			break
		}
		if err := b.w.scan(b); err != errStop {
			b.w.bodyOpen = false
			if err != nil && err != io.EOF {
				b.w.err = err
				if n == 0 {
					return 0, err
				}
			}
			break
		}
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}
