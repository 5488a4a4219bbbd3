package dnswire

// EDNS is the content of an EDNS0 OPT pseudo-record (RFC 6891 6.1). Msg
// keeps it out of the additional section: Unpack moves the OPT record here
// and merges its extended RCODE bits into Header.RCode, and AppendPack
// writes it back as the last additional record.
type EDNS struct {
	// UDPSize is the requestor's UDP payload size (RFC 6891 6.2.3), sent
	// in the CLASS field. Values below 512 mean 512.
	UDPSize uint16
	// Version is the EDNS version; only 0 is defined (RFC 6891 6.1.3).
	Version uint8
	// DO is the DNSSEC OK bit (RFC 3225).
	DO bool
	// Z holds the other 15 flag bits, reserved and normally zero
	// (RFC 6891 6.1.4); kept so they round-trip.
	Z uint16
	// Options in wire order; unknown codes round-trip as opaque data.
	Options []EDNSOption
}

// OptionCode is an EDNS0 option code (RFC 6891 6.1.2, IANA registry).
type OptionCode uint16

// Option codes with helpers in this package.
const (
	OptionClientSubnet OptionCode = 8  // RFC 7871
	OptionCookie       OptionCode = 10 // RFC 7873
	OptionPadding      OptionCode = 12 // RFC 7830
	OptionEDE          OptionCode = 15 // RFC 8914
)

// EDNSOption is one option of an OPT record: its code and raw data. The
// Cookie, ClientSubnet, EDE and Padding helpers read and make the data of
// the typed options.
type EDNSOption struct {
	Code OptionCode
	Data []byte
}

// optTTL builds the OPT TTL field: extended RCODE, version, DO, Z
// (RFC 6891 6.1.3).
func (e *EDNS) optTTL(rcode RCode) uint32 {
	t := uint32(rcode>>4)<<24 | uint32(e.Version)<<16 | uint32(e.Z&0x7FFF)
	if e.DO {
		t |= 1 << 15
	}
	return t
}

// setFromOPT fills e from an OPT record's CLASS and TTL and returns the
// upper 8 bits of the RCODE, already shifted into place.
func (e *EDNS) setFromOPT(class Class, ttl uint32) RCode {
	e.UDPSize = uint16(class)
	e.Version = uint8(ttl >> 16)
	e.DO = ttl&(1<<15) != 0
	e.Z = uint16(ttl) & 0x7FFF
	return RCode(ttl>>24) << 4
}

// unpackOptions reads the option list in msg[off:] (msg ends at the end of
// the OPT data) and appends it to opts, copying data into st (or aliasing
// msg when st is nil).
func unpackOptions(opts []EDNSOption, msg []byte, off int, st *store) ([]EDNSOption, error) {
	for off < len(msg) {
		if len(msg)-off < 4 {
			return opts, ErrBadOPT
		}
		code := be16(msg[off:])
		l := int(be16(msg[off+2:]))
		off += 4
		if l > len(msg)-off {
			return opts, ErrBadOPT
		}
		opts = append(opts, EDNSOption{Code: OptionCode(code), Data: st.copyBytes(msg[off : off+l])})
		off += l
	}
	return opts, nil
}

func appendOptions(b []byte, opts []EDNSOption) ([]byte, error) {
	for _, o := range opts {
		if len(o.Data) > 0xFFFF {
			return b, ErrBadOPT
		}
		b = app16(b, uint16(o.Code))
		b = app16(b, uint16(len(o.Data)))
		b = append(b, o.Data...)
	}
	return b, nil
}

// optLen returns the wire length of the OPT record for e.
func (e *EDNS) optLen() int {
	n := 11
	for _, o := range e.Options {
		n += 4 + len(o.Data)
	}
	return n
}
