package smtp

import (
	"bufio"
	"bytes"
	"io"
)

// DefaultMaxDataLine is the default bound on a line of message data,
// CRLF included (RFC 5321 4.5.3.1.6).
const DefaultMaxDataLine = 1000

// DataReader reads message data sent after DATA (RFC 5321 4.1.1.4,
// 4.5.2). It ends only at CRLF "." CRLF and removes the dot-stuffing.
//
// A bare CR or bare LF (one not part of a CRLF pair) is never treated as a
// line ending: this is what makes SMTP smuggling impossible. When the
// reader meets one, or a line longer than MaxLineLength, or more data than
// MaxSize, it stops delivering bytes, reads on to the real end of the data
// so the session stays in sync, and then returns ErrBareLineEnding,
// ErrLineTooLong or ErrMessageTooLarge instead of io.EOF. A consumer that
// copies the reader to the end therefore sees either the complete,
// well-formed message followed by io.EOF, or an error with the stream
// positioned after the terminator.
type DataReader struct {
	// MaxSize bounds the delivered message size in octets; 0 means no limit.
	MaxSize int64
	// MaxLineLength bounds each line, CRLF included; 0 means
	// DefaultMaxDataLine and a negative value means no limit.
	MaxLineLength int

	r           *bufio.Reader
	cur         []byte // bytes of the current fragment left to deliver
	size        int64  // bytes delivered (or counted, once discarding)
	lineLen     int
	atLineStart bool
	prevCR      bool
	done        bool
	err         error // deferred: bare line ending, too long, too large
	readErr     error
	abandonAt   int64 // when failing, give up after this many octets (server)
}

// NewDataReader returns a DataReader reading from r, which must be
// positioned just after the DATA command's line.
func NewDataReader(r *bufio.Reader) *DataReader {
	d := &DataReader{}
	d.Reset(r)
	return d
}

// Reset makes d read a new message from r, keeping MaxSize and
// MaxLineLength, so a server can reuse one DataReader per connection.
func (d *DataReader) Reset(r *bufio.Reader) {
	*d = DataReader{MaxSize: d.MaxSize, MaxLineLength: d.MaxLineLength, abandonAt: d.abandonAt, r: r, atLineStart: true}
}

// Size returns the number of message octets counted so far (after
// removing dot-stuffing, CRLFs included).
func (d *DataReader) Size() int64 { return d.size }

// Done reports whether the terminating CRLF.CRLF has been read.
func (d *DataReader) Done() bool { return d.done }

// Read implements io.Reader.
func (d *DataReader) Read(p []byte) (int, error) {
	for len(d.cur) == 0 {
		if d.done {
			if d.err != nil {
				return 0, d.err
			}
			return 0, io.EOF
		}
		if d.readErr != nil {
			return 0, d.readErr
		}
		d.next()
	}
	n := copy(p, d.cur)
	d.cur = d.cur[n:]
	return n, nil
}

// WriteTo implements io.WriterTo, handing each fragment of the buffered
// input to w without an intermediate copy.
func (d *DataReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if len(d.cur) > 0 {
			n, err := w.Write(d.cur)
			total += int64(n)
			d.cur = d.cur[n:]
			if err != nil {
				return total, err
			}
			continue
		}
		if d.done {
			return total, d.err
		}
		if d.readErr != nil {
			return total, d.readErr
		}
		d.next()
	}
}

// Discard reads and drops the rest of the data up to the terminator. It
// returns the deferred error, if any, or a read error.
func (d *DataReader) Discard() error {
	d.cur = nil
	for !d.done && d.readErr == nil {
		d.next()
		d.cur = nil
	}
	if d.readErr != nil {
		return d.readErr
	}
	return d.err
}

func (d *DataReader) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.cur = nil
}

// next reads one fragment (a line, or a piece of a line longer than the
// buffer) and sets d.cur to the bytes to deliver from it.
func (d *DataReader) next() {
	frag, err := d.r.ReadSlice('\n')
	full := err == bufio.ErrBufferFull
	if err != nil && !full {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		d.readErr = err
		d.cur = nil
		return
	}
	lineStart := d.atLineStart
	d.atLineStart = false
	if lineStart && len(frag) == 3 && frag[0] == '.' && frag[1] == '\r' && frag[2] == '\n' {
		// RFC 5321 4.1.1.4: the data ends at CRLF "." CRLF, where the
		// first CRLF ended the previous line (or the DATA command).
		d.done = true
		d.cur = nil
		return
	}
	bad := false
	interior := frag // the bytes that must hold neither CR nor LF
	if d.prevCR {
		// The previous fragment (a piece of a long line) ended in CR:
		// only an LF, which then is the whole fragment, may follow.
		d.prevCR = false
		if frag[0] == '\n' {
			interior = nil
			d.atLineStart = true
		} else {
			bad = true
		}
	}
	if !d.atLineStart {
		switch {
		case full:
			if frag[len(frag)-1] == '\r' {
				d.prevCR = true
				interior = frag[:len(frag)-1]
			}
		case len(frag) >= 2 && frag[len(frag)-2] == '\r':
			interior = frag[:len(frag)-2]
			d.atLineStart = true
		default:
			// An LF without CR: not a line ending (RFC 5321 2.3.8).
			bad = true
		}
	}
	if bytes.IndexByte(interior, '\r') >= 0 {
		// A CR without LF: not a line ending either.
		bad = true
	}
	d.lineLen += len(frag)
	if d.atLineStart {
		max := d.MaxLineLength
		if max == 0 {
			max = DefaultMaxDataLine
		}
		if max > 0 && d.lineLen > max {
			d.fail(ErrLineTooLong)
		}
		d.lineLen = 0
	}
	if bad {
		d.fail(ErrBareLineEnding)
	}
	out := frag
	if lineStart && out[0] == '.' {
		// RFC 5321 4.5.2: a leading period is removed.
		out = out[1:]
	}
	d.size += int64(len(out))
	if d.MaxSize > 0 && d.size > d.MaxSize {
		d.fail(ErrMessageTooLarge)
	}
	if d.err != nil {
		d.cur = nil
		if d.abandonAt > 0 && d.size > d.abandonAt {
			// Reading on to the end of refused data has a limit too.
			d.readErr = errDataAbandoned
		}
		return
	}
	d.cur = out
}

const errDataAbandoned = sentinel("smtp: refused message data too long to read to its end")

// DataWriter writes message data for DATA (RFC 5321 4.5.2): it doubles a
// period at the start of a line and Close writes the CRLF "." CRLF
// terminator. Data must use CRLF line endings: a bare CR or bare LF makes
// Write fail with ErrBareLineEnding (nothing after it is written), unless
// Normalize is set, in which case each bare CR and bare LF is written as
// CRLF.
type DataWriter struct {
	// Normalize turns bare CR and bare LF into CRLF instead of failing.
	Normalize bool

	w           io.Writer
	atLineStart bool
	prevCR      bool
	err         error
}

// NewDataWriter returns a DataWriter writing to w. Writes go straight to
// w in pieces, so w should be buffered.
func NewDataWriter(w io.Writer) *DataWriter {
	return &DataWriter{w: w, atLineStart: true}
}

// Reset makes d write a new message to w, keeping Normalize.
func (d *DataWriter) Reset(w io.Writer) {
	*d = DataWriter{Normalize: d.Normalize, w: w, atLineStart: true}
}

// Write implements io.Writer.
func (d *DataWriter) Write(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	start, i := 0, 0
	emit := func(b []byte) bool {
		if len(b) == 0 {
			return true
		}
		if _, err := d.w.Write(b); err != nil {
			d.err = err
			return false
		}
		return true
	}
	emitString := func(s string) bool {
		if _, err := io.WriteString(d.w, s); err != nil {
			d.err = err
			return false
		}
		return true
	}
	for i < len(p) {
		if d.prevCR {
			d.prevCR = false
			if p[i] == '\n' {
				i++
				d.atLineStart = true
				continue
			}
			// Bare CR (already written): complete it to CRLF or fail.
			if !d.Normalize {
				emit(p[start:i])
				d.err = ErrBareLineEnding
				return i, d.err
			}
			if !emit(p[start:i]) || !emitString("\n") {
				return i, d.err
			}
			start = i
			d.atLineStart = true
			continue
		}
		if d.atLineStart {
			d.atLineStart = false
			if p[i] == '.' {
				// RFC 5321 4.5.2: double a leading period.
				if !emit(p[start:i]) || !emitString(".") {
					return i, d.err
				}
				start = i
			}
		}
		rest := p[i:]
		j := bytes.IndexByte(rest, '\n')
		scan := rest
		if j >= 0 {
			scan = rest[:j]
		}
		if k := bytes.IndexByte(scan, '\r'); k >= 0 {
			i += k + 1
			d.prevCR = true
			continue
		}
		if j < 0 {
			break
		}
		// An LF not preceded by CR.
		i += j
		if !d.Normalize {
			emit(p[start:i])
			d.err = ErrBareLineEnding
			return i, d.err
		}
		if !emit(p[start:i]) || !emitString("\r\n") {
			return i, d.err
		}
		i++
		start = i
		d.atLineStart = true
	}
	if !emit(p[start:]) {
		return start, d.err
	}
	return len(p), nil
}

// Close ends the data: it completes a last line without CRLF and writes
// the "." CRLF terminator. It does not close the underlying writer.
func (d *DataWriter) Close() error {
	if d.err != nil {
		return d.err
	}
	var tail string
	switch {
	case d.prevCR:
		if !d.Normalize {
			d.err = ErrBareLineEnding
			return d.err
		}
		tail = "\n.\r\n"
	case d.atLineStart:
		tail = ".\r\n"
	default:
		tail = "\r\n.\r\n"
	}
	if _, err := io.WriteString(d.w, tail); err != nil {
		d.err = err
		return err
	}
	d.err = errWriterClosed
	return nil
}

const errWriterClosed = sentinel("smtp: DataWriter is closed")
