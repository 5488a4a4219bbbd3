package resolver

import (
	"context"
	"errors"
	"net/netip"

	"github.com/relaykit/relaykit/dnswire"
)

// maxMinimise caps the QNAME-minimised queries for one question, after
// which the full name is sent (RFC 9156 3, MAX_MINIMISE_COUNT = 10).
const maxMinimise = 10

// outcome is what one name resolved to, before CNAME chasing.
type outcome struct {
	kind      entryKind // kindPositive, kindNXDomain, kindNoData
	rrs       []RR      // the RRset, or the CNAME record
	cname     bool      // rrs is a CNAME to target
	target    dnswire.Name
	soa       *RR // negative answers
	fromCache bool
	stale     bool
	yx        bool // YXDOMAIN (RFC 6672 2.2)
	// msg is the response the outcome came from (not from the cache),
	// RRSIGs and denial records included, for DNSSEC validation.
	msg  *dnswire.Msg
	zone dnswire.Name // the zone whose servers sent msg (iterating)
	sec  Security     // the DNSSEC verdict (Config.DNSSEC)
	// sigs are the RRSIGs of rrs, proof the authority records that
	// proved it (NSEC, NSEC3, their RRSIGs, the SOA's RRSIG), kept
	// with a validated outcome for DO clients (RFC 4035 3.2.1).
	sigs, proof []RR
}

// resolveChain resolves name/t, following CNAMEs (RFC 1034 5.3.3 step 3:
// "if the data is a CNAME ... restart the lookup with the canonical
// name"), and builds the Result.
func (r *Resolver) resolveChain(rc *resCtx, name dnswire.Name, t dnswire.Type) (Result, error) {
	res := Result{FromCache: true}
	validate := r.cfg.DNSSEC && rc.depth == 0 && !rc.cd
	if validate {
		res.Security = Secure // lowered by each hop's verdict
	}
	cur := name
	for hop := 0; ; hop++ {
		o, err := r.resolveName(rc, cur, t)
		if err != nil {
			res.RCode = dnswire.RCodeServerFailure
			res.FromCache = res.FromCache && errors.Is(err, ErrCachedFailure)
			if validate && errors.Is(err, ErrBogus) {
				res.Security = Bogus
			}
			return res, &Error{Kind: ErrServFail, Name: name.String(), Type: t, Reason: err}
		}
		res.FromCache = res.FromCache && o.fromCache
		res.Stale = res.Stale || o.stale
		if validate {
			res.Security = min(res.Security, o.sec)
		}
		res.Answer = append(res.Answer, o.rrs...)
		res.Signatures = append(res.Signatures, o.sigs...)
		res.Proof = append(res.Proof, o.proof...)
		switch {
		case o.yx:
			res.RCode = dnswire.RCodeYXDomain
			return res, &Error{Kind: ErrYXDomain, Name: name.String(), Type: t}
		case o.kind == kindNXDomain:
			res.RCode = dnswire.RCodeNameError
			if o.soa != nil {
				res.Authority = append(res.Authority, *o.soa)
			}
			return res, &Error{Kind: ErrNXDomain, Name: name.String(), Type: t}
		case o.kind == kindNoData:
			res.RCode = dnswire.RCodeSuccess
			if o.soa != nil {
				res.Authority = append(res.Authority, *o.soa)
			}
			return res, &Error{Kind: ErrNoData, Name: name.String(), Type: t}
		case !o.cname:
			res.RCode = dnswire.RCodeSuccess
			return res, nil
		}
		if hop+1 >= r.cfg.MaxCNAME {
			res.RCode = dnswire.RCodeServerFailure
			return res, &Error{Kind: ErrServFail, Name: name.String(), Type: t, Reason: ErrCNAMEChain}
		}
		if o.target.Equal(name) || looped(res.Answer, o.target) {
			res.RCode = dnswire.RCodeServerFailure
			return res, &Error{Kind: ErrServFail, Name: name.String(), Type: t, Reason: ErrCNAMELoop}
		}
		cur = o.target
	}
}

// resolveName answers name/t from the cache or by iterating, without
// following a CNAME it finds (it returns it).
func (r *Resolver) resolveName(rc *resCtx, name dnswire.Name, t dnswire.Type) (outcome, error) {
	now := r.now()
	// With DNSSEC on, answers come from the validated cache; the
	// lookups a resolution depends on (name server addresses, at depth
	// > 0) use the plain cache unvalidated, as Unbound's iterator does.
	validate := r.cfg.DNSSEC && rc.depth == 0 && !rc.cd
	if o, ok := r.lookupCache(name, t, now, false, validate); ok {
		return o, nil
	}
	// Failures live under their own key so that one never replaces
	// (expired) data kept for serve-stale.
	var kb [dnswire.MaxNameLen + 5]byte
	fkey := append(appendKey(kb[:0], name, t), 0xFF, 'S', 'F')
	if e := r.cache.get(fkey); e != nil && e.kind == kindServFail && e.expire > now && !(rc.cd && errors.Is(e.reason, ErrBogus)) {
		// RFC 8767 4: while the failure is remembered, stale data is
		// answered at once instead of trying again.
		if r.cfg.ServeStale {
			if o, ok := r.lookupCache(name, t, now, true, validate); ok {
				return o, nil
			}
		}
		if errors.Is(e.reason, ErrBogus) {
			// The reason a bogus answer was refused stays visible.
			return outcome{}, errors.Join(ErrCachedFailure, e.reason)
		}
		return outcome{}, ErrCachedFailure
	}
	var o outcome
	var err error
	if len(r.cfg.Forwarders) > 0 {
		o, err = r.forward(rc, name, t)
	} else {
		o, err = r.iterate(rc, name, t)
	}
	if err == nil && validate {
		o, err = r.validateOutcome(rc, name, t, o)
	}
	if err == nil {
		return o, nil
	}
	if r.cfg.ServFailTTL > 0 && !errors.Is(err, context.Canceled) {
		// RFC 9520 3.2: remember the failure briefly so a storm of
		// retries does not hammer the servers.
		now := r.now()
		r.cache.put(&entry{key: string(fkey), kind: kindServFail, reason: err,
			stored: now, expire: now + int64(r.cfg.ServFailTTL), staleUntil: now + int64(r.cfg.ServFailTTL)}, now)
	}
	if r.cfg.ServeStale {
		if o, ok := r.lookupCache(name, t, r.now(), true, validate); ok {
			return o, nil
		}
	}
	return outcome{}, err
}

// staleTTL is the TTL of an answer served stale (RFC 8767 4: 30 s).
const staleTTL = 30

// fromCache looks name/t up: the RRset, a CNAME, or a negative entry.
// With stale set it accepts expired entries still within MaxStale.
func (r *Resolver) fromCache(name dnswire.Name, t dnswire.Type, now int64, stale bool) (outcome, bool) {
	var kb [dnswire.MaxNameLen + 2]byte
	usable := func(e *entry) bool {
		// RFC 2181 5.4.1: glue and the authority section of referrals
		// are never returned as answers.
		if e == nil || e.kind == kindServFail || e.rank < rankAnswerNonAuth {
			return false
		}
		if stale {
			return e.staleUntil > now
		}
		return e.expire > now
	}
	ttl := func(e *entry) uint32 {
		if stale && e.expire <= now {
			return staleTTL
		}
		return e.remaining(now)
	}
	if e := r.cache.get(appendKey(kb[:0], name, t)); usable(e) {
		switch e.kind {
		case kindPositive:
			rrs := make([]RR, 0, len(e.data)+1)
			if e.synth {
				d, ok := r.dnameFor(name, e, usable, ttl)
				if !ok {
					return outcome{}, false
				}
				rrs = append(rrs, d)
			}
			rrs = e.appendRecords(rrs, name, t, ttl(e))
			return outcome{kind: kindPositive, rrs: rrs, fromCache: true, stale: stale}, true
		case kindNoData:
			return outcome{kind: kindNoData, soa: soaWithTTL(e.soa, ttl(e)), fromCache: true, stale: stale}, true
		}
	}
	if !matchesCNAME(t) {
		if e := r.cache.get(appendKey(kb[:0], name, dnswire.TypeCNAME)); usable(e) && e.kind == kindPositive && len(e.data) > 0 {
			if c, ok := e.data[0].(*dnswire.CNAME); ok {
				rrs := make([]RR, 0, 2)
				if e.synth {
					// RFC 6672 3.4, 5.3.1: the answer carries the
					// DNAME, then the CNAME synthesised from it; without
					// the DNAME in the cache the name is resolved anew.
					d, ok := r.dnameFor(name, e, usable, ttl)
					if !ok {
						return outcome{}, false
					}
					rrs = append(rrs, d)
				}
				rrs = e.appendRecords(rrs, name, dnswire.TypeCNAME, ttl(e))
				return outcome{kind: kindPositive, rrs: rrs[:len(rrs)-len(e.data)+1], cname: true, target: c.Target, fromCache: true, stale: stale}, true
			}
		}
	}
	if e := r.cache.get(appendKey(kb[:0], name, 0)); usable(e) && e.kind == kindNXDomain {
		return outcome{kind: kindNXDomain, soa: soaWithTTL(e.soa, ttl(e)), fromCache: true, stale: stale}, true
	}
	return outcome{}, false
}

// dnameFor returns the DNAME record from which the cached CNAME e for
// name was synthesised: the DNAME cached at the nearest ancestor of name
// that has one (RFC 6672 2.3: the DNAME closest to the name applies),
// provided it still synthesises e's target.
func (r *Resolver) dnameFor(name dnswire.Name, e *entry, usable func(*entry) bool, ttl func(*entry) uint32) (RR, bool) {
	c, ok := e.data[0].(*dnswire.CNAME)
	if !ok {
		return RR{}, false
	}
	var kb [dnswire.MaxNameLen + 2]byte
	for p, ok := name.Parent(); ok; p, ok = p.Parent() {
		x := r.cache.get(appendKey(kb[:0], p, dnswire.TypeDNAME))
		if !usable(x) || x.kind != kindPositive || len(x.data) != 1 {
			continue
		}
		d, ok := x.data[0].(*dnswire.DNAME)
		if !ok {
			return RR{}, false
		}
		if target, err := synthesise(name, p, d.Target); err != nil || !target.Equal(c.Target) {
			return RR{}, false
		}
		return RR{RRHeader: dnswire.RRHeader{Name: p, Type: dnswire.TypeDNAME, Class: dnswire.ClassINET, TTL: ttl(x)}, Data: d}, true
	}
	return RR{}, false
}

// matchesCNAME reports whether a question of type t is answered by a
// CNAME record itself rather than by following it (RFC 1034 4.3.2 3a:
// CNAME, and ANY, which matches every type).
func matchesCNAME(t dnswire.Type) bool {
	return t == dnswire.TypeCNAME || t == dnswire.TypeANY
}

func soaWithTTL(soa *RR, ttl uint32) *RR {
	if soa == nil {
		return nil
	}
	c := *soa
	c.TTL = ttl
	return &c
}

// servers is the set of name servers for a zone cut being asked.
type servers struct {
	zone     dnswire.Name
	zoneKey  string
	hosts    []dnswire.Name // NS names
	addrs    []netip.AddrPort
	glueless int // glueless hosts looked up so far
	next     int // next host to consider for a glueless lookup
}

func newServers(zone dnswire.Name, hosts []dnswire.Name, addrs []netip.AddrPort) *servers {
	return &servers{zone: zone, zoneKey: zone.Lower().String(), hosts: hosts, addrs: addrs}
}

// iterate runs the algorithm of RFC 1034 5.3.3 from the closest known
// zone cut, with QNAME minimisation (RFC 9156, relaxed).
func (r *Resolver) iterate(rc *resCtx, qname dnswire.Name, qtype dnswire.Type) (outcome, error) {
	sv, err := r.closestServers(rc, cutFor(qname, qtype))
	if err != nil {
		return outcome{}, err
	}
	perQ := 0
	referrals := 0
	minimise := !r.cfg.DisableQNAMEMinimisation
	minLabels := sv.zone.NumLabels() + 1
	minCount := 0
	total := qname.NumLabels()
	tried := make(map[netip.AddrPort]bool)
	// netFailed holds the servers of this round that timed out or
	// failed at the network level.
	netFailed := make(map[netip.AddrPort]bool)
	rounds := 0
	var lastErr error
	// cached: sv came from the cache, not from a referral just now;
	// fellBack: the parent-side fallback was used.
	cached, fellBack := true, false
	// failed holds the servers that failed before the fallback, which
	// are not asked again after it; prevErr is why they failed.
	var failed map[netip.AddrPort]bool
	var prevErr error
	// resort is a lame server's answer, the last resort.
	var resort *dnswire.Msg
	var resortScrub *scrubbed
	var resortKind respKind
	for {
		qn, qt, minimised := qname, qtype, false
		if minimise && minLabels < total && minCount < maxMinimise {
			// RFC 9156 2: one label more than the zone cut, type A.
			// A rather than NS (RFC 9156 2.1 allows either; Unbound
			// uses A): some authoritative servers answer NS queries
			// for names below a cut wrongly or with large referral
			// glue, and an A query hides the final type as well. A
			// referral answers an A query as it answers an NS one, so
			// nothing is lost.
			qn, qt, minimised = qname.Ancestor(minLabels), dnswire.TypeA, true
		}
		srv, ok := r.infra.pick(sv.addrs, tried, sv.zoneKey, r.now(), false)
		if !ok {
			more, gerr := r.gluelessAddrs(rc, sv)
			if gerr != nil {
				if isFatal(gerr) {
					return outcome{}, gerr
				}
				if len(netFailed) > 0 && rounds < 2 {
					// Servers that timed out or failed at the
					// network level get one more chance each (with
					// a backed-off timeout) before failing, even
					// when others answered REFUSED or SERVFAIL.
					rounds++
					for a := range netFailed {
						delete(tried, a)
					}
					clear(netFailed)
					continue
				}
				if cached && !fellBack && !sv.zone.IsRoot() {
					// Every server of a cached NS set failed (or
					// its addresses are gone): ask the parent again
					// for the delegation and its glue, and use the
					// parent-side NS set (Unbound's parent-side
					// fallback) before giving up.
					fellBack, failed, prevErr = true, tried, lastErr
					var kb [dnswire.MaxNameLen + 2]byte
					r.cache.drop(appendKey(kb[:0], sv.zone, dnswire.TypeNS))
					if sv, err = r.closestServers(rc, cutFor(qname, qtype)); err != nil {
						return outcome{}, err
					}
					tried = make(map[netip.AddrPort]bool)
					clear(netFailed)
					minLabels = sv.zone.NumLabels() + 1
					lastErr, rounds = nil, 0
					continue
				}
				if resort != nil {
					// Nothing else answered: use a lame server's
					// answer as the last resort (not cached).
					o := r.outcomeFrom(resort, resortScrub, resortKind, qname, qtype)
					o.msg = resort
					return o, nil
				}
				if lastErr == nil && prevErr != nil {
					return outcome{}, prevErr
				}
				if lastErr == nil || len(sv.addrs) == 0 {
					return outcome{}, gerr
				}
				return outcome{}, lastErr
			}
			sv.addrs = append(sv.addrs, more...)
			continue
		}
		tried[srv] = true
		m, err := r.exchange(rc, &perQ, srv, sv.zone, qn, qt)
		if err != nil {
			if isFatal(err) {
				return outcome{}, err
			}
			if !errors.Is(err, errBadResponse) {
				err = ErrNoReachable // a timeout or a network error
				netFailed[srv] = true
			} else {
				err = ErrUpstreamServFail
			}
			if lastErr == nil || lastErr == ErrNoReachable {
				lastErr = err
			}
			continue
		}
		s := scrub(m, sv.zone, qn, qt)
		kind := classify(m, s, sv.zone)
		switch kind {
		case respFail:
			if minimised {
				// RFC 9156 3: "a resolver ... may get an error
				// (REFUSED, SERVFAIL, FORMERR, ...) for a minimised
				// query that it would not get for the full name":
				// relaxed mode (as Unbound's default) asks the full
				// name of the same servers, which are not marked
				// lame for it.
				minimise = false
				tried = make(map[netip.AddrPort]bool)
				clear(netFailed)
				continue
			}
			if m.Header.RCode == dnswire.RCodeRefused {
				// A server that refuses a zone it is listed for is lame.
				r.markLame(srv, sv.zoneKey)
			}
			lastErr = ErrUpstreamServFail
			continue
		case respLame:
			r.markLame(srv, sv.zoneKey)
			if minimised {
				minimise = false
				tried = make(map[netip.AddrPort]bool)
				clear(netFailed)
				continue
			}
			if len(s.answer) > 0 && resort == nil {
				// RA set, AA clear, with an answer: keep it in case
				// no server answers properly.
				resort, resortScrub, resortKind = m, s, respAnswer
				if s.cname {
					resortKind = respCNAME
				}
			}
			lastErr = ErrReferralLoop
			continue
		case respReferral:
			if qtype == dnswire.TypeDS && s.nsOwner.Equal(qname) {
				// RFC 4035 3.1.4.1: the DS is the parent's to
				// answer; the child's servers cannot. A server that
				// refers us there for it is no use for this question.
				lastErr = ErrReferralLoop
				continue
			}
			referrals++
			if referrals > r.cfg.MaxReferrals {
				return outcome{}, ErrReferralDepth
			}
			r.storeSection(s.authority, rankAuthorityNonAuth)
			r.storeSection(s.additional, rankAdditional)
			hosts := s.nsHosts()
			addrs := r.glueFrom(s.additional, hosts)
			addrs = append(addrs, r.cachedAddrs(hosts, addrs)...)
			sv = newServers(s.nsOwner, hosts, addrs)
			cached = false
			tried = make(map[netip.AddrPort]bool)
			clear(netFailed)
			for a := range failed {
				tried[a] = true
			}
			minLabels = sv.zone.NumLabels() + 1
			lastErr, rounds = nil, 0
			continue
		}
		aa := m.Header.Authoritative
		r.storeResponse(s, aa)
		if minimised {
			// A minimised query that did not refer us onwards.
			if kind == respAnswer || kind == respNoData {
				// The name exists and there is no zone cut at it:
				// add a label (RFC 9156 3).
				minLabels++
				minCount++
			} else {
				// NXDOMAIN or a CNAME for an ancestor: relaxed mode
				// (RFC 9156 2.3, 4) asks the full name instead, in
				// case the server mishandles empty non-terminals.
				minimise = false
			}
			tried = make(map[netip.AddrPort]bool)
			clear(netFailed)
			continue
		}
		o := r.outcomeFrom(m, s, kind, qname, qtype)
		o.msg, o.zone = m, sv.zone
		return o, nil
	}
}

// cutFor returns the name whose closest known zone cut is asked for
// qname/qtype: the parent for DS, which the parent side of a zone cut
// holds (RFC 4035 3.1.4.1; RFC 4034 5), qname otherwise.
func cutFor(qname dnswire.Name, qtype dnswire.Type) dnswire.Name {
	if qtype == dnswire.TypeDS {
		if p, ok := qname.Parent(); ok {
			return p
		}
	}
	return qname
}

// isFatal reports errors that end the whole resolution at once.
func isFatal(err error) bool {
	return errors.Is(err, ErrQueryBudget) || errors.Is(err, ErrDeadline) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

type respKind uint8

const (
	respAnswer respKind = iota + 1
	respCNAME
	respNXDomain
	respNoData
	respReferral
	respLame
	respFail
	respYXDomain
)

// classify sorts a scrubbed response (after Unbound's response types).
func classify(m *dnswire.Msg, s *scrubbed, zone dnswire.Name) respKind {
	h := &m.Header
	switch h.RCode {
	case dnswire.RCodeSuccess:
	case dnswire.RCodeNameError:
		if s.cname {
			return respCNAME
		}
		return respNXDomain
	case dnswire.RCodeYXDomain:
		// RFC 6672 2.2: the DNAME substitution overflowed at the
		// server; an answer, not a failure.
		return respYXDomain
	default:
		return respFail
	}
	if s.yx {
		return respYXDomain
	}
	if len(s.answer) > 0 {
		// RFC 1034 4.3.1: a recursive server listed as authoritative
		// answers with RA set and AA clear: lame (Unbound's
		// "recursion lame").
		if !h.Authoritative && h.RecursionAvailable {
			return respLame
		}
		if s.cname {
			return respCNAME
		}
		return respAnswer
	}
	if s.hasNS && !s.nsOwner.Equal(zone) && s.soa == nil {
		// A referral: NS for a zone strictly below the one asked (the
		// scrub kept only NS at or above the name and within zone).
		return respReferral
	}
	if s.soa != nil || h.Authoritative {
		return respNoData
	}
	// Neither an answer, nor a referral downwards, nor an authoritative
	// negative answer: an upward or sideways referral, or an empty
	// non-authoritative response. The server is lame for zone.
	return respLame
}

// outcomeFrom builds the outcome for the full question from a response.
func (r *Resolver) outcomeFrom(m *dnswire.Msg, s *scrubbed, kind respKind, qname dnswire.Name, qtype dnswire.Type) outcome {
	switch kind {
	case respAnswer:
		var rrs []RR
		for _, rr := range s.answer {
			if rr.Name.Equal(qname) && (rr.Type != dnswire.TypeCNAME || matchesCNAME(qtype)) {
				rr.TTL = r.clampTTL(minTTL(s.answer, qname, rr.Type))
				rrs = append(rrs, rr)
			}
		}
		return outcome{kind: kindPositive, rrs: rrs}
	case respCNAME:
		var rrs []RR
		for _, rr := range s.answer[:s.own] {
			if rr.Type == dnswire.TypeDNAME {
				// RFC 6672 3.1: the DNAME goes before the CNAME
				// synthesised from it.
				rr.TTL = r.clampTTL(rr.TTL)
				rrs = append(rrs, rr)
			}
			if rr.Name.Equal(qname) && rr.Type == dnswire.TypeCNAME {
				rr.TTL = r.clampTTL(rr.TTL)
				return outcome{kind: kindPositive, rrs: append(rrs, rr), cname: true, target: rr.Data.(*dnswire.CNAME).Target}
			}
		}
	case respYXDomain:
		var rrs []RR
		for _, rr := range s.answer {
			if rr.Type == dnswire.TypeDNAME {
				rrs = append(rrs, rr)
				break
			}
		}
		return outcome{kind: kindNoData, rrs: rrs, yx: true}
	case respNXDomain:
		return outcome{kind: kindNXDomain, soa: r.negSOA(s.soa)}
	}
	return outcome{kind: kindNoData, soa: r.negSOA(s.soa)}
}

func (r *Resolver) negSOA(soa *RR) *RR {
	if soa == nil {
		return nil
	}
	c := *soa
	c.TTL = r.negTTL(soa)
	return &c
}
