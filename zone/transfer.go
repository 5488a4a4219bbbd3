package zone

import (
	"errors"
	"net"
	"net/netip"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// transferChunk is the size at which a transfer message is closed; well
// under 64 KiB so a TSIG and a long record always fit.
const transferChunk = 16000

// transferAllowed reports whether a client may transfer zones (RFC 5936
// 6: by address or by TSIG key).
func (s *Server) transferAllowed(from netip.Addr, key *dnswire.TSIGKey) bool {
	for _, p := range s.TransferFrom {
		if p.Contains(from.Unmap()) {
			return true
		}
	}
	if key != nil {
		for _, k := range s.TransferKeys {
			if k.Equal(key.Name) {
				return true
			}
		}
	}
	return false
}

// transfer serves an AXFR (RFC 5936) or IXFR (RFC 1995) request on a TCP
// connection. It returns false when the request is not an allowed
// transfer, leaving the answer (REFUSED, NOTAUTH, a TSIG error) to the
// ordinary path.
func (s *Server) transfer(c net.Conn, msg []byte) bool {
	var req request
	req.tcp = true
	if _, err := parseRequestTransfer(msg, &req); err != nil {
		return false
	}
	if req.hdr.Opcode != dnswire.OpcodeQuery || req.q.Type != dnswire.TypeAXFR && req.q.Type != typeIXFR {
		return false
	}
	zs := s.zones.Load()
	if zs == nil {
		return false
	}
	z := zs.m[req.q.Name.Lower()]
	if z == nil {
		return false
	}
	var auth *dnswire.TSIGResult
	unsigned := msg
	if req.tsig {
		res, err := dnswire.VerifyTSIG(msg, dnswire.TSIGVerify{Keys: s.key, Now: s.now()})
		if err != nil {
			return false
		}
		auth, unsigned = res, res.Unsigned
	}
	from, _ := addrOf(c.RemoteAddr())
	var key *dnswire.TSIGKey
	if auth != nil {
		key = auth.Key
	}
	if !s.transferAllowed(from.Addr(), key) {
		s.logDebug("zone: transfer refused", "from", from, "zone", z.origin)
		return false
	}
	var q dnswire.Msg
	if err := q.Unpack(unsigned); err != nil && !errors.Is(err, dnswire.ErrTrailingBytes) {
		return false
	}
	var rrs []dnswire.RR
	if req.q.Type == typeIXFR {
		rrs = s.ixfrRecords(z, &q)
	}
	if rrs == nil {
		// AXFR, or an IXFR the journal cannot answer (RFC 1995 4: then
		// the whole zone, in AXFR form).
		rrs = s.axfrRecords(z)
	}
	s.sendTransfer(c, &q, rrs, auth)
	return true
}

// axfrRecords is the zone in AXFR form: the SOA, every other record in
// no particular order (RFC 5936 2.2 asks none; sorting a large zone
// costs more than sending it), the SOA again.
func (s *Server) axfrRecords(z *Zone) []dnswire.RR {
	out := make([]dnswire.RR, 0, z.count+1)
	out = append(out, z.soa)
	for _, n := range z.nodes {
		for i := range n.sets {
			if n.sets[i].typ != dnswire.TypeSOA {
				out = append(out, n.sets[i].rrs...)
			}
		}
	}
	return append(out, z.soa)
}

// parseRequestTransfer is parseRequest; AXFR and IXFR queries carry an
// SOA in the authority section (RFC 1995 3), which a plain QUERY may not.
func parseRequestTransfer(msg []byte, req *request) (dnswire.RCode, error) {
	var p dnswire.Parser
	h, err := p.Start(msg)
	if err != nil || h.Response || p.Count(dnswire.SectionQuestion) != 1 {
		return dnswire.RCodeFormatError, errDrop
	}
	req.hdr = h
	q, err := p.Question()
	if err != nil {
		return dnswire.RCodeFormatError, err
	}
	req.q, req.hasQ = q, true
	for s := dnswire.SectionAnswer; s <= dnswire.SectionAdditional; s++ {
		for {
			rh, err := p.RRHeader(s)
			if err == dnswire.ErrSectionDone {
				break
			}
			if err != nil {
				return dnswire.RCodeFormatError, err
			}
			if rh.Type == typeTSIG {
				req.tsig = true
			}
			if rh.Type == dnswire.TypeOPT {
				req.edns = true
			}
			if err := p.SkipRData(); err != nil {
				return dnswire.RCodeFormatError, err
			}
		}
	}
	return dnswire.RCodeSuccess, nil
}

// ixfrRecords returns the IXFR answer (RFC 1995 4): the current SOA
// alone when the client is up to date; the difference sequences from the
// client's serial when the journal has them all; nil otherwise.
func (s *Server) ixfrRecords(z *Zone, q *dnswire.Msg) []dnswire.RR {
	var serial uint32
	found := false
	for _, rr := range q.Ns {
		if soa, ok := rr.Data.(*dnswire.SOA); ok {
			serial, found = soa.Serial, true
		}
	}
	if !found {
		return nil
	}
	if !serialGreater(z.Serial(), serial) {
		return []dnswire.RR{z.soa}
	}
	s.umu.Lock()
	var hist []*change
	if j := s.journals[z.origin.Lower()]; j != nil {
		hist = j.history
	}
	s.umu.Unlock()
	start := -1
	for i, ch := range hist {
		if ch.oldSOA.Data.(*dnswire.SOA).Serial == serial {
			start = i
			break
		}
	}
	if start < 0 || hist[len(hist)-1].newSOA.Data.(*dnswire.SOA).Serial != z.Serial() {
		return nil
	}
	out := []dnswire.RR{z.soa}
	for _, ch := range hist[start:] {
		out = append(out, ch.oldSOA)
		out = append(out, ch.del...)
		out = append(out, ch.newSOA)
		out = append(out, ch.add...)
	}
	return append(out, z.soa)
}

// sendTransfer writes rrs in as many messages as needed, each signed
// when the request was (RFC 8945 5.3.1: the first over the request MAC,
// each later one over the previous MAC and the timers).
func (s *Server) sendTransfer(c net.Conn, q *dnswire.Msg, rrs []dnswire.RR, auth *dnswire.TSIGResult) {
	var m dnswire.Msg
	var prior, scratch []byte
	first := true
	for len(rrs) > 0 {
		m = dnswire.Msg{}
		m.Header = dnswire.Header{ID: q.ID, Response: true, Opcode: dnswire.OpcodeQuery, Authoritative: true}
		// RFC 5936 2.2.1: the question is copied into the first message.
		if first {
			m.Question = q.Question
		}
		size := dnswire.HeaderLen
		n := 0
		for n < len(rrs) && (n == 0 || size < transferChunk) {
			scratch = appendRData(scratch[:0], &rrs[n])
			size += rrs[n].Name.Len() + 10 + len(scratch)
			n++
		}
		m.Answer = rrs[:n]
		rrs = rrs[n:]
		wire, err := m.Pack()
		if err != nil {
			s.logDebug("zone: transfer pack", "err", err)
			return
		}
		if auth != nil {
			sign := dnswire.TSIGSign{Key: auth.Key, Time: s.now()}
			if first {
				sign.RequestMAC = auth.Record.MAC
			} else {
				sign.PriorMAC = prior
			}
			wire, prior, err = dnswire.SignTSIG(wire, sign)
			if err != nil {
				return
			}
		}
		_ = c.SetWriteDeadline(time.Now().Add(30 * time.Second))
		if err := dnswire.WriteTCP(c, wire); err != nil {
			return
		}
		first = false
	}
}

// isTransfer cheaply tells whether msg asks for AXFR or IXFR: the type
// right after the first question name.
func isTransfer(msg []byte) bool {
	if len(msg) < dnswire.HeaderLen+5 {
		return false
	}
	_, off, err := dnswire.ReadName(msg, dnswire.HeaderLen)
	if err != nil || off+2 > len(msg) {
		return false
	}
	t := dnswire.Type(uint16(msg[off])<<8 | uint16(msg[off+1]))
	return t == dnswire.TypeAXFR || t == typeIXFR
}
