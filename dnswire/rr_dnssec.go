package dnswire

import (
	"slices"
	"strconv"
	"time"
)

// DNSSEC record types (RFC 4034, RFC 5155, RFC 7344) and SIG (RFC 2535,
// RFC 2931 for SIG(0)). Names in their data are never compressed on write
// (RFC 4034 2.1.1 ff., RFC 3597 4); a compressed signer name in SIG or
// RRSIG, or next name in NSEC, is still read.
const (
	TypeCDS        Type = 59
	TypeCDNSKEY    Type = 60
	TypeNSEC3      Type = 50
	TypeNSEC3PARAM Type = 51
)

// DS is a delegation signer (RFC 4034 5.1): the digest of a child zone's
// DNSKEY, published in the parent.
type DS struct {
	KeyTag     uint16
	Algorithm  uint8
	DigestType uint8
	Digest     []byte
}

// CDS is a child's copy of the DS it wants in its parent (RFC 7344 3.1);
// same data as DS.
type CDS struct{ DS }

// DNSKEY is a zone's public key (RFC 4034 2.1).
type DNSKEY struct {
	Flags     uint16
	Protocol  uint8 // always 3 (RFC 4034 2.1.2)
	Algorithm uint8
	PublicKey []byte
}

// DNSKEY flags (RFC 4034 2.1.1, RFC 5011 7).
const (
	DNSKEYZone   uint16 = 0x0100
	DNSKEYRevoke uint16 = 0x0080
	DNSKEYSEP    uint16 = 0x0001
)

// CDNSKEY is a child's copy of the DNSKEY it wants its parent's DS made
// from (RFC 7344 3.2).
type CDNSKEY struct{ DNSKEY }

// RRSIG is a signature over an RRset (RFC 4034 3.1). Expiration and
// Inception are seconds since 1970 modulo 2^32 (RFC 4034 3.1.5): compare
// them with serial arithmetic (RFC 1982), not as plain numbers.
type RRSIG struct {
	TypeCovered Type
	Algorithm   uint8
	Labels      uint8
	OrigTTL     uint32
	Expiration  uint32
	Inception   uint32
	KeyTag      uint16
	SignerName  Name
	Signature   []byte
}

// SIG is the older signature record (RFC 2535 4.1), today used for SIG(0)
// transaction signatures (RFC 2931); same layout as RRSIG.
type SIG struct{ RRSIG }

// NSEC proves which names and types do not exist (RFC 4034 4.1). Types is
// the type bitmap in increasing order.
type NSEC struct {
	NextDomain Name
	Types      []Type
}

// NSEC3 is the hashed form of NSEC (RFC 5155 3.2). NextHashed is the raw
// hash (printed in base32hex); Types is in increasing order.
type NSEC3 struct {
	HashAlg    uint8
	Flags      uint8
	Iterations uint16
	Salt       []byte
	NextHashed []byte
	Types      []Type
}

// NSEC3PARAM gives the parameters an authoritative server hashes names
// with (RFC 5155 4.2).
type NSEC3PARAM struct {
	HashAlg    uint8
	Flags      uint8
	Iterations uint16
	Salt       []byte
}

func (*DS) Type() Type         { return TypeDS }
func (*CDS) Type() Type        { return TypeCDS }
func (*DNSKEY) Type() Type     { return TypeDNSKEY }
func (*CDNSKEY) Type() Type    { return TypeCDNSKEY }
func (*RRSIG) Type() Type      { return TypeRRSIG }
func (*SIG) Type() Type        { return TypeSIG }
func (*NSEC) Type() Type       { return TypeNSEC }
func (*NSEC3) Type() Type      { return TypeNSEC3 }
func (*NSEC3PARAM) Type() Type { return TypeNSEC3PARAM }

func (r *DS) String() string         { return string(r.AppendText(nil)) }
func (r *DNSKEY) String() string     { return string(r.AppendText(nil)) }
func (r *RRSIG) String() string      { return string(r.AppendText(nil)) }
func (r *NSEC) String() string       { return string(r.AppendText(nil)) }
func (r *NSEC3) String() string      { return string(r.AppendText(nil)) }
func (r *NSEC3PARAM) String() string { return string(r.AppendText(nil)) }

// --- DS, CDS

func (r *DS) unpack(msg []byte, off int, st *store) error {
	if err := need(msg, off, 4); err != nil {
		return err
	}
	r.KeyTag = be16(msg[off:])
	r.Algorithm, r.DigestType = msg[off+2], msg[off+3]
	r.Digest = st.copyBytes(msg[off+4:])
	return nil
}

func (r *DS) appendWire(dst []byte) ([]byte, error) {
	dst = app16(dst, r.KeyTag)
	dst = append(dst, r.Algorithm, r.DigestType)
	return append(dst, r.Digest...), nil
}

// AppendText appends "keytag algorithm digesttype DIGEST" (RFC 4034 5.3).
func (r *DS) AppendText(dst []byte) []byte {
	if len(r.Digest) == 0 {
		return appendGeneric(dst, r)
	}
	dst = appendUints(dst, uint64(r.KeyTag), uint64(r.Algorithm), uint64(r.DigestType))
	dst = append(dst, ' ')
	return appendHexUpper(dst, r.Digest)
}

func (r *DS) parseText(c *textCtx, toks []token) error {
	var v [3]uint64
	if err := c.uints(toks, []int{16, 8, 8}, v[:]); err != nil {
		return err
	}
	if len(toks) < 4 {
		return c.errf("", errNoData)
	}
	d, err := c.hex(toks[3:])
	if err != nil {
		return err
	}
	*r = DS{KeyTag: uint16(v[0]), Algorithm: uint8(v[1]), DigestType: uint8(v[2]), Digest: d}
	return nil
}

func (r *DS) cloneRData() RData  { c := *r; c.Digest = cloneBytes(r.Digest); return &c }
func (r *CDS) cloneRData() RData { return &CDS{*r.DS.cloneRData().(*DS)} }

// --- DNSKEY, CDNSKEY

func (r *DNSKEY) unpack(msg []byte, off int, st *store) error {
	if err := need(msg, off, 4); err != nil {
		return err
	}
	r.Flags = be16(msg[off:])
	r.Protocol, r.Algorithm = msg[off+2], msg[off+3]
	r.PublicKey = st.copyBytes(msg[off+4:])
	return nil
}

func (r *DNSKEY) appendWire(dst []byte) ([]byte, error) {
	dst = app16(dst, r.Flags)
	dst = append(dst, r.Protocol, r.Algorithm)
	return append(dst, r.PublicKey...), nil
}

// AppendText appends "flags protocol algorithm base64key" (RFC 4034 2.2).
func (r *DNSKEY) AppendText(dst []byte) []byte {
	if len(r.PublicKey) == 0 {
		return appendGeneric(dst, r)
	}
	dst = appendUints(dst, uint64(r.Flags), uint64(r.Protocol), uint64(r.Algorithm))
	dst = append(dst, ' ')
	return appendBase64(dst, r.PublicKey)
}

func (r *DNSKEY) parseText(c *textCtx, toks []token) error {
	var v [3]uint64
	if err := c.uints(toks, []int{16, 8, 8}, v[:]); err != nil {
		return err
	}
	if len(toks) < 4 {
		return c.errf("", errNoData)
	}
	k, err := c.base64(toks[3:])
	if err != nil {
		return err
	}
	*r = DNSKEY{Flags: uint16(v[0]), Protocol: uint8(v[1]), Algorithm: uint8(v[2]), PublicKey: k}
	return nil
}

func (r *DNSKEY) cloneRData() RData {
	c := *r
	c.PublicKey = cloneBytes(r.PublicKey)
	return &c
}
func (r *CDNSKEY) cloneRData() RData { return &CDNSKEY{*r.DNSKEY.cloneRData().(*DNSKEY)} }

// --- RRSIG, SIG

func (r *RRSIG) unpack(msg []byte, off int, st *store) error {
	if err := need(msg, off, 18); err != nil {
		return err
	}
	r.TypeCovered = Type(be16(msg[off:]))
	r.Algorithm, r.Labels = msg[off+2], msg[off+3]
	r.OrigTTL = be32(msg[off+4:])
	r.Expiration = be32(msg[off+8:])
	r.Inception = be32(msg[off+12:])
	r.KeyTag = be16(msg[off+16:])
	end, err := readName(msg, off+18, &r.SignerName, st.cache())
	if err != nil {
		return rdataErr(err)
	}
	r.Signature = st.copyBytes(msg[end:])
	return nil
}

func (r *RRSIG) appendWire(dst []byte) ([]byte, error) {
	dst = app16(dst, uint16(r.TypeCovered))
	dst = append(dst, r.Algorithm, r.Labels)
	dst = app32(dst, r.OrigTTL)
	dst = app32(dst, r.Expiration)
	dst = app32(dst, r.Inception)
	dst = app16(dst, r.KeyTag)
	dst, err := appendNameWire(dst, &r.SignerName)
	if err != nil {
		return dst, err
	}
	return append(dst, r.Signature...), nil
}

// AppendText appends "covered algorithm labels origttl expiration
// inception keytag signer base64sig" with the times as YYYYMMDDHHmmSS in
// UTC (RFC 4034 3.2). A time value is printed as the date in 1970-2106 it
// stands for; it is not re-based around the present.
func (r *RRSIG) AppendText(dst []byte) []byte {
	if len(r.Signature) == 0 {
		return appendGeneric(dst, r)
	}
	dst = append(dst, r.TypeCovered.String()...)
	dst = append(dst, ' ')
	dst = appendUints(dst, uint64(r.Algorithm), uint64(r.Labels), uint64(r.OrigTTL))
	dst = append(dst, ' ')
	dst = appendSigTime(dst, r.Expiration)
	dst = append(dst, ' ')
	dst = appendSigTime(dst, r.Inception)
	dst = append(dst, ' ')
	dst = strconv.AppendUint(dst, uint64(r.KeyTag), 10)
	dst = append(dst, ' ')
	dst = r.SignerName.AppendText(dst)
	dst = append(dst, ' ')
	return appendBase64(dst, r.Signature)
}

func appendSigTime(dst []byte, v uint32) []byte {
	return time.Unix(int64(v), 0).UTC().AppendFormat(dst, "20060102150405")
}

// parseSigTime reads YYYYMMDDHHmmSS (UTC) or a decimal count of seconds
// (RFC 4034 3.2); the result must fit 32 bits.
func (c *textCtx) parseSigTime(t token) (uint32, error) {
	s := t.s
	if len(s) == 14 {
		tm, err := time.Parse("20060102150405", s)
		if err != nil || tm.Unix() < 0 || tm.Unix() > 1<<32-1 {
			return 0, c.errf(s, errBadTime)
		}
		return uint32(tm.Unix()), nil
	}
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, c.errf(s, errBadTime)
	}
	return uint32(v), nil
}

func (r *RRSIG) parseText(c *textCtx, toks []token) error {
	if len(toks) < 9 {
		return c.errf("", errNoData)
	}
	tc, ok := ParseType(toks[0].s)
	if !ok {
		return c.errf(toks[0].s, errBadType)
	}
	var v [3]uint64
	if err := c.uints(toks[1:], []int{8, 8, 32}, v[:]); err != nil {
		return err
	}
	exp, err := c.parseSigTime(toks[4])
	if err != nil {
		return err
	}
	inc, err := c.parseSigTime(toks[5])
	if err != nil {
		return err
	}
	kt, err := c.uint(toks[6], 16)
	if err != nil {
		return err
	}
	signer, err := c.name(toks[7])
	if err != nil {
		return err
	}
	sig, err := c.base64(toks[8:])
	if err != nil {
		return err
	}
	*r = RRSIG{TypeCovered: tc, Algorithm: uint8(v[0]), Labels: uint8(v[1]), OrigTTL: uint32(v[2]),
		Expiration: exp, Inception: inc, KeyTag: uint16(kt), SignerName: signer, Signature: sig}
	return nil
}

func (r *RRSIG) cloneRData() RData {
	c := *r
	c.Signature = cloneBytes(r.Signature)
	return &c
}
func (r *SIG) cloneRData() RData { return &SIG{*r.RRSIG.cloneRData().(*RRSIG)} }

// --- type bitmaps (RFC 4034 4.1.2)

const errBadBitmap = Error("dnswire: malformed type bitmap")

// unpackTypes reads a type bitmap: window blocks in increasing order, each
// 1 to 32 octets long. The types are appended to the store (or a new
// slice when st is nil).
func unpackTypes(msg []byte, off int, st *store) ([]Type, error) {
	var out []Type
	first := 0
	if st != nil {
		first = len(st.rareSlabs().types)
		out = st.rare.types
	}
	last := -1
	for off < len(msg) {
		if len(msg)-off < 2 {
			return nil, errBadBitmap
		}
		w, l := int(msg[off]), int(msg[off+1])
		if w <= last || l == 0 || l > 32 || off+2+l > len(msg) {
			return nil, errBadBitmap
		}
		last = w
		for i, b := range msg[off+2 : off+2+l] {
			for bit := 0; bit < 8; bit++ {
				if b&(0x80>>bit) != 0 {
					out = append(out, Type(w<<8|i*8+bit))
				}
			}
		}
		off += 2 + l
	}
	if st != nil {
		st.rare.types = out
		if len(out) == first {
			return nil, nil
		}
		return out[first:len(out):len(out)], nil
	}
	return out, nil
}

// appendTypes writes types as a bitmap. They need not be sorted or
// unique; the bitmap is.
func appendTypes(dst []byte, types []Type) []byte {
	w := -1
	for {
		// The next window above w that holds a type.
		next := 256
		for _, t := range types {
			if tw := int(t >> 8); tw > w && tw < next {
				next = tw
			}
		}
		if next == 256 {
			return dst
		}
		w = next
		var bm [32]byte
		n := 0
		for _, t := range types {
			if int(t>>8) == w {
				lo := int(t & 0xFF)
				bm[lo/8] |= 0x80 >> (lo % 8)
				n = max(n, lo/8+1)
			}
		}
		dst = append(dst, byte(w), byte(n))
		dst = append(dst, bm[:n]...)
	}
}

func appendTypeList(dst []byte, types []Type) []byte {
	for _, t := range types {
		dst = append(dst, ' ')
		dst = append(dst, t.String()...)
	}
	return dst
}

func (c *textCtx) typeList(toks []token) ([]Type, error) {
	if len(toks) == 0 {
		return nil, nil
	}
	out := make([]Type, 0, len(toks))
	for _, t := range toks {
		ty, ok := ParseType(t.s)
		if !ok || t.quoted {
			return nil, c.errf(t.s, errBadType)
		}
		out = append(out, ty)
	}
	return sortTypes(out), nil
}

// sortTypes sorts and removes duplicates in place, as the bitmap orders
// them.
func sortTypes(ts []Type) []Type {
	slices.Sort(ts)
	return slices.Compact(ts)
}

func cloneTypes(t []Type) []Type {
	if t == nil {
		return nil
	}
	return append([]Type(nil), t...)
}

// --- NSEC

func (r *NSEC) unpack(msg []byte, off int, st *store) error {
	end, err := readName(msg, off, &r.NextDomain, st.cache())
	if err != nil {
		return rdataErr(err)
	}
	r.Types, err = unpackTypes(msg, end, st)
	return err
}

func (r *NSEC) appendWire(dst []byte) ([]byte, error) {
	dst, err := appendNameWire(dst, &r.NextDomain)
	if err != nil {
		return dst, err
	}
	return appendTypes(dst, r.Types), nil
}

// AppendText appends "next type..." (RFC 4034 4.2).
func (r *NSEC) AppendText(dst []byte) []byte {
	dst = r.NextDomain.AppendText(dst)
	return appendTypeList(dst, r.Types)
}

func (r *NSEC) parseText(c *textCtx, toks []token) error {
	if len(toks) == 0 {
		return c.errf("", errNoData)
	}
	n, err := c.name(toks[0])
	if err != nil {
		return err
	}
	ts, err := c.typeList(toks[1:])
	if err != nil {
		return err
	}
	*r = NSEC{NextDomain: n, Types: ts}
	return nil
}

func (r *NSEC) cloneRData() RData { return &NSEC{NextDomain: r.NextDomain, Types: cloneTypes(r.Types)} }

// --- NSEC3, NSEC3PARAM

// appendBase32Hex writes b in RFC 4648 7 base32hex, upper case, without
// padding (RFC 5155 3.3).
func appendBase32Hex(dst, b []byte) []byte {
	const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUV"
	var acc uint
	bits := 0
	for _, c := range b {
		acc = acc<<8 | uint(c)
		bits += 8
		for bits >= 5 {
			bits -= 5
			dst = append(dst, digits[acc>>bits&31])
		}
	}
	if bits > 0 {
		dst = append(dst, digits[acc<<(5-bits)&31])
	}
	return dst
}

// decodeBase32Hex reads unpadded base32hex in either case; leftover bits
// must be zero, so every value has one spelling.
func decodeBase32Hex(s string) ([]byte, bool) {
	out := make([]byte, 0, len(s)*5/8)
	var acc uint
	bits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		var v uint
		switch {
		case c >= '0' && c <= '9':
			v = uint(c - '0')
		case c >= 'A' && c <= 'V':
			v = uint(c-'A') + 10
		case c >= 'a' && c <= 'v':
			v = uint(c-'a') + 10
		default:
			return nil, false
		}
		acc = acc<<5 | v
		bits += 5
		if bits >= 8 {
			bits -= 8
			out = append(out, byte(acc>>bits))
		}
	}
	if bits >= 5 || acc&(1<<bits-1) != 0 {
		return nil, false
	}
	return out, true
}

func (r *NSEC3) unpack(msg []byte, off int, st *store) error {
	if err := need(msg, off, 5); err != nil {
		return err
	}
	r.HashAlg, r.Flags = msg[off], msg[off+1]
	r.Iterations = be16(msg[off+2:])
	var err error
	if r.Salt, off, err = charString(msg, off+4, st); err != nil {
		return err
	}
	if r.NextHashed, off, err = charString(msg, off, st); err != nil {
		return err
	}
	// RFC 5155 3.2: the hash length is at least 1.
	if len(r.NextHashed) == 0 {
		return ErrBadRData
	}
	r.Types, err = unpackTypes(msg, off, st)
	return err
}

func (r *NSEC3) appendWire(dst []byte) ([]byte, error) {
	if len(r.NextHashed) == 0 {
		return dst, ErrBadRData
	}
	dst = append(dst, r.HashAlg, r.Flags)
	dst = app16(dst, r.Iterations)
	dst, err := appendCharString(dst, r.Salt)
	if err != nil {
		return dst, err
	}
	if dst, err = appendCharString(dst, r.NextHashed); err != nil {
		return dst, err
	}
	return appendTypes(dst, r.Types), nil
}

func appendSalt(dst, salt []byte) []byte {
	if len(salt) == 0 {
		return append(dst, '-') // RFC 5155 3.3
	}
	return appendHexUpper(dst, salt)
}

// AppendText appends "alg flags iterations salt next type..." (RFC 5155
// 3.3): the salt in hex or "-", the next hash in base32hex.
func (r *NSEC3) AppendText(dst []byte) []byte {
	dst = appendUints(dst, uint64(r.HashAlg), uint64(r.Flags), uint64(r.Iterations))
	dst = append(dst, ' ')
	dst = appendSalt(dst, r.Salt)
	dst = append(dst, ' ')
	dst = appendBase32Hex(dst, r.NextHashed)
	return appendTypeList(dst, r.Types)
}

func (c *textCtx) salt(t token) ([]byte, error) {
	if t.s == "-" {
		return nil, nil
	}
	s, err := c.hex([]token{t})
	if err == nil && len(s) > 255 {
		return nil, c.errf(t.s, ErrStringTooLong)
	}
	return s, err
}

func (r *NSEC3) parseText(c *textCtx, toks []token) error {
	var v [3]uint64
	if err := c.uints(toks, []int{8, 8, 16}, v[:]); err != nil {
		return err
	}
	if len(toks) < 5 {
		return c.errf("", errNoData)
	}
	salt, err := c.salt(toks[3])
	if err != nil {
		return err
	}
	next, ok := decodeBase32Hex(toks[4].s)
	if !ok || len(next) == 0 || len(next) > 255 {
		return c.errf(toks[4].s, ErrBadRData)
	}
	ts, err := c.typeList(toks[5:])
	if err != nil {
		return err
	}
	*r = NSEC3{HashAlg: uint8(v[0]), Flags: uint8(v[1]), Iterations: uint16(v[2]), Salt: salt, NextHashed: next, Types: ts}
	return nil
}

func (r *NSEC3) cloneRData() RData {
	c := *r
	c.Salt, c.NextHashed, c.Types = cloneBytes(r.Salt), cloneBytes(r.NextHashed), cloneTypes(r.Types)
	return &c
}

func (r *NSEC3PARAM) unpack(msg []byte, off int, st *store) error {
	if err := need(msg, off, 5); err != nil {
		return err
	}
	r.HashAlg, r.Flags = msg[off], msg[off+1]
	r.Iterations = be16(msg[off+2:])
	var err error
	if r.Salt, off, err = charString(msg, off+4, st); err != nil {
		return err
	}
	if off != len(msg) {
		return ErrBadRDLength
	}
	return nil
}

func (r *NSEC3PARAM) appendWire(dst []byte) ([]byte, error) {
	dst = append(dst, r.HashAlg, r.Flags)
	dst = app16(dst, r.Iterations)
	return appendCharString(dst, r.Salt)
}

// AppendText appends "alg flags iterations salt" (RFC 5155 4.3).
func (r *NSEC3PARAM) AppendText(dst []byte) []byte {
	dst = appendUints(dst, uint64(r.HashAlg), uint64(r.Flags), uint64(r.Iterations))
	dst = append(dst, ' ')
	return appendSalt(dst, r.Salt)
}

func (r *NSEC3PARAM) parseText(c *textCtx, toks []token) error {
	if err := c.want(toks, 4); err != nil {
		return err
	}
	var v [3]uint64
	if err := c.uints(toks, []int{8, 8, 16}, v[:]); err != nil {
		return err
	}
	salt, err := c.salt(toks[3])
	if err != nil {
		return err
	}
	*r = NSEC3PARAM{HashAlg: uint8(v[0]), Flags: uint8(v[1]), Iterations: uint16(v[2]), Salt: salt}
	return nil
}

func (r *NSEC3PARAM) cloneRData() RData { c := *r; c.Salt = cloneBytes(r.Salt); return &c }
