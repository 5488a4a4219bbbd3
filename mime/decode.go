package mime

import (
	"encoding/binary"
	"io"
	"strings"
)

// NewDecoder returns a streaming reader that undoes the
// Content-Transfer-Encoding cte (RFC 2045 6) of r: quoted-printable
// (6.7), base64 (6.8), or 7bit, 8bit and binary, which pass through.
// The names are matched without regard to case; "" is 7bit (RFC 2045
// 6.1). An unknown encoding passes r through with an error wrapping
// ErrUnknownEncoding.
//
// Both decoders are lenient as RFC 2045 asks of readers: base64 skips
// octets outside its alphabet and decodes a last group without its
// padding; quoted-printable keeps a malformed "=" sequence as it is and
// lets octets through that should have been encoded (where the standard
// library's mime/quotedprintable reader fails). Memory use is constant.
func NewDecoder(cte string, r io.Reader) (io.Reader, error) {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "", "7bit", "8bit", "binary":
		return r, nil
	case "quoted-printable":
		return &qpReader{r: r}, nil
	case "base64":
		return NewBase64Reader(r), nil
	}
	return r, &encodingError{cte}
}

type encodingError struct{ cte string }

func (e *encodingError) Error() string { return ErrUnknownEncoding.Error() + " " + e.cte }
func (e *encodingError) Unwrap() error { return ErrUnknownEncoding }

// Base64Reader decodes base64 (RFC 2045 6.8) from a reader in constant
// memory, leniently: line ends, spaces and any other octet outside the
// alphabet are skipped, data after the padding is ignored, and a last
// group of two or three sextets without padding is decoded. A lone last
// sextet (which cannot hold an octet) is dropped. Malformed reports
// whether anything was skipped or dropped.
type Base64Reader struct {
	r io.Reader
	// body, when set, is a Walker's body: its input is decoded where
	// it lies in the Walker's buffer instead of being copied into in.
	body      *bodyReader
	in        []byte // read buffer, allocated on first use
	pend      []byte // input not yet decoded
	out       []byte // output for reads too small to decode into
	o, olen   int    // out[o:olen] is decoded and not yet read
	acc       uint32 // sextets of the current group
	n         int    // sextets in acc
	done      bool   // padding seen
	err       error  // from the source, returned once pend is decoded
	malformed bool
	reported  bool // ErrBase64 given to the Walker's Problems
}

// NewBase64Reader returns a Base64Reader reading from r.
func NewBase64Reader(r io.Reader) *Base64Reader { return &Base64Reader{r: r} }

// reset makes b read from body (a Walker's) afresh, keeping its buffers.
func (b *Base64Reader) reset(body *bodyReader) {
	*b = Base64Reader{r: body, body: body, in: b.in, out: b.out}
}

// Malformed reports whether the input had octets outside the alphabet
// (line ends excepted) or a bad last group.
func (b *Base64Reader) Malformed() bool { return b.malformed }

var b64dec = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alpha); i++ {
		t[alpha[i]] = byte(i)
	}
	return t
}()

// b64Direct is the smallest read buffer decoded into directly; smaller
// ones get their octets through b.out.
const b64Direct = 512

func (b *Base64Reader) Read(p []byte) (int, error) {
	if b.o < b.olen {
		n := copy(p, b.out[b.o:b.olen])
		b.o += n
		return n, nil
	}
	if len(p) == 0 {
		return 0, nil
	}
	dst := p
	if len(p) < b64Direct {
		if b.out == nil {
			b.out = make([]byte, b64Direct)
		}
		dst = b.out
	}
	empty := 0
	for {
		if m := b.decode(dst); m > 0 {
			if len(p) >= b64Direct {
				return m, nil
			}
			n := copy(p, b.out[:m])
			b.o, b.olen = n, m
			return n, nil
		}
		// decode stops short of the end of b.pend only when it has
		// written something, so b.pend is empty here.
		if b.err != nil {
			if b.malformed && b.body != nil && !b.reported {
				// ErrBase64 is a defect of the part, as Walker reports
				// the others.
				b.reported = true
				b.body.w.problem(b.body.w.cur, b.body.w.cur.BodyStart, ErrBase64)
			}
			return 0, b.err
		}
		if b.fill() {
			empty = 0
		} else if empty++; empty >= 100 {
			b.err = io.ErrNoProgress
		}
	}
}

// fill takes the next input into b.pend, reporting whether there was
// any.
func (b *Base64Reader) fill() bool {
	if b.body != nil {
		b.pend, b.err = b.body.next()
		return len(b.pend) > 0
	}
	if b.in == nil {
		b.in = make([]byte, 4096)
	}
	n, err := b.r.Read(b.in)
	b.pend, b.err = b.in[:n], err
	return n > 0
}

// decode decodes as much of b.pend as dst has room for into dst and
// returns the number of octets; at the end of the input it decodes the
// last partial group too.
func (b *Base64Reader) decode(dst []byte) int {
	o := 0
	for len(b.pend) > 0 {
		// Six octets are kept free: three for a group completed by
		// sextets carried over, two for the last partial group.
		room := len(dst) - o - 6
		if room < 3 {
			return o
		}
		in := b.pend
		if k := room / 3 * 4; len(in) > k {
			in = in[:k]
		}
		b.pend = b.pend[len(in):]
		for i := 0; i < len(in); i++ {
			if b.n == 0 && !b.done {
				m, k := decodeB64Groups(dst[o:], in[i:])
				o += m
				if i += k; i == len(in) {
					break
				}
			}
			c := in[i]
			if b.done {
				if c != '\r' && c != '\n' && c != ' ' && c != '\t' && c != '=' {
					b.malformed = true
				}
				continue
			}
			v := b64dec[c]
			if v == 0xff {
				switch c {
				case '=':
					o += b.flush(dst[o:])
					b.done = true
				case '\r', '\n', ' ', '\t':
				default:
					b.malformed = true
				}
				continue
			}
			b.acc = b.acc<<6 | uint32(v)
			b.n++
			if b.n == 4 {
				dst[o] = byte(b.acc >> 16)
				dst[o+1] = byte(b.acc >> 8)
				dst[o+2] = byte(b.acc)
				o += 3
				b.acc, b.n = 0, 0
			}
		}
	}
	if b.err == io.EOF {
		o += b.flush(dst[o:]) // at most two octets; six were kept free
	}
	return o
}

// decodeB64Groups decodes whole groups of four alphabet octets from in
// into dst, skipping the line ends between groups, and returns the
// octets written and read. It stops before the first group that holds
// anything else (padding, a line end inside the group, octets outside
// the alphabet), at the end of in, or when dst has no room for a group;
// the caller's octet-at-a-time loop takes it from there. Two groups
// are decoded at a time where they fit, into one 8-octet store, which
// is why dst needs two octets beyond what it receives.
func decodeB64Groups(dst, in []byte) (o, i int) {
	for {
		for len(in)-i >= 8 && len(dst)-o >= 8 {
			s := in[i : i+8 : i+8]
			c0, c1, c2, c3 := b64dec[s[0]], b64dec[s[1]], b64dec[s[2]], b64dec[s[3]]
			c4, c5, c6, c7 := b64dec[s[4]], b64dec[s[5]], b64dec[s[6]], b64dec[s[7]]
			// Valid sextets are below 64, so the OR is 0xff only if
			// one of them is not.
			if c0|c1|c2|c3|c4|c5|c6|c7 == 0xff {
				break
			}
			binary.BigEndian.PutUint64(dst[o:], uint64(c0)<<58|uint64(c1)<<52|uint64(c2)<<46|uint64(c3)<<40|
				uint64(c4)<<34|uint64(c5)<<28|uint64(c6)<<22|uint64(c7)<<16)
			o += 6
			i += 8
		}
		if len(in)-i >= 4 && len(dst)-o >= 3 {
			s := in[i : i+4 : i+4]
			c0, c1, c2, c3 := b64dec[s[0]], b64dec[s[1]], b64dec[s[2]], b64dec[s[3]]
			if c0|c1|c2|c3 != 0xff {
				v := uint32(c0)<<18 | uint32(c1)<<12 | uint32(c2)<<6 | uint32(c3)
				d := dst[o : o+3 : o+3]
				d[0], d[1], d[2] = byte(v>>16), byte(v>>8), byte(v)
				o += 3
				i += 4
				continue
			}
		}
		switch {
		case len(in)-i >= 2 && in[i] == '\r' && in[i+1] == '\n':
			i += 2
		case len(in)-i >= 1 && in[i] == '\n':
			i++
		default:
			return o, i
		}
	}
}

// flush decodes a partial last group into dst and returns the octets
// written: two sextets give one octet, three give two (RFC 2045 6.8
// padding cases); one gives nothing.
func (b *Base64Reader) flush(dst []byte) int {
	n := 0
	switch b.n {
	case 1:
		b.malformed = true
	case 2:
		dst[0] = byte(b.acc >> 4)
		n = 1
	case 3:
		dst[0] = byte(b.acc >> 10)
		dst[1] = byte(b.acc >> 2)
		n = 2
	}
	b.acc, b.n = 0, 0
	return n
}
