package dnswire

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"hash"
	"strconv"
	"time"
)

// TypeTSIG is the transaction signature meta-type (RFC 8945 4.2).
const TypeTSIG Type = 250

// TSIG error codes, carried in the TSIG record's Error field (RFC 8945
// 3); the message's own RCODE is NOTAUTH. RCodeBadSig shares its value
// with RCodeBadVers: which one is meant depends on where it appears.
const (
	RCodeBadSig   RCode = 16
	RCodeBadKey   RCode = 17
	RCodeBadTime  RCode = 18
	RCodeBadTrunc RCode = 22
)

// TSIG algorithm names (RFC 8945 6).
var (
	HMACSHA256 = MustName("hmac-sha256.")
	HMACSHA512 = MustName("hmac-sha512.")
	HMACSHA384 = MustName("hmac-sha384.")
	HMACSHA224 = MustName("hmac-sha224.")
	HMACSHA1   = MustName("hmac-sha1.")
	HMACMD5    = MustName("hmac-md5.sig-alg.reg.int.")
)

// TSIG errors. A verifier answers ErrTSIGBadKey, ErrTSIGBadSig and
// ErrTSIGBadTime with NOTAUTH and the matching TSIG error (RFC 8945 5.2);
// ErrTSIGFormat with FORMERR.
const (
	ErrTSIGMissing  Error = "dnswire: tsig: message is not signed"
	ErrTSIGFormat   Error = "dnswire: tsig: malformed or misplaced TSIG record"
	ErrTSIGBadKey   Error = "dnswire: tsig: BADKEY: unknown key or algorithm"
	ErrTSIGBadSig   Error = "dnswire: tsig: BADSIG: MAC does not verify"
	ErrTSIGBadTime  Error = "dnswire: tsig: BADTIME: time signed outside fudge"
	ErrTSIGBadTrunc Error = "dnswire: tsig: BADTRUNC: MAC truncated too far"
	ErrTSIGPeer     Error = "dnswire: tsig: peer reported an error"
)

// TSIGCode maps a TSIG error to the TSIG error code a server sends.
func TSIGCode(err error) RCode {
	switch {
	case isErr(err, ErrTSIGBadKey):
		return RCodeBadKey
	case isErr(err, ErrTSIGBadSig):
		return RCodeBadSig
	case isErr(err, ErrTSIGBadTime):
		return RCodeBadTime
	case isErr(err, ErrTSIGBadTrunc):
		return RCodeBadTrunc
	}
	return 0
}

func isErr(err error, target Error) bool {
	for err != nil {
		if e, ok := err.(Error); ok && e == target {
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

// TSIG is the data of a TSIG record (RFC 8945 4.2).
type TSIG struct {
	Algorithm  Name
	TimeSigned uint64 // seconds since 1970, 48 bits
	Fudge      uint16
	MAC        []byte
	OriginalID uint16
	Error      RCode
	OtherData  []byte
}

// Type returns TypeTSIG.
func (*TSIG) Type() Type { return TypeTSIG }

// String returns the data as dig prints it.
func (r *TSIG) String() string { return string(r.AppendText(nil)) }

// AppendText appends "algorithm time fudge macsize [mac] origid error
// otherlen [other]" with the MAC and other data in base64, as dig does.
func (r *TSIG) AppendText(dst []byte) []byte {
	dst = r.Algorithm.AppendText(dst)
	dst = append(dst, ' ')
	dst = strconv.AppendUint(dst, r.TimeSigned, 10)
	dst = append(dst, ' ')
	dst = strconv.AppendUint(dst, uint64(r.Fudge), 10)
	dst = append(dst, ' ')
	dst = appendSizedBase64(dst, r.MAC)
	dst = append(dst, ' ')
	dst = strconv.AppendUint(dst, uint64(r.OriginalID), 10)
	dst = append(dst, ' ')
	dst = appendTSIGError(dst, r.Error)
	dst = append(dst, ' ')
	dst = appendSizedBase64(dst, r.OtherData)
	return dst
}

func (r *TSIG) unpack(msg []byte, off int, _ *store) error {
	n, off, err := ReadName(msg, off)
	if err != nil {
		return rdataErr(err) // the name runs past RDLENGTH
	}
	r.Algorithm = n
	if len(msg)-off < 10 {
		return ErrBadRDLength
	}
	r.TimeSigned = uint64(binary.BigEndian.Uint16(msg[off:]))<<32 | uint64(binary.BigEndian.Uint32(msg[off+2:]))
	r.Fudge = binary.BigEndian.Uint16(msg[off+6:])
	macLen := int(binary.BigEndian.Uint16(msg[off+8:]))
	off += 10
	if len(msg)-off < macLen+6 {
		return ErrBadRDLength
	}
	r.MAC = append([]byte(nil), msg[off:off+macLen]...)
	off += macLen
	r.OriginalID = binary.BigEndian.Uint16(msg[off:])
	r.Error = RCode(binary.BigEndian.Uint16(msg[off+2:]))
	otherLen := int(binary.BigEndian.Uint16(msg[off+4:]))
	off += 6
	if len(msg)-off != otherLen {
		return ErrBadRDLength
	}
	r.OtherData = append([]byte(nil), msg[off:]...)
	return nil
}

// appendWire appends the data; the algorithm name is never compressed
// (RFC 8945 4.2).
func (r *TSIG) appendWire(dst []byte) ([]byte, error) {
	dst, err := appendNameWire(dst, &r.Algorithm)
	if err != nil {
		return dst, err
	}
	if len(r.MAC) > 0xFFFF || len(r.OtherData) > 0xFFFF {
		return dst, ErrBadRData
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(r.TimeSigned>>32))
	dst = binary.BigEndian.AppendUint32(dst, uint32(r.TimeSigned))
	dst = binary.BigEndian.AppendUint16(dst, r.Fudge)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(r.MAC)))
	dst = append(dst, r.MAC...)
	dst = binary.BigEndian.AppendUint16(dst, r.OriginalID)
	dst = binary.BigEndian.AppendUint16(dst, uint16(r.Error))
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(r.OtherData)))
	return append(dst, r.OtherData...), nil
}

func (r *TSIG) cloneRData() RData {
	c := *r
	c.MAC = append([]byte(nil), r.MAC...)
	c.OtherData = append([]byte(nil), r.OtherData...)
	return &c
}

// TSIGKey is a shared secret known by name (RFC 8945 3).
type TSIGKey struct {
	// Name is the key's name, as both sides configure it.
	Name Name
	// Algorithm is one of HMACSHA256 (the default when zero),
	// HMACSHA512, HMACSHA384, HMACSHA224, or, only with AllowLegacy,
	// HMACSHA1 and HMACMD5.
	Algorithm Name
	// Secret is the key's octets (what nsupdate -y takes in base64).
	Secret []byte
}

func (k *TSIGKey) alg() Name {
	if k.Algorithm.IsZero() {
		return HMACSHA256
	}
	return k.Algorithm
}

// newHash returns the HMAC constructor for alg, or nil.
func tsigHash(alg Name, legacy bool) func() hash.Hash {
	switch {
	case alg.Equal(HMACSHA256):
		return sha256.New
	case alg.Equal(HMACSHA512):
		return sha512.New
	case alg.Equal(HMACSHA384):
		return sha512.New384
	case alg.Equal(HMACSHA224):
		return sha256.New224
	case legacy && alg.Equal(HMACSHA1):
		return sha1.New
	case legacy && alg.Equal(HMACMD5):
		return md5.New
	}
	return nil
}

// TSIGSign says how to sign one message.
type TSIGSign struct {
	Key *TSIGKey
	// Time is the time signed (default time.Now()).
	Time time.Time
	// Fudge is the allowed clock difference in seconds (default 300,
	// RFC 8945 10).
	Fudge uint16
	// RequestMAC, for a response, is the MAC of the signed request; it
	// is covered by the response's MAC (RFC 8945 4.3.1).
	RequestMAC []byte
	// PriorMAC, for the second and later messages of a multi-message
	// answer (AXFR, IXFR), is the previous message's MAC; then the
	// digest covers it, the message and the timers only (RFC 8945
	// 5.3.1). Unsigned messages between signed ones are not produced.
	PriorMAC []byte
	// Error and OtherData fill those fields (a BADTIME answer puts the
	// server's time in OtherData, RFC 8945 5.2.3).
	Error     RCode
	OtherData []byte
	// AllowLegacy permits HMAC-SHA1 and HMAC-MD5.
	AllowLegacy bool
	// TimeSigned, when non-zero, overrides Time (a BADTIME answer
	// repeats the request's time signed).
	TimeSigned uint64
}

// SignTSIG appends a TSIG record signing msg (a whole message without
// TSIG) and returns the signed message and its MAC. The message's ID is
// recorded as the Original ID.
func SignTSIG(msg []byte, s TSIGSign) (signed, mac []byte, err error) {
	if len(msg) < HeaderLen {
		return nil, nil, ErrTruncated
	}
	if s.Key == nil {
		return nil, nil, ErrTSIGBadKey
	}
	alg := s.Key.alg()
	h := tsigHash(alg, s.AllowLegacy)
	// BADKEY, BADSIG and BADTRUNC answers carry an empty MAC (RFC 8945
	// 5.3.2), so they need no usable key: the request's key name and
	// algorithm are echoed.
	unsignedErr := s.Error == RCodeBadKey || s.Error == RCodeBadSig || s.Error == RCodeBadTrunc
	if h == nil && !unsignedErr {
		return nil, nil, ErrTSIGBadKey
	}
	t := s.TimeSigned
	if t == 0 {
		now := s.Time
		if now.IsZero() {
			now = time.Now()
		}
		t = uint64(now.Unix())
	}
	fudge := s.Fudge
	if fudge == 0 {
		fudge = 300
	}
	rec := TSIG{Algorithm: alg, TimeSigned: t, Fudge: fudge, OriginalID: binary.BigEndian.Uint16(msg), Error: s.Error, OtherData: s.OtherData}
	if !unsignedErr {
		m := hmac.New(h, s.Key.Secret)
		writeDigest(m, msg, &rec, s.Key.Name, s.RequestMAC, s.PriorMAC)
		rec.MAC = m.Sum(nil)
	}
	out := append([]byte(nil), msg...)
	out = s.Key.Name.AppendWire(out)
	out = binary.BigEndian.AppendUint16(out, uint16(TypeTSIG))
	out = binary.BigEndian.AppendUint16(out, uint16(ClassANY))
	out = binary.BigEndian.AppendUint32(out, 0)
	lenAt := len(out)
	out = append(out, 0, 0)
	if out, err = rec.appendWire(out); err != nil {
		return nil, nil, err
	}
	binary.BigEndian.PutUint16(out[lenAt:], uint16(len(out)-lenAt-2))
	ar := binary.BigEndian.Uint16(out[10:])
	if ar == 0xFFFF {
		return nil, nil, ErrTooManyRecords
	}
	binary.BigEndian.PutUint16(out[10:], ar+1)
	return out, rec.MAC, nil
}

// writeDigest feeds the MAC input of RFC 8945 4.3.3 (or 5.3.1 for later
// messages of a stream) to m. msg is the message without its TSIG, with
// the original ID in place.
func writeDigest(m hash.Hash, msg []byte, rec *TSIG, keyName Name, requestMAC, priorMAC []byte) {
	var b [2]byte
	prior := requestMAC
	if priorMAC != nil {
		prior = priorMAC
	}
	if prior != nil {
		binary.BigEndian.PutUint16(b[:], uint16(len(prior)))
		m.Write(b[:])
		m.Write(prior)
	}
	m.Write(msg)
	var v []byte
	if priorMAC == nil {
		v = keyName.Lower().AppendWire(v)
		v = binary.BigEndian.AppendUint16(v, uint16(ClassANY))
		v = binary.BigEndian.AppendUint32(v, 0)
		v = rec.Algorithm.Lower().AppendWire(v)
	}
	v = binary.BigEndian.AppendUint16(v, uint16(rec.TimeSigned>>32))
	v = binary.BigEndian.AppendUint32(v, uint32(rec.TimeSigned))
	v = binary.BigEndian.AppendUint16(v, rec.Fudge)
	if priorMAC == nil {
		v = binary.BigEndian.AppendUint16(v, uint16(rec.Error))
		v = binary.BigEndian.AppendUint16(v, uint16(len(rec.OtherData)))
		v = append(v, rec.OtherData...)
	}
	m.Write(v)
}

// TSIGVerify says how to verify one message.
type TSIGVerify struct {
	// Keys finds the key of a name; nil or a nil result means BADKEY.
	Keys func(name Name) *TSIGKey
	// Now is the time to check against (default time.Now()).
	Now time.Time
	// RequestMAC and PriorMAC as in TSIGSign, for verifying responses.
	RequestMAC, PriorMAC []byte
	// AllowLegacy permits HMAC-SHA1 and HMAC-MD5.
	AllowLegacy bool
}

// TSIGResult is what VerifyTSIG found.
type TSIGResult struct {
	// Record is the TSIG record; KeyName its owner.
	Record  TSIG
	KeyName Name
	// Key is the key that verified the MAC (nil on BADKEY).
	Key *TSIGKey
	// Unsigned is the message without the TSIG record and with the
	// original ID restored (aliasing a copy, not the input).
	Unsigned []byte
}

// VerifyTSIG checks the TSIG record that must end msg (RFC 8945 5.2):
// the key is known and of the named algorithm (else ErrTSIGBadKey), the
// MAC verifies (ErrTSIGBadSig; a MAC cut below half the hash or 10
// octets is ErrTSIGBadTrunc), and the time signed is within the fudge
// (ErrTSIGBadTime, checked after the MAC). A message without TSIG gives
// ErrTSIGMissing; a TSIG that is not the last additional record, or a
// second one, ErrTSIGFormat. The result is filled in as far as the check
// got, so a server can answer an error signed as the RFC says.
func VerifyTSIG(msg []byte, v TSIGVerify) (*TSIGResult, error) {
	start, end, err := findTSIG(msg)
	if err != nil {
		return nil, err
	}
	res := &TSIGResult{}
	owner, off, err := ReadName(msg, start)
	if err != nil {
		return nil, ErrTSIGFormat
	}
	res.KeyName = owner
	cls := Class(binary.BigEndian.Uint16(msg[off+2:]))
	ttl := binary.BigEndian.Uint32(msg[off+4:])
	if cls != ClassANY || ttl != 0 {
		return nil, ErrTSIGFormat
	}
	if err := res.Record.unpack(msg[:end], off+10, nil); err != nil {
		return nil, ErrTSIGFormat
	}
	rec := &res.Record
	unsigned := append([]byte(nil), msg[:start]...)
	binary.BigEndian.PutUint16(unsigned, rec.OriginalID)
	binary.BigEndian.PutUint16(unsigned[10:], binary.BigEndian.Uint16(unsigned[10:])-1)
	res.Unsigned = unsigned
	var key *TSIGKey
	if v.Keys != nil {
		key = v.Keys(owner)
	}
	if key == nil || !key.alg().Equal(rec.Algorithm) {
		return res, ErrTSIGBadKey
	}
	h := tsigHash(rec.Algorithm, v.AllowLegacy)
	if h == nil {
		return res, ErrTSIGBadKey
	}
	res.Key = key
	m := hmac.New(h, key.Secret)
	size := m.Size()
	if len(rec.MAC) > size {
		return res, ErrTSIGFormat
	}
	if rec.Error != 0 && len(rec.MAC) == 0 {
		// An unsigned BADKEY/BADSIG answer from the peer.
		return res, ErrTSIGPeer
	}
	if len(rec.MAC) < max(10, size/2) {
		return res, ErrTSIGBadTrunc
	}
	writeDigest(m, unsigned, rec, owner, v.RequestMAC, v.PriorMAC)
	sum := m.Sum(nil)
	if !hmac.Equal(sum[:len(rec.MAC)], rec.MAC) {
		return res, ErrTSIGBadSig
	}
	now := v.Now
	if now.IsZero() {
		now = time.Now()
	}
	n := uint64(now.Unix())
	diff := max(n, rec.TimeSigned) - min(n, rec.TimeSigned)
	if diff > uint64(rec.Fudge) {
		return res, ErrTSIGBadTime
	}
	if rec.Error != 0 {
		return res, ErrTSIGPeer
	}
	return res, nil
}

// findTSIG returns the bounds of the TSIG record, which must be the last
// record of msg and the only TSIG.
func findTSIG(msg []byte) (start, end int, err error) {
	var p Parser
	if _, err := p.Start(msg); err != nil {
		return 0, 0, err
	}
	if err := p.SkipQuestions(); err != nil {
		return 0, 0, err
	}
	total := p.Count(SectionAnswer) + p.Count(SectionAuthority) + p.Count(SectionAdditional)
	found := -1
	for i := 0; i < total; i++ {
		s := SectionAnswer
		switch {
		case i >= p.Count(SectionAnswer)+p.Count(SectionAuthority):
			s = SectionAdditional
		case i >= p.Count(SectionAnswer):
			s = SectionAuthority
		}
		at := p.Offset()
		h, err := p.RRHeader(s)
		if err != nil {
			return 0, 0, err
		}
		if h.Type == TypeTSIG {
			if found >= 0 || i != total-1 || s != SectionAdditional {
				return 0, 0, ErrTSIGFormat
			}
			found = at
		}
		if err := p.SkipRData(); err != nil {
			return 0, 0, err
		}
	}
	if found < 0 {
		return 0, 0, ErrTSIGMissing
	}
	return found, p.Offset(), nil
}
