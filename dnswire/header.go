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

// readName decodes the possibly compressed name at msg[off:] into dst and
// returns the offset just past it in the original position.
//
// RFC 1035 4.1.4: a pointer is two octets starting 11 whose low 14 bits are
// an offset from the start of the message. Here every pointer must point
// strictly before the start of the labels it follows (the name's own start
// for the first pointer, the previous pointer's target after that): a
// pointer may only refer to a name written earlier. Each hop therefore
// moves strictly backwards, which ends every loop without a hop counter and
// accepts legal chains of any length. Labels starting 01 or 10 are
// reserved (RFC 6891 5 retired the extended label types).
// ttl31 applies RFC 2181 8: a TTL (or an SOA timer) with the most
// significant bit set is treated as zero, on read and on write alike, so
// wire and text round trips agree.
func ttl31(v uint32) uint32 {
	if v>>31 != 0 {
		return 0
	}
	return v
}

func readName(msg []byte, off int, dst *Name) (int, error) {
	n := 0
	runStart := off
	end := -1
	for {
		// Scan a run of labels written out in place, then copy the run
		// at once: one copy per run instead of one per label.
		begin := off
		for {
			if off >= len(msg) {
				return off, ErrTruncated
			}
			c := int(msg[off])
			if c == 0 || c > MaxLabelLen {
				break
			}
			if off+1+c > len(msg) {
				return off, ErrTruncated
			}
			// RFC 1035 2.3.4: 255 octets including the root label,
			// which still has to fit after this label.
			if n+off-begin+1+c >= MaxNameLen {
				return off, ErrNameTooLong
			}
			off += 1 + c
		}
		n += copy(dst.b[n:], msg[begin:off])
		c := int(msg[off])
		if c == 0 {
			// n <= 254 here: the check above keeps room for the root.
			dst.b[n] = 0
			n++
			off++
			break
		}
		if c&0xC0 != 0xC0 {
			return off, ErrBadLabelType
		}
		if off+1 >= len(msg) {
			return off, ErrTruncated
		}
		ptr := (c&0x3F)<<8 | int(msg[off+1])
		// Nothing in the 12-octet header is a name (RFC 1035 4.1.1),
		// so a pointer into it is never legitimate.
		if ptr < HeaderLen {
			return off, ErrPointerIntoHeader
		}
		if ptr >= runStart {
			return off, ErrBadPointer
		}
		if end < 0 {
			end = off + 2
		}
		off, runStart = ptr, ptr
	}
	if end < 0 {
		end = off
	}
	// Keep the octets past the end zero, so that Names compare with ==
	// and work as map keys even when dst held a longer name before.
	if old := int(dst.n); old > n {
		clear(dst.b[n:old])
	}
	dst.n, dst.abs = uint8(n), true
	return end, nil
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
	end, err := readName(msg, off, &n)
	if err != nil {
		return Name{}, end, err
	}
	return n, end, nil
}

// skipName advances past a name without decoding it. It checks the same
// rules as readName.
func skipName(msg []byte, off int) (int, error) {
	var tmp Name
	return readName(msg, off, &tmp)
}
