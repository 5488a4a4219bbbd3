package dnswire

// HeaderLen is the length of the fixed message header (RFC 1035 4.1.1).
const HeaderLen = 12

// Header holds the message ID and flags of RFC 1035 4.1.1 (with AD and CD
// from RFC 4035 3.2). The four section counts are not here: the Parser
// reports them with Count, the Builder and Msg compute them.
//
// RCode is 12 bits wide: the header carries the low 4 bits and an EDNS0 OPT
// record the high 8 (RFC 6891 6.1.3). Parser.Start reports the header's 4
// bits only; Msg.Unpack merges in the OPT part.
type Header struct {
	ID                 uint16
	Response           bool // QR
	Opcode             Opcode
	Authoritative      bool // AA
	Truncated          bool // TC
	RecursionDesired   bool // RD
	RecursionAvailable bool // RA
	Zero               bool // Z, reserved: must be zero (RFC 1035 4.1.1)
	AuthenticData      bool // AD (RFC 4035 3.2.3)
	CheckingDisabled   bool // CD (RFC 4035 3.2.2)
	RCode              RCode
}

// flags returns the 16-bit flags word with the low 4 bits of RCode.
func (h *Header) flags() uint16 {
	f := uint16(h.Opcode&0xF)<<11 | uint16(h.RCode&0xF)
	if h.Response {
		f |= 1 << 15
	}
	if h.Authoritative {
		f |= 1 << 10
	}
	if h.Truncated {
		f |= 1 << 9
	}
	if h.RecursionDesired {
		f |= 1 << 8
	}
	if h.RecursionAvailable {
		f |= 1 << 7
	}
	if h.Zero {
		f |= 1 << 6
	}
	if h.AuthenticData {
		f |= 1 << 5
	}
	if h.CheckingDisabled {
		f |= 1 << 4
	}
	return f
}

func (h *Header) setFlags(f uint16) {
	h.Response = f&(1<<15) != 0
	h.Opcode = Opcode(f>>11) & 0xF
	h.Authoritative = f&(1<<10) != 0
	h.Truncated = f&(1<<9) != 0
	h.RecursionDesired = f&(1<<8) != 0
	h.RecursionAvailable = f&(1<<7) != 0
	h.Zero = f&(1<<6) != 0
	h.AuthenticData = f&(1<<5) != 0
	h.CheckingDisabled = f&(1<<4) != 0
	h.RCode = RCode(f & 0xF)
}

func be16(b []byte) uint16 { return uint16(b[0])<<8 | uint16(b[1]) }

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func put16(b []byte, v uint16) { b[0], b[1] = byte(v>>8), byte(v) }

func app16(b []byte, v uint16) []byte { return append(b, byte(v>>8), byte(v)) }

func app32(b []byte, v uint32) []byte {
	return append(b, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

// ttl31 applies RFC 2181 8: a TTL (or an SOA timer) with the most
// significant bit set is treated as zero, on read and on write alike, so
// wire and text round trips agree.
func ttl31(v uint32) uint32 {
	if v>>31 != 0 {
		return 0
	}
	return v
}

// ReadName decodes the possibly compressed name that starts at msg[off]
// and returns it with the offset just past it. msg must be the whole
// message, since compression pointers are offsets from its start. Errors
// are the bare sentinels (ErrTruncated, ErrBadPointer, ...) and the
// offset where the problem is.
func ReadName(msg []byte, off int) (Name, int, error) {
	var n Name
	if off < 0 || off > len(msg) {
		return n, off, ErrTruncated
	}
	end, err := readName(msg, off, &n, nil)
	if err != nil {
		return Name{}, end, err
	}
	return n, end, nil
}
