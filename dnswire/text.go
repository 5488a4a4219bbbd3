package dnswire

import (
	"encoding/hex"
	"net/netip"
	"strconv"
	"strings"
)

// String returns the record as one zone-file line, fields separated by
// tabs as dig prints them: owner, TTL, class, type, data. A record without
// data (the UPDATE forms with RDLENGTH 0) ends after the type.
func (rr RR) String() string { return string(rr.AppendText(nil)) }

// AppendText appends rr's zone-file line to dst.
func (rr *RR) AppendText(dst []byte) []byte {
	dst = rr.Name.AppendText(dst)
	dst = append(dst, '\t')
	ttl := rr.TTL
	if rr.Type != TypeOPT {
		ttl = ttl31(ttl)
	}
	dst = strconv.AppendUint(dst, uint64(ttl), 10)
	dst = append(dst, '\t')
	dst = append(dst, rr.Class.String()...)
	dst = append(dst, '\t')
	dst = append(dst, rr.Type.String()...)
	if rr.Data != nil {
		dst = append(dst, '\t')
		dst = rr.Data.AppendText(dst)
	}
	return dst
}

// String returns the question as dig prints it, without dig's leading
// semicolon: name, class, type.
func (q Question) String() string {
	return q.Name.String() + "\t" + q.Class.String() + "\t" + q.Type.String()
}

// ParseRR reads one record from a zone-file line (RFC 1035 5.1):
//
//	owner [TTL] [class] type data
//
// TTL and class may come in either order; the TTL defaults to 0 and the
// class to IN. Names must be absolute: ParseRR has no origin to complete
// them with, and never guesses one (use ZoneReader for relative names).
// Data may be written in the RFC 3597 generic form `\# len hex` for any
// type. With class ANY or NONE the data may be omitted (RFC 2136 forms).
func ParseRR(s string) (RR, error) {
	toks, err := splitText(s)
	if err != nil {
		return RR{}, err
	}
	if len(toks) == 0 {
		return RR{}, &SyntaxError{Err: ErrSyntax, Token: s}
	}
	var rr RR
	ctx := textCtx{}
	if err := ctx.parseRR(toks, false, &rr); err != nil {
		return RR{}, err
	}
	return rr, nil
}

// textCtx is what a zone file carries from line to line.
type textCtx struct {
	origin    Name   // zero: relative names are an error
	lastOwner Name   // for lines that omit the owner
	ttl       uint32 // the last TTL given (RFC 1035 5.1)
	haveTTL   bool
	dollarTTL uint32 // $TTL (RFC 2308 4), which takes precedence
	haveDTTL  bool
	zoneFile  bool // TTL required (from $TTL or a previous line)
	line      int
	file      string
}

func (c *textCtx) errf(tok string, err error) error {
	if se, ok := err.(*SyntaxError); ok {
		if se.Line == 0 {
			se.Line = c.line
		}
		if se.File == "" {
			se.File = c.file
		}
		return se
	}
	return &SyntaxError{File: c.file, Line: c.line, Token: tok, Err: err}
}

// name parses a name field, completing a relative one with the origin
// (RFC 1035 5.1); "@" is the origin.
func (c *textCtx) name(t token) (Name, error) {
	if t.s == "@" && !t.quoted {
		if c.origin.IsZero() {
			return Name{}, c.errf(t.s, ErrRelativeName)
		}
		return c.origin, nil
	}
	n, err := ParseName(t.s)
	if err != nil {
		return Name{}, c.errf(t.s, err)
	}
	if n.IsAbsolute() {
		return n, nil
	}
	if c.origin.IsZero() {
		return Name{}, c.errf(t.s, ErrRelativeName)
	}
	a, err := n.Absolute(c.origin)
	if err != nil {
		return Name{}, c.errf(t.s, err)
	}
	return a, nil
}

// parseTTL reads a TTL: decimal seconds, or BIND-style units (1h30m, 2d,
// 1w) which many zone files use. RFC 2181 8: a value with the top bit set
// (2^31 to 2^32-1) is read as zero, as on the wire.
func parseTTL(s string) (uint32, bool) {
	if s == "" {
		return 0, false
	}
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		return ttl31(uint32(n)), true
	}
	var total, cur uint64
	digits := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isDigit(c) {
			cur = cur*10 + uint64(c-'0')
			digits = true
			if cur > 1<<32 {
				return 0, false
			}
			continue
		}
		if !digits {
			return 0, false
		}
		var mul uint64
		switch c | 0x20 {
		case 's':
			mul = 1
		case 'm':
			mul = 60
		case 'h':
			mul = 3600
		case 'd':
			mul = 86400
		case 'w':
			mul = 604800
		default:
			return 0, false
		}
		total += cur * mul
		cur, digits = 0, false
		if total > 1<<31-1 {
			return 0, false
		}
	}
	if digits {
		return 0, false
	}
	return uint32(total), true
}

// parseRR reads a record from a logical line's fields. If ownerOmitted,
// the owner is the previous line's.
func (c *textCtx) parseRR(toks []token, ownerOmitted bool, rr *RR) error {
	i := 0
	if ownerOmitted {
		if c.lastOwner.IsZero() {
			return c.errf("", errNoOwner)
		}
		rr.Name = c.lastOwner
	} else {
		n, err := c.name(toks[0])
		if err != nil {
			return err
		}
		rr.Name = n
		i = 1
	}
	haveTTL, haveClass := false, false
	rr.Class = ClassINET
	for ; i < len(toks) && !(haveTTL && haveClass); i++ {
		t := toks[i]
		if t.quoted {
			break
		}
		if !haveTTL && t.s != "" && isDigit(t.s[0]) {
			v, ok := parseTTL(t.s)
			if !ok {
				return c.errf(t.s, errBadTTL)
			}
			rr.TTL, haveTTL = v, true
			continue
		}
		if !haveClass {
			if cl, ok := ParseClass(t.s); ok {
				rr.Class, haveClass = cl, true
				continue
			}
		}
		break
	}
	if i >= len(toks) {
		return c.errf("", errNoType)
	}
	t, ok := ParseType(toks[i].s)
	if !ok || toks[i].quoted {
		return c.errf(toks[i].s, errBadType)
	}
	rr.Type = t
	i++
	if haveTTL {
		c.ttl, c.haveTTL = rr.TTL, true
	} else if c.zoneFile {
		// RFC 2308 4: $TTL applies to records without a TTL; before
		// any $TTL, RFC 1035 5.1 uses the last TTL given.
		switch {
		case c.haveDTTL:
			rr.TTL = c.dollarTTL
		case c.haveTTL:
			rr.TTL = c.ttl
		default:
			return c.errf("", errNoTTL)
		}
	}
	c.lastOwner = rr.Name
	rest := toks[i:]
	if len(rest) == 0 {
		// RFC 2136 2.4, 2.5: prerequisites and deletions carry no data.
		if rr.Class == ClassANY || rr.Class == ClassNONE {
			rr.Data = nil
			return nil
		}
		return c.errf(rr.Type.String(), errNoData)
	}
	d, err := c.parseRData(rr.Type, rest)
	if err != nil {
		return err
	}
	rr.Data = d
	return nil
}

const (
	errNoOwner = Error("dnswire: syntax error: no previous owner name")
	errNoType  = Error("dnswire: syntax error: missing type")
	errBadType = Error("dnswire: syntax error: unknown type")
	errBadTTL  = Error("dnswire: syntax error: bad TTL")
	errNoTTL   = Error("dnswire: syntax error: no TTL and no $TTL")
	errNoData  = Error("dnswire: syntax error: missing record data")
	errBadNum  = Error("dnswire: syntax error: bad number")
	errExtra   = Error("dnswire: syntax error: extra fields")
	errBadAddr = Error("dnswire: syntax error: bad address")
)

func (c *textCtx) uint(t token, bits int) (uint64, error) {
	v, err := strconv.ParseUint(t.s, 10, bits)
	if err != nil || t.quoted {
		return 0, c.errf(t.s, errBadNum)
	}
	return v, nil
}

// want checks the field count of fixed-size data.
func (c *textCtx) want(toks []token, n int) error {
	if len(toks) < n {
		return c.errf("", errNoData)
	}
	if len(toks) > n {
		return c.errf(toks[n].s, errExtra)
	}
	return nil
}

// parseRData reads the data fields of type t.
func (c *textCtx) parseRData(t Type, toks []token) (RData, error) {
	if toks[0].s == `\#` && !toks[0].quoted {
		return c.parseGeneric(t, toks[1:])
	}
	switch t {
	case TypeA, TypeAAAA:
		if err := c.want(toks, 1); err != nil {
			return nil, err
		}
		a, err := netip.ParseAddr(toks[0].s)
		if err != nil || a.Zone() != "" || (t == TypeA) != a.Is4() {
			return nil, c.errf(toks[0].s, errBadAddr)
		}
		if t == TypeA {
			return &A{Addr: a}, nil
		}
		return &AAAA{Addr: a}, nil
	case TypeNS, TypeCNAME, TypePTR:
		if err := c.want(toks, 1); err != nil {
			return nil, err
		}
		n, err := c.name(toks[0])
		if err != nil {
			return nil, err
		}
		switch t {
		case TypeNS:
			return &NS{Host: n}, nil
		case TypeCNAME:
			return &CNAME{Target: n}, nil
		}
		return &PTR{Target: n}, nil
	case TypeMX:
		if err := c.want(toks, 2); err != nil {
			return nil, err
		}
		p, err := c.uint(toks[0], 16)
		if err != nil {
			return nil, err
		}
		n, err := c.name(toks[1])
		if err != nil {
			return nil, err
		}
		return &MX{Pref: uint16(p), Host: n}, nil
	case TypeSOA:
		if err := c.want(toks, 7); err != nil {
			return nil, err
		}
		r := &SOA{}
		var err error
		if r.MName, err = c.name(toks[0]); err != nil {
			return nil, err
		}
		if r.RName, err = c.name(toks[1]); err != nil {
			return nil, err
		}
		var v [5]uint32
		for k := range v {
			// The serial is a plain number; the timers may use units.
			if k == 0 {
				n, err := c.uint(toks[2], 32)
				if err != nil {
					return nil, err
				}
				v[0] = uint32(n)
				continue
			}
			n, ok := parseTTL(toks[2+k].s)
			if !ok {
				return nil, c.errf(toks[2+k].s, errBadNum)
			}
			v[k] = n
		}
		r.Serial, r.Refresh, r.Retry, r.Expire, r.Minimum = v[0], v[1], v[2], v[3], v[4]
		return r, nil
	case TypeTXT:
		r := &TXT{Strings: make([][]byte, 0, len(toks))}
		for _, tk := range toks {
			b, err := unescapeString(tk.s)
			if err != nil {
				return nil, c.errf(tk.s, err)
			}
			if len(b) > 255 {
				return nil, c.errf(tk.s, ErrStringTooLong)
			}
			r.Strings = append(r.Strings, b)
		}
		return r, nil
	case TypeSRV:
		if err := c.want(toks, 4); err != nil {
			return nil, err
		}
		var v [3]uint16
		for k := range v {
			n, err := c.uint(toks[k], 16)
			if err != nil {
				return nil, err
			}
			v[k] = uint16(n)
		}
		n, err := c.name(toks[3])
		if err != nil {
			return nil, err
		}
		return &SRV{Priority: v[0], Weight: v[1], Port: v[2], Target: n}, nil
	case TypeCAA:
		if err := c.want(toks, 3); err != nil {
			return nil, err
		}
		f, err := c.uint(toks[0], 8)
		if err != nil {
			return nil, err
		}
		tag := []byte(toks[1].s)
		if !textCAATag(tag) || toks[1].quoted {
			return nil, c.errf(toks[1].s, ErrBadRData)
		}
		val, err := unescapeString(toks[2].s)
		if err != nil {
			return nil, c.errf(toks[2].s, err)
		}
		return &CAA{Flags: uint8(f), Tag: tag, Value: val}, nil
	case TypeOPT:
		return nil, c.errf("OPT", ErrBadOPT)
	}
	if d, ok := newRData(t).(textData); ok {
		if err := d.parseText(c, toks); err != nil {
			return nil, err
		}
		return d.(RData), nil
	}
	return nil, c.errf(toks[0].s, errGenericOnly)
}

const errGenericOnly = Error(`dnswire: syntax error: type has no text form here; use \# len hex (RFC 3597 5)`)

// parseGeneric reads RFC 3597 5 `\# len hex...` data. For a type with a
// typed form, the octets are decoded as that type (they must not hold
// compression pointers).
func (c *textCtx) parseGeneric(t Type, toks []token) (RData, error) {
	if len(toks) == 0 {
		return nil, c.errf(`\#`, errNoData)
	}
	n, err := c.uint(toks[0], 16)
	if err != nil {
		return nil, err
	}
	var sb strings.Builder
	for _, tk := range toks[1:] {
		sb.WriteString(tk.s)
	}
	data, err := hex.DecodeString(sb.String())
	if err != nil || uint64(len(data)) != n {
		return nil, c.errf(sb.String(), ErrBadRData)
	}
	if t == TypeOPT {
		return nil, c.errf("OPT", ErrBadOPT)
	}
	d := newRData(t)
	if u, ok := d.(*Unknown); ok {
		if l := nameLayout(t); l != "" {
			// The names must be whole: text has no message to point into.
			if _, err := decompressData(nil, data, 0, l); err != nil {
				return nil, c.errf(sb.String(), err)
			}
		}
		u.Data = data
		return u, nil
	}
	if len(data) == 0 {
		return nil, c.errf(`\# 0`, ErrBadRDLength)
	}
	if err := d.unpack(data, 0, nil); err != nil {
		return nil, c.errf(sb.String(), err)
	}
	return d, nil
}
