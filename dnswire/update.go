package dnswire

// UPDATE (RFC 2136) helpers. An UPDATE message uses the four sections as
// zone (Msg.Question), prerequisite (Msg.Answer), update (Msg.Ns) and
// additional (Msg.Extra). The helpers below write the record forms of
// RFC 2136 2.4 and 2.5, where the class and an empty RDATA carry meaning:
// Data nil packs as RDLENGTH 0.

// NewUpdate returns an UPDATE message for zone, class IN (RFC 2136 2.3:
// the zone section holds one SOA-typed entry naming the zone).
func NewUpdate(zone Name) *Msg {
	m := &Msg{}
	m.Opcode = OpcodeUpdate
	m.Question = []Question{{Name: zone, Type: TypeSOA, Class: ClassINET}}
	return m
}

// zoneClass is the class of the zone being updated (IN by default).
func (m *Msg) zoneClass() Class {
	if len(m.Question) > 0 {
		return m.Question[0].Class
	}
	return ClassINET
}

// PrereqRRsetExists requires an RRset of type t at name, any value
// (RFC 2136 2.4.1: class ANY, TTL 0, no RDATA).
func (m *Msg) PrereqRRsetExists(name Name, t Type) {
	m.Answer = append(m.Answer, RR{RRHeader: RRHeader{Name: name, Type: t, Class: ClassANY}})
}

// PrereqRRsetEquals requires the RRset of rr's name and type to hold rr
// (RFC 2136 2.4.2: zone class, TTL 0, with RDATA); call once per record
// of the set.
func (m *Msg) PrereqRRsetEquals(rr RR) {
	rr.Class, rr.TTL = m.zoneClass(), 0
	m.Answer = append(m.Answer, rr)
}

// PrereqRRsetNotExists requires that no RRset of type t exists at name
// (RFC 2136 2.4.3: class NONE, TTL 0, no RDATA).
func (m *Msg) PrereqRRsetNotExists(name Name, t Type) {
	m.Answer = append(m.Answer, RR{RRHeader: RRHeader{Name: name, Type: t, Class: ClassNONE}})
}

// PrereqNameInUse requires that name owns some record (RFC 2136 2.4.4:
// type ANY, class ANY).
func (m *Msg) PrereqNameInUse(name Name) {
	m.Answer = append(m.Answer, RR{RRHeader: RRHeader{Name: name, Type: TypeANY, Class: ClassANY}})
}

// PrereqNameNotInUse requires that name owns no records (RFC 2136 2.4.5:
// type ANY, class NONE).
func (m *Msg) PrereqNameNotInUse(name Name) {
	m.Answer = append(m.Answer, RR{RRHeader: RRHeader{Name: name, Type: TypeANY, Class: ClassNONE}})
}

// UpdateAdd adds rr to an RRset (RFC 2136 2.5.1: the zone's class).
func (m *Msg) UpdateAdd(rr RR) {
	rr.Class = m.zoneClass()
	m.Ns = append(m.Ns, rr)
}

// UpdateDeleteRRset deletes the RRset of type t at name (RFC 2136 2.5.2:
// class ANY, TTL 0, no RDATA).
func (m *Msg) UpdateDeleteRRset(name Name, t Type) {
	m.Ns = append(m.Ns, RR{RRHeader: RRHeader{Name: name, Type: t, Class: ClassANY}})
}

// UpdateDeleteName deletes every RRset at name (RFC 2136 2.5.3: type ANY,
// class ANY, TTL 0, no RDATA).
func (m *Msg) UpdateDeleteName(name Name) {
	m.Ns = append(m.Ns, RR{RRHeader: RRHeader{Name: name, Type: TypeANY, Class: ClassANY}})
}

// UpdateDelete deletes the one record rr from its RRset (RFC 2136 2.5.4:
// class NONE, TTL 0, with RDATA).
func (m *Msg) UpdateDelete(rr RR) {
	rr.Class, rr.TTL = ClassNONE, 0
	m.Ns = append(m.Ns, rr)
}
