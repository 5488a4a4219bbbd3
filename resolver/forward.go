package resolver

import (
	"errors"
	"net/netip"
	"os"

	"github.com/relaykit/relaykit/dnswire"
)

// forward answers name/t by asking the configured upstream recursive
// servers (Config.Forwarders) with RD set, as a stub resolver or a
// forwarding Unbound (forward-zone ".") does. The answer goes through
// the same scrubber and cache as an iterative one; the forwarders are
// trusted with the whole answer section (the CNAME chain they followed),
// never with their authority NS or additional records.
func (r *Resolver) forward(rc *resCtx, name dnswire.Name, t dnswire.Type) (outcome, error) {
	perQ := 0
	tried := make(map[netip.AddrPort]bool)
	var lastErr error
	for round := 0; ; {
		srv, ok := r.infra.pick(r.cfg.Forwarders, tried, "", r.now(), false)
		if !ok {
			if lastErr == ErrNoReachable && round < 2 {
				// Every forwarder timed out: once more each, with
				// the backed-off timeout.
				round++
				tried = make(map[netip.AddrPort]bool)
				continue
			}
			if lastErr == nil {
				lastErr = ErrNoReachable
			}
			return outcome{}, lastErr
		}
		tried[srv] = true
		m, err := r.exchange(rc, &perQ, srv, dnswire.Root(), name, t)
		if err != nil {
			if isFatal(err) {
				return outcome{}, err
			}
			if errors.Is(err, errBadResponse) {
				lastErr = ErrUpstreamServFail
			} else if lastErr == nil || errors.Is(err, os.ErrDeadlineExceeded) {
				lastErr = ErrNoReachable
			}
			continue
		}
		s := scrub(m, dnswire.Root(), name, t)
		kind := classifyForwarded(m, s)
		if kind == respFail {
			// SERVFAIL, REFUSED, or a server that does not recurse
			// for us (a referral): try the next forwarder.
			lastErr = ErrUpstreamServFail
			continue
		}
		r.storeResponse(s, false)
		if kind == respCNAME && s.own < len(s.answer) {
			// The rest of the chain, as the forwarder resolved it.
			r.storeSection(s.answer[s.own:], rankAnswerNonAuth)
		}
		o := r.outcomeFrom(m, s, kind, name, t)
		o.msg = m
		return o, nil
	}
}

// classifyForwarded sorts a recursive server's response: it answers
// with RA set and AA clear, and a negative answer need not carry an SOA
// (RFC 2308 2.1, 2.2: then it is not cached).
func classifyForwarded(m *dnswire.Msg, s *scrubbed) respKind {
	switch m.Header.RCode {
	case dnswire.RCodeSuccess:
	case dnswire.RCodeNameError:
		if s.cname {
			return respCNAME
		}
		return respNXDomain
	case dnswire.RCodeYXDomain:
		return respYXDomain
	default:
		return respFail
	}
	switch {
	case s.yx:
		return respYXDomain
	case len(s.answer) > 0 && s.cname:
		return respCNAME
	case len(s.answer) > 0:
		return respAnswer
	case s.hasNS && s.soa == nil && !m.Header.Authoritative:
		// A referral: the server did not recurse.
		return respFail
	}
	return respNoData
}
