package zone

import (
	"encoding/binary"
	"errors"

	"github.com/relaykit/relaykit/dnswire"
)

const (
	typeIXFR  dnswire.Type = 251
	typeMAILB dnswire.Type = 253
	typeMAILA dnswire.Type = 254
	typeTSIG  dnswire.Type = 250
	optLen                 = 11 // an OPT record without options
)

// request is what the server needs of a parsed query.
type request struct {
	hdr     dnswire.Header
	q       dnswire.Question
	hasQ    bool
	edns    bool
	ednsVer uint8
	udpSize uint16
	do      bool
	tcp     bool
	tsig    bool // a TSIG record ends the additional section
}

// errDrop means no reply should be sent at all.
var errDrop = errors.New("zone: drop")

// parseRequest reads the header, question and OPT of msg. A non-nil
// error with a usable header means FORMERR; errDrop means no answer.
func parseRequest(msg []byte, req *request) (dnswire.RCode, error) {
	var p dnswire.Parser
	h, err := p.Start(msg)
	if len(msg) < dnswire.HeaderLen {
		return 0, errDrop
	}
	req.hdr = h
	if h.Response {
		// RFC 1035 7.3 spirit: never answer a response (no loops).
		return 0, errDrop
	}
	if err != nil {
		return dnswire.RCodeFormatError, err
	}
	if p.Count(dnswire.SectionQuestion) != 1 {
		// RFC 9619: QDCOUNT must be 1 for QUERY (and NOTIFY, UPDATE).
		return dnswire.RCodeFormatError, dnswire.ErrBadRData
	}
	q, err := p.Question()
	if err != nil {
		return dnswire.RCodeFormatError, err
	}
	req.q, req.hasQ = q, true
	if h.Opcode == dnswire.OpcodeQuery && (p.Count(dnswire.SectionAnswer) != 0 || p.Count(dnswire.SectionAuthority) != 0 && q.Type != typeIXFR) {
		return dnswire.RCodeFormatError, dnswire.ErrBadRData
	}
	for {
		rh, err := p.AnswerHeader()
		if err == dnswire.ErrSectionDone {
			break
		}
		if err != nil {
			return dnswire.RCodeFormatError, err
		}
		_ = rh
		if err := p.SkipRData(); err != nil {
			return dnswire.RCodeFormatError, err
		}
	}
	for {
		_, err := p.AuthorityHeader()
		if err == dnswire.ErrSectionDone {
			break
		}
		if err != nil {
			return dnswire.RCodeFormatError, err
		}
		if err := p.SkipRData(); err != nil {
			return dnswire.RCodeFormatError, err
		}
	}
	for {
		rh, err := p.AdditionalHeader()
		if err == dnswire.ErrSectionDone {
			break
		}
		if err != nil {
			return dnswire.RCodeFormatError, err
		}
		if rh.Type == dnswire.TypeOPT {
			if req.edns {
				// RFC 6891 6.1.1: more than one OPT is FORMERR.
				return dnswire.RCodeFormatError, dnswire.ErrBadOPT
			}
			e, _, err := p.OPT()
			if err != nil {
				return dnswire.RCodeFormatError, err
			}
			req.edns, req.ednsVer, req.udpSize, req.do = true, e.Version, e.UDPSize, e.DO
			continue
		}
		if rh.Type == typeTSIG {
			req.tsig = true
		}
		if err := p.SkipRData(); err != nil {
			return dnswire.RCodeFormatError, err
		}
	}
	return dnswire.RCodeSuccess, nil
}

// limits is the response-size policy of a server.
type limits struct {
	udpSize uint16  // our EDNS payload size
	srv     *Server // for TSIG keys and UPDATE; nil: neither
}

// respond answers one query message into out (appended after len(out))
// and returns the response, or nil when nothing should be sent. For TCP
// the caller adds the length prefix.
func (r *responder) respond(zs *zoneSet, lim limits, msg []byte, tcp bool, out []byte) []byte {
	r.reset()
	var req request
	req.tcp = tcp
	rc, err := parseRequest(msg, &req)
	if err == errDrop {
		return nil
	}
	if err != nil {
		return r.errorReply(&req, lim, rc, out)
	}
	if req.edns && req.ednsVer != 0 {
		// RFC 6891 6.1.3: BADVERS for a version we do not speak.
		return r.errorReply(&req, lim, dnswire.RCodeBadVers, out)
	}
	if req.tsig {
		return r.respondSigned(zs, lim, &req, msg, out)
	}
	switch req.hdr.Opcode {
	case dnswire.OpcodeQuery:
	case dnswire.OpcodeUpdate:
		// RFC 3007 4: only signed updates are accepted.
		return r.errorReply(&req, lim, dnswire.RCodeRefused, out)
	default:
		// RFC 1035 4.1.1: NOTIMP for kinds of query not supported.
		return r.errorReply(&req, lim, dnswire.RCodeNotImplemented, out)
	}
	return r.answerQuery(zs, lim, &req, out)
}

// answerQuery answers a QUERY whose header and question are in req.
func (r *responder) answerQuery(zs *zoneSet, lim limits, req *request, out []byte) []byte {
	switch req.q.Type {
	case dnswire.TypeOPT, typeTSIG:
		return r.errorReply(req, lim, dnswire.RCodeFormatError, out)
	case typeMAILA, typeMAILB:
		return r.errorReply(req, lim, dnswire.RCodeNotImplemented, out)
	case dnswire.TypeAXFR, typeIXFR:
		// Transfers are served only over TCP by the Server's transfer
		// path; here (UDP, or transfers not allowed) they are refused.
		return r.errorReply(req, lim, dnswire.RCodeRefused, out)
	}
	if req.q.Class != dnswire.ClassINET && req.q.Class != dnswire.ClassANY {
		return r.errorReply(req, lim, dnswire.RCodeRefused, out)
	}
	r.do = req.do
	rc, aa := r.resolve(zs, req.q.Name, req.q.Type)
	if rc == dnswire.RCodeRefused {
		return r.errorReply(req, lim, rc, out)
	}
	// RFC 4035 3.1.3: the NSEC/NSEC3 proofs follow the SOA.
	r.auth = append(r.auth, r.proof...)
	r.additional()
	return r.write(req, lim, rc, aa, out)
}

// maxSize is the response size limit for req (RFC 1035 4.2.1 for plain
// UDP; RFC 6891 6.2.5 for EDNS, capped by our own size).
func maxSize(req *request, lim limits) int {
	if req.tcp {
		return 0xFFFF
	}
	if !req.edns {
		return 512
	}
	ours := int(lim.udpSize)
	if ours == 0 {
		ours = 1232
	}
	return max(512, min(int(req.udpSize), ours))
}

func replyHeader(req *request, rc dnswire.RCode, aa bool) dnswire.Header {
	return dnswire.Header{
		ID:               req.hdr.ID,
		Response:         true,
		Opcode:           req.hdr.Opcode,
		Authoritative:    aa,
		RecursionDesired: req.hdr.RecursionDesired,
		CheckingDisabled: req.hdr.CheckingDisabled,
		RCode:            rc & 0xF,
	}
}

// errorReply writes a response without answers: the question when there
// is one, and an OPT when the query had one.
func (r *responder) errorReply(req *request, lim limits, rc dnswire.RCode, out []byte) []byte {
	start := len(out)
	r.b.Start(out, replyHeader(req, rc, false), dnswire.BuildOptions{Compress: true})
	if req.hasQ && rc != dnswire.RCodeFormatError {
		_ = r.b.Question(&req.q)
	}
	m, err := r.b.Finish()
	if err != nil {
		return nil
	}
	if req.edns || rc > 0xF {
		m = appendOPT(m, start, lim, req, rc)
	}
	return m
}

// appendOPT appends our OPT record (RFC 6891 6.1.2) to the message that
// starts at m[start] and counts it in ARCOUNT.
func appendOPT(m []byte, start int, lim limits, req *request, rc dnswire.RCode) []byte {
	size := lim.udpSize
	if size == 0 {
		size = 1232
	}
	var ttl uint32 = uint32(rc>>4) << 24
	if req.do {
		ttl |= 1 << 15 // RFC 3225 3: echo DO
	}
	m = append(m, 0, 0, byte(dnswire.TypeOPT), byte(size>>8), byte(size))
	m = binary.BigEndian.AppendUint32(m, ttl)
	m = append(m, 0, 0)
	ar := binary.BigEndian.Uint16(m[start+10:])
	binary.BigEndian.PutUint16(m[start+10:], ar+1)
	return m
}

// write builds the response from the pieces. A response that does not
// fit has TC set and keeps only whole RRsets: when an answer or
// authority RRset is cut, the reply keeps just the question (RFC 2181 9);
// additional RRsets that do not fit whole are left out.
func (r *responder) write(req *request, lim limits, rc dnswire.RCode, aa bool, out []byte) []byte {
	start := len(out)
	limit := maxSize(req, lim)
	if req.edns {
		limit -= optLen
	}
	if req.tsig {
		limit -= tsigRoom
	}
	r.b.Start(out, replyHeader(req, rc, aa), dnswire.BuildOptions{Compress: true, MaxSize: limit})
	_ = r.b.Question(&req.q)
	tc := false
	rotate := lim.srv != nil && lim.srv.Rotate
	for _, p := range r.ans {
		if rotate && len(p.set.rrs) > 1 {
			turn := lim.srv.turn.Add(1)
			r.emitFrom(dnswire.SectionAnswer, p, int(turn%uint32(len(p.set.rrs))))
			continue
		}
		r.emit(dnswire.SectionAnswer, p, 0)
	}
	for _, p := range r.auth {
		var ttl uint32
		if p.set.typ == dnswire.TypeSOA || p.set.cov == dnswire.TypeSOA {
			ttl = p.zone.minTTL + 1 // +1: 0 means "keep the record's"
		}
		r.emit(dnswire.SectionAuthority, p, ttl)
	}
	if r.b.Truncated() {
		tc = true
	} else {
		placed := false
		for _, p := range r.add {
			need := p.set.wire + len(p.set.rrs)*p.owner.Len()
			if r.b.Len()+need > limit || p.sig && !placed {
				// RFC 4035 3.1.1: RRSIGs only beside their RRset.
				placed = false
				continue
			}
			r.emit(dnswire.SectionAdditional, p, 0)
			placed = true
		}
	}
	if tc {
		h := replyHeader(req, rc, aa)
		h.Truncated = true
		r.b.Start(out, h, dnswire.BuildOptions{Compress: true})
		_ = r.b.Question(&req.q)
	}
	m, err := r.b.Finish()
	if err != nil {
		return r.errorReply(req, lim, dnswire.RCodeServerFailure, out[:start])
	}
	if req.edns {
		m = appendOPT(m, start, lim, req, rc)
	}
	return m
}

// emitFrom writes the records of an answer RRset starting at the
// first-th and wrapping around (round-robin load distribution).
func (r *responder) emitFrom(s dnswire.Section, p piece, first int) {
	n := len(p.set.rrs)
	for k := range n {
		rr := p.set.rrs[(first+k)%n]
		rr.Name = p.owner
		_ = r.b.Add(s, &rr)
	}
}

// emit writes one RRset under p.owner; ttlPlus1, when not 0, overrides
// the TTL (minus one).
func (r *responder) emit(s dnswire.Section, p piece, ttlPlus1 uint32) {
	for i := range p.set.rrs {
		rr := p.set.rrs[i]
		rr.Name = p.owner
		if ttlPlus1 != 0 {
			rr.TTL = ttlPlus1 - 1
		}
		_ = r.b.Add(s, &rr)
	}
}
