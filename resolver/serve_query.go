package resolver

import (
	"context"
	"errors"
	"net/netip"

	"github.com/relaykit/relaykit/dnswire"
)

// Extended DNS Error codes used (RFC 8914 4).
const (
	edeOther                = 0
	edeStaleAnswer          = 3
	edeCachedError          = 13
	edeProhibited           = 18
	edeNoReachableAuthority = 22
)

// respond answers one query in wire form from client; it returns nil to
// drop it (not a query, or too broken to answer: RFC 1035 4.1.1 leaves
// no way to reply to a message whose header cannot be read).
func (s *Server) respond(query []byte, client netip.Addr, tcp bool) []byte {
	if len(query) < dnswire.HeaderLen || query[2]&0x80 != 0 {
		// Too short to have an ID to answer to, or a response: never
		// answer a response, that is how reflection loops start.
		return nil
	}
	var p dnswire.Parser
	h, err := p.Start(query)
	if err != nil {
		// The header's counts claim more than the message holds.
		h = dnswire.Header{ID: uint16(query[0])<<8 | uint16(query[1]), Opcode: dnswire.Opcode(query[2]>>3) & 0xF}
		return errorReply(h, dnswire.RCodeFormatError)
	}
	var q dnswire.Msg
	if err := q.Unpack(query); err != nil {
		// RFC 1035 4.1.1: FORMERR, "unable to interpret the query";
		// echo the header only.
		return errorReply(h, dnswire.RCodeFormatError)
	}
	var m dnswire.Msg
	m.Reply(&q)
	m.RecursionAvailable = true
	if q.EDNS != nil {
		m.EDNS = &dnswire.EDNS{UDPSize: s.cfg.UDPSize}
	}
	switch {
	case q.EDNS != nil && q.EDNS.Version != 0:
		// RFC 6891 6.1.3: unknown version gets BADVERS, with an OPT.
		m.Question = nil
		m.RCode = dnswire.RCodeBadVers
		return s.pack(&m, &q, tcp)
	case q.Opcode != dnswire.OpcodeQuery:
		m.RCode = dnswire.RCodeNotImplemented
		return s.pack(&m, &q, tcp)
	case len(q.Question) != 1:
		// RFC 9619: a query has exactly one question.
		m.RCode = dnswire.RCodeFormatError
		return s.pack(&m, &q, tcp)
	case !s.allowed(client):
		m.RCode = dnswire.RCodeRefused
		addEDE(&m, edeProhibited, "client not allowed")
		return s.pack(&m, &q, tcp)
	}
	qq := q.Question[0]
	switch {
	case qq.Class != dnswire.ClassINET:
		m.RCode = dnswire.RCodeNotImplemented
		return s.pack(&m, &q, tcp)
	case qq.Type == dnswire.TypeAXFR || qq.Type == 251 /* IXFR */ || qq.Type == dnswire.TypeOPT:
		// Zone transfers are for authoritative servers; OPT is a
		// pseudo-type (RFC 6891 6.1.1).
		m.RCode = dnswire.RCodeRefused
		return s.pack(&m, &q, tcp)
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.QueryTimeout)
	defer cancel()
	if s.cfg.Validator != nil {
		s.answerValidated(ctx, &m, &q, qq)
		return s.pack(&m, &q, tcp)
	}
	res, err := s.cfg.Resolver.Resolve(ctx, qq.Name, qq.Type)
	if q.CheckingDisabled && errors.Is(err, ErrBogus) {
		// RFC 4035 3.2.2: CD asks for the data even if bogus.
		res, err = s.cfg.Resolver.resolveUnchecked(ctx, qq.Name, qq.Type)
	}
	m.RCode = res.RCode
	m.Answer = res.Answer
	m.Ns = res.Authority
	// RFC 4035 3.2.3, RFC 6840 5.8: AD only on validated data, for a
	// client that asked with DO or AD (Config.DNSSEC; dnssec_resolve.go).
	m.AuthenticData = res.Security == Secure && (q.AuthenticData || q.EDNS != nil && q.EDNS.DO)
	if q.EDNS != nil && q.EDNS.DO { // RFC 4035 3.2.1: RRSIGs and proofs for DO
		m.Answer, m.Ns = append(m.Answer, res.Signatures...), append(m.Ns, res.Proof...)
	}
	if res.Stale {
		addEDE(&m, edeStaleAnswer, "")
	}
	if err != nil && errors.Is(err, ErrServFail) {
		m.RCode = dnswire.RCodeServerFailure
		var e *Error
		reason := err
		if errors.As(err, &e) && e.Reason != nil {
			reason = e.Reason
		}
		addEDE(&m, edeCode(reason), reason.Error())
	}
	return s.pack(&m, &q, tcp)
}

// edeCode picks the Extended DNS Error for a failure reason.
func edeCode(reason error) uint16 {
	if be := (*BogusError)(nil); errors.As(reason, &be) {
		return be.EDE // RFC 8914 4.7-4.13: why validation failed
	}
	switch {
	case errors.Is(reason, ErrCachedFailure):
		return edeCachedError
	case errors.Is(reason, ErrNoReachable), errors.Is(reason, ErrUpstreamServFail), errors.Is(reason, ErrDeadline):
		return edeNoReachableAuthority
	}
	return edeOther
}

// addEDE adds an Extended DNS Error option (RFC 8914 2) if the reply has
// EDNS (the option can only travel in an OPT record).
func addEDE(m *dnswire.Msg, code uint16, text string) {
	if m.EDNS == nil {
		return
	}
	d := make([]byte, 2, 2+len(text))
	d[0], d[1] = byte(code>>8), byte(code)
	d = append(d, text...)
	m.EDNS.Options = append(m.EDNS.Options, dnswire.EDNSOption{Code: dnswire.OptionEDE, Data: d})
}

func (s *Server) allowed(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range s.cfg.Allowed {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// pack writes m within the size the client can take: over UDP 512 octets
// without EDNS (RFC 1035 4.2.1), else the smaller of the client's
// advertised size and ours (RFC 6891 6.2.5); records that do not fit are
// dropped whole and TC is set (RFC 2181 9). Over TCP, 65535.
func (s *Server) pack(m, q *dnswire.Msg, tcp bool) []byte {
	size := 0
	if !tcp {
		size = 512
		if q.EDNS != nil {
			size = int(min(max(q.EDNS.UDPSize, 512), s.cfg.UDPSize))
		}
	}
	b, err := m.AppendPackOptions(make([]byte, 0, 512), dnswire.BuildOptions{Compress: true, MaxSize: size})
	if err != nil {
		// Cannot happen for records we parsed; answer SERVFAIL.
		return errorReply(m.Header, dnswire.RCodeServerFailure)
	}
	return b
}

// errorReply is a header-only response to h with rcode.
func errorReply(h dnswire.Header, rcode dnswire.RCode) []byte {
	r := dnswire.Header{ID: h.ID, Response: true, Opcode: h.Opcode, RecursionDesired: h.RecursionDesired,
		RecursionAvailable: true, RCode: rcode & 0xF}
	b, err := dnswire.NewBuilder(make([]byte, 0, 12), r, dnswire.BuildOptions{}).Finish()
	if err != nil {
		return nil
	}
	return b
}

// fastRespond answers, without allocating, the common case: a plain
// query (one IN question, at most an OPT of version 0, nothing else) from
// an allowed client for an RRset in the cache. ok is false when the query
// needs the full path (respond).
func (s *Server) fastRespond(query []byte, client netip.Addr, tcp bool, dst []byte) (out []byte, ok bool) {
	return s.fastAnswer(query, client, tcp, dst, nil)
}

// fastUsed is what fastAnswer built an answer from: the cache entries
// whose records are in the answer section, in order, and the negative
// entry whose SOA is in the authority section (or nil).
type fastUsed struct {
	chain [8]*entry
	n     int
	soa   *entry
	now   int64
}

// fastAnswer is fastRespond that also tells, when used is not nil, the
// entries the answer was built from (for a prepacked answer,
// answercache.go).
func (s *Server) fastAnswer(query []byte, client netip.Addr, tcp bool, dst []byte, used *fastUsed) (out []byte, ok bool) {
	if s.cfg.Validator != nil {
		// A validating server answers from the Validator only; the
		// Resolver's cache holds unvalidated data.
		return nil, false
	}
	var p dnswire.Parser
	h, err := p.Start(query)
	if err != nil || h.Response || h.Opcode != dnswire.OpcodeQuery ||
		p.Count(dnswire.SectionQuestion) != 1 || p.Count(dnswire.SectionAnswer) != 0 ||
		p.Count(dnswire.SectionAuthority) != 0 || p.Count(dnswire.SectionAdditional) > 1 {
		return nil, false
	}
	q, err := p.Question()
	if err != nil || q.Class != dnswire.ClassINET || !q.Name.IsAbsolute() {
		return nil, false
	}
	switch q.Type {
	case dnswire.TypeAXFR, 251, dnswire.TypeOPT, dnswire.TypeANY:
		return nil, false
	}
	edns := false
	size := 512
	if p.Count(dnswire.SectionAdditional) == 1 {
		rh, err := p.AdditionalHeader()
		if err != nil || rh.Type != dnswire.TypeOPT {
			return nil, false
		}
		e, _, err := p.OPT()
		if err != nil || e.Version != 0 {
			return nil, false
		}
		edns = true
		size = int(min(max(e.UDPSize, 512), s.cfg.UDPSize))
	}
	if p.Finish() != nil || !s.allowed(client) {
		return nil, false
	}
	r := s.cfg.Resolver
	now := r.now()
	// Walk the cached chain first (no building), so a miss costs nothing.
	var chain [8]*entry
	var soa *entry
	rcode := dnswire.RCodeSuccess
	n, cur := 0, q.Name
	for {
		e, cname, neg := r.cachedStep(cur, q.Type, now)
		switch {
		case e == nil && neg == nil:
			return nil, false
		case neg != nil:
			soa = neg
			if neg.kind == kindNXDomain {
				rcode = dnswire.RCodeNameError
			}
		default:
			if n == len(chain) {
				return nil, false
			}
			chain[n] = e
			n++
			if cname {
				cur = e.data[0].(*dnswire.CNAME).Target
				continue
			}
		}
		break
	}
	if tcp {
		size = 0
	}
	var b dnswire.Builder
	b.Start(dst, dnswire.Header{ID: h.ID, Response: true, Opcode: h.Opcode, RecursionDesired: h.RecursionDesired,
		RecursionAvailable: true, CheckingDisabled: h.CheckingDisabled, RCode: rcode}, dnswire.BuildOptions{Compress: true, MaxSize: size})
	b.Question(&q)
	owner := q.Name
	var rr RR
	for _, e := range chain[:n] {
		t := q.Type
		if e.isCNAME() {
			t = dnswire.TypeCNAME
		}
		rr = RR{RRHeader: dnswire.RRHeader{Name: owner, Type: t, Class: dnswire.ClassINET, TTL: e.remaining(now)}}
		for _, d := range e.data {
			rr.Data = d
			b.Answer(&rr)
		}
		if t == dnswire.TypeCNAME {
			owner = e.data[0].(*dnswire.CNAME).Target
		}
	}
	if soa != nil && soa.soa != nil {
		rr = *soa.soa
		rr.TTL = soa.remaining(now)
		b.Authority(&rr)
	}
	if edns {
		b.OPT(&dnswire.EDNS{UDPSize: s.cfg.UDPSize})
	}
	out, err = b.Finish()
	if err != nil {
		return nil, false
	}
	if used != nil {
		used.chain, used.n, used.soa, used.now = chain, n, nil, now
		if soa != nil && soa.soa != nil {
			used.soa = soa
		}
	}
	return out, true
}
