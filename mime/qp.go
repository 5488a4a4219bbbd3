package mime

import (
	"bytes"
	"encoding/binary"
	"io"
	"math/bits"
)

// qpReader decodes quoted-printable (RFC 2045 6.7) from a reader in
// constant memory, whole lines at a time, leniently: "=" not followed
// by two hex digits is kept as it is, octets that should have been
// encoded (controls, 8-bit) pass through, "=" before a LF alone or at
// the end of the input is a soft line break, and white space at the end
// of a line is deleted (rule 3). Where the standard library's
// mime/quotedprintable reader does not fail, the output is the same
// (FuzzQPReader); where it fails, this one reads on, as Python's email
// package does.
type qpReader struct {
	r io.Reader
	// whole, when inPlace, is the rest of an input held in memory
	// (Part.Decode), decoded where it lies while reads are large.
	whole      []byte
	inPlace    bool
	in         *[qpBufSize]byte // read buffer, allocated on first use
	start, end int              // input not yet decoded: in[start:end]
	noLF       int              // in[start:start+noLF] holds no line end
	out        []byte           // output for reads too small to decode into
	o, olen    int              // out[o:olen] is decoded and not yet read
	err        error
}

// qpBufSize is the quoted-printable reader's buffer: whole lines up to
// this long are decoded at once, longer ones in pieces.
const qpBufSize = 4096

func (q *qpReader) reset(r io.Reader) {
	q.r, q.start, q.end, q.noLF, q.o, q.olen, q.err = r, 0, 0, 0, 0, 0, nil
	q.whole, q.inPlace = nil, false
}

// readInPlace decodes whole lines of q.whole straight into p; it
// reports false when p cannot take a line, and the input then goes
// through the read buffer.
func (q *qpReader) readInPlace(p []byte) (int, bool) {
	for len(q.whole) > 0 {
		n := len(q.whole)
		if n > len(p) {
			// Decoding never lengthens: whole lines up to len(p).
			n = bytes.LastIndexByte(q.whole[:len(p)], '\n') + 1
			if n == 0 {
				return 0, false
			}
		}
		m := qpDecode(p, q.whole[:n])
		q.whole = q.whole[n:]
		if m > 0 {
			return m, true
		}
	}
	return 0, true
}

func (q *qpReader) Read(p []byte) (int, error) {
	if q.o < q.olen {
		n := copy(p, q.out[q.o:q.olen])
		q.o += n
		return n, nil
	}
	if len(p) == 0 {
		return 0, nil
	}
	if q.inPlace {
		if m, ok := q.readInPlace(p); ok {
			if m == 0 {
				return 0, io.EOF
			}
			return m, nil
		}
		q.r, q.inPlace = bytes.NewReader(q.whole), false
		q.whole = nil
	}
	if q.in == nil {
		q.in = new([qpBufSize]byte)
	}
	empty := 0
	for {
		data := q.in[q.start:q.end]
		// Decode every whole line buffered, or what is left once the
		// input has ended (the last line, without a line end).
		n := 0
		if i := bytes.LastIndexByte(data[q.noLF:], '\n'); i >= 0 {
			n = q.noLF + i + 1
		} else if q.err != nil {
			n = len(data)
		}
		if n == 0 && len(data) == len(q.in) {
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
			q.start += k
			q.noLF = len(data) - k
			if m := q.deliver(p, appendQPDecoded(q.outBuf()[:0], data[:k])); m > 0 {
				return m, nil
			}
			continue
		}
		if n > 0 {
			q.start += n
			q.noLF = 0
			var m int
			if len(p) >= n {
				// Decoding never lengthens: decode into p directly.
				m = qpDecode(p, data[:n])
			} else {
				m = qpDecode(q.outBuf(), data[:n])
				m = q.deliver(p, q.out[:m])
			}
			if m > 0 {
				return m, nil
			}
			continue
		}
		q.noLF = len(data)
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
}

func (q *qpReader) outBuf() []byte {
	if q.out == nil {
		q.out = make([]byte, qpBufSize)
	}
	return q.out[:qpBufSize]
}

// deliver copies what fits of out, which is q.out's, into p and keeps
// the rest for the next reads.
func (q *qpReader) deliver(p, out []byte) int {
	n := copy(p, out)
	q.o, q.olen = n, len(out)
	return n
}

// hexVal maps a hex digit (either case) to its value, anything else to
// 0xff.
var hexVal = func() (t [256]byte) {
	for i := range t {
		v, ok := unhex(byte(i))
		if !ok {
			v = 0xff
		}
		t[i] = v
	}
	return t
}()

func isQPSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' }

const (
	swarLo = 0x0101010101010101
	swarHi = 0x8080808080808080
)

// qpDecode decodes quoted-printable lines into dst and returns the
// octets written. in holds whole lines, with their line ends, except
// that the last line of the input may have none; dst must have room for
// len(in) octets, as decoding never lengthens. Runs of eight octets
// without "=" or LF are copied in one step.
func qpDecode(dst, in []byte) int {
	o, i := 0, 0
	keep := 0  // trailing white space is not deleted below dst[keep]
	soft := -1 // where in dst a literal "=" was written last
	for i < len(in) {
		if len(in)-i >= 8 {
			// o <= i, so the eight octets fit in dst.
			v := binary.LittleEndian.Uint64(in[i:])
			binary.LittleEndian.PutUint64(dst[o:], v)
			// Each byte of m is 0x80 where v holds "=" or LF (the
			// lowest such byte is exact, which is the one used).
			eq, lf := v^(swarLo*'='), v^(swarLo*'\n')
			m := (eq-swarLo)&^eq&swarHi | (lf-swarLo)&^lf&swarHi
			if m == 0 {
				o += 8
				i += 8
				continue
			}
			k := bits.TrailingZeros64(m) >> 3
			o += k
			i += k
		}
		switch c := in[i]; c {
		case '=':
			if len(in)-i >= 3 {
				if h, l := hexVal[in[i+1]], hexVal[in[i+2]]; h|l < 0x10 {
					dst[o] = h<<4 | l
					o++
					i += 3
					keep = o
					continue
				}
			}
			// Kept as it is, unless it is a soft line break.
			dst[o] = '='
			o++
			i++
			keep, soft = o, o-1
		case '\n':
			// Rule 3: white space at the end of a line is deleted;
			// rule 5: a line that then ends in "=" is joined to the
			// next (a soft line break).
			for o > keep && isQPSpace(dst[o-1]) {
				o--
			}
			if soft >= 0 && soft == o-1 {
				o--
			} else {
				if i > 0 && in[i-1] == '\r' {
					dst[o] = '\r'
					o++
				}
				dst[o] = '\n'
				o++
			}
			i++
			keep, soft = o, -1
		default:
			dst[o] = c
			o++
			i++
		}
	}
	// The last line of the input, without a line end.
	for o > keep && isQPSpace(dst[o-1]) {
		o--
	}
	if soft >= 0 && soft == o-1 {
		o--
	}
	return o
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
