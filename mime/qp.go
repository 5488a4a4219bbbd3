package mime

import (
	"bytes"
	"io"
)

// qpReader decodes quoted-printable (RFC 2045 6.7) from a reader in
// constant memory, a line at a time, leniently: "=" not followed by two
// hex digits is kept as it is, octets that should have been encoded
// (controls, 8-bit) pass through, "=" before a LF alone or at the end
// of the input is a soft line break, and white space at the end of a
// line is deleted (rule 3). Where the standard library's
// mime/quotedprintable reader does not fail, the output is the same
// (FuzzQPReader); where it fails, this one reads on, as Python's email
// package does.
type qpReader struct {
	r          io.Reader
	in         [4096]byte
	start, end int // input not yet decoded: in[start:end]
	noLF       int // in[start:start+noLF] holds no line end
	out        [4096]byte
	o, olen    int
	err        error
}

func (q *qpReader) reset(r io.Reader) {
	q.r, q.start, q.end, q.noLF, q.o, q.olen, q.err = r, 0, 0, 0, 0, 0, nil
}

func (q *qpReader) Read(p []byte) (int, error) {
	empty := 0
	for q.o == q.olen {
		q.o, q.olen = 0, 0
		data := q.in[q.start:q.end]
		out := q.out[:0]
		for {
			// Search from where the last search stopped, so a long
			// line read a little at a time is not scanned again.
			i := bytes.IndexByte(data[q.noLF:], '\n')
			if i < 0 {
				q.noLF = len(data)
				break
			}
			out = appendQPDecodedLine(out, data[:q.noLF+i+1])
			data = data[q.noLF+i+1:]
			q.noLF = 0
		}
		switch {
		case q.err != nil && len(data) > 0:
			// The input has ended: what is left is the last line.
			out = appendQPDecodedLine(out, data)
			data, q.noLF = nil, 0
		case len(data) == len(q.in):
			// A line longer than the buffer: decode up to a point
			// where no escape, soft break or trailing white space
			// can be cut in two.
			k := len(data)
			for k > 0 && isQPSpace(data[k-1]) {
				k--
			}
			if k >= 1 && data[k-1] == '=' {
				k--
			} else if k >= 2 && data[k-2] == '=' {
				k -= 2
			}
			if k == 0 {
				k = len(data) // 4 KiB of white space: let it through
			}
			out = appendQPDecoded(out, data[:k])
			data = data[k:]
			q.noLF = len(data)
		}
		q.start = q.end - len(data)
		q.olen = len(out)
		if q.olen > 0 {
			break
		}
		if q.err != nil {
			return 0, q.err
		}
		if q.end == len(q.in) {
			// Move the undecoded tail to the front to make room.
			q.start, q.end = 0, copy(q.in[:], data)
		}
		m, err := q.r.Read(q.in[q.end:])
		q.end += m
		if err != nil {
			q.err = err
		} else if m == 0 {
			if empty++; empty >= 100 {
				q.err = io.ErrNoProgress
			}
		}
	}
	n := copy(p, q.out[q.o:q.olen])
	q.o += n
	return n, nil
}

func isQPSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' }

// appendQPDecodedLine decodes one line, with its line end if it has
// one: trailing white space is deleted, and a line that then ends in
// "=" is joined to the next (a soft line break).
func appendQPDecodedLine(dst, line []byte) []byte {
	var eol []byte
	if n := len(line); n > 0 && line[n-1] == '\n' {
		eol, line = line[n-1:], line[:n-1]
		if n > 1 && line[n-2] == '\r' {
			eol, line = line[n-2:n], line[:n-2]
		}
	}
	for len(line) > 0 && isQPSpace(line[len(line)-1]) {
		line = line[:len(line)-1]
	}
	if n := len(line); n > 0 && line[n-1] == '=' {
		return appendQPDecoded(dst, line[:n-1])
	}
	dst = appendQPDecoded(dst, line)
	return append(dst, eol...)
}

// appendQPDecoded decodes the escapes in b; "=" not followed by two hex
// digits stays as it is.
func appendQPDecoded(dst, b []byte) []byte {
	for {
		i := bytes.IndexByte(b, '=')
		if i < 0 {
			return append(dst, b...)
		}
		dst = append(dst, b[:i]...)
		if i+2 < len(b) {
			h, ok1 := unhex(b[i+1])
			l, ok2 := unhex(b[i+2])
			if ok1 && ok2 {
				dst = append(dst, h<<4|l)
				b = b[i+3:]
				continue
			}
		}
		dst = append(dst, '=')
		b = b[i+1:]
	}
}
