package mime

import (
	"bytes"
	"encoding/base64"
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
	r         io.Reader
	in        [4096]byte
	out       [3072]byte
	o, olen   int
	acc       uint32 // sextets of the current group
	n         int    // sextets in acc
	done      bool   // padding seen
	err       error
	malformed bool
}

// NewBase64Reader returns a Base64Reader reading from r.
func NewBase64Reader(r io.Reader) *Base64Reader { return &Base64Reader{r: r} }

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

func (b *Base64Reader) Read(p []byte) (int, error) {
	// A p with room for what a whole input buffer decodes to (and the
	// at most three sextets carried over) is decoded into directly,
	// saving a copy.
	direct := len(p) >= len(b.out)+3
	for b.o == b.olen {
		if b.err != nil {
			return 0, b.err
		}
		n, err := b.r.Read(b.in[:])
		b.olen, b.o = 0, 0
		out := b.out[:]
		if direct {
			out = p
		}
		in := b.in[:n]
		if b.n == 0 && !b.done {
			// Fastest path: whole lines of whole groups, which
			// encoding/base64 decodes in one call (it skips CR and
			// LF); anything it refuses goes the ways below.
			// Padding is left to the lenient loop, which ignores
			// what follows it.
			if end := bytes.LastIndexByte(in, '\n') + 1; end > 0 && bytes.IndexByte(in[:end], '=') < 0 {
				if m, err := base64.StdEncoding.Decode(out, in[:end]); err == nil {
					b.olen = m
					in = in[end:]
				}
			}
		}
		for i := 0; i < len(in); i++ {
			if b.n == 0 && !b.done {
				// Fast path: a run of whole groups up to the next
				// line end, decoded by encoding/base64; anything it
				// refuses (padding, octets outside the alphabet)
				// goes through the lenient loop below.
				j := i
				for j < len(in) && in[j] != '\r' && in[j] != '\n' {
					j++
				}
				if run := in[i:j]; len(run) >= 4 && len(run)%4 == 0 && run[len(run)-1] != '=' {
					if m, err := base64.StdEncoding.Decode(out[b.olen:], run); err == nil {
						b.olen += m
						i = j - 1
						continue
					}
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
					b.flush(&out)
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
				out[b.olen] = byte(b.acc >> 16)
				out[b.olen+1] = byte(b.acc >> 8)
				out[b.olen+2] = byte(b.acc)
				b.olen += 3
				b.acc, b.n = 0, 0
			}
		}
		if err != nil {
			if err == io.EOF {
				b.flush(&out)
			}
			b.err = err
		}
		if direct && b.olen > 0 {
			n := b.olen
			b.olen = 0
			return n, nil
		}
	}
	n := copy(p, b.out[b.o:b.olen])
	b.o += n
	return n, nil
}

// flush decodes a partial last group: two sextets give one octet, three
// give two (RFC 2045 6.8 padding cases); one gives nothing.
func (b *Base64Reader) flush(out *[]byte) {
	o := *out
	switch b.n {
	case 1:
		b.malformed = true
	case 2:
		o[b.olen] = byte(b.acc >> 4)
		b.olen++
	case 3:
		o[b.olen] = byte(b.acc >> 10)
		o[b.olen+1] = byte(b.acc >> 2)
		b.olen += 2
	}
	b.acc, b.n = 0, 0
}
