package resolver

import (
	"net/netip"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// clampTTL applies RFC 2181 8 (a TTL with the top bit set means zero) and
// Config.MinTTL/MaxTTL.
func (r *Resolver) clampTTL(ttl uint32) uint32 {
	if ttl&0x80000000 != 0 {
		ttl = 0
	}
	d := time.Duration(ttl) * time.Second
	d = min(max(d, r.cfg.MinTTL), r.cfg.MaxTTL)
	return uint32(d / time.Second)
}

// negTTL is the TTL of a negative answer: RFC 2308 5, the minimum of the
// SOA record's TTL and its MINIMUM field, capped by MaxNegativeTTL.
func (r *Resolver) negTTL(soa *RR) uint32 {
	ttl := soa.TTL
	if s, ok := soa.Data.(*dnswire.SOA); ok && s.Minimum < ttl {
		ttl = s.Minimum
	}
	if ttl&0x80000000 != 0 {
		ttl = 0
	}
	if d := time.Duration(ttl) * time.Second; d > r.cfg.MaxNegativeTTL {
		ttl = uint32(r.cfg.MaxNegativeTTL / time.Second)
	}
	return ttl
}

// minTTL returns the smallest TTL among the records of rrs owned by
// owner of type t: RFC 2181 5.2 says an RRset has one TTL; a server that
// sends several is treated as if it sent the smallest.
func minTTL(rrs []RR, owner dnswire.Name, t dnswire.Type) uint32 {
	m := ^uint32(0)
	for i := range rrs {
		if rrs[i].Type == t && rrs[i].Name.Equal(owner) && rrs[i].TTL < m {
			m = rrs[i].TTL
		}
	}
	return m
}

// storeSection caches every RRset in rrs at rank rk. It runs in time
// linear in len(rrs): a hostile response cannot make it quadratic.
func (r *Resolver) storeSection(rrs []RR, rk rank) {
	if len(rrs) == 0 {
		return
	}
	now := r.now()
	var kb [dnswire.MaxNameLen + 2]byte
	type set struct {
		owner dnswire.Name
		t     dnswire.Type
		data  []dnswire.RData
		seen  map[string]bool
		ttl   uint32
	}
	var order []string
	sets := make(map[string]*set)
	var tb []byte
	// dnames holds the DNAME owners in rrs (scrubbed sections carry a
	// few at most: one per hop of a chain).
	var dnames []dnswire.Name
	for i := range rrs {
		rr := &rrs[i]
		if rr.Data == nil {
			continue
		}
		if rr.Type == dnswire.TypeDNAME {
			dnames = append(dnames, rr.Name)
		}
		k := string(appendKey(kb[:0], rr.Name, rr.Type))
		st := sets[k]
		if st == nil {
			st = &set{owner: rr.Name, t: rr.Type, ttl: ^uint32(0), seen: make(map[string]bool)}
			sets[k] = st
			order = append(order, k)
		}
		// RFC 2181 5: identical records are one.
		tb = rr.Data.AppendText(tb[:0])
		if st.seen[string(tb)] {
			continue
		}
		st.seen[string(tb)] = true
		st.data = append(st.data, cloneRData(rr.Data))
		st.ttl = min(st.ttl, rr.TTL)
	}
	for _, k := range order {
		st := sets[k]
		ttl := r.clampTTL(st.ttl)
		if ttl == 0 {
			continue
		}
		exp := now + int64(ttl)*int64(time.Second)
		r.cache.put(&entry{
			key: k, kind: kindPositive, rank: rk, data: st.data,
			synth: st.t == dnswire.TypeCNAME && underDNAME(dnames, st.owner),
			ttl:   ttl, stored: now, expire: exp, staleUntil: r.staleUntil(exp),
		}, now)
	}
}

// underDNAME reports whether one of the DNAME owners is a proper
// ancestor of name: a CNAME for name stored beside that DNAME was
// synthesised from it (RFC 6672 3.4; scrub never keeps a CNAME sent for
// such a name).
func underDNAME(owners []dnswire.Name, name dnswire.Name) bool {
	for _, o := range owners {
		if !o.Equal(name) && name.IsSubdomainOf(o) {
			return true
		}
	}
	return false
}

func (r *Resolver) staleUntil(exp int64) int64 {
	if r.cfg.ServeStale {
		return exp + int64(r.cfg.MaxStale)
	}
	return exp
}

// storeResponse caches an answer, authoritative or not, with its ranks
// (RFC 2181 5.4.1), and negative answers (RFC 2308 5).
func (r *Resolver) storeResponse(s *scrubbed, aa bool) {
	ans := rankAnswerNonAuth
	if aa {
		ans = rankAnswerAuth
	}
	// Only the records owned by the name asked are cached: records
	// further down a CNAME chain may lie beyond a zone cut the server
	// has delegated away (RFC 2181 5.4.1: such data is not
	// authoritative), so the chain's targets are asked of their own
	// servers. The authority section's NS RRset and the additional
	// section of an answer are never cached: a delegation is learnt
	// only from the parent's referral, so an answer cannot replace it
	// (RFC 2181 5.4.1; the ghost domain attack), and extra records are
	// not trusted (Unbound's scrubber drops them the same way).
	r.capDelegationTTL(s.answer[:s.own])
	r.storeSection(s.answer[:s.own], ans)
	if s.data || s.soa == nil || s.loop || s.cname || s.yx ||
		(s.rcode != dnswire.RCodeSuccess && s.rcode != dnswire.RCodeNameError) {
		// RFC 2308 5: a negative answer without SOA is not cached.
		// One at the end of a CNAME chain is not either: the chain's
		// target is asked of its own servers.
		return
	}
	now := r.now()
	ttl := r.negTTL(s.soa)
	if ttl == 0 {
		return
	}
	kind, t := kindNoData, s.qtype
	if s.rcode == dnswire.RCodeNameError {
		kind, t = kindNXDomain, 0 // RFC 2308 5: NXDOMAIN covers every type
	}
	exp := now + int64(ttl)*int64(time.Second)
	var kb [dnswire.MaxNameLen + 2]byte
	soa := *s.soa
	r.cache.put(&entry{
		key: string(appendKey(kb[:0], s.last, t)), kind: kind, rank: ans, soa: &soa,
		ttl: ttl, stored: now, expire: exp, staleUntil: r.staleUntil(exp),
	}, now)
}

// capDelegationTTL lowers the TTL of an NS RRset in rrs (a child's
// answer about its own apex) to what is left of the delegation the
// resolver holds for that name: the child must not extend the life of
// a delegation its parent may have removed (the "ghost domain names"
// attack, CVE-2012-1191; Unbound does the same). When the delegation
// runs out, closestServers passes over it and the parent is asked again.
func (r *Resolver) capDelegationTTL(rrs []RR) {
	now := r.now()
	var kb [dnswire.MaxNameLen + 2]byte
	for i := range rrs {
		if rrs[i].Type != dnswire.TypeNS {
			continue
		}
		e := r.cache.get(appendKey(kb[:0], rrs[i].Name, dnswire.TypeNS))
		if e == nil || e.kind != kindPositive || e.expire <= now {
			continue
		}
		if left := e.remaining(now); rrs[i].TTL > left {
			rrs[i].TTL = left
		}
	}
}

// glueFrom returns the addresses in additional for hosts, at GluePort.
func (r *Resolver) glueFrom(additional []RR, hosts []dnswire.Name) []netip.AddrPort {
	var out []netip.AddrPort
	for _, rr := range additional {
		if a, ok := r.addrOf(rr.Data); ok {
			out = appendUnique(out, r.glueAddr(a))
		}
	}
	return out
}

func (r *Resolver) addrOf(d dnswire.RData) (netip.Addr, bool) {
	var a netip.Addr
	switch v := d.(type) {
	case *dnswire.A:
		a = v.Addr
	case *dnswire.AAAA:
		if !r.cfg.IPv6 {
			return a, false
		}
		a = v.Addr
	}
	if !a.IsValid() || (!r.cfg.AllowSpecialAddrs && specialAddr(a)) {
		return a, false
	}
	return a, true
}

// specialAddr reports addresses in special-purpose ranges (RFC 6890)
// that a name server on the Internet cannot have.
func specialAddr(a netip.Addr) bool {
	a = a.Unmap()
	if a.IsLoopback() || a.IsUnspecified() || a.IsLinkLocalUnicast() || a.IsMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsLinkLocalMulticast() {
		return true
	}
	if a.Is4() {
		b := a.As4()
		return b[0] == 0 || b[0] >= 240 // 0.0.0.0/8; 240.0.0.0/4 and broadcast
	}
	return false
}

func appendUnique(s []netip.AddrPort, a netip.AddrPort) []netip.AddrPort {
	for _, x := range s {
		if x == a {
			return s
		}
	}
	return append(s, a)
}

// cachedAddrs returns the cached addresses of hosts not already in have.
func (r *Resolver) cachedAddrs(hosts []dnswire.Name, have []netip.AddrPort) []netip.AddrPort {
	now := r.now()
	var out []netip.AddrPort
	var kb [dnswire.MaxNameLen + 2]byte
	for _, h := range hosts {
		for _, t := range [2]dnswire.Type{dnswire.TypeA, dnswire.TypeAAAA} {
			if t == dnswire.TypeAAAA && !r.cfg.IPv6 {
				continue
			}
			e := r.cache.get(appendKey(kb[:0], h, t))
			if e == nil || e.kind != kindPositive || e.expire <= now {
				continue
			}
			for _, d := range e.data {
				if a, ok := r.addrOf(d); ok {
					ap := r.glueAddr(a)
					if !contains(have, ap) {
						out = appendUnique(out, ap)
					}
				}
			}
		}
	}
	return out
}

func contains(s []netip.AddrPort, a netip.AddrPort) bool {
	for _, x := range s {
		if x == a {
			return true
		}
	}
	return false
}

// closestServers finds the deepest cached zone cut above qname with its
// name servers (RFC 1034 5.3.3 step 2), or the root.
func (r *Resolver) closestServers(rc *resCtx, qname dnswire.Name) (*servers, error) {
	now := r.now()
	var kb [dnswire.MaxNameLen + 2]byte
	for n := qname; ; {
		if e := r.cache.get(appendKey(kb[:0], n, dnswire.TypeNS)); e != nil && e.kind == kindPositive && e.expire > now {
			var hosts []dnswire.Name
			for _, d := range e.data {
				if ns, ok := d.(*dnswire.NS); ok {
					hosts = append(hosts, ns.Host)
				}
			}
			// A zone cut whose server addresses have all expired is
			// skipped: its parent refers us again, with fresh glue.
			if addrs := r.cachedAddrs(hosts, nil); len(addrs) > 0 {
				return newServers(n, hosts, addrs), nil
			}
		}
		p, ok := n.Parent()
		if !ok {
			break
		}
		n = p
	}
	return r.rootServers(rc)
}

// rootServers primes the root NS set (RFC 8109) if it is not cached and
// returns the root's servers; if priming fails, the hints.
func (r *Resolver) rootServers(rc *resCtx) (*servers, error) {
	root := dnswire.Root()
	r.primeMu.Lock()
	defer r.primeMu.Unlock()
	now := r.now()
	var kb [dnswire.MaxNameLen + 2]byte
	if e := r.cache.get(appendKey(kb[:0], root, dnswire.TypeNS)); e != nil && e.kind == kindPositive && e.expire > now {
		var hosts []dnswire.Name
		for _, d := range e.data {
			if ns, ok := d.(*dnswire.NS); ok {
				hosts = append(hosts, ns.Host)
			}
		}
		if addrs := r.cachedAddrs(hosts, nil); len(addrs) > 0 {
			return newServers(root, hosts, addrs), nil
		}
	}
	hints := newServers(root, nil, append([]netip.AddrPort(nil), r.cfg.RootHints...))
	if now < r.primed {
		return hints, nil // priming failed recently
	}
	// RFC 8109 3: ask a root hint for ". NS" (with EDNS); the answer's
	// NS RRset and the addresses in the additional section replace the
	// hints.
	r.primed = now + int64(time.Minute)
	perQ := 0
	tried := make(map[netip.AddrPort]bool)
	for range 3 {
		srv, ok := r.infra.pick(hints.addrs, tried, hints.zoneKey, r.now(), false)
		if !ok {
			break
		}
		tried[srv] = true
		m, err := r.exchange(rc, &perQ, srv, root, root, dnswire.TypeNS)
		if err != nil {
			if isFatal(err) {
				return nil, err
			}
			continue
		}
		s := scrubPriming(m)
		if len(s.answer) == 0 {
			continue
		}
		r.storeSection(s.answer, rankAnswerAuth)
		r.storeSection(s.additional, rankAdditional)
		var hosts []dnswire.Name
		for _, rr := range s.answer {
			hosts = append(hosts, rr.Data.(*dnswire.NS).Host)
		}
		addrs := r.glueFrom(s.additional, hosts)
		if len(addrs) == 0 {
			continue
		}
		return newServers(root, hosts, addrs), nil
	}
	return hints, nil
}

// scrubPriming keeps a priming response's root NS records and the
// addresses of those name servers (RFC 8109 3.3).
func scrubPriming(m *dnswire.Msg) *scrubbed {
	s := &scrubbed{}
	if m.Header.RCode != dnswire.RCodeSuccess {
		return s
	}
	for _, rr := range firstN(m.Answer) {
		if _, ok := rr.Data.(*dnswire.NS); ok && rr.Type == dnswire.TypeNS && rr.Name.IsRoot() && rr.Class == dnswire.ClassINET {
			s.answer = append(s.answer, rr)
		}
	}
	s.authority = s.answer
	hosts := s.hostSet()
	var kb [dnswire.MaxNameLen + 2]byte
	for _, rr := range firstN(m.Extra) {
		if (rr.Type == dnswire.TypeA || rr.Type == dnswire.TypeAAAA) && rr.Class == dnswire.ClassINET && rr.Data != nil && hosts[string(appendKey(kb[:0], rr.Name, 0))] {
			s.additional = append(s.additional, rr)
		}
	}
	s.authority = nil
	return s
}

// gluelessAddrs looks up the address of one more name server of sv whose
// address is unknown (RFC 1034 5.3.3 step 2: "start parallel resolver
// processes for the name server names"), at most MaxGlueless per zone cut
// and never a name whose lookup is already in progress (a cycle) or that
// lies inside the zone itself (it would need the zone's own servers).
func (r *Resolver) gluelessAddrs(rc *resCtx, sv *servers) ([]netip.AddrPort, error) {
	var lastErr error = ErrGlueless
	for sv.next < len(sv.hosts) {
		h := sv.hosts[sv.next]
		sv.next++
		if h.IsSubdomainOf(sv.zone) || r.pendingLookup(rc, h) {
			continue
		}
		if sv.glueless >= r.cfg.MaxGlueless || rc.depth >= r.cfg.MaxDependencyDepth {
			return nil, ErrGlueless
		}
		sv.glueless++
		rc.depth++
		rc.pending = append(rc.pending, h)
		res, err := r.resolveChain(rc, h, dnswire.TypeA)
		rc.pending = rc.pending[:len(rc.pending)-1]
		rc.depth--
		if err != nil {
			if isFatal(err) {
				return nil, err
			}
			lastErr = err
			continue
		}
		var out []netip.AddrPort
		for _, rr := range res.Answer {
			if a, ok := r.addrOf(rr.Data); ok {
				out = appendUnique(out, r.glueAddr(a))
			}
		}
		if len(out) > 0 {
			return out, nil
		}
	}
	return nil, lastErr
}

func (r *Resolver) pendingLookup(rc *resCtx, h dnswire.Name) bool {
	for _, p := range rc.pending {
		if p.Equal(h) {
			return true
		}
	}
	return false
}

// cloneRData copies d so the cache does not keep a whole response's
// storage alive through one record's data.
func cloneRData(d dnswire.RData) dnswire.RData {
	switch v := d.(type) {
	case *dnswire.A:
		c := *v
		return &c
	case *dnswire.AAAA:
		c := *v
		return &c
	case *dnswire.NS:
		c := *v
		return &c
	case *dnswire.CNAME:
		c := *v
		return &c
	case *dnswire.PTR:
		c := *v
		return &c
	case *dnswire.MX:
		c := *v
		return &c
	case *dnswire.SOA:
		c := *v
		return &c
	case *dnswire.SRV:
		c := *v
		return &c
	case *dnswire.TXT:
		c := dnswire.TXT{Strings: make([][]byte, len(v.Strings))}
		for i, s := range v.Strings {
			c.Strings[i] = append([]byte(nil), s...)
		}
		return &c
	case *dnswire.CAA:
		c := dnswire.CAA{Flags: v.Flags, Tag: append([]byte(nil), v.Tag...), Value: append([]byte(nil), v.Value...)}
		return &c
	case *dnswire.Unknown:
		c := dnswire.Unknown{T: v.T, Data: append([]byte(nil), v.Data...)}
		return &c
	}
	return dnswire.CloneRData(d)
}
