package resolver

import (
	"context"
	"errors"

	"github.com/relaykit/relaykit/dnswire"
)

// answerValidated fills m, the reply to q, from ServerConfig.Validator
// (RFC 4035 3.2): bogus data becomes SERVFAIL with the RFC 8914 code of
// the failure, unless the client set CD (RFC 4035 3.2.2), when it is
// passed through without AD; AD is set only on secure data and only for
// clients that asked with DO or AD (RFC 6840 5.7, 5.8). RRSIG, NSEC and
// NSEC3 records go only to clients that set DO (RFC 4035 3.2.1).
func (s *Server) answerValidated(ctx context.Context, m, q *dnswire.Msg, qq dnswire.Question) {
	v := s.cfg.Validator
	resp, err := v.Query(ctx, qq.Name, qq.Type)
	if err != nil {
		m.RCode = dnswire.RCodeServerFailure
		addEDE(m, edeNoReachableAuthority, err.Error())
		return
	}
	sec, verr := v.Validate(ctx, qq.Name, qq.Type, resp)
	do := q.EDNS != nil && q.EDNS.DO
	if sec == Bogus && !q.CheckingDisabled {
		m.RCode = dnswire.RCodeServerFailure
		code := EDEDNSSECBogus
		var be *BogusError
		if errors.As(verr, &be) {
			code = be.EDE
		}
		msg := "DNSSEC validation failed"
		if verr != nil {
			msg = verr.Error()
		}
		addEDE(m, code, msg)
		return
	}
	m.RCode = resp.RCode
	m.AuthenticData = sec == Secure && (do || q.AuthenticData)
	keep := func(rrs []dnswire.RR) []dnswire.RR {
		var out []dnswire.RR
		for _, rr := range rrs {
			switch rr.Type {
			case dnswire.TypeRRSIG, dnswire.TypeNSEC, dnswire.TypeNSEC3:
				if !do && rr.Type != qq.Type {
					continue
				}
			}
			out = append(out, rr)
		}
		return out
	}
	m.Answer, m.Ns = keep(resp.Answer), keep(resp.Ns)
}
