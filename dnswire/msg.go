package dnswire

import "math/rand/v2"

// Msg is a whole message decoded eagerly: the header, the question, and
// the answer, authority (Ns) and additional (Extra) sections with typed
// record data. EDNS0 lives in EDNS, not in Extra (see EDNS).
//
// For UPDATE messages (RFC 2136 2) Question is the zone section, Answer the
// prerequisite section and Ns the update section; see update.go.
//
// A Msg can be reused: Unpack into a Msg that has unpacked before
// allocates nothing once its storage has grown to the message's size. The
// record data, names and byte slices of one Unpack belong to the Msg and
// are overwritten by its next Unpack; copy what must outlive it (RR.Clone,
// CloneRData, Msg.Clone), or use a fresh Msg. Do not copy a Msg value
// after Unpack and Unpack into both copies: they share that storage.
//
// Storage is shared in slabs: the records of one type share one array,
// and in a fresh Msg the Answer, Ns and Extra sections share one array
// of RRs (each section's capacity ends at its own length, so appending to
// one section never writes into another). A record kept from a Msg that
// is then reused therefore changes with the next Unpack even when that
// message has other records; clone it to keep it. A Msg that is never
// reused keeps everything it decoded unchanged.
type Msg struct {
	Header
	Question []Question
	Answer   []RR
	Ns       []RR
	Extra    []RR
	// EDNS is the message's OPT record (RFC 6891), nil when it has none.
	// Header.RCode holds the full 12-bit RCODE, whose upper 8 bits travel
	// in the OPT record.
	EDNS *EDNS

	st *store
}

// Unpack decodes msg into m, replacing its contents. On error m holds
// what was decoded before the error. Every error is a *ParseError; a
// message followed by extra bytes is fully decoded and reported with
// ErrTrailingBytes, so a caller who wants to tolerate that can check
// errors.Is(err, ErrTrailingBytes).
func (m *Msg) Unpack(msg []byte) error {
	var p Parser
	h, err := p.Start(msg)
	if err != nil {
		// Keep the header when there is one (a header-only REFUSED
		// whose counts claim more is still worth a look), nothing else.
		m.Header = h
		m.Question, m.Answer, m.Ns, m.Extra, m.EDNS = m.Question[:0], m.Answer[:0], m.Ns[:0], m.Extra[:0], nil
		return err
	}
	fresh := m.st == nil
	if fresh {
		m.st = new(store)
	}
	st := m.st
	st.reset(len(msg))
	m.Header = h
	m.EDNS = nil
	// Start checked the counts against the message length, so these
	// sizes are bounded by the input's real size.
	if fresh {
		// A fresh Msg: count the records of each type first (a walk
		// over the record headers, skipping names and data), so each
		// type's data gets one array of exactly the size needed, and
		// give the three sections one array of records.
		countTypes(msg, p, &st.hints)
		st.hinted = true
		if cap(m.Answer) == 0 && cap(m.Ns) == 0 && cap(m.Extra) == 0 {
			an, ns, ar := int(p.counts[1]), int(p.counts[2]), int(p.counts[3])
			all := make([]RR, an+ns+ar)
			m.Answer = all[:an:an]
			m.Ns = all[an : an+ns : an+ns]
			m.Extra = all[an+ns:]
		}
	}
	m.Question = resize(m.Question, int(p.counts[0]))
	for i := range m.Question {
		if err := p.readQuestion(&m.Question[i]); err != nil {
			return err
		}
	}
	if m.Answer, err = m.unpackSection(&p, SectionAnswer, m.Answer); err != nil {
		return err
	}
	if m.Ns, err = m.unpackSection(&p, SectionAuthority, m.Ns); err != nil {
		return err
	}
	if m.Extra, err = m.unpackSection(&p, SectionAdditional, m.Extra); err != nil {
		return err
	}
	if p.off != len(msg) {
		return &ParseError{Section: SectionAdditional, Index: -1, Offset: p.off, Err: ErrTrailingBytes}
	}
	return nil
}

// countTypes adds to hints the number of records (up to 255) of each type
// below hintTypes in msg, walking from the parser p just after Start; it stops
// quietly at the first malformation (the decoding pass reports it).
func countTypes(msg []byte, p Parser, hints *[hintTypes]uint8) {
	for p.sec == SectionQuestion && p.idx < int(p.counts[0]) {
		if p.skipQuestion() != nil {
			return
		}
	}
	for s := SectionAnswer; s <= SectionAdditional; s++ {
		for range p.counts[s-1] {
			off, err := skipName(msg, p.off, &p.nc)
			if err != nil || off+10 > len(msg) {
				return
			}
			if t := be16(msg[off:]); t < hintTypes && hints[t] < 255 {
				hints[t]++
			}
			p.off = off + 10 + int(be16(msg[off+8:]))
			if p.off > len(msg) {
				return
			}
		}
	}
}

func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

func (m *Msg) unpackSection(p *Parser, s Section, rrs []RR) ([]RR, error) {
	n := int(p.counts[s-1])
	rrs = resize(rrs, n)
	j := 0
	for i := 0; i < n; i++ {
		rr := &rrs[j]
		if err := p.readRRHeader(s, &rr.RRHeader); err != nil {
			return rrs[:j], err
		}
		msg, off := p.msg[:p.rdEnd], p.rdOff
		p.rdOff = -1
		if rr.Type == TypeOPT {
			if err := m.unpackOPT(p, s, rr, msg, off); err != nil {
				return rrs[:j], err
			}
			continue
		}
		if off == len(msg) && (rr.Class == ClassANY || rr.Class == ClassNONE) {
			// RFC 2136 2.4, 2.5: the UPDATE forms without data.
			rr.Data = nil
			j++
			continue
		}
		d := m.st.newRData(rr.Type)
		m.st.nc = p.nc
		if err := d.unpack(msg, off, m.st); err != nil {
			return rrs[:j], &ParseError{Section: s, Index: i, Offset: off, Err: err}
		}
		p.nc = m.st.nc
		rr.Data = d
		j++
	}
	return rrs[:j], nil
}

// unpackOPT moves an OPT record into m.EDNS. RFC 6891 6.1.1: at most one
// OPT, in the additional section, owned by the root (6.1.2).
func (m *Msg) unpackOPT(p *Parser, s Section, rr *RR, msg []byte, off int) error {
	bad := func() error {
		return &ParseError{Section: s, Index: p.idx - 1, Offset: off, Err: ErrBadOPT}
	}
	if s != SectionAdditional || m.EDNS != nil || !rr.Name.IsRoot() {
		return bad()
	}
	st := m.st
	e := &st.edns
	ext := e.setFromOPT(rr.Class, rr.TTL)
	first := len(st.opts)
	var err error
	if st.opts, err = unpackOptions(st.opts, msg, off, st); err != nil {
		return bad()
	}
	e.Options = st.opts[first:len(st.opts):len(st.opts)]
	if len(e.Options) == 0 {
		e.Options = nil
	}
	m.RCode |= ext
	m.EDNS = e
	return nil
}

// AppendPack appends m in wire form, with name compression, to dst.
func (m *Msg) AppendPack(dst []byte) ([]byte, error) {
	return m.AppendPackOptions(dst, BuildOptions{Compress: true})
}

// Pack returns m in wire form, with name compression.
func (m *Msg) Pack() ([]byte, error) { return m.AppendPack(make([]byte, 0, 512)) }

// AppendPackOptions appends m to dst as o says. With o.MaxSize, records
// that do not fit are dropped whole (TC set when an answer or authority
// record is dropped) while room is kept for the OPT record, which RFC 6891
// 7 wants in a truncated response too.
func (m *Msg) AppendPackOptions(dst []byte, o BuildOptions) ([]byte, error) {
	var b Builder
	if m.RCode > 0xF && m.EDNS == nil {
		return nil, ErrExtendedRCode
	}
	b.Start(dst, m.Header, o)
	for i := range m.Question {
		if err := b.Question(&m.Question[i]); err != nil {
			return nil, err
		}
	}
	full := b.limit
	if m.EDNS != nil {
		b.limit -= m.EDNS.optLen()
	}
	for _, sec := range [...]struct {
		s   Section
		rrs []RR
	}{{SectionAnswer, m.Answer}, {SectionAuthority, m.Ns}, {SectionAdditional, m.Extra}} {
		for i := range sec.rrs {
			if err := b.add(sec.s, &sec.rrs[i]); err != nil {
				return nil, err
			}
		}
	}
	b.limit = full
	if m.EDNS != nil {
		if err := b.OPT(m.EDNS); err != nil {
			return nil, err
		}
	}
	return b.Finish()
}

// SetQuestion makes m a standard query for name, type t, class IN, as
// miekg/dns and most stub resolvers do: the question section becomes that
// one question, the opcode QUERY, RD is set, and a zero ID is replaced by
// a random one (RFC 5452 4.3: an unpredictable ID is the first defence
// against forged answers). An ID set before the call is kept, so a caller
// that chooses its own IDs still can; an iterative resolver asking
// authoritative servers clears RecursionDesired afterwards.
func (m *Msg) SetQuestion(name Name, t Type) {
	m.Question = append(m.Question[:0], Question{Name: name, Type: t, Class: ClassINET})
	for m.ID == 0 {
		m.ID = uint16(rand.Uint32())
	}
	m.Opcode = OpcodeQuery
	m.RecursionDesired = true
}

// SetEDNS gives m an OPT record advertising udpSize (RFC 6891 6.2.5
// suggests 1232 to avoid fragmentation) and the DO bit.
func (m *Msg) SetEDNS(udpSize uint16, do bool) {
	m.EDNS = &EDNS{UDPSize: udpSize, DO: do}
}

// Reply makes m an empty response to query q: same ID, opcode, question,
// RD and CD (RFC 1035 4.1.1; RFC 4035 3.2.2), QR set, RCODE NOERROR. If
// q carries EDNS, m answers with EDNS too (RFC 6891 7), advertising 1232
// octets and echoing DO (RFC 3225 3).
func (m *Msg) Reply(q *Msg) {
	m.Header = Header{
		ID:               q.ID,
		Response:         true,
		Opcode:           q.Opcode,
		RecursionDesired: q.RecursionDesired,
		CheckingDisabled: q.CheckingDisabled,
	}
	m.Question = append(m.Question[:0], q.Question...)
	m.Answer = m.Answer[:0]
	m.Ns = m.Ns[:0]
	m.Extra = m.Extra[:0]
	m.EDNS = nil
	if q.EDNS != nil {
		m.EDNS = &EDNS{UDPSize: 1232, DO: q.EDNS.DO}
	}
}
