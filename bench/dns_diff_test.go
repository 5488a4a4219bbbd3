package bench

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/relaykit/relaykit/bench/fixtures"
	"github.com/relaykit/relaykit/dnswire"
)

// Differential testing of dnswire against miekg/dns v1: both decode the
// same bytes; when both accept, every record must be the same (compared in
// uncompressed wire form), and so must the header and EDNS. When only one
// accepts, the difference must be one of the disagreements listed in
// diffCases, each decided by an RFC rule.

// recordWire returns rr in uncompressed wire form, as dnswire writes it.
func recordWire(rr *dnswire.RR) ([]byte, error) {
	var b dnswire.Builder
	b.Start(nil, dnswire.Header{}, dnswire.BuildOptions{})
	if err := b.Answer(rr); err != nil {
		return nil, err
	}
	out, err := b.Finish()
	if err != nil {
		return nil, err
	}
	return out[dnswire.HeaderLen:], nil
}

func miekgWire(rr dns.RR) ([]byte, error) {
	buf := make([]byte, 65535+512)
	n, err := dns.PackRR(rr, buf, 0, nil, false)
	if err != nil {
		return nil, err
	}
	return buf[:n], nil
}

// compareDecoded reports how two successful decodes differ, or "".
func compareDecoded(m1 *dns.Msg, m2 *dnswire.Msg) string {
	h := m2.Header
	if m1.Id != h.ID || m1.Response != h.Response || m1.Opcode != int(h.Opcode) ||
		m1.Authoritative != h.Authoritative || m1.Truncated != h.Truncated ||
		m1.RecursionDesired != h.RecursionDesired || m1.RecursionAvailable != h.RecursionAvailable ||
		m1.Zero != h.Zero || m1.AuthenticatedData != h.AuthenticData || m1.CheckingDisabled != h.CheckingDisabled {
		return "header flags differ"
	}
	if m1.Rcode != int(h.RCode) {
		return fmt.Sprintf("rcode %d vs %d", m1.Rcode, h.RCode)
	}
	if len(m1.Question) != len(m2.Question) {
		return "question count"
	}
	for i, q := range m1.Question {
		w := m2.Question[i].Name.AppendWire(nil)
		n, err := dnswire.ParseName(q.Name)
		if err != nil || !bytes.Equal(n.AppendWire(nil), w) || q.Qtype != uint16(m2.Question[i].Type) ||
			q.Qclass != uint16(m2.Question[i].Class) {
			return fmt.Sprintf("question %d: %v vs %v", i, q, m2.Question[i])
		}
	}
	var extra []dns.RR
	var opt *dns.OPT
	for _, rr := range m1.Extra {
		if o, ok := rr.(*dns.OPT); ok {
			opt = o
			continue
		}
		extra = append(extra, rr)
	}
	if (opt == nil) != (m2.EDNS == nil) {
		return "EDNS presence"
	}
	if opt != nil {
		e := m2.EDNS
		if opt.UDPSize() != e.UDPSize || opt.Version() != e.Version || opt.Do() != e.DO || len(opt.Option) != len(e.Options) {
			return "EDNS fields"
		}
	}
	for i, pair := range [][2]any{{m1.Answer, m2.Answer}, {m1.Ns, m2.Ns}, {extra, m2.Extra}} {
		a, b := pair[0].([]dns.RR), pair[1].([]dnswire.RR)
		if len(a) != len(b) {
			return fmt.Sprintf("section %d: %d vs %d records", i+1, len(a), len(b))
		}
		for k := range a {
			wa, err := miekgWire(a[k])
			if err != nil {
				return fmt.Sprintf("section %d record %d: miekg cannot repack: %v", i+1, k, err)
			}
			wb, err := recordWire(&b[k])
			if err != nil {
				return fmt.Sprintf("section %d record %d: dnswire cannot repack: %v", i+1, k, err)
			}
			_, opaque := b[k].Data.(*dnswire.Unknown)
			empty := b[k].Data == nil
			if opaque || empty {
				// RFC 3597: dnswire keeps unknown data as it came (its
				// own fuzz targets check that). RFC 2136 2.4.1, 2.5.2:
				// class ANY or NONE with RDLENGTH 0 is a record without
				// RDATA, which dnswire keeps as nil Data and writes back
				// empty. miekg decodes the type and may re-encode either
				// differently: for an empty DNSKEY it writes four octets
				// of zero fields (TestDNSDiffEmptyUpdateForm). Compare
				// owner, type, class and TTL, and that dnswire's empty
				// record stays empty.
				n := b[k].Name.Len() + 8
				if len(wa) < n || !bytes.Equal(wa[:n], wb[:n]) {
					return fmt.Sprintf("section %d record %d header:\n miekg   %x\n dnswire %x", i+1, k, wa, wb)
				}
				if empty && len(wb) != n+2 {
					return fmt.Sprintf("section %d record %d: dnswire wrote RDATA for an empty record: %x", i+1, k, wb)
				}
				continue
			}
			if caa, ok := b[k].Data.(*dnswire.CAA); ok && bytes.IndexByte(caa.Value, '\\') >= 0 {
				// RFC 8659 4.1: Value is an opaque octet sequence. miekg
				// v1 keeps it in presentation form without escaping a
				// backslash, so its repack reads "\000" as one NUL
				// octet and loses bytes (TestDNSDiffCAABackslash).
				// Compare owner, type, class and TTL, then flags and
				// tag, skipping RDLENGTH and the value.
				hdr := b[k].Name.Len() + 8
				end := hdr + 2 + 2 + len(caa.Tag)
				if len(wa) < end || !bytes.Equal(wa[:hdr], wb[:hdr]) || !bytes.Equal(wa[hdr+2:end], wb[hdr+2:end]) {
					return fmt.Sprintf("section %d record %d (CAA):\n miekg   %x\n dnswire %x", i+1, k, wa, wb)
				}
				continue
			}
			if !bytes.Equal(wa, wb) {
				return fmt.Sprintf("section %d record %d:\n miekg   %x %v\n dnswire %x %v", i+1, k, wa, a[k], wb, b[k])
			}
		}
	}
	return ""
}

// ttlReason: dnswire reads a TTL or SOA timer with the top bit set as
// zero, and so writes it back; miekg keeps the 32-bit value.
const ttlReason = "RFC 2181 8: a TTL (and an SOA timer, RFC 2308 4) with the most significant bit set " +
	"is treated as zero; miekg keeps the value (compared after clamping miekg's side)"

// clampRFC2181 applies RFC 2181 8 to miekg's decode, as dnswire applies
// it while reading, and reports whether any value changed. The OPT
// record's TTL field holds EDNS flags, not a TTL.
func clampRFC2181(m *dns.Msg) bool {
	changed := false
	c := func(v *uint32) {
		if *v >= 1<<31 {
			*v = 0
			changed = true
		}
	}
	for _, rrs := range [][]dns.RR{m.Answer, m.Ns, m.Extra} {
		for _, rr := range rrs {
			if _, ok := rr.(*dns.OPT); ok {
				continue
			}
			c(&rr.Header().Ttl)
			if soa, ok := rr.(*dns.SOA); ok {
				c(&soa.Refresh)
				c(&soa.Retry)
				c(&soa.Expire)
				c(&soa.Minttl)
			}
		}
	}
	return changed
}

// diffCase is a message on which the two libraries disagree, and the rule
// that says dnswire is right.
type diffCase struct {
	name    string
	msg     []byte
	ours    error           // the sentinel dnswire returns
	section dnswire.Section // where dnswire reports it
	miekg   bool            // whether miekg v1 accepts
	reason  string
	// atEnd: the error is anywhere at or after the section, at the very
	// end of the message (a record that is simply missing).
	atEnd bool
	// anySection: the disagreement can occur in any section.
	anySection bool
	// check, if set, must also hold for the failing record.
	check func(msg []byte, pe *dnswire.ParseError, m1 *dns.Msg) bool
}

// shortData holds when the failing record's RDATA stops cleanly at a
// field boundary before its type's last field: miekg then leaves the
// missing fields empty and accepts the record. Every field is required by
// the type's definition (RFC 1035 3.3, 3.4.1; RFC 3596; RFC 2782).
func shortData(msg []byte, pe *dnswire.ParseError, _ *dns.Msg) bool {
	return walkLayout(msg, pe) == layoutShort
}

// countedOverrun holds when a length-prefixed field of the failing
// record claims more octets than its RDATA has left.
func countedOverrun(msg []byte, pe *dnswire.ParseError, _ *dns.Msg) bool {
	return walkLayout(msg, pe) == layoutOverrun
}

const (
	layoutOther = iota
	layoutShort
	layoutOverrun
)

// walkLayout follows the failing record's fields inside its RDATA.
func walkLayout(msg []byte, pe *dnswire.ParseError) int {
	h, end, ok := failingHeader(msg, pe)
	if !ok {
		return layoutOther
	}
	off := end - int(h.Length)
	const name, counted = -1, -2 // a domain name; a length octet and that many octets
	layout := map[dnswire.Type][]int{
		// RFC 5155 3.2: hash algorithm, flags, iterations, salt, hash; the
		// type bitmap may be empty.
		dnswire.TypeNSEC3: {1, 1, 2, counted, counted}, dnswire.TypeNSEC3PARAM: {1, 1, 2, counted},
		dnswire.TypeA: {4}, dnswire.TypeAAAA: {16}, dnswire.TypeNS: {name}, dnswire.TypeCNAME: {name},
		dnswire.TypePTR: {name}, dnswire.TypeMX: {2, name}, dnswire.TypeSOA: {name, name, 4, 4, 4, 4, 4},
		dnswire.TypeSRV: {2, 2, 2, name}, dnswire.TypeTXT: {1}, dnswire.TypeCAA: {1, 1},
		// The types issue 15 added (RFC 1035 3.3.2, 3403 4.1, 6672 2.1,
		// 4034 2.1, 3.1, 4.1, 5.1, 4255 3.1, 6698 2.1, 7553 4.5, 8976 2.2,
		// 9460 2.2, 8945 4.2, 2930 2): every field up to the last is
		// required.
		dnswire.TypeHINFO: {counted, counted}, dnswire.TypeNAPTR: {2, 2, counted, counted, counted, name},
		dnswire.TypeDNAME: {name}, dnswire.TypeDS: {2, 1, 1}, dnswire.TypeCDS: {2, 1, 1},
		dnswire.TypeDNSKEY: {2, 1, 1}, dnswire.TypeCDNSKEY: {2, 1, 1},
		dnswire.TypeRRSIG: {2, 1, 1, 4, 4, 4, 2, name}, dnswire.TypeSIG: {2, 1, 1, 4, 4, 4, 2, name},
		dnswire.TypeNSEC: {name}, dnswire.TypeSSHFP: {1, 1}, dnswire.TypeTLSA: {1, 1, 1}, dnswire.TypeSMIMEA: {1, 1, 1},
		dnswire.TypeURI: {2, 2}, dnswire.TypeZONEMD: {4, 1, 1}, dnswire.TypeSVCB: {2, name}, dnswire.TypeHTTPS: {2, name},
		dnswire.TypeTSIG: {name, 6, 2, 2}, dnswire.TypeTKEY: {name, 4, 4, 2, 2, 2},
		// RFC 3597 4: the types whose names dnswire decompresses (RFC
		// 1035 3.3, RFC 1183, RFC 2163, RFC 2535) have required names.
		dnswire.TypeMD: {name}, dnswire.TypeMF: {name}, dnswire.TypeMB: {name}, dnswire.TypeMG: {name},
		dnswire.TypeMR: {name}, dnswire.TypeMINFO: {name, name}, dnswire.TypeRP: {name, name},
		dnswire.TypeAFSDB: {2, name}, dnswire.TypeRT: {2, name}, dnswire.TypePX: {2, name, name},
		dnswire.TypeNXT: {name},
	}[h.Type]
	for _, f := range layout {
		if off == end {
			return layoutShort
		}
		if f == name {
			_, next, err := dnswire.ReadName(msg[:end], off)
			if err != nil {
				return layoutOther
			}
			off = next
			continue
		}
		if f == counted {
			if off >= end {
				return layoutOther
			}
			f = 1 + int(msg[off])
			if off+f > end {
				return layoutOverrun
			}
		}
		if off+f > end {
			return layoutOther
		}
		off += f
	}
	return layoutOther
}

// failingHeader returns the header of the record pe names and the end
// of its RDATA, found by walking the headers before it.
func failingHeader(msg []byte, pe *dnswire.ParseError) (dnswire.RRHeader, int, bool) {
	var p dnswire.Parser
	if _, err := p.Start(msg); err != nil {
		return dnswire.RRHeader{}, 0, false
	}
	var h dnswire.RRHeader
	for i := 0; i <= pe.Index; i++ {
		var err error
		if h, err = p.RRHeader(pe.Section); err != nil {
			return h, 0, false
		}
	}
	return h, p.Offset(), true
}

func be16(v uint16) []byte { return []byte{byte(v >> 8), byte(v)} }

func hdrCounts(qd, an, ns, ar uint16) []byte {
	b := []byte{0xab, 0xcd, 0x81, 0x80}
	for _, c := range []uint16{qd, an, ns, ar} {
		b = append(b, be16(c)...)
	}
	return b
}

func rrBytes(t, class uint16, data []byte) []byte {
	b := append(be16(t), be16(class)...)
	b = append(b, 0, 0, 1, 44)
	b = append(b, be16(uint16(len(data)))...)
	return append(b, data...)
}

var exampleWire = []byte("\x07example\x03com\x00")

func join(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

var diffCases = []diffCase{
	{
		name:    "count claims more records than the message holds",
		section: dnswire.SectionHeader,
		msg:     join(hdrCounts(0, 65535, 0, 0), exampleWire, rrBytes(1, 1, []byte{192, 0, 2, 1})),
		ours:    dnswire.ErrCountTooLarge,
		miekg:   true,
		reason: "RFC 1035 4.1.1: ANCOUNT is the number of resource records in the answer section; " +
			"a message with fewer is malformed (FORMERR), not a shorter message",
	},
	{
		name:       "A record with RDLENGTH 0 (any typed record shorter than its fixed fields)",
		section:    dnswire.SectionAnswer,
		anySection: true,
		check:      shortData,
		msg:        join(hdrCounts(0, 1, 0, 0), exampleWire, rrBytes(1, 1, nil)),
		ours:       dnswire.ErrBadRDLength,
		miekg:      true,
		reason: "RFC 1035 3.4.1: A RDATA is a 32-bit address (and likewise every typed form has " +
			"required fields); empty RDATA is allowed only in the RFC 2136 2.4/2.5 forms with class ANY or NONE",
	},
	{
		name:    "trailing bytes after the last record",
		section: dnswire.SectionAdditional,
		msg:     join(hdrCounts(1, 0, 0, 0), exampleWire, []byte{0, 1, 0, 1}, []byte{0xde, 0xad}),
		ours:    dnswire.ErrTrailingBytes,
		miekg:   true,
		reason: "RFC 1035 4.1: a message is the header and the four sections the counts describe; " +
			"dnswire decodes it fully and then reports the extra bytes",
	},
	{
		name:    "two OPT records",
		section: dnswire.SectionAdditional,
		msg:     join(hdrCounts(0, 0, 0, 2), []byte{0}, rrBytes(41, 1232, nil), []byte{0}, rrBytes(41, 1232, nil)),
		ours:    dnswire.ErrBadOPT,
		miekg:   true,
		reason: "RFC 6891 6.1.1: if a query message with more than one OPT RR is received, a FORMERR " +
			"(RCODE=1) MUST be returned",
	},
	{
		name:       "OPT record outside the additional section",
		section:    dnswire.SectionAnswer,
		anySection: true,
		msg:        join(hdrCounts(0, 1, 0, 0), []byte{0}, rrBytes(41, 1232, nil)),
		ours:       dnswire.ErrBadOPT,
		miekg:      true,
		reason:     "RFC 6891 6.1.1: the OPT RR is placed in the additional data section",
	},
	{
		name:    "OPT record not owned by the root",
		section: dnswire.SectionAdditional,
		msg:     join(hdrCounts(0, 0, 0, 1), exampleWire, rrBytes(41, 1232, nil)),
		ours:    dnswire.ErrBadOPT,
		miekg:   true,
		reason:  "RFC 6891 6.1.2: NAME of the OPT RR MUST be 0 (root domain)",
	},
	{
		name:       "SRV data ending before the target name",
		section:    dnswire.SectionAnswer,
		anySection: true,
		check:      shortData,
		msg:        join(hdrCounts(0, 1, 0, 0), exampleWire, rrBytes(33, 1, []byte{0, 1, 0, 2, 0, 3})),
		ours:       dnswire.ErrBadRDLength,
		miekg:      true,
		reason: "RFC 2782: SRV RDATA is priority, weight, port and target, all required; miekg leaves " +
			"fields missing at the end of RDATA empty",
	},
	{
		name:       "NSEC3 data ending after the iterations",
		section:    dnswire.SectionAnswer,
		anySection: true,
		check:      shortData,
		msg:        join(hdrCounts(0, 1, 0, 0), exampleWire, rrBytes(50, 1, []byte{1, 0, 0, 10})),
		ours:       dnswire.ErrBadRDLength,
		miekg:      true,
		reason: "RFC 5155 3.2: NSEC3 RDATA holds the salt and next hashed owner name after the " +
			"iterations, both required; miekg leaves them empty",
	},
	{
		name:       "NSEC3 hash length running past RDLENGTH",
		section:    dnswire.SectionAnswer,
		anySection: true,
		check:      countedOverrun,
		msg: join(hdrCounts(0, 1, 0, 0), exampleWire, rrBytes(50, 1, []byte{1, 0, 0, 2, 0, 6}),
			[]byte{0, 1, 0, 2, 0, 3}),
		ours:  dnswire.ErrBadRDLength,
		miekg: true,
		reason: "RFC 1035 3.2.1: RDLENGTH is the length of the RDATA; a length-prefixed field (RFC 5155 3.2 " +
			"hash, salt; RFC 1035 3.3 character-string) cannot reach past it; miekg reads it from the bytes after",
	},
	{
		name:       "TXT with no character-string",
		section:    dnswire.SectionAnswer,
		anySection: true,
		check:      shortData,
		msg:        join(hdrCounts(0, 1, 0, 0), exampleWire, rrBytes(16, 1, nil)),
		ours:       dnswire.ErrBadRDLength,
		miekg:      true,
		reason:     "RFC 1035 3.3.14: TXT-DATA is one or more <character-string>s",
	},
	{
		name:    "question without QTYPE and QCLASS",
		section: dnswire.SectionQuestion,
		msg:     join(hdrCounts(1, 0, 0, 0), exampleWire),
		ours:    dnswire.ErrTruncated,
		miekg:   true,
		reason: "RFC 1035 4.1.2: a question entry is QNAME, a two-octet QTYPE and a two-octet QCLASS; " +
			"miekg fills in zeros when the message ends after the name",
	},
	{
		name:    "message ends before the records the counts promise",
		section: dnswire.SectionAnswer,
		atEnd:   true,
		msg:     join(hdrCounts(1, 0, 0, 1), exampleWire, []byte{0, 1, 0, 1}, nil),
		ours:    dnswire.ErrTruncated,
		miekg:   true,
		reason: "RFC 1035 4.1.1: the counts give the number of records in each section; miekg stops " +
			"quietly where the bytes end, dnswire reports the missing record (a truncated UDP answer " +
			"carries TC and consistent counts, RFC 2181 9)",
	},
	{
		name:       "compression pointer pointing forward",
		section:    dnswire.SectionQuestion,
		anySection: true,
		msg:        join(hdrCounts(1, 0, 0, 0), []byte{0xC0, 18, 0, 1, 0, 1}, exampleWire),
		ours:       dnswire.ErrBadPointer,
		miekg:      true,
		reason: "RFC 1035 4.1.4: a pointer replaces a name with a pointer to a prior occurrence of " +
			"the same name; dnswire requires every hop to go backwards, which also rules out loops",
	},
	{
		name:       "compression pointer into the 12-octet header",
		section:    dnswire.SectionQuestion,
		anySection: true,
		msg:        join(hdrCounts(1, 0, 0, 0), []byte{0xC0, 6, 0, 1, 0, 1}),
		ours:       dnswire.ErrPointerIntoHeader,
		miekg:      true,
		reason: "RFC 1035 4.1.4: a pointer points to a prior occurrence of a name in the message; " +
			"the 12-octet header holds no names (issue 15: rejected with a typed error)",
	},
	{
		name:       "CAA with an empty tag (in any section)",
		section:    dnswire.SectionAnswer,
		anySection: true,
		msg:        join(hdrCounts(0, 1, 0, 0), exampleWire, rrBytes(257, 1, []byte{0, 0, 'x'})),
		ours:       dnswire.ErrBadRData,
		miekg:      true,
		reason:     "RFC 8659 4.1: the tag length MUST be at least 1",
	},
}

// classify says whether a one-sided failure is a known, justified
// disagreement; it returns "" when it is not.
func classify(msg []byte, ourErr error, miekgErr error) string {
	var m1 dns.Msg
	m1.Unpack(msg)
	return classifyWith(msg, &m1, nil, ourErr, miekgErr)
}

// opaqueReason: a type dnswire keeps as RFC 3597 opaque data (DNSKEY, DS,
// RRSIG, NSEC, SVCB, ...) is decoded by miekg, which rejects data that is
// malformed for that type. dnswire does not look inside.
const opaqueReason = "RFC 3597 2: dnswire keeps types it has no typed form for as opaque RDATA; " +
	"miekg decodes them and rejects malformed contents"

func hasOpaque(m *dnswire.Msg) bool {
	for _, rrs := range [][]dnswire.RR{m.Answer, m.Ns, m.Extra} {
		for _, rr := range rrs {
			if _, ok := rr.Data.(*dnswire.Unknown); ok {
				return true
			}
		}
	}
	return false
}

// optionReason: dnswire's Unpack keeps each EDNS option's data opaque and
// decodes it only when asked (EDNSOption.Cookie, EDE, ClientSubnet return
// their own errors), so one malformed option does not cost the caller the
// whole message; miekg decodes every option it knows (LLQ, ECS, ...) during
// Unpack and rejects the message.
const optionReason = "RFC 6891 6.1.2: an option is OPTION-CODE, OPTION-LENGTH and OPTION-DATA; " +
	"dnswire keeps OPTION-DATA opaque until asked, miekg decodes known options eagerly and rejects malformed contents"

func hasOptions(m *dnswire.Msg) bool { return m.EDNS != nil && len(m.EDNS.Options) > 0 }

func classifyWith(msg []byte, m1 *dns.Msg, ours *dnswire.Msg, ourErr error, miekgErr error) string {
	if ourErr == nil && miekgErr != nil && ours != nil && hasOpaque(ours) {
		return opaqueReason
	}
	if ourErr == nil && miekgErr != nil && ours != nil && hasOptions(ours) &&
		strings.Contains(miekgErr.Error(), "OPT.Option") {
		return optionReason
	}
	if ourErr != nil && miekgErr == nil {
		var pe *dnswire.ParseError
		if !errors.As(ourErr, &pe) {
			return ""
		}
		for _, c := range diffCases {
			if !c.miekg || !errors.Is(ourErr, c.ours) || (c.check != nil && !c.check(msg, pe, m1)) {
				continue
			}
			if c.atEnd && pe.Section >= c.section && pe.Offset == len(msg) {
				return c.reason
			}
			if !c.atEnd && (c.anySection || pe.Section == c.section) {
				return c.reason
			}
		}
	}
	return ""
}

func TestDNSDiffMiekgCases(t *testing.T) {
	for _, c := range diffCases {
		var m1 dns.Msg
		e1 := m1.Unpack(c.msg)
		var m2 dnswire.Msg
		e2 := m2.Unpack(c.msg)
		if (e1 == nil) != c.miekg {
			t.Errorf("%s: miekg error %v, table says accepts=%v (the peer changed; update the table)", c.name, e1, c.miekg)
		}
		if !errors.Is(e2, c.ours) {
			t.Errorf("%s: dnswire error %v, want %v (%s)", c.name, e2, c.ours, c.reason)
		}
		if c.miekg && classify(c.msg, e2, e1) == "" {
			t.Errorf("%s: the fuzz target would not recognise this disagreement", c.name)
		}
	}
}

func diffSeeds(f *testing.F) {
	f.Add(fixtures.DNSResponse)
	files, _ := filepath.Glob("../dnswire/testdata/captures/*.bin")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, c := range diffCases {
		f.Add(c.msg)
	}
}

func FuzzDNSDiffMiekg(f *testing.F) {
	diffSeeds(f)
	f.Fuzz(func(t *testing.T, msg []byte) {
		var m1 dns.Msg
		e1 := m1.Unpack(msg)
		var m2 dnswire.Msg
		e2 := m2.Unpack(msg)
		switch {
		case e1 == nil && e2 == nil:
			clampRFC2181(&m1)
			if d := compareDecoded(&m1, &m2); d != "" {
				t.Fatalf("both accept %x but differ: %s", msg, d)
			}
		case e1 != nil && e2 != nil:
		default:
			if r := classifyWith(msg, &m1, &m2, e2, e1); r == "" {
				t.Fatalf("disagreement on %x:\n miekg   %v\n dnswire %v", msg, e1, e2)
			}
		}
	})
}

// TestDNSDiffMalformedOption pins the optionReason class with the input the
// differential fuzzer found: an LLQ option (code 1, RFC 8764) with 2 bytes
// of data where LLQ needs 18.
func TestDNSDiffMalformedOption(t *testing.T) {
	msg := join(hdrCounts(0, 0, 0, 1), []byte{0}, rrBytes(41, 1232, []byte{0, 1, 0, 2, 0x30, 0x30}))
	var m1 dns.Msg
	e1 := m1.Unpack(msg)
	var m2 dnswire.Msg
	e2 := m2.Unpack(msg)
	if e1 == nil || e2 != nil {
		t.Fatalf("miekg %v, dnswire %v: want miekg to reject and dnswire to accept", e1, e2)
	}
	if got := classifyWith(msg, &m1, &m2, e2, e1); got != optionReason {
		t.Fatalf("classified as %q", got)
	}
	if o, ok := m2.EDNS.Option(1); !ok || string(o.Data) != "00" {
		t.Fatalf("option kept as %+v, %v", o, ok)
	}
}

// TestDNSDiffCAABackslash pins the CAA class in compareDecoded: a value
// holding a backslash survives dnswire's decode and encode byte for byte,
// while miekg v1's repack shortens it.
// TestDNSDiffEmptyUpdateForm pins the empty-record case of compareDecoded
// with the input the differential fuzzer found: a DNSKEY of class ANY with
// RDLENGTH 0 (the RFC 2136 2.5.2 "delete an RRset" form), which dnswire
// keeps empty and miekg v1 writes back with four octets of zero fields.
func TestDNSDiffEmptyUpdateForm(t *testing.T) {
	msg := join(hdrCounts(0, 1, 0, 0), []byte{0}, rrBytes(48, 255, nil))
	var m1 dns.Msg
	if err := m1.Unpack(msg); err != nil {
		t.Fatal(err)
	}
	var m2 dnswire.Msg
	if err := m2.Unpack(msg); err != nil {
		t.Fatal(err)
	}
	if m2.Answer[0].Data != nil {
		t.Fatalf("dnswire decoded %#v, want nil Data", m2.Answer[0].Data)
	}
	wb, err := recordWire(&m2.Answer[0])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(wb, msg[dnswire.HeaderLen:]) {
		t.Errorf("dnswire repack %x, want the input record %x", wb, msg[dnswire.HeaderLen:])
	}
	wa, err := miekgWire(m1.Answer[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(wa) == len(wb) {
		t.Errorf("miekg repack %x is as long as the input: the empty case in compareDecoded may be obsolete", wa)
	}
	if d := compareDecoded(&m1, &m2); d != "" {
		t.Errorf("compareDecoded: %s", d)
	}
}

func TestDNSDiffCAABackslash(t *testing.T) {
	value := []byte(`\000`)
	rdata := append([]byte{0, 5}, "issue"...)
	rdata = append(rdata, value...)
	msg := join(hdrCounts(0, 1, 0, 0), exampleWire, rrBytes(257, 1, rdata))
	var m1 dns.Msg
	if err := m1.Unpack(msg); err != nil {
		t.Fatal(err)
	}
	var m2 dnswire.Msg
	if err := m2.Unpack(msg); err != nil {
		t.Fatal(err)
	}
	wb, err := recordWire(&m2.Answer[0])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(wb, msg[dnswire.HeaderLen:]) {
		t.Errorf("dnswire repack %x, want the input record %x", wb, msg[dnswire.HeaderLen:])
	}
	wa, err := miekgWire(m1.Answer[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(wa) >= len(wb) {
		t.Errorf("miekg repack is %d bytes, no longer shorter than %d: the CAA class in compareDecoded may be obsolete", len(wa), len(wb))
	}
	if d := compareDecoded(&m1, &m2); d != "" {
		t.Errorf("compareDecoded: %s", d)
	}
}
