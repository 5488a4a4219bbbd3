package dnswire

import "strconv"

// Other record types a resolver, a signer and a mail server meet: HINFO
// (RFC 1035 3.3.2, RFC 8482), NAPTR (RFC 3403), SSHFP (RFC 4255), TLSA
// (RFC 6698), SMIMEA (RFC 8162), URI (RFC 7553), ZONEMD (RFC 8976).
const (
	TypeSSHFP  Type = 44
	TypeTLSA   Type = 52
	TypeSMIMEA Type = 53
	TypeURI    Type = 256
	TypeZONEMD Type = 63
)

// HINFO describes a host's CPU and OS (RFC 1035 3.3.2); RFC 8482 answers
// ANY queries with one.
type HINFO struct {
	CPU []byte
	OS  []byte
}

// NAPTR is a naming authority pointer (RFC 3403 4.1). The replacement
// name is never compressed on write; a compressed one is read (RFC 3597 4).
type NAPTR struct {
	Order       uint16
	Preference  uint16
	Flags       []byte
	Services    []byte
	Regexp      []byte
	Replacement Name
}

// SSHFP is an SSH host key fingerprint (RFC 4255 3.1).
type SSHFP struct {
	Algorithm   uint8
	FPType      uint8
	Fingerprint []byte
}

// TLSA associates a TLS certificate or key with a service (RFC 6698 2.1),
// the record DANE for SMTP (RFC 7672) looks up.
type TLSA struct {
	Usage        uint8
	Selector     uint8
	MatchingType uint8
	Data         []byte
}

// SMIMEA associates an S/MIME certificate with an address (RFC 8162); same
// data as TLSA.
type SMIMEA struct{ TLSA }

// URI maps a name to a URI (RFC 7553 4.5). Target is the URI's octets,
// not a character-string: it has no length prefix and may exceed 255.
type URI struct {
	Priority uint16
	Weight   uint16
	Target   []byte
}

// ZONEMD is a message digest over a zone (RFC 8976 2).
type ZONEMD struct {
	Serial  uint32
	Scheme  uint8
	HashAlg uint8
	Digest  []byte
}

func (*HINFO) Type() Type  { return TypeHINFO }
func (*NAPTR) Type() Type  { return TypeNAPTR }
func (*SSHFP) Type() Type  { return TypeSSHFP }
func (*TLSA) Type() Type   { return TypeTLSA }
func (*SMIMEA) Type() Type { return TypeSMIMEA }
func (*URI) Type() Type    { return TypeURI }
func (*ZONEMD) Type() Type { return TypeZONEMD }

func (r *HINFO) String() string  { return string(r.AppendText(nil)) }
func (r *NAPTR) String() string  { return string(r.AppendText(nil)) }
func (r *SSHFP) String() string  { return string(r.AppendText(nil)) }
func (r *TLSA) String() string   { return string(r.AppendText(nil)) }
func (r *URI) String() string    { return string(r.AppendText(nil)) }
func (r *ZONEMD) String() string { return string(r.AppendText(nil)) }

// --- HINFO

func (r *HINFO) unpack(msg []byte, off int, st *store) error {
	var err error
	if r.CPU, off, err = charString(msg, off, st); err != nil {
		return err
	}
	if r.OS, off, err = charString(msg, off, st); err != nil {
		return err
	}
	if off != len(msg) {
		return ErrBadRDLength
	}
	return nil
}

func (r *HINFO) appendWire(dst []byte) ([]byte, error) {
	dst, err := appendCharString(dst, r.CPU)
	if err != nil {
		return dst, err
	}
	return appendCharString(dst, r.OS)
}

// AppendText appends `"cpu" "os"`.
func (r *HINFO) AppendText(dst []byte) []byte {
	dst = appendQuoted(dst, r.CPU)
	dst = append(dst, ' ')
	return appendQuoted(dst, r.OS)
}

func (r *HINFO) parseText(c *textCtx, toks []token) error {
	if err := c.want(toks, 2); err != nil {
		return err
	}
	cpu, err := c.charString(toks[0])
	if err != nil {
		return err
	}
	os, err := c.charString(toks[1])
	if err != nil {
		return err
	}
	*r = HINFO{CPU: cpu, OS: os}
	return nil
}

func (r *HINFO) cloneRData() RData { return &HINFO{CPU: cloneBytes(r.CPU), OS: cloneBytes(r.OS)} }

// --- NAPTR

func (r *NAPTR) unpack(msg []byte, off int, st *store) error {
	if err := need(msg, off, 4); err != nil {
		return err
	}
	r.Order, r.Preference = be16(msg[off:]), be16(msg[off+2:])
	off += 4
	var err error
	for _, f := range [...]*[]byte{&r.Flags, &r.Services, &r.Regexp} {
		if *f, off, err = charString(msg, off, st); err != nil {
			return err
		}
	}
	return unpackName(msg, off, &r.Replacement, st.cache())
}

func (r *NAPTR) appendWire(dst []byte) ([]byte, error) {
	dst = app16(dst, r.Order)
	dst = app16(dst, r.Preference)
	var err error
	for _, f := range [...][]byte{r.Flags, r.Services, r.Regexp} {
		if dst, err = appendCharString(dst, f); err != nil {
			return dst, err
		}
	}
	return appendNameWire(dst, &r.Replacement)
}

// AppendText appends `order pref "flags" "services" "regexp" replacement`
// (RFC 3403 4.1).
func (r *NAPTR) AppendText(dst []byte) []byte {
	dst = appendUints(dst, uint64(r.Order), uint64(r.Preference))
	for _, f := range [...][]byte{r.Flags, r.Services, r.Regexp} {
		dst = append(dst, ' ')
		dst = appendQuoted(dst, f)
	}
	dst = append(dst, ' ')
	return r.Replacement.AppendText(dst)
}

func (r *NAPTR) parseText(c *textCtx, toks []token) error {
	if err := c.want(toks, 6); err != nil {
		return err
	}
	var v [2]uint64
	if err := c.uints(toks, []int{16, 16}, v[:]); err != nil {
		return err
	}
	var s [3][]byte
	for i := range s {
		b, err := c.charString(toks[2+i])
		if err != nil {
			return err
		}
		s[i] = b
	}
	n, err := c.name(toks[5])
	if err != nil {
		return err
	}
	*r = NAPTR{Order: uint16(v[0]), Preference: uint16(v[1]), Flags: s[0], Services: s[1], Regexp: s[2], Replacement: n}
	return nil
}

func (r *NAPTR) cloneRData() RData {
	c := *r
	c.Flags, c.Services, c.Regexp = cloneBytes(r.Flags), cloneBytes(r.Services), cloneBytes(r.Regexp)
	return &c
}

// --- SSHFP, TLSA, SMIMEA, ZONEMD: fixed fields and a hex blob

func (r *SSHFP) unpack(msg []byte, off int, st *store) error {
	if err := need(msg, off, 2); err != nil {
		return err
	}
	r.Algorithm, r.FPType = msg[off], msg[off+1]
	r.Fingerprint = st.copyBytes(msg[off+2:])
	return nil
}

func (r *SSHFP) appendWire(dst []byte) ([]byte, error) {
	return append(append(dst, r.Algorithm, r.FPType), r.Fingerprint...), nil
}

// AppendText appends "algorithm fptype FINGERPRINT" (RFC 4255 3.2).
func (r *SSHFP) AppendText(dst []byte) []byte {
	if len(r.Fingerprint) == 0 {
		return appendGeneric(dst, r)
	}
	dst = appendUints(dst, uint64(r.Algorithm), uint64(r.FPType))
	dst = append(dst, ' ')
	return appendHexUpper(dst, r.Fingerprint)
}

func (r *SSHFP) parseText(c *textCtx, toks []token) error {
	var v [2]uint64
	if err := c.uints(toks, []int{8, 8}, v[:]); err != nil {
		return err
	}
	if len(toks) < 3 {
		return c.errf("", errNoData)
	}
	fp, err := c.hex(toks[2:])
	if err != nil {
		return err
	}
	*r = SSHFP{Algorithm: uint8(v[0]), FPType: uint8(v[1]), Fingerprint: fp}
	return nil
}

func (r *SSHFP) cloneRData() RData { c := *r; c.Fingerprint = cloneBytes(r.Fingerprint); return &c }

func (r *TLSA) unpack(msg []byte, off int, st *store) error {
	if err := need(msg, off, 3); err != nil {
		return err
	}
	r.Usage, r.Selector, r.MatchingType = msg[off], msg[off+1], msg[off+2]
	r.Data = st.copyBytes(msg[off+3:])
	return nil
}

func (r *TLSA) appendWire(dst []byte) ([]byte, error) {
	return append(append(dst, r.Usage, r.Selector, r.MatchingType), r.Data...), nil
}

// AppendText appends "usage selector matchingtype DATA" (RFC 6698 2.2).
func (r *TLSA) AppendText(dst []byte) []byte {
	if len(r.Data) == 0 {
		return appendGeneric(dst, r)
	}
	dst = appendUints(dst, uint64(r.Usage), uint64(r.Selector), uint64(r.MatchingType))
	dst = append(dst, ' ')
	return appendHexUpper(dst, r.Data)
}

func (r *TLSA) parseText(c *textCtx, toks []token) error {
	var v [3]uint64
	if err := c.uints(toks, []int{8, 8, 8}, v[:]); err != nil {
		return err
	}
	if len(toks) < 4 {
		return c.errf("", errNoData)
	}
	d, err := c.hex(toks[3:])
	if err != nil {
		return err
	}
	*r = TLSA{Usage: uint8(v[0]), Selector: uint8(v[1]), MatchingType: uint8(v[2]), Data: d}
	return nil
}

func (r *TLSA) cloneRData() RData   { c := *r; c.Data = cloneBytes(r.Data); return &c }
func (r *SMIMEA) cloneRData() RData { return &SMIMEA{*r.TLSA.cloneRData().(*TLSA)} }

func (r *ZONEMD) unpack(msg []byte, off int, st *store) error {
	if err := need(msg, off, 6); err != nil {
		return err
	}
	r.Serial = be32(msg[off:])
	r.Scheme, r.HashAlg = msg[off+4], msg[off+5]
	r.Digest = st.copyBytes(msg[off+6:])
	return nil
}

func (r *ZONEMD) appendWire(dst []byte) ([]byte, error) {
	dst = app32(dst, r.Serial)
	return append(append(dst, r.Scheme, r.HashAlg), r.Digest...), nil
}

// AppendText appends "serial scheme hashalg DIGEST" (RFC 8976 3).
func (r *ZONEMD) AppendText(dst []byte) []byte {
	if len(r.Digest) == 0 {
		return appendGeneric(dst, r)
	}
	dst = appendUints(dst, uint64(r.Serial), uint64(r.Scheme), uint64(r.HashAlg))
	dst = append(dst, ' ')
	return appendHexUpper(dst, r.Digest)
}

func (r *ZONEMD) parseText(c *textCtx, toks []token) error {
	var v [3]uint64
	if err := c.uints(toks, []int{32, 8, 8}, v[:]); err != nil {
		return err
	}
	if len(toks) < 4 {
		return c.errf("", errNoData)
	}
	d, err := c.hex(toks[3:])
	if err != nil {
		return err
	}
	*r = ZONEMD{Serial: uint32(v[0]), Scheme: uint8(v[1]), HashAlg: uint8(v[2]), Digest: d}
	return nil
}

func (r *ZONEMD) cloneRData() RData { c := *r; c.Digest = cloneBytes(r.Digest); return &c }

// --- URI

func (r *URI) unpack(msg []byte, off int, st *store) error {
	if err := need(msg, off, 4); err != nil {
		return err
	}
	r.Priority, r.Weight = be16(msg[off:]), be16(msg[off+2:])
	r.Target = st.copyBytes(msg[off+4:])
	return nil
}

func (r *URI) appendWire(dst []byte) ([]byte, error) {
	dst = app16(dst, r.Priority)
	dst = app16(dst, r.Weight)
	return append(dst, r.Target...), nil
}

// AppendText appends `priority weight "target"` (RFC 7553 4.4).
func (r *URI) AppendText(dst []byte) []byte {
	dst = strconv.AppendUint(dst, uint64(r.Priority), 10)
	dst = append(dst, ' ')
	dst = strconv.AppendUint(dst, uint64(r.Weight), 10)
	dst = append(dst, ' ')
	return appendQuoted(dst, r.Target)
}

func (r *URI) parseText(c *textCtx, toks []token) error {
	if err := c.want(toks, 3); err != nil {
		return err
	}
	var v [2]uint64
	if err := c.uints(toks, []int{16, 16}, v[:]); err != nil {
		return err
	}
	t, err := unescapeString(toks[2].s)
	if err != nil {
		return c.errf(toks[2].s, err)
	}
	*r = URI{Priority: uint16(v[0]), Weight: uint16(v[1]), Target: t}
	return nil
}

func (r *URI) cloneRData() RData { c := *r; c.Target = cloneBytes(r.Target); return &c }
