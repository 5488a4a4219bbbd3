package dnswire

import (
	"strconv"
)

// String prints m the way dig prints a response: the header line, the
// flags and counts, the OPT pseudo-section, then each non-empty section
// with one zone-file line per record. UPDATE messages use the RFC 2136
// section names, as dig does.
func (m *Msg) String() string { return string(m.AppendText(nil)) }

// AppendText appends m's dig-style text to dst.
func (m *Msg) AppendText(dst []byte) []byte {
	dst = append(dst, ";; ->>HEADER<<- opcode: "...)
	dst = append(dst, m.Opcode.String()...)
	dst = append(dst, ", status: "...)
	dst = append(dst, m.RCode.String()...)
	dst = append(dst, ", id: "...)
	dst = strconv.AppendUint(dst, uint64(m.ID), 10)
	dst = append(dst, "\n;; flags:"...)
	for _, f := range [...]struct {
		on   bool
		name string
	}{
		{m.Response, "qr"}, {m.Authoritative, "aa"}, {m.Truncated, "tc"}, {m.RecursionDesired, "rd"},
		{m.RecursionAvailable, "ra"}, {m.Zero, "z"}, {m.AuthenticData, "ad"}, {m.CheckingDisabled, "cd"},
	} {
		if f.on {
			dst = append(dst, ' ')
			dst = append(dst, f.name...)
		}
	}
	names := [4]string{"QUERY", "ANSWER", "AUTHORITY", "ADDITIONAL"}
	heads := [4]string{"QUESTION", "ANSWER", "AUTHORITY", "ADDITIONAL"}
	if m.Opcode == OpcodeUpdate {
		names = [4]string{"ZONE", "PREREQ", "UPDATE", "ADDITIONAL"}
		heads = [4]string{"ZONE", "PREREQUISITE", "UPDATE", "ADDITIONAL"}
	}
	extra := len(m.Extra)
	if m.EDNS != nil {
		extra++ // dig counts the OPT record
	}
	counts := [4]int{len(m.Question), len(m.Answer), len(m.Ns), extra}
	dst = append(dst, ';')
	for i, n := range names {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, ' ')
		dst = append(dst, n...)
		dst = append(dst, ": "...)
		dst = strconv.AppendInt(dst, int64(counts[i]), 10)
	}
	dst = append(dst, '\n')
	if e := m.EDNS; e != nil {
		dst = append(dst, "\n;; OPT PSEUDOSECTION:\n; EDNS: version: "...)
		dst = strconv.AppendUint(dst, uint64(e.Version), 10)
		dst = append(dst, ", flags:"...)
		if e.DO {
			dst = append(dst, " do"...)
		}
		if e.Z != 0 {
			dst = append(dst, "; MBZ: 0x"...)
			dst = strconv.AppendUint(dst, uint64(e.Z), 16)
		}
		dst = append(dst, "; udp: "...)
		dst = strconv.AppendUint(dst, uint64(e.UDPSize), 10)
		dst = append(dst, '\n')
		for _, o := range e.Options {
			dst = append(dst, "; "...)
			dst = append(dst, o.String()...)
			dst = append(dst, '\n')
		}
	}
	if len(m.Question) > 0 {
		dst = append(dst, "\n;; "...)
		dst = append(dst, heads[0]...)
		dst = append(dst, " SECTION:\n"...)
		for _, q := range m.Question {
			start := len(dst)
			dst = append(dst, ';')
			dst = q.Name.AppendText(dst)
			dst = padTo(dst, start, colClass)
			dst = append(dst, q.Class.String()...)
			dst = padTo(dst, start, colType)
			dst = append(dst, q.Type.String()...)
			dst = append(dst, '\n')
		}
	}
	for i, rrs := range [...][]RR{m.Answer, m.Ns, m.Extra} {
		if len(rrs) == 0 {
			continue
		}
		dst = append(dst, "\n;; "...)
		dst = append(dst, heads[i+1]...)
		dst = append(dst, " SECTION:\n"...)
		for k := range rrs {
			dst = appendAligned(dst, &rrs[k])
			dst = append(dst, '\n')
		}
	}
	return dst
}

// dig lines its records up in columns: the TTL starts at column 24, the
// class at 32, the type at 40 and the data at 48, reached with tabs (8
// wide), or with one space when a field already runs past the column.
const (
	colTTL   = 24
	colClass = 32
	colType  = 40
	colData  = 48
)

// padTo pads the line that starts at dst[start] to column col.
func padTo(dst []byte, start, col int) []byte {
	w := 0
	for _, c := range dst[start:] {
		if c == '\t' {
			w = (w/8 + 1) * 8
		} else {
			w++
		}
	}
	if w >= col {
		return append(dst, ' ')
	}
	for w < col {
		dst = append(dst, '\t')
		w = (w/8 + 1) * 8
	}
	return dst
}

// appendAligned writes rr as dig prints it in a section.
func appendAligned(dst []byte, rr *RR) []byte {
	start := len(dst)
	dst = rr.Name.AppendText(dst)
	dst = padTo(dst, start, colTTL)
	dst = strconv.AppendUint(dst, uint64(ttl31(rr.TTL)), 10)
	dst = padTo(dst, start, colClass)
	dst = append(dst, rr.Class.String()...)
	dst = padTo(dst, start, colType)
	dst = append(dst, rr.Type.String()...)
	if rr.Data != nil {
		dst = padTo(dst, start, colData)
		dst = rr.Data.AppendText(dst)
	}
	return dst
}
