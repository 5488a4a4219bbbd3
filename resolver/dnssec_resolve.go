package resolver

import (
	"context"
	"errors"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// This file is the iterative Resolver's own DNSSEC validation
// (Config.DNSSEC): each hop of a resolution (an RRset, a CNAME or DNAME,
// a negative answer) is validated from the response it came in, with
// the RRSIGs and NSEC/NSEC3 records the servers sent because the query
// had DO set (RFC 4035 4.1); the DS and DNSKEY RRsets of the zone cuts
// on the way are fetched by the resolver itself (DS from the parent
// side, RFC 4035 3.1.4.1) and kept, verified, in the key cache. A
// validated hop is cached apart from the plain cache, with its verdict
// and no longer than its signatures last; a bogus one is not cached as
// data, only as a failure (RFC 9520) that keeps its reason.

// validatedKey is the cache key of the validated outcome for (n, t).
func validatedKey(dst []byte, n dnswire.Name, t dnswire.Type) []byte {
	return append(appendKey(dst, n, t), 0xFF, 'V')
}

// lookupCache answers name/t from the validated cache when validate is
// set, else from the plain cache.
func (r *Resolver) lookupCache(name dnswire.Name, t dnswire.Type, now int64, stale, validate bool) (outcome, bool) {
	if !validate {
		return r.fromCache(name, t, now, stale)
	}
	var kb [dnswire.MaxNameLen + 4]byte
	e := r.cache.get(validatedKey(kb[:0], name, t))
	if e == nil || e.val == nil {
		return outcome{}, false
	}
	if (!stale && e.expire <= now) || (stale && e.staleUntil <= now) {
		return outcome{}, false
	}
	ttl := e.remaining(now)
	if stale && e.expire <= now {
		ttl = staleTTL
	}
	o := e.val.o
	o.rrs = make([]RR, len(e.val.o.rrs))
	for i, rr := range e.val.o.rrs {
		rr.TTL = min(rr.TTL, ttl)
		o.rrs[i] = rr
	}
	o.soa = soaWithTTL(o.soa, min(ttl, soaTTL(o.soa)))
	o.sigs = withTTL(e.val.o.sigs, ttl)
	o.proof = withTTL(e.val.o.proof, ttl)
	o.fromCache, o.stale, o.sec = true, stale, e.val.sec
	return o, true
}

// withTTL returns a copy of rrs whose TTLs are at most ttl.
func withTTL(rrs []RR, ttl uint32) []RR {
	if len(rrs) == 0 {
		return nil
	}
	out := make([]RR, len(rrs))
	for i, rr := range rrs {
		rr.TTL = min(rr.TTL, ttl)
		out[i] = rr
	}
	return out
}

func soaTTL(soa *RR) uint32 {
	if soa == nil {
		return 0
	}
	return soa.TTL
}

// validatedHit is resolve's fast path with Config.DNSSEC: a fresh
// validated RRset (no CNAME, no negative answer) for name/t, as a
// Result with its verdict; one allocation, the answer slice.
func (r *Resolver) validatedHit(name dnswire.Name, t dnswire.Type, now int64) (Result, bool) {
	var kb [dnswire.MaxNameLen + 4]byte
	e := r.cache.get(validatedKey(kb[:0], name, t))
	if e == nil || e.val == nil || e.expire <= now {
		return Result{}, false
	}
	o := &e.val.o
	if o.kind != kindPositive || o.cname || o.yx {
		return Result{}, false
	}
	ttl := e.remaining(now)
	n := len(o.rrs)
	all := make([]RR, n+len(o.sigs)+len(o.proof))
	for i, rr := range o.rrs {
		rr.TTL = min(rr.TTL, ttl)
		all[i] = rr
	}
	for i, rr := range o.sigs {
		rr.TTL = min(rr.TTL, ttl)
		all[n+i] = rr
	}
	for i, rr := range o.proof {
		rr.TTL = min(rr.TTL, ttl)
		all[n+len(o.sigs)+i] = rr
	}
	res := Result{Answer: all[:n:n], RCode: dnswire.RCodeSuccess, FromCache: true, Security: e.val.sec}
	if len(o.sigs) > 0 {
		res.Signatures = all[n : n+len(o.sigs) : n+len(o.sigs)]
	}
	if len(o.proof) > 0 {
		res.Proof = all[n+len(o.sigs):]
	}
	return res, true
}

// resolveUnchecked resolves name/t without DNSSEC validation, for a
// server client that set CD (RFC 4035 3.2.2): it wants the data even
// when it is bogus, to validate it itself. Security is Indeterminate.
func (r *Resolver) resolveUnchecked(ctx context.Context, name dnswire.Name, t dnswire.Type) (Result, error) {
	rc := r.newResCtx(ctx, nil)
	rc.cd = true
	return r.resolveChain(rc, name, t)
}

// validatedOutcome is a validated cache entry's payload.
type validatedOutcome struct {
	o   outcome // msg cleared
	sec Security
}

// validateOutcome validates o, name/t's outcome fresh from upstream, and
// caches it with its verdict. A bogus outcome becomes an error: the
// *BogusError saying why.
func (r *Resolver) validateOutcome(rc *resCtx, name dnswire.Name, t dnswire.Type, o outcome) (outcome, error) {
	if o.msg == nil {
		o.sec = Indeterminate
		return o, nil
	}
	if t == dnswire.TypeRRSIG {
		// RFC 4035 5.3: RRSIGs are checked with the RRsets they
		// cover; asked for themselves they are no RRset to validate
		// (Unbound answers them unvalidated too).
		o.sec, o.msg = Indeterminate, nil
		r.storeValidated(name, t, o, maxStateTTL)
		return o, nil
	}
	m := hopMsg(o)
	qn, qt := name, t
	if o.yx && len(o.rrs) > 0 {
		// RFC 6672 2.2: YXDOMAIN; what is validated is the DNAME.
		qn, qt = o.rrs[0].Name, dnswire.TypeDNAME
	}
	now := r.cfg.Now()
	v := &Validator{Anchors: r.cfg.TrustAnchors, Query: r.fetchDNSSEC(rc), Now: r.cfg.Now, Limits: r.cfg.ValidationLimits}
	val := &validation{v: v, now: now, b: budget{lim: v.Limits.withDefaults()}, zones: map[string]*zoneState{}, keys: r.keys, hop: true, cut: o.zone}
	sec, err := val.answer(rc.ctx, qn, qt, m)
	if sec == Bogus || err != nil {
		var be *BogusError
		if !errors.As(err, &be) {
			// A DS or DNSKEY lookup failed outright: no chain of
			// trust could be built (RFC 4035 5: bogus, "unable to
			// validate").
			err = &BogusError{Name: qn, Type: qt, EDE: EDEDNSSECBogus, Reason: "validation failed", Err: err}
		}
		if r.cfg.Logger != nil {
			r.cfg.Logger.Debug("resolver: bogus answer", "qname", name, "qtype", t, "err", err)
		}
		// The plain cache took the response in before it was judged;
		// bogus data must not stay there for the lookups that use it
		// unvalidated (name server addresses, CD clients).
		var kb [dnswire.MaxNameLen + 2]byte
		r.cache.drop(appendKey(kb[:0], name, t))
		if o.cname {
			r.cache.drop(appendKey(kb[:0], name, dnswire.TypeCNAME))
		}
		if o.kind == kindNXDomain {
			r.cache.drop(appendKey(kb[:0], name, 0)) // RFC 2308 5: NXDOMAIN's key
		}
		return outcome{}, err
	}
	o.sec = sec
	o.msg = nil
	o.sigs = m.Answer[len(o.rrs):]
	for _, rr := range m.Ns {
		if rr.Type != dnswire.TypeSOA {
			o.proof = append(o.proof, rr)
		}
	}
	r.storeValidated(name, t, o, msgTTL(m, now))
	return o, nil
}

// hopMsg builds the message validated for one hop: the records the
// outcome returns (the RRset, the CNAME, or the DNAME and the CNAME
// synthesised from it) with the RRSIGs the response carried for them,
// and the response's SOA, NSEC and NSEC3 records with their RRSIGs (the
// denial of a negative answer, or of the name behind a wildcard).
func hopMsg(o outcome) *dnswire.Msg {
	src := o.msg
	m := &dnswire.Msg{}
	m.Header = src.Header
	m.Answer = append(m.Answer, o.rrs...)
	covered := func(owner dnswire.Name, t dnswire.Type) bool {
		for _, rr := range o.rrs {
			if rr.Type == t && rr.Name.Equal(owner) {
				return true
			}
		}
		return false
	}
	for _, rr := range firstN(src.Answer) {
		if s, ok := rr.Data.(*dnswire.RRSIG); ok && rr.Type == dnswire.TypeRRSIG && covered(rr.Name, s.TypeCovered) {
			m.Answer = append(m.Answer, rr)
		}
	}
	for _, rr := range firstN(src.Ns) {
		t := rr.Type
		if s, ok := rr.Data.(*dnswire.RRSIG); ok && t == dnswire.TypeRRSIG {
			t = s.TypeCovered
		}
		switch t {
		case dnswire.TypeSOA, dnswire.TypeNSEC, dnswire.TypeNSEC3:
			m.Ns = append(m.Ns, rr)
		}
	}
	return m
}

// storeValidated caches a validated outcome for ttl seconds at most:
// the least TTL of what it returns and of what proved it, and no longer
// than its signatures last (msgTTL).
func (r *Resolver) storeValidated(name dnswire.Name, t dnswire.Type, o outcome, ttl uint32) {
	for _, rr := range o.rrs {
		ttl = min(ttl, rr.TTL)
	}
	if o.soa != nil {
		ttl = min(ttl, o.soa.TTL)
	}
	ttl = min(r.clampTTL(ttl), uint32(r.cfg.MaxTTL/time.Second))
	if ttl == 0 {
		return
	}
	now := r.now()
	exp := now + int64(ttl)*int64(time.Second)
	var kb [dnswire.MaxNameLen + 4]byte
	o.fromCache, o.stale, o.msg = false, false, nil
	// Copies: the cache must not pin the response's buffers.
	rrs := make([]RR, len(o.rrs))
	for i, rr := range o.rrs {
		rr.Data = cloneRData(rr.Data)
		rrs[i] = rr
	}
	o.rrs = rrs
	o.sigs = cloneRRs(o.sigs)
	o.proof = cloneRRs(o.proof)
	if o.soa != nil {
		soa := *o.soa
		soa.Data = cloneRData(soa.Data)
		o.soa = &soa
	}
	r.cache.put(&entry{
		key: string(validatedKey(kb[:0], name, t)), kind: kindPositive, rank: rankAnswerAuth,
		val: &validatedOutcome{o: o, sec: o.sec},
		ttl: ttl, stored: now, expire: exp, staleUntil: r.staleUntil(exp),
	}, now)
}

func cloneRRs(rrs []RR) []RR {
	if len(rrs) == 0 {
		return nil
	}
	out := make([]RR, len(rrs))
	for i, rr := range rrs {
		rr.Data = cloneRData(rr.Data)
		out[i] = rr
	}
	return out
}

// fetchDNSSEC is the DNSSECQuery of the resolver's own validations: it
// asks name/t upstream (the DS of a zone of its parent's servers) as
// part of the resolution rc, past the answer cache, and returns the
// response with its RRSIGs and denial records.
func (r *Resolver) fetchDNSSEC(rc *resCtx) DNSSECQuery {
	return func(_ context.Context, name dnswire.Name, t dnswire.Type) (*dnswire.Msg, error) {
		var o outcome
		var err error
		if len(r.cfg.Forwarders) > 0 {
			o, err = r.forward(rc, name, t)
		} else {
			o, err = r.iterate(rc, name, t)
		}
		if err != nil {
			return nil, err
		}
		if o.msg == nil {
			return nil, ErrNoAnswer
		}
		return o.msg, nil
	}
}

// ResolveValidated resolves name/t and returns the records of type t at
// the end of any CNAME chain, whether the answer (or its proof that
// there are none) is Secure, and an error only for a failure: a bogus
// answer (errors.Is(err, ErrBogus)) or a server failure. NXDOMAIN and
// NODATA give no records and a nil error. It is the shape the dane
// package's FromResolver asks for, so TLSA lookups stand on the
// resolver's own validation. Without Config.DNSSEC nothing is secure.
func (r *Resolver) ResolveValidated(ctx context.Context, name dnswire.Name, t dnswire.Type) ([]RR, bool, error) {
	res, err := r.Resolve(ctx, name, t)
	if err != nil && !errors.Is(err, ErrNXDomain) && !errors.Is(err, ErrNoData) {
		return nil, false, err
	}
	var out []RR
	for _, rr := range res.Answer {
		if rr.Type == t {
			out = append(out, rr)
		}
	}
	return out, res.Security == Secure, nil
}
