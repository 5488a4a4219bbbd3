package dnswire

import (
	"net/netip"
)

// RData is the typed data of a resource record. The concrete types are the
// pointer types *A, *AAAA, *NS, *CNAME, *PTR, *MX, *SOA, *TXT, *SRV, *CAA,
// *DNAME (and the other types in the rr_*.go files) and *Unknown (any
// other type, RFC 3597).
type RData interface {
	// Type returns the record type this data belongs to.
	Type() Type
	// String returns the data in presentation form, as the RDATA part of
	// a zone-file line.
	String() string
	// AppendText appends the presentation form to dst.
	AppendText(dst []byte) []byte

	// unpack decodes the data from msg[off:], where msg ends exactly at
	// the end of the record data. st holds reusable storage; nil means the
	// result may alias msg.
	unpack(msg []byte, off int, st *store) error
}

// Question is one entry of the question section (RFC 1035 4.1.2); in an
// UPDATE message it names the zone (RFC 2136 2.3).
type Question struct {
	Name  Name
	Type  Type
	Class Class
}

// RRHeader is the part of a resource record before its data
// (RFC 1035 4.1.3). Length is the RDLENGTH read from the wire; the Builder
// computes it and ignores this field.
type RRHeader struct {
	Name   Name
	Type   Type
	Class  Class
	TTL    uint32
	Length uint16
}

// RR is a resource record: header and typed data. Data is nil for a record
// with RDLENGTH 0 and class ANY or NONE, which is how UPDATE (RFC 2136
// 2.4, 2.5) writes "RRset exists" prerequisites and "delete RRset"
// updates; with any other class, empty data is decoded by its type (and
// is an error for A, MX and the like). A nil Data packs as RDLENGTH 0.
type RR struct {
	RRHeader
	Data RData
}

// A is an IPv4 address record (RFC 1035 3.4.1).
type A struct{ Addr netip.Addr }

// AAAA is an IPv6 address record (RFC 3596 2.2).
type AAAA struct{ Addr netip.Addr }

// NS names an authoritative name server (RFC 1035 3.3.11).
type NS struct{ Host Name }

// CNAME names the canonical name of an alias (RFC 1035 3.3.1).
type CNAME struct{ Target Name }

// PTR points to another name (RFC 1035 3.3.12).
type PTR struct{ Target Name }

// MX names a mail exchanger and its preference (RFC 1035 3.3.9).
type MX struct {
	Pref uint16
	Host Name
}

// SOA marks the start of a zone of authority (RFC 1035 3.3.13).
type SOA struct {
	MName   Name
	RName   Name
	Serial  uint32
	Refresh uint32
	Retry   uint32
	Expire  uint32
	Minimum uint32
}

// TXT holds one or more character-strings of up to 255 octets each
// (RFC 1035 3.3.14). After Msg.Unpack the slices point into the Msg's own
// storage and are overwritten by its next Unpack.
type TXT struct{ Strings [][]byte }

// NewTXT makes TXT data from strings; each must be at most 255 octets.
func NewTXT(s ...string) *TXT {
	t := &TXT{Strings: make([][]byte, len(s))}
	for i := range s {
		t.Strings[i] = []byte(s[i])
	}
	return t
}

// SRV locates a service (RFC 2782). The target is never compressed on
// write (RFC 2782, RFC 3597 4) but a compressed one is accepted on read.
type SRV struct {
	Priority uint16
	Weight   uint16
	Port     uint16
	Target   Name
}

// CAA is a certification authority authorization (RFC 8659 4.1).
type CAA struct {
	Flags uint8
	Tag   []byte
	Value []byte
}

// Unknown is the data of any type without a typed form here, kept as the
// opaque octets of RFC 3597; it round-trips byte for byte and prints as
// `\# len hex`.
type Unknown struct {
	T    Type
	Data []byte
}

// Type methods.
func (*A) Type() Type         { return TypeA }
func (*AAAA) Type() Type      { return TypeAAAA }
func (*NS) Type() Type        { return TypeNS }
func (*CNAME) Type() Type     { return TypeCNAME }
func (*PTR) Type() Type       { return TypePTR }
func (*MX) Type() Type        { return TypeMX }
func (*SOA) Type() Type       { return TypeSOA }
func (*TXT) Type() Type       { return TypeTXT }
func (*SRV) Type() Type       { return TypeSRV }
func (*CAA) Type() Type       { return TypeCAA }
func (u *Unknown) Type() Type { return u.T }

// --- pack: RFC 1035 4.1.4 lets a server compress names in the RDATA of
// the RFC 1035 types only (NS, CNAME, SOA, PTR, MX here); RFC 3597 4
// forbids it for every later type.

func (r *A) pack(b *Builder) error {
	if !r.Addr.Is4() {
		return ErrBadRData
	}
	a := r.Addr.As4()
	b.msg = append(b.msg, a[:]...)
	return nil
}

func (r *AAAA) pack(b *Builder) error {
	if !r.Addr.Is6() || r.Addr.Zone() != "" {
		return ErrBadRData
	}
	a := r.Addr.As16()
	b.msg = append(b.msg, a[:]...)
	return nil
}

func (r *NS) pack(b *Builder) error    { return b.appendName(&r.Host, true) }
func (r *CNAME) pack(b *Builder) error { return b.appendName(&r.Target, true) }
func (r *PTR) pack(b *Builder) error   { return b.appendName(&r.Target, true) }

func (r *MX) pack(b *Builder) error {
	b.msg = app16(b.msg, r.Pref)
	return b.appendName(&r.Host, true)
}

func (r *SOA) pack(b *Builder) error {
	if err := b.appendName(&r.MName, true); err != nil {
		return err
	}
	if err := b.appendName(&r.RName, true); err != nil {
		return err
	}
	b.msg = app32(b.msg, r.Serial)
	// RFC 2181 8 (and RFC 2308 4 for MINIMUM): timers are 31 bits.
	b.msg = app32(b.msg, ttl31(r.Refresh))
	b.msg = app32(b.msg, ttl31(r.Retry))
	b.msg = app32(b.msg, ttl31(r.Expire))
	b.msg = app32(b.msg, ttl31(r.Minimum))
	return nil
}

func (r *TXT) pack(b *Builder) error {
	// RFC 1035 3.3.14: one or more character-strings.
	if len(r.Strings) == 0 {
		return ErrBadRData
	}
	for _, s := range r.Strings {
		if len(s) > 255 {
			return ErrStringTooLong
		}
		b.msg = append(b.msg, byte(len(s)))
		b.msg = append(b.msg, s...)
	}
	return nil
}

func (r *SRV) pack(b *Builder) error {
	b.msg = app16(b.msg, r.Priority)
	b.msg = app16(b.msg, r.Weight)
	b.msg = app16(b.msg, r.Port)
	return b.appendName(&r.Target, false)
}

func (r *CAA) pack(b *Builder) error {
	// RFC 8659 4.1: the tag length MUST be at least 1.
	if len(r.Tag) == 0 || len(r.Tag) > 255 {
		return ErrBadRData
	}
	b.msg = append(b.msg, r.Flags, byte(len(r.Tag)))
	b.msg = append(b.msg, r.Tag...)
	b.msg = append(b.msg, r.Value...)
	return nil
}

// textCAATag reports whether a tag can be written in the presentation
// form: ASCII letters and digits only (RFC 8659 4.1). Other tags are
// accepted on the wire, where they do no harm (RFC 6844 erratum 4061),
// and printed in the RFC 3597 generic form.
func textCAATag(t []byte) bool {
	if len(t) == 0 || len(t) > 255 {
		return false
	}
	for _, c := range t {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func (r *Unknown) pack(b *Builder) error {
	b.msg = append(b.msg, r.Data...)
	return nil
}

// --- unpack. msg ends at the end of the record data, so a name or field
// that would run past RDLENGTH reads as truncated; rdataErr turns that into
// ErrBadRDLength.

func rdataErr(err error) error {
	if err == ErrTruncated {
		return ErrBadRDLength
	}
	return err
}

func (r *A) unpack(msg []byte, off int, _ *store) error {
	if len(msg)-off != 4 {
		return ErrBadRDLength
	}
	r.Addr = netip.AddrFrom4([4]byte(msg[off : off+4]))
	return nil
}

func (r *AAAA) unpack(msg []byte, off int, _ *store) error {
	if len(msg)-off != 16 {
		return ErrBadRDLength
	}
	r.Addr = netip.AddrFrom16([16]byte(msg[off : off+16]))
	return nil
}

// unpackName reads a name that must end exactly at the end of the data.
func unpackName(msg []byte, off int, n *Name, nc *nameCache) error {
	end, err := readName(msg, off, n, nc)
	if err != nil {
		return rdataErr(err)
	}
	if end != len(msg) {
		return ErrBadRDLength
	}
	return nil
}

// The types whose data holds names have a decode method taking the
// name cache directly, which the Parser calls with its own; unpack passes
// the store's.

func (r *NS) unpack(msg []byte, off int, st *store) error    { return r.decode(msg, off, st.cache()) }
func (r *CNAME) unpack(msg []byte, off int, st *store) error { return r.decode(msg, off, st.cache()) }
func (r *PTR) unpack(msg []byte, off int, st *store) error   { return r.decode(msg, off, st.cache()) }
func (r *MX) unpack(msg []byte, off int, st *store) error    { return r.decode(msg, off, st.cache()) }
func (r *SOA) unpack(msg []byte, off int, st *store) error   { return r.decode(msg, off, st.cache()) }
func (r *SRV) unpack(msg []byte, off int, st *store) error   { return r.decode(msg, off, st.cache()) }

func (r *NS) decode(msg []byte, off int, nc *nameCache) error {
	return unpackName(msg, off, &r.Host, nc)
}

func (r *CNAME) decode(msg []byte, off int, nc *nameCache) error {
	return unpackName(msg, off, &r.Target, nc)
}

func (r *PTR) decode(msg []byte, off int, nc *nameCache) error {
	return unpackName(msg, off, &r.Target, nc)
}

func (r *MX) decode(msg []byte, off int, nc *nameCache) error {
	if len(msg)-off < 3 {
		return ErrBadRDLength
	}
	r.Pref = be16(msg[off:])
	return unpackName(msg, off+2, &r.Host, nc)
}

func (r *SOA) decode(msg []byte, off int, nc *nameCache) error {
	var err error
	if off, err = readName(msg, off, &r.MName, nc); err != nil {
		return rdataErr(err)
	}
	if off, err = readName(msg, off, &r.RName, nc); err != nil {
		return rdataErr(err)
	}
	if len(msg)-off != 20 {
		return ErrBadRDLength
	}
	r.Serial = be32(msg[off:])
	r.Refresh = ttl31(be32(msg[off+4:]))
	r.Retry = ttl31(be32(msg[off+8:]))
	r.Expire = ttl31(be32(msg[off+12:]))
	r.Minimum = ttl31(be32(msg[off+16:]))
	return nil
}

func (r *TXT) unpack(msg []byte, off int, st *store) error {
	if off >= len(msg) {
		return ErrBadRDLength
	}
	var first int
	if st != nil {
		first = len(st.segs)
	} else {
		r.Strings = r.Strings[:0]
	}
	for off < len(msg) {
		l := int(msg[off])
		off++
		if off+l > len(msg) {
			return ErrBadRDLength
		}
		if st != nil {
			st.segs = append(st.segs, st.copyBytes(msg[off:off+l]))
		} else {
			r.Strings = append(r.Strings, msg[off:off+l:off+l])
		}
		off += l
	}
	if st != nil {
		r.Strings = st.segs[first:len(st.segs):len(st.segs)]
	}
	return nil
}

func (r *SRV) decode(msg []byte, off int, nc *nameCache) error {
	if len(msg)-off < 7 {
		return ErrBadRDLength
	}
	r.Priority = be16(msg[off:])
	r.Weight = be16(msg[off+2:])
	r.Port = be16(msg[off+4:])
	return unpackName(msg, off+6, &r.Target, nc)
}

func (r *CAA) unpack(msg []byte, off int, st *store) error {
	if len(msg)-off < 2 {
		return ErrBadRDLength
	}
	r.Flags = msg[off]
	l := int(msg[off+1])
	off += 2
	if off+l > len(msg) {
		return ErrBadRDLength
	}
	tag := msg[off : off+l]
	if l == 0 {
		return ErrBadRData // RFC 8659 4.1: tag length at least 1
	}
	r.Tag = st.copyBytes(tag)
	r.Value = st.copyBytes(msg[off+l:])
	return nil
}

func (r *Unknown) unpack(msg []byte, off int, st *store) error {
	if l := nameLayout(r.T); l != "" {
		return r.unpackCanonical(msg, off, st, l)
	}
	r.Data = st.copyBytes(msg[off:])
	return nil
}
