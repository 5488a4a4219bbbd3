package dnswire

import (
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
)

// Record types added after the RFC 1035 set share three small internal
// interfaces, so the central switches (Builder.packData, the text parser,
// CloneRData) need one default case each instead of one case per type.
// None of these types has its names compressed on write (RFC 3597 4), so
// appendWire needs only the buffer, not the Builder: that keeps the
// Builder off the heap.

// wireData appends the record data in uncompressed wire form.
type wireData interface {
	appendWire(dst []byte) ([]byte, error)
}

// textData parses the record data from presentation fields.
type textData interface {
	parseText(c *textCtx, toks []token) error
}

// cloneData returns a deep copy.
type cloneData interface {
	cloneRData() RData
}

// oneName parses a single-name data field.
func (c *textCtx) oneName(toks []token, dst *Name) error {
	if err := c.want(toks, 1); err != nil {
		return err
	}
	n, err := c.name(toks[0])
	if err != nil {
		return err
	}
	*dst = n
	return nil
}

// appendNameWire appends n uncompressed; relative names are refused with
// a *NameError that names them.
func appendNameWire(dst []byte, n *Name) ([]byte, error) {
	if !n.abs {
		return dst, &NameError{Name: *n, Err: ErrRelativeName}
	}
	return append(dst, n.b[:n.n]...), nil
}

// Wire helpers for the fixed-layout types.

// need reports ErrBadRDLength unless msg[off:] holds at least n octets.
func need(msg []byte, off, n int) error {
	if len(msg)-off < n {
		return ErrBadRDLength
	}
	return nil
}

// charString reads a character-string (RFC 1035 3.3) at off.
func charString(msg []byte, off int, st *store) ([]byte, int, error) {
	if off >= len(msg) {
		return nil, off, ErrBadRDLength
	}
	l := int(msg[off])
	if off+1+l > len(msg) {
		return nil, off, ErrBadRDLength
	}
	return st.copyBytes(msg[off+1 : off+1+l]), off + 1 + l, nil
}

func appendCharString(dst, s []byte) ([]byte, error) {
	if len(s) > 255 {
		return dst, ErrStringTooLong
	}
	dst = append(dst, byte(len(s)))
	return append(dst, s...), nil
}

// appendGeneric appends the RFC 3597 5 generic form of data that has no
// presentation form of its own, such as a DS with an empty digest (the
// text form cannot express an empty base64 or hex field).
func appendGeneric(dst []byte, w wireData) []byte {
	b, _ := w.appendWire(nil)
	return (&Unknown{Data: b}).AppendText(dst)
}

// Text helpers.

const (
	errBadBase64 = Error("dnswire: syntax error: bad base64")
	errBadHex    = Error("dnswire: syntax error: bad hex")
	errBadTime   = Error("dnswire: syntax error: bad time")
)

// joined concatenates fields, as base64 and hex data may be split by
// blanks across a record's fields (RFC 4034 2.2, 5.3).
func joined(toks []token) string {
	if len(toks) == 1 {
		return toks[0].s
	}
	var sb strings.Builder
	for _, t := range toks {
		sb.WriteString(t.s)
	}
	return sb.String()
}

func (c *textCtx) base64(toks []token) ([]byte, error) {
	s := joined(toks)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, c.errf(s, errBadBase64)
	}
	return b, nil
}

func (c *textCtx) hex(toks []token) ([]byte, error) {
	s := joined(toks)
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, c.errf(s, errBadHex)
	}
	return b, nil
}

// uints parses len(dst) unsigned fields of the given bit sizes.
func (c *textCtx) uints(toks []token, bits []int, dst []uint64) error {
	if len(toks) < len(bits) {
		return c.errf("", errNoData)
	}
	for i, b := range bits {
		v, err := c.uint(toks[i], b)
		if err != nil {
			return err
		}
		dst[i] = v
	}
	return nil
}

// charStringText unescapes a character-string field.
func (c *textCtx) charString(t token) ([]byte, error) {
	b, err := unescapeString(t.s)
	if err != nil {
		return nil, c.errf(t.s, err)
	}
	if len(b) > 255 {
		return nil, c.errf(t.s, ErrStringTooLong)
	}
	return b, nil
}

func appendBase64(dst, b []byte) []byte {
	if len(b) == 0 {
		return dst
	}
	return base64.StdEncoding.AppendEncode(dst, b)
}

// appendHexUpper writes b in upper-case hex, as BIND and dig print
// digests and fingerprints.
func appendHexUpper(dst, b []byte) []byte {
	const hexd = "0123456789ABCDEF"
	for _, c := range b {
		dst = append(dst, hexd[c>>4], hexd[c&0xF])
	}
	return dst
}

func appendUints(dst []byte, v ...uint64) []byte {
	for i, x := range v {
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = strconv.AppendUint(dst, x, 10)
	}
	return dst
}
