package dnswire

import "math/bits"

// BuildOptions configures a Builder. The zero value builds an uncompressed
// message of up to 65535 octets with no length prefix.
type BuildOptions struct {
	// Compress turns on name compression (RFC 1035 4.1.4): every name
	// already written, the question name included, is a candidate. Names
	// match byte for byte, so the case of every name is kept as given.
	// The candidate table holds the first 128 labels written within the
	// first 16 KiB (the reach of a pointer); later names still point into
	// those, they just do not become candidates themselves.
	Compress bool
	// TCP prepends the 2-octet length prefix of RFC 1035 4.2.2 (and
	// RFC 7766 8), filled in by Finish.
	TCP bool
	// MaxSize caps the message length (without the TCP prefix): 512 for
	// plain UDP (RFC 1035 4.2.1) or the requestor's EDNS0 payload size.
	// A record that does not fit is dropped whole; a dropped answer or
	// authority record sets TC (RFC 2181 9), a dropped additional record
	// does not. 0 (or 65535 and above) means the protocol's own limit of
	// 65535 octets, which is not a budget but a hard wall: a record that
	// does not fit is an error (ErrMessageTooLarge), never a silent TC,
	// so a TCP sender cannot send a truncated message by accident.
	MaxSize int
}

const maxComp = 128

type compEntry struct {
	hash uint32
	off  uint16
}

// Builder appends a DNS message to a caller's buffer section by section.
// Sections must be filled in order: questions, answers, authority,
// additional. Counts are patched in by Finish. A Builder is reusable: Start
// resets it, and with a reused buffer building allocates nothing.
//
// The first error is sticky: later calls do nothing and Finish returns it.
type Builder struct {
	msg     []byte
	base    int // offset of the header in msg
	opt     BuildOptions
	limit   int
	hard    bool // limit is 65535: overflow is an error, not TC
	h       Header
	sec     Section
	counts  [4]uint16
	tc      bool
	full    bool
	dropped int
	hasOPT  bool
	err     error
	ncomp   int
	comp    [maxComp]compEntry
	// scratch for appendName, kept here so it is not zeroed per name
	offs [128]uint8
	hs   [128]uint32
	// The last owner name written and the offset it can be pointed at
	// (-1: none): records of one RRset share their owner, so this saves
	// the table search for most owner names.
	owner    [MaxNameLen]byte
	ownerLen int
	ownerAt  int
}

// Start begins a message in buf (appending after len(buf)) with header h.
func (b *Builder) Start(buf []byte, h Header, o BuildOptions) {
	b.opt = o
	b.limit = o.MaxSize
	if b.limit <= 0 || b.limit > 0xFFFF {
		b.limit = 0xFFFF
	}
	b.hard = b.limit == 0xFFFF
	if b.limit < HeaderLen {
		b.limit = HeaderLen
	}
	b.h = h
	b.sec = SectionHeader
	b.counts = [4]uint16{}
	b.tc, b.full, b.hasOPT = false, false, false
	b.dropped = 0
	b.err = nil
	b.ncomp = 0
	b.ownerAt = -1
	if o.TCP {
		buf = append(buf, 0, 0)
	}
	b.base = len(buf)
	b.msg = append(buf, make([]byte, HeaderLen)...)
}

// NewBuilder returns a Builder started on buf; see Start.
func NewBuilder(buf []byte, h Header, o BuildOptions) *Builder {
	b := new(Builder)
	b.Start(buf, h, o)
	return b
}

// Truncated reports whether a record was dropped from the answer or
// authority section for lack of room, so Finish sets TC.
func (b *Builder) Truncated() bool { return b.tc }

// Dropped returns how many records were dropped for lack of room.
func (b *Builder) Dropped() int { return b.dropped }

// Len returns the current message length, without the TCP prefix.
func (b *Builder) Len() int { return len(b.msg) - b.base }

func (b *Builder) enter(s Section) error {
	if b.err != nil {
		return b.err
	}
	if b.msg == nil {
		b.err = ErrNotStarted
		return b.err
	}
	if s < b.sec {
		b.err = ErrSectionOrder
		return b.err
	}
	b.sec = s
	return nil
}

// Question appends a question (RFC 1035 4.1.2). A question that does not
// fit the size limit is an error: a message without its question is
// useless.
func (b *Builder) Question(q *Question) error {
	if err := b.enter(SectionQuestion); err != nil {
		return err
	}
	if b.counts[0] == 0xFFFF {
		b.err = ErrTooManyRecords
		return b.err
	}
	if err := b.appendOwner(&q.Name); err != nil {
		b.err = err
		return err
	}
	b.msg = app16(b.msg, uint16(q.Type))
	b.msg = app16(b.msg, uint16(q.Class))
	if len(b.msg)-b.base > b.limit {
		b.err = ErrMessageTooLarge
		return b.err
	}
	b.counts[0]++
	return nil
}

// Answer appends a record to the answer section (the prerequisite section
// of an UPDATE).
func (b *Builder) Answer(rr *RR) error { return b.add(SectionAnswer, rr) }

// Authority appends a record to the authority section (the update section
// of an UPDATE).
func (b *Builder) Authority(rr *RR) error { return b.add(SectionAuthority, rr) }

// Additional appends a record to the additional section. Use OPT for the
// EDNS0 pseudo-record.
func (b *Builder) Additional(rr *RR) error { return b.add(SectionAdditional, rr) }

// Add appends rr to section s, which must be SectionAnswer,
// SectionAuthority or SectionAdditional.
func (b *Builder) Add(s Section, rr *RR) error {
	if s < SectionAnswer || s > SectionAdditional {
		b.err = ErrSectionOrder
		return b.err
	}
	return b.add(s, rr)
}

func (b *Builder) add(s Section, rr *RR) error {
	if err := b.enter(s); err != nil {
		return err
	}
	if b.full && s != SectionAdditional {
		b.dropped++
		return nil
	}
	if b.counts[s-1] == 0xFFFF {
		b.err = ErrTooManyRecords
		return b.err
	}
	start, ncomp := len(b.msg), b.ncomp
	if err := b.appendOwner(&rr.Name); err != nil {
		return b.fail(start, ncomp, err)
	}
	t, c, ttl := rr.Type, rr.Class, rr.TTL
	if t != TypeOPT {
		ttl = ttl31(ttl)
	}
	b.msg = append(b.msg, byte(t>>8), byte(t), byte(c>>8), byte(c),
		byte(ttl>>24), byte(ttl>>16), byte(ttl>>8), byte(ttl), 0, 0)
	rdStart := len(b.msg)
	if rr.Data != nil {
		if rr.Data.Type() != rr.Type {
			return b.fail(start, ncomp, ErrWrongType)
		}
		if err := b.packData(rr.Data); err != nil {
			return b.fail(start, ncomp, err)
		}
	}
	return b.finishRR(s, start, ncomp, rdStart)
}

// finishRR patches RDLENGTH and applies the size limit.
func (b *Builder) finishRR(s Section, start, ncomp, rdStart int) error {
	rdLen := len(b.msg) - rdStart
	if rdLen > 0xFFFF {
		return b.fail(start, ncomp, ErrMessageTooLarge)
	}
	put16(b.msg[rdStart-2:], uint16(rdLen))
	if len(b.msg)-b.base > b.limit {
		if b.hard {
			return b.fail(start, ncomp, ErrMessageTooLarge)
		}
		b.msg = b.msg[:start]
		b.popComp(start)
		b.dropped++
		if s != SectionAdditional {
			// RFC 2181 9: TC only when required data did not fit;
			// records are dropped whole, never cut.
			b.tc, b.full = true, true
		}
		return nil
	}
	b.counts[s-1]++
	return nil
}

// fail rolls back a half-written record and makes err sticky.
func (b *Builder) fail(start, ncomp int, err error) error {
	b.msg = b.msg[:start]
	b.ncomp = ncomp
	if b.ownerAt >= start-b.base {
		b.ownerAt = -1
	}
	b.err = err
	return err
}

func (b *Builder) popComp(start int) {
	for b.ncomp > 0 && int(b.comp[b.ncomp-1].off) >= start-b.base {
		b.ncomp--
	}
	if b.ownerAt >= start-b.base {
		b.ownerAt = -1
	}
}

// appendOwner writes an owner name (or the question name), pointing at the
// previous owner when it is the same name byte for byte.
func (b *Builder) appendOwner(n *Name) error {
	if !b.opt.Compress || !n.abs {
		return b.appendName(n, true)
	}
	if b.ownerAt >= 0 && int(n.n) == b.ownerLen && string(n.b[:n.n]) == string(b.owner[:b.ownerLen]) {
		b.msg = append(b.msg, 0xC0|byte(b.ownerAt>>8), byte(b.ownerAt))
		return nil
	}
	at := len(b.msg) - b.base
	if err := b.appendName(n, true); err != nil {
		return err
	}
	// Where the whole name can be found: here if written out (at least
	// its first label), else where its pointer points.
	if c := b.msg[b.base+at]; c >= 0xC0 {
		at = int(c&0x3F)<<8 | int(b.msg[b.base+at+1])
	}
	if at < 0x4000 && n.n > 1 {
		copy(b.owner[:], n.b[:n.n])
		b.ownerLen, b.ownerAt = int(n.n), at
	}
	return nil
}

// OPT appends the EDNS0 OPT pseudo-record (RFC 6891 6.1.2) to the
// additional section, carrying the upper 8 bits of the header's RCode.
// Only one OPT is allowed per message (RFC 6891 6.1.1).
func (b *Builder) OPT(e *EDNS) error {
	if err := b.enter(SectionAdditional); err != nil {
		return err
	}
	if b.hasOPT {
		b.err = ErrBadOPT
		return b.err
	}
	start := len(b.msg)
	b.msg = append(b.msg, 0) // owner: root
	b.msg = app16(b.msg, uint16(TypeOPT))
	b.msg = app16(b.msg, e.UDPSize)
	b.msg = app32(b.msg, e.optTTL(b.h.RCode))
	b.msg = append(b.msg, 0, 0)
	rdStart := len(b.msg)
	var err error
	if b.msg, err = appendOptions(b.msg, e.Options); err != nil {
		return b.fail(start, b.ncomp, err)
	}
	if len(b.msg)-rdStart > 0xFFFF {
		return b.fail(start, b.ncomp, ErrBadOPT)
	}
	put16(b.msg[rdStart-2:], uint16(len(b.msg)-rdStart))
	if len(b.msg)-b.base > b.limit {
		return b.fail(start, b.ncomp, ErrMessageTooLarge)
	}
	b.hasOPT = true
	b.counts[3]++
	return nil
}

// Finish patches the counts, the TC bit and the TCP length prefix and
// returns the buffer with the message appended.
func (b *Builder) Finish() ([]byte, error) {
	if b.err != nil {
		return nil, b.err
	}
	if b.msg == nil {
		return nil, ErrNotStarted
	}
	if b.h.RCode > 0xF && !b.hasOPT {
		return nil, ErrExtendedRCode
	}
	if b.h.RCode > 0xFFF {
		return nil, ErrExtendedRCode
	}
	h := b.msg[b.base:]
	put16(h, b.h.ID)
	f := b.h.flags()
	if b.tc {
		f |= 1 << 9
	}
	put16(h[2:], f)
	put16(h[4:], b.counts[0])
	put16(h[6:], b.counts[1])
	put16(h[8:], b.counts[2])
	put16(h[10:], b.counts[3])
	if b.opt.TCP {
		n := len(b.msg) - b.base
		if n > 0xFFFF {
			return nil, ErrMessageTooLarge
		}
		put16(b.msg[b.base-2:], uint16(n))
	}
	out := b.msg
	b.msg = nil
	return out, nil
}

// labelHash extends the hash of a name suffix by one label (length octet
// included) to its left. It only screens candidates, every hit is checked
// against the message, so it looks at four octets of the label: length,
// first, middle and last.
func labelHash(h uint32, label []byte) uint32 {
	l := len(label)
	v := uint32(label[0]) | uint32(label[1])<<8 | uint32(label[l/2])<<16 | uint32(label[l-1])<<24
	return (bits.RotateLeft32(h, 7) ^ v) * 0x9E3779B1
}

// appendName writes n, compressed when the Builder compresses and compress
// is true. Compression candidates are the offsets of every label written
// earlier (within the 14-bit pointer range), each with a hash of the name
// suffix starting there; a hash hit is confirmed against the message
// bytes, so the table needs no map and no allocation.
func (b *Builder) appendName(n *Name, compress bool) error {
	if !n.abs {
		return &NameError{Name: *n, Err: ErrRelativeName}
	}
	if !b.opt.Compress || !compress || n.n == 1 {
		b.msg = append(b.msg, n.b[:n.n]...)
		return nil
	}
	offs, hs := &b.offs, &b.hs
	c := n.labelOffsets(offs)
	var h uint32
	for i := c - 1; i >= 0; i-- {
		o := int(offs[i])
		h = labelHash(h, n.b[o:o+1+int(n.b[o])])
		hs[i] = h
	}
	match, ptr := c, 0
	comp := b.comp[:b.ncomp]
search:
	for i := 0; i < c; i++ {
		h := hs[i]
		for j := range comp {
			if comp[j].hash == h && b.sameSuffix(n, int(offs[i]), int(comp[j].off)) {
				match, ptr = i, int(comp[j].off)
				break search
			}
		}
	}
	at := len(b.msg) - b.base
	for i := 0; i < match; i++ {
		o := at + int(offs[i])
		if o < 0x4000 && b.ncomp < maxComp {
			b.comp[b.ncomp] = compEntry{hash: hs[i], off: uint16(o)}
			b.ncomp++
		}
	}
	if match == c {
		b.msg = append(b.msg, n.b[:n.n]...)
		return nil
	}
	b.msg = append(b.msg, n.b[:offs[match]]...)
	b.msg = append(b.msg, 0xC0|byte(ptr>>8), byte(ptr))
	return nil
}

// sameSuffix reports whether the labels of n from offset i equal the name
// written at message offset m, following pointers we wrote ourselves.
func (b *Builder) sameSuffix(n *Name, i, m int) bool {
	msg := b.msg[b.base:]
	for {
		c := int(msg[m])
		if c >= 0xC0 {
			m = (c&0x3F)<<8 | int(msg[m+1])
			continue
		}
		if c != int(n.b[i]) {
			return false
		}
		if c == 0 {
			return true
		}
		if string(n.b[i+1:i+1+c]) != string(msg[m+1:m+1+c]) {
			return false
		}
		i += 1 + c
		m += 1 + c
	}
}

// packData writes record data. The type switch calls each type's method
// directly, which keeps the Builder off the heap (an interface call would
// make it escape).
func (b *Builder) packData(d RData) error {
	switch r := d.(type) {
	case *A:
		return r.pack(b)
	case *AAAA:
		return r.pack(b)
	case *NS:
		return r.pack(b)
	case *CNAME:
		return r.pack(b)
	case *PTR:
		return r.pack(b)
	case *MX:
		return r.pack(b)
	case *SOA:
		return r.pack(b)
	case *TXT:
		return r.pack(b)
	case *SRV:
		return r.pack(b)
	case *CAA:
		return r.pack(b)
	case *Unknown:
		return r.pack(b)
	case wireData:
		var err error
		b.msg, err = r.appendWire(b.msg)
		return err
	}
	return ErrWrongType
}
