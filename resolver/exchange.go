package resolver

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// errBadResponse marks a response that could not be parsed or broke the
// protocol; the server that sent it is skipped for this question.
const errBadResponse = sentinel("resolver: malformed upstream response")

// errNo0x20 marks a response whose question did not keep the random
// case of the query (reported in traces only; the query is repeated).
const errNo0x20 = sentinel("resolver: server does not echo the query name's case")

// exchange sends (qn, qt) to srv, a server for zone, and returns its
// parsed response. It handles the per-server fallbacks itself: mixed case
// not echoed (0x20 off for that server), FORMERR or NOTIMP to an EDNS
// query (EDNS off for that server, RFC 6891 7), and TC (retry over TCP,
// RFC 7766 5). Every send counts against the budgets.
func (r *Resolver) exchange(rc *resCtx, perQ *int, srv netip.AddrPort, zone, qn dnswire.Name, qt dnswire.Type) (*dnswire.Msg, error) {
	network := "udp"
	for attempt := 0; attempt < 4; attempt++ {
		if rc.sent >= r.cfg.MaxQueries || *perQ >= r.cfg.MaxQueriesPerQuestion {
			return nil, ErrQueryBudget
		}
		if err := rc.ctx.Err(); err != nil {
			return nil, err
		}
		now := r.now()
		if now >= rc.deadline {
			return nil, ErrDeadline
		}
		noEDNS, no0x20 := r.infra.flags(srv, now)
		send := qn
		use0x20 := !r.cfg.Disable0x20 && !no0x20
		if use0x20 {
			send = randomCase(qn)
		}
		edns := !noEDNS
		query, err := r.buildQuery(send, qt, edns)
		if err != nil {
			return nil, err
		}
		timeout := r.infra.timeout(srv, now)
		if network == "tcp" {
			// Connection setup costs a round trip more.
			timeout *= 2
		}
		if left := time.Duration(rc.deadline - now); left < timeout {
			timeout = left
		}
		rc.sent++
		*perQ++
		if network == "tcp" {
			r.stats.tcp.Add(1)
		} else {
			r.stats.udp.Add(1)
		}
		raw, err := r.cfg.Transport.Exchange(rc.ctx, network, srv, query, timeout)
		rtt := time.Duration(r.now() - now)
		step := Step{Server: srv, Zone: zone, Question: dnswire.Question{Name: send, Type: qt, Class: dnswire.ClassINET},
			Network: network, EDNS: edns, RTT: rtt, Depth: rc.depth}
		var m *dnswire.Msg
		if err == nil && !MatchResponse(query, raw) {
			// RFC 5452 9.1; the Transport should have dropped it.
			err = ErrMismatch
		}
		if err == nil && use0x20 {
			var sb, qb [dnswire.MaxNameLen]byte
			sw, qw := send.AppendWire(sb[:0]), qn.AppendWire(qb[:0])
			if len(raw) < 12+len(sw) || string(raw[12:12+len(sw)]) != string(sw) {
				// draft-vixie-dnsext-dns0x20 4: the server did not
				// echo the case; it cannot take part in 0x20. Ask
				// it again plainly (the fallback) rather than accept
				// an answer whose case pattern a forger need not
				// have guessed.
				r.infra.setNo0x20(srv, r.now())
				if rc.trace != nil {
					step.Err = errNo0x20
					rc.trace(step)
				}
				continue
			}
			// Put the name back in its own case, so names compressed
			// against the question do not carry the random case into
			// the answers and the cache.
			copy(raw[12:], qw)
		}
		if err == nil {
			m = new(dnswire.Msg)
			if perr := m.Unpack(raw); perr != nil {
				err = fmt.Errorf("%w: %w", errBadResponse, perr)
				m = nil
			}
		}
		step.Response, step.Err = m, err
		if rc.trace != nil {
			rc.trace(step)
		}
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				r.stats.timeouts.Add(1)
				r.infra.timedOut(srv, r.now())
			}
			if r.cfg.Logger != nil {
				r.cfg.Logger.Debug("resolver: upstream exchange failed", "server", srv, "zone", zone, "qname", qn, "qtype", qt, "network", network, "err", err)
			}
			return nil, err
		}
		r.infra.rtt(srv, rtt, r.now())
		if edns && (m.Header.RCode == dnswire.RCodeFormatError || m.Header.RCode == dnswire.RCodeNotImplemented) {
			// RFC 6891 7: a server that does not understand EDNS
			// answers FORMERR (or NOTIMP); retry without the OPT.
			r.infra.setNoEDNS(srv, r.now())
			continue
		}
		if m.Header.Truncated {
			if network == "tcp" {
				return nil, fmt.Errorf("%w: TC over TCP", errBadResponse)
			}
			// RFC 1035 4.2.1, RFC 7766 5: truncated, retry over TCP.
			network = "tcp"
			continue
		}
		return m, nil
	}
	return nil, fmt.Errorf("%w: too many fallbacks", errBadResponse)
}

// buildQuery returns a query for (n, t) with a random ID (RFC 5452 4),
// RD clear (we iterate) or set (to Config.Forwarders), and an OPT advertising our buffer size
// (RFC 6891 6.2.5) unless edns is false.
func (r *Resolver) buildQuery(n dnswire.Name, t dnswire.Type, edns bool) ([]byte, error) {
	fwd := len(r.cfg.Forwarders) > 0
	// RFC 4035 3.2.2, 4.6: a validating resolver sets CD towards a
	// recursive server, so bogus data comes back for it to judge.
	h := dnswire.Header{ID: uint16(rand.Uint32()), RecursionDesired: fwd, CheckingDisabled: fwd && r.cfg.DNSSEC}
	b := dnswire.NewBuilder(make([]byte, 0, 64+n.Len()), h, dnswire.BuildOptions{})
	b.Question(&dnswire.Question{Name: n, Type: t, Class: dnswire.ClassINET})
	if edns {
		// RFC 4035 3.2.1, 4.1: DO asks for RRSIG, NSEC and NSEC3.
		b.OPT(&dnswire.EDNS{UDPSize: r.cfg.EDNSBufferSize, DO: r.cfg.DNSSEC})
	}
	return b.Finish()
}

// randomCase returns n with the case of each ASCII letter chosen at
// random (draft-vixie-dnsext-dns0x20 4): an off-path forger must also
// guess the case pattern.
func randomCase(n dnswire.Name) dnswire.Name {
	var buf [dnswire.MaxNameLen]byte
	w := n.AppendWire(buf[:0])
	bits := rand.Uint64()
	used := 0
	for i := 0; i < len(w); {
		l := int(w[i])
		for j := i + 1; j <= i+l && j < len(w); j++ {
			c := w[j] | 0x20
			if 'a' <= c && c <= 'z' {
				if used == 64 {
					bits, used = rand.Uint64(), 0
				}
				if bits&1 == 1 {
					c &^= 0x20
				}
				bits >>= 1
				used++
				w[j] = c
			}
		}
		if l == 0 {
			break
		}
		i += l + 1
	}
	out, err := dnswire.NameFromWire(w)
	if err != nil {
		return n
	}
	return out
}
