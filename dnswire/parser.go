package dnswire

// Parser walks a message lazily, section by section: the header, then each
// question, then each record's header, whose data is decoded only when one
// of the typed accessors is called (or skipped when the next header is
// read). A Parser is a small value: copying it saves the position. It
// never allocates except in RData, TXT and OPT, which build slices.
//
// Sections are read in order; asking for a later section skips what is
// left of the earlier ones. Each section ends with ErrSectionDone
// (returned bare). Problems in the message are *ParseError values; misuse
// of the Parser (ErrNotStarted, ErrSectionOrder, ErrNoRecord, ErrWrongType)
// is returned bare.
//
// The Parser reads msg in place: msg must not change while it is being
// parsed (a Parser remembers which earlier names it has already checked,
// see name_wire.go).
type Parser struct {
	msg    []byte
	off    int
	counts [4]uint16
	sec    Section
	idx    int   // entries read in sec
	rdOff  int   // start of the current record's data, -1 if none
	rdEnd  int   // end of the current record's data
	rrType Type  // type of the current record
	rrCls  Class // class of the current record
	rrTTL  uint32
	nc     nameCache // see name_wire.go
}

// minimum wire sizes used to check counts before reading (RFC 1035 4.1.2,
// 4.1.3): a question is at least a root name, QTYPE and QCLASS; a record
// adds TTL and RDLENGTH.
const (
	minQuestionLen = 1 + 4
	minRRLen       = 1 + 10
)

// Start reads the header of msg and positions the parser before the
// question section. It checks that the four counts could fit in the bytes
// that follow the header (ErrCountTooLarge otherwise); with that error the
// returned Header is still filled in.
func (p *Parser) Start(msg []byte) (Header, error) {
	*p = Parser{msg: msg, rdOff: -1}
	var h Header
	if len(msg) < HeaderLen {
		return h, &ParseError{Section: SectionHeader, Index: -1, Offset: len(msg), Err: ErrTruncated}
	}
	h.ID = be16(msg)
	h.setFlags(be16(msg[2:]))
	for i := range p.counts {
		p.counts[i] = be16(msg[4+2*i:])
	}
	need := int(p.counts[0])*minQuestionLen + (int(p.counts[1])+int(p.counts[2])+int(p.counts[3]))*minRRLen
	if need > len(msg)-HeaderLen {
		return h, &ParseError{Section: SectionHeader, Index: -1, Offset: 4, Err: ErrCountTooLarge}
	}
	p.off = HeaderLen
	p.sec = SectionQuestion
	return h, nil
}

// Count returns the number of entries the header claims for section s.
func (p *Parser) Count(s Section) int {
	if s < SectionQuestion || s > SectionAdditional {
		return 0
	}
	return int(p.counts[s-1])
}

// Offset returns the current read position in the message.
func (p *Parser) Offset() int { return p.off }

// Section returns the section the parser is in.
func (p *Parser) Section() Section { return p.sec }

func (p *Parser) errAt(off int, err error) error {
	return &ParseError{Section: p.sec, Index: p.idx, Offset: off, Err: err}
}

// advance moves to section s, skipping whatever is left before it.
func (p *Parser) advance(s Section) error {
	if p.msg == nil {
		return ErrNotStarted
	}
	if s < p.sec {
		return ErrSectionOrder
	}
	if p.rdOff >= 0 {
		p.off, p.rdOff = p.rdEnd, -1
	}
	for p.sec < s {
		for p.idx < int(p.counts[p.sec-1]) {
			var err error
			if p.sec == SectionQuestion {
				err = p.skipQuestion()
			} else {
				err = p.skipRR()
			}
			if err != nil {
				return err
			}
		}
		p.sec++
		p.idx = 0
	}
	return nil
}

func (p *Parser) skipQuestion() error {
	off, err := skipName(p.msg, p.off, &p.nc)
	if err != nil {
		return p.errAt(off, err)
	}
	if off+4 > len(p.msg) {
		return p.errAt(off, ErrTruncated)
	}
	p.off = off + 4
	p.idx++
	return nil
}

func (p *Parser) skipRR() error {
	off, err := skipName(p.msg, p.off, &p.nc)
	if err != nil {
		return p.errAt(off, err)
	}
	if off+10 > len(p.msg) {
		return p.errAt(off, ErrTruncated)
	}
	end := off + 10 + int(be16(p.msg[off+8:]))
	if end > len(p.msg) {
		return p.errAt(off+8, ErrBadRDLength)
	}
	p.off = end
	p.idx++
	return nil
}

// Question reads the next question, or returns ErrSectionDone.
func (p *Parser) Question() (Question, error) {
	var q Question
	err := p.readQuestion(&q)
	return q, err
}

func (p *Parser) readQuestion(q *Question) error {
	if err := p.advance(SectionQuestion); err != nil {
		return err
	}
	if p.idx >= int(p.counts[0]) {
		return ErrSectionDone
	}
	off, err := readName(p.msg, p.off, &q.Name, &p.nc)
	if err != nil {
		return p.errAt(off, err)
	}
	if off+4 > len(p.msg) {
		return p.errAt(off, ErrTruncated)
	}
	q.Type = Type(be16(p.msg[off:]))
	q.Class = Class(be16(p.msg[off+2:]))
	p.off = off + 4
	p.idx++
	return nil
}

// SkipQuestions skips the rest of the question section.
func (p *Parser) SkipQuestions() error { return p.advance(SectionAnswer) }

// AnswerHeader reads the header of the next answer record (skipping any
// questions left), or returns ErrSectionDone.
func (p *Parser) AnswerHeader() (RRHeader, error) { return p.rrHeader(SectionAnswer) }

// AuthorityHeader reads the header of the next authority record.
func (p *Parser) AuthorityHeader() (RRHeader, error) { return p.rrHeader(SectionAuthority) }

// AdditionalHeader reads the header of the next additional record.
func (p *Parser) AdditionalHeader() (RRHeader, error) { return p.rrHeader(SectionAdditional) }

// RRHeader reads the header of the next record of section s.
func (p *Parser) RRHeader(s Section) (RRHeader, error) {
	var h RRHeader
	err := p.readRRHeader(s, &h)
	return h, err
}

// ReadRRHeader is RRHeader filling *h in place: an RRHeader holds its
// owner Name by value (258 octets), and a walk that reuses one h saves
// zeroing and copying it for every record. On error (ErrSectionDone
// included) *h is unspecified.
func (p *Parser) ReadRRHeader(s Section, h *RRHeader) error { return p.readRRHeader(s, h) }

func (p *Parser) rrHeader(s Section) (RRHeader, error) {
	var h RRHeader
	err := p.readRRHeader(s, &h)
	return h, err
}

func (p *Parser) readRRHeader(s Section, h *RRHeader) error {
	if s < SectionAnswer || s > SectionAdditional {
		return ErrSectionOrder
	}
	if p.sec != s || p.rdOff >= 0 {
		if err := p.advance(s); err != nil {
			return err
		}
	}
	if p.idx >= int(p.counts[s-1]) {
		return ErrSectionDone
	}
	off, err := readName(p.msg, p.off, &h.Name, &p.nc)
	if err != nil {
		return p.errAt(off, err)
	}
	if off+10 > len(p.msg) {
		return p.errAt(off, ErrTruncated)
	}
	b := p.msg[off : off+10]
	h.Type = Type(be16(b))
	h.Class = Class(be16(b[2:]))
	h.TTL = be32(b[4:])
	if h.Type != TypeOPT {
		// The OPT record's TTL field holds flags (RFC 6891 6.1.3).
		h.TTL = ttl31(h.TTL)
	}
	h.Length = be16(b[8:])
	off += 10
	end := off + int(h.Length)
	if end > len(p.msg) {
		return p.errAt(off-2, ErrBadRDLength)
	}
	p.rrType, p.rrCls, p.rrTTL = h.Type, h.Class, be32(b[4:])
	p.rdOff, p.rdEnd = off, end
	p.off = end
	p.idx++
	return nil
}

// data checks that a record's data is pending and of type t (any type when
// t is 0) and consumes it.
func (p *Parser) data(t Type) (msg []byte, off int, err error) {
	if p.rdOff < 0 {
		return nil, 0, ErrNoRecord
	}
	if t != 0 && p.rrType != t {
		return nil, 0, ErrWrongType
	}
	off = p.rdOff
	p.rdOff = -1
	return p.msg[:p.rdEnd], off, nil
}

// dataErr wraps an error found in the data of the record just read.
func (p *Parser) dataErr(off int, err error) error {
	return &ParseError{Section: p.sec, Index: p.idx - 1, Offset: off, Err: err}
}

// SkipRData discards the current record's data.
func (p *Parser) SkipRData() error {
	_, _, err := p.data(0)
	return err
}

// A decodes the current record's data as an A record.
func (p *Parser) A() (A, error) {
	var r A
	err := p.decodeA(&r)
	return r, err
}

// AAAA decodes the current record's data as an AAAA record.
func (p *Parser) AAAA() (AAAA, error) {
	var r AAAA
	err := p.decodeAAAA(&r)
	return r, err
}

// NS decodes the current record's data as an NS record.
func (p *Parser) NS() (NS, error) {
	var r NS
	err := p.decodeNS(&r)
	return r, err
}

// CNAME decodes the current record's data as a CNAME record.
func (p *Parser) CNAME() (CNAME, error) {
	var r CNAME
	err := p.decodeCNAME(&r)
	return r, err
}

// PTR decodes the current record's data as a PTR record.
func (p *Parser) PTR() (PTR, error) {
	var r PTR
	err := p.decodePTR(&r)
	return r, err
}

// MX decodes the current record's data as an MX record.
func (p *Parser) MX() (MX, error) {
	var r MX
	err := p.decodeMX(&r)
	return r, err
}

// SOA decodes the current record's data as an SOA record.
func (p *Parser) SOA() (SOA, error) {
	var r SOA
	err := p.decodeSOA(&r)
	return r, err
}

// SRV decodes the current record's data as an SRV record.
func (p *Parser) SRV() (SRV, error) {
	var r SRV
	err := p.decodeSRV(&r)
	return r, err
}

// TXT decodes the current record's data as a TXT record. The strings
// alias the message.
func (p *Parser) TXT() (TXT, error) {
	var r TXT
	err := p.decodeTXT(&r)
	return r, err
}

// CAA decodes the current record's data as a CAA record. Tag and Value
// alias the message.
func (p *Parser) CAA() (CAA, error) {
	var r CAA
	err := p.decodeCAA(&r)
	return r, err
}

// RawRData returns the current record's data undecoded (aliasing the
// message; names in it may be compressed) and consumes it.
func (p *Parser) RawRData() ([]byte, error) {
	msg, off, err := p.data(0)
	if err != nil {
		return nil, err
	}
	return msg[off:len(msg):len(msg)], nil
}

// RData decodes the current record's data into a newly allocated typed
// value (*Unknown for types without one); an OPT record is read with OPT
// instead (ErrWrongType here). Like Msg, it returns nil data
// for RDLENGTH 0 with class ANY or NONE (the RFC 2136 forms).
func (p *Parser) RData() (RData, error) {
	if p.rdOff >= 0 && p.rdOff == p.rdEnd && (p.rrCls == ClassANY || p.rrCls == ClassNONE) {
		p.rdOff = -1
		return nil, nil
	}
	if p.rdOff >= 0 && p.rrType == TypeOPT {
		return nil, ErrWrongType
	}
	msg, off, err := p.data(0)
	if err != nil {
		return nil, err
	}
	r := newRData(p.rrType)
	if err := r.unpack(msg, off, nil); err != nil {
		return nil, p.dataErr(off, err)
	}
	return r, nil
}

// OPT decodes the current record as an EDNS0 OPT record (RFC 6891 6.1.2).
// It returns the EDNS content (options alias the message) and the upper 8
// bits of the RCODE, shifted into place to be ORed with the header's.
func (p *Parser) OPT() (EDNS, RCode, error) {
	var e EDNS
	msg, off, err := p.data(TypeOPT)
	if err != nil {
		return e, 0, err
	}
	ext := e.setFromOPT(p.rrCls, p.rrTTL)
	if e.Options, err = unpackOptions(nil, msg, off, nil); err != nil {
		return e, 0, &ParseError{Section: p.sec, Index: p.idx - 1, Offset: off, Err: err}
	}
	return e, ext, nil
}

// Finish skips to the end of the message and reports ErrTrailingBytes if
// bytes remain after the last record the counts claim.
func (p *Parser) Finish() error {
	if err := p.advance(SectionAdditional); err != nil {
		return err
	}
	for p.idx < int(p.counts[3]) {
		if err := p.skipRR(); err != nil {
			return err
		}
	}
	if p.off != len(p.msg) {
		return &ParseError{Section: SectionAdditional, Index: -1, Offset: p.off, Err: ErrTrailingBytes}
	}
	return nil
}

// Per-type decoders, written out so that r does not escape (a call
// through an interface would move it to the heap). The exported accessors
// are small enough to be inlined, so r lives in the caller's frame.

func (p *Parser) decodeA(r *A) error {
	msg, off, err := p.data(TypeA)
	if err != nil {
		return err
	}
	if err := r.unpack(msg, off, nil); err != nil {
		return p.dataErr(off, err)
	}
	return nil
}

func (p *Parser) decodeAAAA(r *AAAA) error {
	msg, off, err := p.data(TypeAAAA)
	if err != nil {
		return err
	}
	if err := r.unpack(msg, off, nil); err != nil {
		return p.dataErr(off, err)
	}
	return nil
}

func (p *Parser) decodeNS(r *NS) error {
	msg, off, err := p.data(TypeNS)
	if err != nil {
		return err
	}
	if err := r.decode(msg, off, &p.nc); err != nil {
		return p.dataErr(off, err)
	}
	return nil
}

func (p *Parser) decodeCNAME(r *CNAME) error {
	msg, off, err := p.data(TypeCNAME)
	if err != nil {
		return err
	}
	if err := r.decode(msg, off, &p.nc); err != nil {
		return p.dataErr(off, err)
	}
	return nil
}

func (p *Parser) decodePTR(r *PTR) error {
	msg, off, err := p.data(TypePTR)
	if err != nil {
		return err
	}
	if err := r.decode(msg, off, &p.nc); err != nil {
		return p.dataErr(off, err)
	}
	return nil
}

func (p *Parser) decodeMX(r *MX) error {
	msg, off, err := p.data(TypeMX)
	if err != nil {
		return err
	}
	if err := r.decode(msg, off, &p.nc); err != nil {
		return p.dataErr(off, err)
	}
	return nil
}

func (p *Parser) decodeSOA(r *SOA) error {
	msg, off, err := p.data(TypeSOA)
	if err != nil {
		return err
	}
	if err := r.decode(msg, off, &p.nc); err != nil {
		return p.dataErr(off, err)
	}
	return nil
}

func (p *Parser) decodeSRV(r *SRV) error {
	msg, off, err := p.data(TypeSRV)
	if err != nil {
		return err
	}
	if err := r.decode(msg, off, &p.nc); err != nil {
		return p.dataErr(off, err)
	}
	return nil
}

func (p *Parser) decodeTXT(r *TXT) error {
	msg, off, err := p.data(TypeTXT)
	if err != nil {
		return err
	}
	if err := r.unpack(msg, off, nil); err != nil {
		return p.dataErr(off, err)
	}
	return nil
}

func (p *Parser) decodeCAA(r *CAA) error {
	msg, off, err := p.data(TypeCAA)
	if err != nil {
		return err
	}
	if err := r.unpack(msg, off, nil); err != nil {
		return p.dataErr(off, err)
	}
	return nil
}
