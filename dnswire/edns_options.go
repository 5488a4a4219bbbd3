package dnswire

import (
	"net/netip"
	"strconv"
)

// Cookie is a DNS Cookie option (RFC 7873 4): an 8-octet client cookie,
// optionally followed by a server cookie of 8 to 32 octets.
type Cookie struct {
	Client [8]byte
	Server []byte
}

// CookieOption makes the option for c.
func CookieOption(c Cookie) EDNSOption {
	d := make([]byte, 0, 8+len(c.Server))
	d = append(d, c.Client[:]...)
	return EDNSOption{Code: OptionCookie, Data: append(d, c.Server...)}
}

// Cookie decodes a COOKIE option. RFC 7873 4: the data is 8 octets, or
// 16 to 40; anything else is malformed (the server answers FORMERR).
func (o EDNSOption) Cookie() (Cookie, error) {
	var c Cookie
	if o.Code != OptionCookie {
		return c, ErrWrongType
	}
	if n := len(o.Data); n != 8 && (n < 16 || n > 40) {
		return c, ErrBadOPT
	}
	copy(c.Client[:], o.Data)
	if len(o.Data) > 8 {
		c.Server = o.Data[8:]
	}
	return c, nil
}

// ExtendedError is an Extended DNS Error (RFC 8914 2): an INFO-CODE and
// optional UTF-8 text for humans.
type ExtendedError struct {
	InfoCode  uint16
	ExtraText string
}

// EDEOption makes the option for e.
func EDEOption(e ExtendedError) EDNSOption {
	d := make([]byte, 2, 2+len(e.ExtraText))
	put16(d, e.InfoCode)
	return EDNSOption{Code: OptionEDE, Data: append(d, e.ExtraText...)}
}

// EDE decodes an EDE option (RFC 8914 2: at least the 2-octet INFO-CODE).
func (o EDNSOption) EDE() (ExtendedError, error) {
	if o.Code != OptionEDE {
		return ExtendedError{}, ErrWrongType
	}
	if len(o.Data) < 2 {
		return ExtendedError{}, ErrBadOPT
	}
	return ExtendedError{InfoCode: be16(o.Data), ExtraText: string(o.Data[2:])}, nil
}

// PaddingOption makes a Padding option of n zero octets (RFC 7830 3).
func PaddingOption(n int) EDNSOption {
	return EDNSOption{Code: OptionPadding, Data: make([]byte, n)}
}

// ClientSubnet is an EDNS Client Subnet option (RFC 7871 6): the client's
// network (address masked to SOURCE PREFIX-LENGTH) and, in responses, the
// SCOPE PREFIX-LENGTH.
type ClientSubnet struct {
	Prefix netip.Prefix
	Scope  uint8
}

// ClientSubnetOption makes the option for cs; the address is masked and
// only the octets the prefix covers are sent (RFC 7871 6).
func ClientSubnetOption(cs ClientSubnet) (EDNSOption, error) {
	p := cs.Prefix.Masked()
	if !p.IsValid() {
		return EDNSOption{}, ErrBadOPT
	}
	fam := uint16(1)
	raw := p.Addr().AsSlice()
	if p.Addr().Is6() {
		fam = 2
	}
	n := (p.Bits() + 7) / 8
	d := make([]byte, 4, 4+n)
	put16(d, fam)
	d[2], d[3] = byte(p.Bits()), cs.Scope
	return EDNSOption{Code: OptionClientSubnet, Data: append(d, raw[:n]...)}, nil
}

// ClientSubnet decodes an ECS option. RFC 7871 6: FAMILY 1 or 2, prefix
// lengths within the family's size, ADDRESS exactly ceil(prefix/8) octets
// with the bits beyond the prefix zero.
func (o EDNSOption) ClientSubnet() (ClientSubnet, error) {
	var cs ClientSubnet
	if o.Code != OptionClientSubnet {
		return cs, ErrWrongType
	}
	if len(o.Data) < 4 {
		return cs, ErrBadOPT
	}
	fam, src, scope := be16(o.Data), int(o.Data[2]), o.Data[3]
	addr := o.Data[4:]
	var size int
	switch fam {
	case 1:
		size = 4
	case 2:
		size = 16
	default:
		return cs, ErrBadOPT
	}
	if src > size*8 || int(scope) > size*8 || len(addr) != (src+7)/8 {
		return cs, ErrBadOPT
	}
	var full [16]byte
	copy(full[:], addr)
	var a netip.Addr
	if fam == 1 {
		a = netip.AddrFrom4([4]byte(full[:4]))
	} else {
		a = netip.AddrFrom16(full)
	}
	p := netip.PrefixFrom(a, src)
	if p.Masked() != p {
		return cs, ErrBadOPT
	}
	cs.Prefix, cs.Scope = p, scope
	return cs, nil
}

// Option returns the first option with code c.
func (e *EDNS) Option(c OptionCode) (EDNSOption, bool) {
	for _, o := range e.Options {
		if o.Code == c {
			return o, true
		}
	}
	return EDNSOption{}, false
}

// String prints the option as dig does in its OPT pseudo-section, without
// the leading "; ".
func (o EDNSOption) String() string {
	switch o.Code {
	case OptionCookie:
		if _, err := o.Cookie(); err == nil {
			return "COOKIE: " + hexString(o.Data)
		}
	case OptionEDE:
		if e, err := o.EDE(); err == nil {
			s := "EDE: " + strconv.Itoa(int(e.InfoCode))
			if e.ExtraText != "" {
				s += ": (" + e.ExtraText + ")"
			}
			return s
		}
	case OptionPadding:
		return "PAD: (" + strconv.Itoa(len(o.Data)) + " bytes)"
	case OptionClientSubnet:
		if cs, err := o.ClientSubnet(); err == nil {
			return "CLIENT-SUBNET: " + cs.Prefix.String() + "/" + strconv.Itoa(int(cs.Scope))
		}
	}
	return "OPT=" + strconv.Itoa(int(o.Code)) + ": " + hexString(o.Data)
}

func hexString(b []byte) string {
	const hexd = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, hexd[c>>4], hexd[c&0xF])
	}
	return string(out)
}
