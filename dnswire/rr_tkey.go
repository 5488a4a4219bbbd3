package dnswire

import (
	"encoding/base64"
	"strconv"
)

// TypeTKEY is the transaction key meta-type (RFC 2930 2).
const TypeTKEY Type = 249

// TKEY modes (RFC 2930 2.5).
const (
	TKEYServerAssigned   uint16 = 1
	TKEYDiffieHellman    uint16 = 2
	TKEYGSSAPI           uint16 = 3
	TKEYResolverAssigned uint16 = 4
	TKEYDelete           uint16 = 5
)

// TKEY is the data of a TKEY record (RFC 2930 2), the meta-record that
// establishes or deletes a TSIG key (GSS-TSIG, RFC 3645, uses mode 3).
// Like TSIG it has no standard presentation form; this package writes
// the fields in wire order with the key and other data in base64, each
// after its length, as it writes TSIG.
type TKEY struct {
	Algorithm  Name
	Inception  uint32 // seconds since 1970 (RFC 2930 2.3)
	Expiration uint32
	Mode       uint16
	Error      RCode // RFC 2930 2.6: 0, BADSIG, BADKEY, BADTIME, or 19-21
	Key        []byte
	OtherData  []byte
}

// Type returns TypeTKEY.
func (*TKEY) Type() Type { return TypeTKEY }

// String returns the data in text form.
func (r *TKEY) String() string { return string(r.AppendText(nil)) }

// AppendText appends "algorithm inception expiration mode error keysize
// [key] othersize [other]".
func (r *TKEY) AppendText(dst []byte) []byte {
	dst = r.Algorithm.AppendText(dst)
	dst = append(dst, ' ')
	dst = appendUints(dst, uint64(r.Inception), uint64(r.Expiration), uint64(r.Mode))
	dst = append(dst, ' ')
	dst = appendTSIGError(dst, r.Error)
	dst = append(dst, ' ')
	dst = appendSizedBase64(dst, r.Key)
	dst = append(dst, ' ')
	return appendSizedBase64(dst, r.OtherData)
}

// unpack reads the data; RFC 2930 2 does not forbid a compressed
// algorithm name, so one is followed on read, never written.
func (r *TKEY) unpack(msg []byte, off int, st *store) error {
	end, err := readName(msg, off, &r.Algorithm, st.cache())
	if err != nil {
		return rdataErr(err)
	}
	off = end
	if err := need(msg, off, 14); err != nil {
		return err
	}
	r.Inception, r.Expiration = be32(msg[off:]), be32(msg[off+4:])
	r.Mode, r.Error = be16(msg[off+8:]), RCode(be16(msg[off+10:]))
	keyLen := int(be16(msg[off+12:]))
	off += 14
	if err := need(msg, off, keyLen+2); err != nil {
		return err
	}
	r.Key = st.copyBytes(msg[off : off+keyLen])
	off += keyLen
	otherLen := int(be16(msg[off:]))
	off += 2
	if len(msg)-off != otherLen {
		return ErrBadRDLength
	}
	r.OtherData = st.copyBytes(msg[off:])
	return nil
}

func (r *TKEY) appendWire(dst []byte) ([]byte, error) {
	dst, err := appendNameWire(dst, &r.Algorithm)
	if err != nil {
		return dst, err
	}
	if len(r.Key) > 0xFFFF || len(r.OtherData) > 0xFFFF {
		return dst, ErrBadRData
	}
	dst = app32(dst, r.Inception)
	dst = app32(dst, r.Expiration)
	dst = app16(dst, r.Mode)
	dst = app16(dst, uint16(r.Error))
	dst = app16(dst, uint16(len(r.Key)))
	dst = append(dst, r.Key...)
	dst = app16(dst, uint16(len(r.OtherData)))
	return append(dst, r.OtherData...), nil
}

func (r *TKEY) parseText(c *textCtx, toks []token) error {
	if len(toks) < 6 {
		return c.errf("", errNoData)
	}
	alg, err := c.name(toks[0])
	if err != nil {
		return err
	}
	var v [3]uint64
	if err := c.uints(toks[1:], []int{32, 32, 16}, v[:]); err != nil {
		return err
	}
	e, err := c.tsigError(toks[4])
	if err != nil {
		return err
	}
	key, rest, err := c.sizedBase64(toks[5:])
	if err != nil {
		return err
	}
	other, rest, err := c.sizedBase64(rest)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return c.errf(rest[0].s, errExtra)
	}
	*r = TKEY{Algorithm: alg, Inception: uint32(v[0]), Expiration: uint32(v[1]), Mode: uint16(v[2]),
		Error: e, Key: key, OtherData: other}
	return nil
}

func (r *TKEY) cloneRData() RData {
	c := *r
	c.Key = cloneBytes(r.Key)
	c.OtherData = cloneBytes(r.OtherData)
	return &c
}

// parseText reads the form AppendText writes, as dig prints a TSIG:
// "algorithm time fudge macsize [mac] origid error othersize [other]".
func (r *TSIG) parseText(c *textCtx, toks []token) error {
	if len(toks) < 4 {
		return c.errf("", errNoData)
	}
	alg, err := c.name(toks[0])
	if err != nil {
		return err
	}
	t, err := c.uint(toks[1], 48)
	if err != nil {
		return err
	}
	fudge, err := c.uint(toks[2], 16)
	if err != nil {
		return err
	}
	mac, rest, err := c.sizedBase64(toks[3:])
	if err != nil {
		return err
	}
	if len(rest) < 3 {
		return c.errf("", errNoData)
	}
	id, err := c.uint(rest[0], 16)
	if err != nil {
		return err
	}
	e, err := c.tsigError(rest[1])
	if err != nil {
		return err
	}
	other, rest, err := c.sizedBase64(rest[2:])
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return c.errf(rest[0].s, errExtra)
	}
	*r = TSIG{Algorithm: alg, TimeSigned: t, Fudge: uint16(fudge), MAC: mac, OriginalID: uint16(id), Error: e, OtherData: other}
	return nil
}

// appendTSIGError writes a TSIG or TKEY error field: NOERROR or the
// number, as dig does.
func appendTSIGError(dst []byte, e RCode) []byte {
	if e == 0 {
		return append(dst, "NOERROR"...)
	}
	return strconv.AppendUint(dst, uint64(e), 10)
}

func (c *textCtx) tsigError(t token) (RCode, error) {
	if t.s == "NOERROR" && !t.quoted {
		return 0, nil
	}
	v, err := c.uint(t, 16)
	return RCode(v), err
}

// appendSizedBase64 writes "len base64", or "0" alone for no data.
func appendSizedBase64(dst, b []byte) []byte {
	dst = strconv.AppendInt(dst, int64(len(b)), 10)
	if len(b) == 0 {
		return dst
	}
	dst = append(dst, ' ')
	return base64.StdEncoding.AppendEncode(dst, b)
}

// sizedBase64 reads "len [base64]" from toks and returns the rest; the
// decoded length must equal len.
func (c *textCtx) sizedBase64(toks []token) ([]byte, []token, error) {
	if len(toks) == 0 {
		return nil, nil, c.errf("", errNoData)
	}
	n, err := c.uint(toks[0], 16)
	if err != nil {
		return nil, nil, err
	}
	if n == 0 {
		return []byte{}, toks[1:], nil
	}
	if len(toks) < 2 {
		return nil, nil, c.errf("", errNoData)
	}
	b, err := c.base64(toks[1:2])
	if err != nil {
		return nil, nil, err
	}
	if uint64(len(b)) != n {
		return nil, nil, c.errf(toks[1].s, ErrBadRDLength)
	}
	return b, toks[2:], nil
}
