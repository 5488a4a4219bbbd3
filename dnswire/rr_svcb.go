package dnswire

import (
	"encoding/base64"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// SVCB and HTTPS records (RFC 9460).

// SVCB is a service binding (RFC 9460 2.2): priority 0 is AliasMode,
// anything else ServiceMode with parameters. The target is never
// compressed on write (RFC 9460 2.2); a compressed one is read.
type SVCB struct {
	Priority uint16
	Target   Name
	// Params in increasing key order, as the wire form requires
	// (RFC 9460 2.2); a message with keys out of order is malformed.
	Params []SVCParam
}

// HTTPS is SVCB for HTTP origins (RFC 9460 9); same data as SVCB.
type HTTPS struct{ SVCB }

// SVCParam is one SvcParam: its key and the value in wire form. Values of
// the keys RFC 9460 defines are checked on read and on parse.
type SVCParam struct {
	Key   SVCKey
	Value []byte
}

// SVCKey is a SvcParamKey (RFC 9460 14.3).
type SVCKey uint16

// SvcParamKeys (RFC 9460 14.3.2, RFC 9461 for dohpath, RFC 9540 for
// ohttp).
const (
	SVCMandatory     SVCKey = 0
	SVCAlpn          SVCKey = 1
	SVCNoDefaultAlpn SVCKey = 2
	SVCPort          SVCKey = 3
	SVCIPv4Hint      SVCKey = 4
	SVCECH           SVCKey = 5
	SVCIPv6Hint      SVCKey = 6
	SVCDoHPath       SVCKey = 7
	SVCOHTTP         SVCKey = 8
)

// String returns the key's presentation name, or keyNNNNN (RFC 9460 2.1).
func (k SVCKey) String() string {
	switch k {
	case SVCMandatory:
		return "mandatory"
	case SVCAlpn:
		return "alpn"
	case SVCNoDefaultAlpn:
		return "no-default-alpn"
	case SVCPort:
		return "port"
	case SVCIPv4Hint:
		return "ipv4hint"
	case SVCECH:
		return "ech"
	case SVCIPv6Hint:
		return "ipv6hint"
	case SVCDoHPath:
		return "dohpath"
	case SVCOHTTP:
		return "ohttp"
	}
	return "key" + strconv.Itoa(int(k))
}

// ParseSVCKey reads a key name or keyNNNNN.
func ParseSVCKey(s string) (SVCKey, bool) {
	for k := SVCMandatory; k <= SVCOHTTP; k++ {
		if k.String() == s {
			return k, true
		}
	}
	if len(s) > 3 && s[:3] == "key" && isDigit(s[3]) {
		n, err := strconv.ParseUint(s[3:], 10, 16)
		// RFC 9460 2.1: no leading zeros; 65535 is reserved.
		if err == nil && (s[3] != '0' || len(s) == 4) && n != 65535 {
			return SVCKey(n), true
		}
	}
	return 0, false
}

// Type returns TypeSVCB.
func (*SVCB) Type() Type { return TypeSVCB }

// Type returns TypeHTTPS.
func (*HTTPS) Type() Type { return TypeHTTPS }

// String returns the presentation form.
func (r *SVCB) String() string { return string(r.AppendText(nil)) }

// checkSVCValue applies the value syntax of the keys RFC 9460 7 defines.
func checkSVCValue(k SVCKey, v []byte) error {
	switch k {
	case SVCMandatory:
		if len(v) == 0 || len(v)%2 != 0 {
			return ErrBadRData
		}
		// RFC 9460 8: keys in increasing order, not mandatory itself.
		prev := -1
		for i := 0; i < len(v); i += 2 {
			x := int(be16(v[i:]))
			if x <= prev || x == 0 {
				return ErrBadRData
			}
			prev = x
		}
	case SVCAlpn:
		if len(v) == 0 {
			return ErrBadRData
		}
		for i := 0; i < len(v); {
			l := int(v[i])
			if l == 0 || i+1+l > len(v) {
				return ErrBadRData
			}
			i += 1 + l
		}
	case SVCNoDefaultAlpn, SVCOHTTP:
		if len(v) != 0 {
			return ErrBadRData
		}
	case SVCPort:
		if len(v) != 2 {
			return ErrBadRData
		}
	case SVCIPv4Hint:
		if len(v) == 0 || len(v)%4 != 0 {
			return ErrBadRData
		}
	case SVCIPv6Hint:
		if len(v) == 0 || len(v)%16 != 0 {
			return ErrBadRData
		}
	case SVCDoHPath:
		// RFC 9461 5: a URI template, UTF-8; any octets are kept.
	}
	return nil
}

func (r *SVCB) unpack(msg []byte, off int, st *store) error {
	if err := need(msg, off, 3); err != nil {
		return err
	}
	r.Priority = be16(msg[off:])
	end, err := readName(msg, off+2, &r.Target, st.cache())
	if err != nil {
		return rdataErr(err)
	}
	off = end
	var ps []SVCParam
	first := 0
	if st != nil {
		first = len(st.rareSlabs().params)
		ps = st.rare.params
	}
	last := -1
	for off < len(msg) {
		if len(msg)-off < 4 {
			return ErrBadRDLength
		}
		k, l := SVCKey(be16(msg[off:])), int(be16(msg[off+2:]))
		off += 4
		if off+l > len(msg) {
			return ErrBadRDLength
		}
		// RFC 9460 2.2: strictly increasing keys; 65535 is reserved.
		if int(k) <= last || k == 65535 {
			return ErrBadRData
		}
		last = int(k)
		v := msg[off : off+l]
		if err := checkSVCValue(k, v); err != nil {
			return err
		}
		ps = append(ps, SVCParam{Key: k, Value: st.copyBytes(v)})
		off += l
	}
	if st != nil {
		st.rare.params = ps
		ps = ps[first:len(ps):len(ps)]
	}
	if len(ps) == 0 {
		ps = nil
	}
	r.Params = ps
	return nil
}

func (r *SVCB) appendWire(dst []byte) ([]byte, error) {
	dst = app16(dst, r.Priority)
	dst, err := appendNameWire(dst, &r.Target)
	if err != nil {
		return dst, err
	}
	last := -1
	for _, p := range r.Params {
		if int(p.Key) <= last || len(p.Value) > 0xFFFF {
			return dst, ErrBadRData
		}
		if err := checkSVCValue(p.Key, p.Value); err != nil {
			return dst, err
		}
		last = int(p.Key)
		dst = app16(dst, uint16(p.Key))
		dst = app16(dst, uint16(len(p.Value)))
		dst = append(dst, p.Value...)
	}
	return dst, nil
}

// AppendText appends "priority target key=value..." (RFC 9460 2.1,
// Appendix A).
func (r *SVCB) AppendText(dst []byte) []byte {
	dst = strconv.AppendUint(dst, uint64(r.Priority), 10)
	dst = append(dst, ' ')
	dst = r.Target.AppendText(dst)
	for _, p := range r.Params {
		dst = append(dst, ' ')
		dst = append(dst, p.Key.String()...)
		v := p.Value
		switch p.Key {
		case SVCNoDefaultAlpn, SVCOHTTP:
			continue
		case SVCMandatory:
			dst = append(dst, '=')
			for i := 0; i+1 < len(v); i += 2 {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = append(dst, SVCKey(be16(v[i:])).String()...)
			}
		case SVCAlpn:
			// A value-list (RFC 9460 A.1): commas and backslashes in an
			// ID are escaped once for the list and once more for the
			// character-string.
			dst = append(dst, '=', '"')
			for i := 0; i < len(v); {
				l := int(v[i])
				if i > 0 {
					dst = append(dst, ',')
				}
				for _, c := range v[i+1 : i+1+l] {
					switch {
					case c == ',':
						dst = append(dst, '\\', '\\', ',')
					case c == '\\':
						dst = append(dst, '\\', '\\', '\\', '\\')
					case c == '"':
						dst = append(dst, '\\', '"')
					case c < 0x20 || c > 0x7e:
						dst = append(dst, '\\', '0'+c/100, '0'+c/10%10, '0'+c%10)
					default:
						dst = append(dst, c)
					}
				}
				i += 1 + l
			}
			dst = append(dst, '"')
		case SVCPort:
			dst = append(dst, '=')
			dst = strconv.AppendUint(dst, uint64(be16(v)), 10)
		case SVCIPv4Hint, SVCIPv6Hint:
			dst = append(dst, '=')
			n := 4
			if p.Key == SVCIPv6Hint {
				n = 16
			}
			for i := 0; i+n <= len(v); i += n {
				if i > 0 {
					dst = append(dst, ',')
				}
				var a netip.Addr
				if n == 4 {
					a = netip.AddrFrom4([4]byte(v[i : i+4]))
				} else {
					a = netip.AddrFrom16([16]byte(v[i : i+16]))
				}
				dst = a.AppendTo(dst)
			}
		case SVCECH:
			dst = append(dst, '=')
			dst = base64.StdEncoding.AppendEncode(dst, v)
		default:
			dst = append(dst, '=')
			dst = appendQuoted(dst, v)
		}
	}
	return dst
}

func (r *SVCB) parseText(c *textCtx, toks []token) error {
	if len(toks) < 2 {
		return c.errf("", errNoData)
	}
	pr, err := c.uint(toks[0], 16)
	if err != nil {
		return err
	}
	target, err := c.name(toks[1])
	if err != nil {
		return err
	}
	var ps []SVCParam
	for i := 2; i < len(toks); i++ {
		t := toks[i]
		if t.quoted {
			return c.errf(t.s, ErrSyntax)
		}
		ks, raw, hasVal := strings.Cut(t.s, "=")
		if hasVal && raw == "" && i+1 < len(toks) && toks[i+1].quoted {
			raw = toks[i+1].s // key="value" lexes as two fields
			i++
		}
		k, ok := ParseSVCKey(ks)
		if !ok {
			return c.errf(t.s, ErrBadRData)
		}
		val, err := svcValue(k, raw, hasVal)
		if err != nil {
			return c.errf(t.s, err)
		}
		ps = append(ps, SVCParam{Key: k, Value: val})
	}
	// RFC 9460 2.1: keys may come in any order but not twice; the wire
	// form sorts them.
	slices.SortStableFunc(ps, func(a, b SVCParam) int { return int(a.Key) - int(b.Key) })
	for i := 1; i < len(ps); i++ {
		if ps[i].Key == ps[i-1].Key {
			return c.errf(ps[i].Key.String(), ErrBadRData)
		}
	}
	// RFC 9460 8 (and Appendix D.3): every key that mandatory lists
	// appears in the record.
	if len(ps) > 0 && ps[0].Key == SVCMandatory {
		for v := ps[0].Value; len(v) >= 2; v = v[2:] {
			k := SVCKey(be16(v))
			if _, found := slices.BinarySearchFunc(ps, k, func(p SVCParam, k SVCKey) int { return int(p.Key) - int(k) }); !found {
				return c.errf(k.String(), ErrBadRData)
			}
		}
	}
	*r = SVCB{Priority: uint16(pr), Target: target, Params: ps}
	return nil
}

// svcValue turns a presentation value into wire form.
func svcValue(k SVCKey, raw string, hasVal bool) ([]byte, error) {
	// RFC 9460 7.1.1: the value is empty; `key=""` (miekg/dns writes
	// that) says the same as `key`.
	if (k == SVCNoDefaultAlpn || k == SVCOHTTP) && raw != "" {
		return nil, ErrBadRData
	}
	s, err := unescapeString(raw)
	if err != nil {
		return nil, err
	}
	var out []byte
	switch k {
	case SVCNoDefaultAlpn, SVCOHTTP:
		return nil, nil
	case SVCMandatory:
		for f := range strings.SplitSeq(string(s), ",") {
			mk, ok := ParseSVCKey(f)
			if !ok {
				return nil, ErrBadRData
			}
			out = app16(out, uint16(mk))
		}
		// Sorted, as the wire form wants (RFC 9460 8).
		keys := make([]uint16, 0, len(out)/2)
		for i := 0; i < len(out); i += 2 {
			keys = append(keys, be16(out[i:]))
		}
		slices.Sort(keys)
		out = out[:0]
		for _, k := range keys {
			out = app16(out, k)
		}
	case SVCAlpn:
		var id []byte
		for i := 0; i <= len(s); i++ {
			if i == len(s) || s[i] == ',' {
				if len(id) == 0 || len(id) > 255 {
					return nil, ErrBadRData
				}
				out = append(append(out, byte(len(id))), id...)
				id = id[:0]
				continue
			}
			if s[i] == '\\' && i+1 < len(s) {
				i++
			}
			id = append(id, s[i])
		}
	case SVCPort:
		n, err := strconv.ParseUint(string(s), 10, 16)
		if err != nil {
			return nil, ErrBadRData
		}
		out = app16(out, uint16(n))
	case SVCIPv4Hint, SVCIPv6Hint:
		for f := range strings.SplitSeq(string(s), ",") {
			a, err := netip.ParseAddr(f)
			if err != nil || a.Zone() != "" || a.Is4() != (k == SVCIPv4Hint) {
				return nil, ErrBadRData
			}
			out = append(out, a.AsSlice()...)
		}
	case SVCECH:
		b, err := base64.StdEncoding.DecodeString(string(s))
		if err != nil {
			return nil, ErrBadRData
		}
		out = b
	default:
		out = s
	}
	if err := checkSVCValue(k, out); err != nil {
		return nil, err
	}
	if len(out) > 0xFFFF {
		return nil, ErrBadRData
	}
	return out, nil
}

func (r *SVCB) cloneRData() RData {
	c := *r
	if r.Params != nil {
		c.Params = make([]SVCParam, len(r.Params))
		for i, p := range r.Params {
			c.Params[i] = SVCParam{Key: p.Key, Value: cloneBytes(p.Value)}
		}
	}
	return &c
}

func (r *HTTPS) cloneRData() RData { return &HTTPS{*r.SVCB.cloneRData().(*SVCB)} }

// SVCB decodes the current record's data as an SVCB record.
func (p *Parser) SVCB() (SVCB, error) {
	var r SVCB
	err := p.decodeSVCB(&r, TypeSVCB)
	return r, err
}

// HTTPS decodes the current record's data as an HTTPS record.
func (p *Parser) HTTPS() (HTTPS, error) {
	var r HTTPS
	err := p.decodeSVCB(&r.SVCB, TypeHTTPS)
	return r, err
}

func (p *Parser) decodeSVCB(r *SVCB, t Type) error {
	msg, off, err := p.data(t)
	if err != nil {
		return err
	}
	if err := r.unpack(msg, off, nil); err != nil {
		return p.dataErr(off, err)
	}
	return nil
}
