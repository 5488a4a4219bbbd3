package resolver

import (
	"context"
	"encoding/hex"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// DNSSECQuery asks for name/type with the DO bit set (RFC 4035 3.2.1) and
// returns the whole response, RRSIGs and NSEC/NSEC3 records included.
type DNSSECQuery func(ctx context.Context, name dnswire.Name, t dnswire.Type) (*dnswire.Msg, error)

// Validator checks DNSSEC answers along a chain of trust from its
// anchors (RFC 4035 5): DS and DNSKEY at every zone cut from the anchor
// down, the RRSIGs of every RRset, and NSEC or NSEC3 proofs of denial.
// The zero value (with Query set) trusts the root KSK.
type Validator struct {
	// Anchors are DS or DNSKEY records of trusted zones; nil means
	// RootAnchors().
	Anchors []dnswire.RR
	// Query fetches the DS and DNSKEY RRsets the chain needs.
	Query DNSSECQuery
	// Now is the clock signatures' validity periods are checked with;
	// nil means time.Now.
	Now func() time.Time
	// Limits bound the work one answer costs.
	Limits ValidationLimits
}

// RootAnchors returns the root zone's trust anchors as IANA publishes
// them in https://data.iana.org/root-anchors/root-anchors.xml (RFC 9718):
// the SHA-256 DS digests of KSK-2017 (key tag 20326, valid from
// 2017-02-02) and KSK-2024 (key tag 38696, valid from 2024-07-18), both
// RSA/SHA-256 (algorithm 8). Either key validates the root DNSKEY RRset,
// so the resolver keeps working across the 2024 key's roll-in. A new
// slice on each call: callers may change it.
func RootAnchors() []dnswire.RR {
	anchor := func(tag uint16, digest string) dnswire.RR {
		d, _ := hex.DecodeString(digest)
		return dnswire.RR{
			RRHeader: dnswire.RRHeader{Name: dnswire.Root(), Type: dnswire.TypeDS, Class: dnswire.ClassINET},
			Data:     &dnswire.DS{KeyTag: tag, Algorithm: 8, DigestType: dnswire.DigestSHA256, Digest: d},
		}
	}
	return []dnswire.RR{
		anchor(20326, "e06d44b80b8f1d39a95c0b0d7c65d08458e880409bbc683457104237c7f8ec8d"),
		anchor(38696, "683d2d0acb8c9b712a1948b27f741219298d0a450d612c483af444a4c0fb2b16"),
	}
}

// zoneState is what the chain walk learnt about one zone.
type zoneState struct {
	zone dnswire.Name
	keys []dnswire.DNSKEY
	sec  Security
	// notCut: the name was proved not to be a zone cut (a signed
	// denial of DS at a name that is no delegation).
	notCut bool
	// ttl is how long the state may be kept (the least TTL and
	// signature lifetime of the DS and DNSKEY answers it rests on).
	ttl uint32
}

// validation is one answer's validation: its work budget and the zones
// already walked.
type validation struct {
	v     *Validator
	now   time.Time
	b     budget
	zones map[string]*zoneState
	// keys, if set, keeps zone states across validations (the
	// iterative Resolver's key cache).
	keys *keyCache
	// hop: the answer is one hop of a chain the caller follows itself,
	// so an answer that ends in a CNAME is complete (the target is
	// validated on its own).
	hop bool
	// cut, if not zero, is the zone whose servers the iterative
	// resolver reached by referrals and which answered (see within).
	cut dnswire.Name
}

// within returns the zone whose keys speak for name when zone (a
// signer, or the owner of a negative answer's SOA) lies at or below the
// cut the resolver followed referrals to and holds name: that zone
// itself. There is no need to prove, by asking for DS at every name
// between zone and name, that no cut lies between them, as Unbound does
// not: the servers reached by referral answered for name with zone's
// signature, and only zone's own operator (who controls the DS of any
// child too) could sign below a cut of its own. Otherwise (a Validator,
// or a forwarder's answer) it returns name, whose chain is walked in
// full.
func (val *validation) within(zone, name dnswire.Name) dnswire.Name {
	if !val.cut.IsZero() && zone.IsSubdomainOf(val.cut) && name.IsSubdomainOf(zone) {
		return zone
	}
	return name
}

// known returns what this validation, or the shared key cache, knows of
// the zone state at key.
func (val *validation) known(key string) (*zoneState, bool) {
	if z, ok := val.zones[key]; ok {
		return z, true
	}
	if z, ok := val.keys.get(key, val.now); ok {
		val.zones[key] = z
		return z, true
	}
	return nil, false
}

// learn records a zone state; the key cache keeps it unless it is bogus.
func (val *validation) learn(key string, z *zoneState) {
	val.zones[key] = z
	if z.sec != Bogus {
		val.keys.put(key, z, val.now)
	}
}

// Validate returns the verdict on m, the answer to qname/qtype (RFC 4035
// 5). A Bogus verdict comes with a *BogusError.
func (v *Validator) Validate(ctx context.Context, qname dnswire.Name, qtype dnswire.Type, m *dnswire.Msg) (Security, error) {
	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	val := &validation{v: v, now: now, b: budget{lim: v.Limits.withDefaults()}, zones: map[string]*zoneState{}}
	return val.answer(ctx, qname, qtype, m)
}

// anchor returns the deepest anchor zone above name and its DS set.
func (val *validation) anchor(name dnswire.Name) (dnswire.Name, []dnswire.DS, bool) {
	anchors := val.v.Anchors
	if anchors == nil {
		anchors = RootAnchors()
	}
	var best dnswire.Name
	var ds []dnswire.DS
	found := false
	for i := range anchors {
		rr := &anchors[i]
		if !name.IsSubdomainOf(rr.Name) || (found && rr.Name.NumLabels() < best.NumLabels()) {
			continue
		}
		if found && !rr.Name.Equal(best) {
			ds = nil
		}
		best, found = rr.Name, true
		switch d := rr.Data.(type) {
		case *dnswire.DS:
			ds = append(ds, *d)
		case *dnswire.DNSKEY:
			if x, err := d.ToDS(rr.Name, dnswire.DigestSHA256); err == nil {
				ds = append(ds, *x)
			}
		}
	}
	return best, ds, found
}

// rrsets groups the records of a section by owner and type, and the
// RRSIGs by owner and type covered.
type rrsetKey struct {
	name string
	t    dnswire.Type
}

func group(rrs []dnswire.RR) (sets map[rrsetKey][]dnswire.RR, sigs map[rrsetKey][]dnswire.RRSIG, order []rrsetKey) {
	sets, sigs = map[rrsetKey][]dnswire.RR{}, map[rrsetKey][]dnswire.RRSIG{}
	for _, rr := range rrs {
		k := rrsetKey{rr.Name.Lower().String(), rr.Type}
		if s, ok := rr.Data.(*dnswire.RRSIG); ok && rr.Type == dnswire.TypeRRSIG {
			k.t = s.TypeCovered
			sigs[k] = append(sigs[k], *s)
			continue
		}
		if _, seen := sets[k]; !seen {
			order = append(order, k)
		}
		sets[k] = append(sets[k], rr)
	}
	return sets, sigs, order
}

// keysFor walks from the anchor down to name, one label at a time,
// asking for DS at each (RFC 4035 5: top-down), and returns the zone that
// holds name with its verified keys, or Insecure when an unsigned
// delegation was proved on the way.
func (val *validation) keysFor(ctx context.Context, name dnswire.Name) (*zoneState, error) {
	az, ads, ok := val.anchor(name)
	if !ok {
		return &zoneState{sec: Indeterminate}, nil
	}
	cur, err := val.zoneFromDS(ctx, az, ads, maxStateTTL)
	if err != nil || cur.sec != Secure {
		return cur, err
	}
	for n := az.NumLabels() + 1; n <= name.NumLabels(); n++ {
		child := name.Ancestor(n)
		key := child.Lower().String()
		if z, ok := val.known(key); ok {
			if z.notCut {
				continue
			}
			if z.sec != Secure {
				return z, nil
			}
			cur = z
			continue
		}
		next, cut, err := val.step(ctx, cur, child)
		if err != nil {
			return &zoneState{zone: child, sec: Bogus}, err
		}
		if !cut {
			if next != nil {
				val.learn(key, next)
			}
			continue
		}
		val.learn(key, next)
		if next.sec != Secure {
			return next, nil
		}
		cur = next
	}
	return cur, nil
}

// zoneFromDS fetches zone's DNSKEY RRset and verifies it from ds, which
// may be kept for dsTTL seconds.
func (val *validation) zoneFromDS(ctx context.Context, zone dnswire.Name, ds []dnswire.DS, dsTTL uint32) (*zoneState, error) {
	key := zone.Lower().String()
	if z, ok := val.known(key); ok && !z.notCut {
		return z, nil
	}
	m, err := val.v.Query(ctx, zone, dnswire.TypeDNSKEY)
	if err != nil {
		return &zoneState{zone: zone, sec: Bogus}, &BogusError{Name: zone, Type: dnswire.TypeDNSKEY, EDE: EDEDNSKEYMissing, Reason: "DNSKEY query failed", Err: err}
	}
	sets, sigs, _ := group(m.Answer)
	k := rrsetKey{key, dnswire.TypeDNSKEY}
	keys, sec, err := dnskeysFromDS(zone, sets[k], sigs[k], ds, val.now, &val.b)
	if err != nil {
		sec = Bogus
	}
	z := &zoneState{zone: zone, keys: keys, sec: sec, ttl: min(dsTTL, msgTTL(m, val.now))}
	val.learn(key, z)
	return z, err
}

// step asks for DS at child, below the secure zone cur. cut is false
// when child is no zone cut (a proved NODATA for DS at a name that is
// not a delegation, or an empty non-terminal); the state returned then
// says so (notCut), for the key cache.
func (val *validation) step(ctx context.Context, cur *zoneState, child dnswire.Name) (*zoneState, bool, error) {
	m, err := val.v.Query(ctx, child, dnswire.TypeDS)
	if err != nil {
		return nil, false, &BogusError{Name: child, Type: dnswire.TypeDS, EDE: EDEDNSSECBogus, Reason: "DS query failed", Err: err}
	}
	sets, sigs, _ := group(m.Answer)
	k := rrsetKey{child.Lower().String(), dnswire.TypeDS}
	if ds := sets[k]; len(ds) > 0 {
		if _, err := verifyRRset(ds, sigs[k], cur.keys, cur.zone, val.now, &val.b); err != nil {
			return nil, false, err
		}
		var dss []dnswire.DS
		for _, rr := range ds {
			if d, ok := rr.Data.(*dnswire.DS); ok {
				dss = append(dss, *d)
			}
		}
		z, err := val.zoneFromDS(ctx, child, dss, msgTTL(m, val.now))
		return z, true, err
	}
	ck := rrsetKey{child.Lower().String(), dnswire.TypeCNAME}
	if cn := sets[ck]; len(cn) > 0 {
		// The server answered the DS question with a CNAME at child
		// (RFC 1034 4.3.2): an alias, which cannot also be a zone cut
		// (RFC 1034 3.6.2; a delegation point has NS). It must be
		// signed by cur, or anyone could deny a cut this way.
		if _, err := verifyRRset(cn, sigs[ck], cur.keys, cur.zone, val.now, &val.b); err != nil {
			return nil, false, err
		}
		return &zoneState{zone: child, sec: Secure, notCut: true, ttl: msgTTL(m, val.now)}, false, nil
	}
	// No DS: the denial must be signed by cur (RFC 4035 5.2).
	proof, nsecs, err := val.denial(cur, m, child, dnswire.TypeDS)
	if err != nil {
		return nil, false, err
	}
	ttl := msgTTL(m, val.now)
	switch proof {
	case proofNoData:
		// Insecure delegation when the NSEC(3) at child has NS.
		if nsecs.delegation(child, &val.b) {
			return &zoneState{zone: child, sec: Insecure, ttl: ttl}, true, nil
		}
		return &zoneState{zone: child, sec: Secure, notCut: true, ttl: ttl}, false, nil
	case proofNXDomain:
		return &zoneState{zone: child, sec: Secure, notCut: true, ttl: ttl}, false, nil
	case proofOptOut, proofInsecure:
		return &zoneState{zone: child, sec: Insecure, ttl: ttl}, true, nil
	}
	return nil, false, &BogusError{Name: child, Type: dnswire.TypeDS, EDE: EDENSECMissing, Reason: "no proof that DS is absent"}
}

// denialRecs are the verified NSEC and NSEC3 records of one answer.
type denialRecs struct {
	nsec  []nsecRR
	nsec3 []nsec3RR
}

// delegation reports whether the records show name as a delegation
// (NS bit, no SOA).
func (d denialRecs) delegation(name dnswire.Name, b *budget) bool {
	has := func(t []dnswire.Type) bool {
		ns, soa := false, false
		for _, x := range t {
			ns = ns || x == dnswire.TypeNS
			soa = soa || x == dnswire.TypeSOA
		}
		return ns && !soa
	}
	for _, r := range d.nsec {
		if r.owner.Equal(name) {
			return has(r.n.Types)
		}
	}
	if len(d.nsec3) > 0 {
		p := d.nsec3[0].n
		h, ok := nsec3Hash(name, p.Salt, p.Iterations, b)
		if !ok {
			return false
		}
		for _, r := range d.nsec3 {
			if string(r.hash) == string(h) {
				return has(r.n.Types)
			}
		}
	}
	return false
}

// denial verifies the NSEC and NSEC3 RRsets of m's authority section with
// zone z's keys and says what they prove about qname/qtype.
func (val *validation) denial(z *zoneState, m *dnswire.Msg, qname dnswire.Name, qtype dnswire.Type) (denial, denialRecs, error) {
	sets, sigs, order := group(m.Ns)
	var d denialRecs
	for _, k := range order {
		if k.t != dnswire.TypeNSEC && k.t != dnswire.TypeNSEC3 {
			continue
		}
		set := sets[k]
		if _, err := verifyRRset(set, sigs[k], z.keys, z.zone, val.now, &val.b); err != nil {
			return proofNone, d, err
		}
		for i := range set {
			switch x := set[i].Data.(type) {
			case *dnswire.NSEC:
				d.nsec = append(d.nsec, nsecRR{owner: set[i].Name, n: x})
			case *dnswire.NSEC3:
				if r, ok := newNSEC3(&set[i]); ok {
					d.nsec3 = append(d.nsec3, r)
				}
			}
		}
	}
	if len(d.nsec) > 0 {
		return nsecDeny(d.nsec, qname, qtype), d, nil
	}
	p := nsec3Deny(d.nsec3, z.zone, qname, qtype, &val.b)
	if p == proofNone && val.b.hashes >= val.b.lim.MaxNSEC3Hashes {
		return p, d, &BogusError{Name: qname, Type: qtype, EDE: EDEDNSSECBogus, Reason: "too many NSEC3 hashes", Err: ErrValidationBudget}
	}
	return p, d, nil
}

// answer validates the answer and authority sections of m.
func (val *validation) answer(ctx context.Context, qname dnswire.Name, qtype dnswire.Type, m *dnswire.Msg) (Security, error) {
	sets, sigs, order := group(m.Answer)
	verdict := Secure
	name := qname
	positive := false
	for _, k := range order {
		set := sets[k]
		owner := set[0].Name
		ss := sigs[k]
		if len(ss) == 0 && k.t == dnswire.TypeCNAME && synthesisedCNAME(sets, set) {
			// RFC 6672 5.3.1 (RFC 4035 3.1.3): a CNAME synthesised
			// from a DNAME carries no RRSIG; the DNAME's own
			// signature, checked as one of these RRsets, covers it.
			if owner.Equal(name) {
				name = set[0].Data.(*dnswire.CNAME).Target
			}
			continue
		}
		if len(ss) == 0 {
			z, err := val.keysFor(ctx, owner)
			if err != nil {
				return Bogus, err
			}
			if z.sec == Secure {
				return Bogus, &BogusError{Name: owner, Type: k.t, EDE: EDERRSIGsMissing, Reason: "unsigned RRset in a signed zone"}
			}
			verdict = min(verdict, z.sec)
			continue
		}
		signer := ss[0].SignerName
		z, err := val.keysFor(ctx, signer)
		if err != nil {
			return Bogus, err
		}
		if z.sec != Secure {
			verdict = min(verdict, z.sec)
			continue
		}
		if !z.zone.Equal(signer) {
			return Bogus, &BogusError{Name: owner, Type: k.t, EDE: EDEDNSSECBogus, Reason: "signer " + signer.String() + " is not a zone apex"}
		}
		// RFC 4035 5.3.1: the signer must be the zone that holds the
		// RRset; a parent's keys cannot speak for names below a cut
		// (DS excepted, which the parent holds).
		holder := owner
		if k.t == dnswire.TypeDS && owner.NumLabels() > 0 {
			holder = owner.Ancestor(owner.NumLabels() - 1)
		}
		hz, err := val.keysFor(ctx, val.within(signer, holder))
		if err != nil {
			return Bogus, err
		}
		if hz.sec != Secure {
			verdict = min(verdict, hz.sec)
			continue
		}
		if !hz.zone.Equal(signer) {
			return Bogus, &BogusError{Name: owner, Type: k.t, EDE: EDEDNSSECBogus, Reason: "signed by " + signer.String() + ", not by its zone " + hz.zone.String()}
		}
		wild, err := verifyRRset(set, ss, z.keys, z.zone, val.now, &val.b)
		if err != nil {
			return Bogus, err
		}
		if wild {
			// RFC 4035 5.3.4: the name itself must be proved absent.
			_, d, err := val.denial(z, m, owner, k.t)
			if err != nil {
				return Bogus, err
			}
			if !nsecCoversName(d.nsec, owner) && !nsec3CoversNextCloser(d.nsec3, owner, int(minLabels(ss)), &val.b) {
				return Bogus, &BogusError{Name: owner, Type: k.t, EDE: EDENSECMissing, Reason: "wildcard answer without proof that the name is absent"}
			}
		}
		if owner.Equal(name) && (k.t == qtype || qtype == dnswire.TypeANY || k.t == dnswire.TypeCNAME) {
			positive = positive || k.t == qtype || qtype == dnswire.TypeANY
			if c, ok := set[0].Data.(*dnswire.CNAME); ok && k.t == dnswire.TypeCNAME {
				name = c.Target
			}
		}
	}
	if positive || qtype == dnswire.TypeCNAME && len(order) > 0 {
		return verdict, nil
	}
	if val.hop && !name.Equal(qname) {
		// One hop: the answer ends in a CNAME whose target the caller
		// resolves and validates next.
		return verdict, nil
	}
	// A negative answer (or a CNAME chain ending in one) for name.
	held := name
	for _, rr := range m.Ns {
		if rr.Type == dnswire.TypeSOA {
			held = val.within(rr.Name, name)
			break
		}
	}
	z, err := val.keysFor(ctx, held)
	if err != nil {
		return Bogus, err
	}
	if z.sec != Secure {
		return min(verdict, z.sec), nil
	}
	// The SOA's signer must be the zone found (RFC 4035 5.4).
	proof, _, err := val.denial(z, m, name, qtype)
	if err != nil {
		return Bogus, err
	}
	want := proofNoData
	if m.RCode == dnswire.RCodeNameError {
		want = proofNXDomain
	}
	switch {
	case proof == want:
		return verdict, nil
	case proof == proofOptOut || proof == proofInsecure:
		return Insecure, nil
	}
	return Bogus, &BogusError{Name: name, Type: qtype, EDE: EDENSECMissing, Reason: "no valid denial of existence"}
}

// minLabels returns the smallest Labels field of sigs (the wildcard's
// closest encloser depth).
func minLabels(sigs []dnswire.RRSIG) uint8 {
	l := sigs[0].Labels
	for _, s := range sigs {
		l = min(l, s.Labels)
	}
	return l
}

// synthesisedCNAME reports whether set, a one-record CNAME RRset,
// is what a DNAME RRset among sets synthesises for its owner (RFC 6672
// 2.2): the DNAME owned by a proper ancestor, the target its owner's
// suffix replaced by the DNAME's target.
func synthesisedCNAME(sets map[rrsetKey][]dnswire.RR, set []dnswire.RR) bool {
	if len(set) != 1 {
		return false
	}
	c, ok := set[0].Data.(*dnswire.CNAME)
	if !ok {
		return false
	}
	name := set[0].Name
	for p, ok := name.Parent(); ok; p, ok = p.Parent() {
		ds := sets[rrsetKey{p.Lower().String(), dnswire.TypeDNAME}]
		if len(ds) == 0 {
			continue
		}
		d, ok := ds[0].Data.(*dnswire.DNAME)
		if !ok {
			return false
		}
		target, err := synthesise(name, p, d.Target)
		return err == nil && target.Equal(c.Target)
	}
	return false
}

// maxStateTTL caps how long a zone state is kept (the resolver's
// default MaxTTL, one day).
const maxStateTTL = 86400

// msgTTL returns how long what m says may be kept: the least TTL of its
// answer and authority records, and no longer than its first RRSIG
// expires (RFC 4035 5.3.3: the TTL of validated data does not outlast
// its signature), at most maxStateTTL.
func msgTTL(m *dnswire.Msg, now time.Time) uint32 {
	ttl := uint32(maxStateTTL)
	for _, sec := range [][]dnswire.RR{m.Answer, m.Ns} {
		for i := range sec {
			ttl = min(ttl, sec[i].TTL)
			if s, ok := sec[i].Data.(*dnswire.RRSIG); ok {
				left := int64(s.Expiration) - now.Unix()
				ttl = uint32(max(0, min(int64(ttl), left)))
			}
		}
	}
	return ttl
}
