package zone

import (
	"github.com/relaykit/relaykit/dnswire"
)

// maxChain bounds the CNAME and DNAME links followed for one answer.
const maxChain = 12

// piece is one RRset placed in a response, with the owner name to write
// (the question's spelling for answers, so 0x20 case survives, RFC 4343).
type piece struct {
	owner dnswire.Name
	set   *rrset
	zone  *Zone
	sig   bool // the RRSIGs of the piece before it
}

// lookupResult says how a zone answered one name.
type lookupResult uint8

const (
	resAnswer lookupResult = iota
	resAlias               // CNAME (found or synthesized): follow the target
	resNoData
	resNXDomain
	resReferral
	resYXDomain // DNAME substitution made an over-long name (RFC 6672 2.2)
)

// zoneSet is an immutable set of zones keyed by lower-cased origin.
type zoneSet struct {
	m map[dnswire.Name]*Zone
}

// find returns the zone with the longest origin that contains n.
func (zs *zoneSet) find(n dnswire.Name) *Zone {
	if zs == nil || len(zs.m) == 0 {
		return nil
	}
	for k := n.NumLabels(); k >= 0; k-- {
		if z := zs.m[n.Ancestor(k).Lower()]; z != nil {
			return z
		}
	}
	return nil
}

// responder holds the per-goroutine scratch state of answering, reused
// so the query path does not allocate.
type responder struct {
	ans, auth, add []piece
	proof          []piece // NSEC/NSEC3 proofs, put after the authority
	do             bool    // the client set DO (RFC 3225): add DNSSEC records
	synth          [maxChain]rrset
	synthData      [maxChain]dnswire.CNAME
	nsynth         int
	b              dnswire.Builder
}

func newResponder() *responder {
	r := &responder{
		ans:   make([]piece, 0, 16),
		auth:  make([]piece, 0, 8),
		add:   make([]piece, 0, 16),
		proof: make([]piece, 0, 8),
	}
	for i := range r.synth {
		r.synth[i].rrs = make([]dnswire.RR, 1)
		r.synth[i].typ = dnswire.TypeCNAME
	}
	return r
}

func (r *responder) reset() {
	r.ans, r.auth, r.add, r.proof = r.ans[:0], r.auth[:0], r.add[:0], r.proof[:0]
	r.nsynth = 0
	r.do = false
}

// resolve fills the answer and authority pieces for qname/qt per RFC 1034
// 4.3.2, following CNAME and DNAME links through every zone in zs. It
// returns the RCODE and whether the answer is authoritative.
func (r *responder) resolve(zs *zoneSet, qname dnswire.Name, qt dnswire.Type) (dnswire.RCode, bool) {
	z := zs.find(qname)
	if z == nil {
		// Step 2 of RFC 1034 4.3.2: no zone of ours holds the name.
		return dnswire.RCodeRefused, false
	}
	if qt == dnswire.TypeDS && qname.Equal(z.origin) {
		// RFC 4035 3.1.4.1: the parent side answers DS, when it is
		// served here too.
		if p, ok := qname.Parent(); ok {
			if pz := zs.find(p); pz != nil {
				z = pz
			}
		}
	}
	aa := true
	for chain := 0; ; chain++ {
		res, next := r.lookup(z, qname, qt)
		switch res {
		case resAnswer:
			return dnswire.RCodeSuccess, aa
		case resAlias:
			// Step 3a: change QNAME to the canonical name and go back to
			// step 1, in any zone of ours. RFC 6604 2.1: the RCODE is
			// that of the last name looked up.
			nz := zs.find(next)
			if nz == nil || chain+1 >= maxChain {
				return dnswire.RCodeSuccess, aa
			}
			z, qname = nz, next
		case resNoData:
			r.negative(z, qname)
			return dnswire.RCodeSuccess, aa
		case resNXDomain:
			r.negative(z, qname)
			return dnswire.RCodeNameError, aa
		case resYXDomain:
			return dnswire.RCodeYXDomain, aa
		case resReferral:
			// Step 3b: a referral is not authoritative, unless an
			// authoritative alias led here.
			return dnswire.RCodeSuccess, aa && chain > 0
		}
	}
}

// negative puts the zone's SOA in the authority section (RFC 2308 3).
// Its TTL is written as min(SOA TTL, MINIMUM) by the builder (RFC 2308 5).
func (r *responder) negative(z *Zone, qname dnswire.Name) {
	apex := z.node(z.origin)
	r.auth = r.withSig(r.auth, z, apex, qname.Ancestor(z.origin.NumLabels()), apex.get(dnswire.TypeSOA))
}

// lookup does steps 3 and 4 of RFC 1034 4.3.2 in one zone.
func (r *responder) lookup(z *Zone, qname dnswire.Name, qt dnswire.Type) (lookupResult, dnswire.Name) {
	top := z.origin.NumLabels()
	ql := qname.NumLabels()
	ce := z.node(z.origin)
	k := top
	for ; k <= ql; k++ {
		var nd *node
		if k == top {
			nd = ce
		} else {
			nd = z.node(qname.Ancestor(k))
		}
		if nd == nil {
			break
		}
		ce = nd
		if k > top {
			// Step 3b: a zone cut on the way down (or at the name) means
			// a referral; the parent answers DS at the cut itself
			// (RFC 4035 3.1.4.1).
			if ns := nd.get(dnswire.TypeNS); ns != nil && !(k == ql && qt == dnswire.TypeDS) {
				cut := qname.Ancestor(k)
				r.auth = append(r.auth, piece{owner: cut, set: ns, zone: z})
				if r.do && z.signed {
					r.referralProof(z, nd, cut)
				}
				return resReferral, dnswire.Name{}
			}
		}
		if k < ql {
			if dn := nd.get(dnswire.TypeDNAME); dn != nil {
				return r.dname(z, nd, qname, k, dn)
			}
		}
	}
	dnssec := r.do && z.signed
	if k > ql {
		// Step 3a: the whole name matched.
		res, next := r.match(z, ce, qname, qt)
		if dnssec && res == resNoData {
			r.proveNoData(z, ce, qname)
		}
		return res, next
	}
	// Step 3c: look for a wildcard at the closest encloser (RFC 4592
	// 3.3.1), whose source of synthesis is "*.<closest encloser>".
	wc, err := ce.name.Child("*")
	if err == nil {
		if wn := z.node(wc); wn != nil {
			res, next := r.match(z, wn, qname, qt)
			if dnssec {
				// RFC 4035 3.1.3.3 (RFC 5155 7.2.6): prove that qname
				// itself does not exist; for NODATA also that the
				// wildcard lacks the type (RFC 4035 3.1.3.4, RFC
				// 5155 7.2.5).
				r.proveNoName(z, qname, ce.name, false)
				if res == resNoData {
					if z.n3 != nil {
						if m, ok := z.nsec3For(ce.name); ok {
							r.proveSet(z, m, dnswire.TypeNSEC3)
						}
					}
					r.proveNoData(z, wn, wc)
				}
			}
			return res, next
		}
	}
	if dnssec {
		r.proveNoName(z, qname, ce.name, true)
	}
	return resNXDomain, dnswire.Name{}
}

// match answers from node nd (the name itself or the wildcard that
// stands for it), with owner as the name written in the answer.
func (r *responder) match(z *Zone, nd *node, owner dnswire.Name, qt dnswire.Type) (lookupResult, dnswire.Name) {
	if qt == dnswire.TypeANY {
		if len(nd.sets) == 0 {
			return resNoData, dnswire.Name{}
		}
		for i := range nd.sets {
			r.ans = append(r.ans, piece{owner: owner, set: &nd.sets[i], zone: z})
		}
		return resAnswer, dnswire.Name{}
	}
	if s := nd.get(qt); s != nil {
		r.ans = r.withSig(r.ans, z, nd, owner, s)
		return resAnswer, dnswire.Name{}
	}
	if s := nd.get(dnswire.TypeCNAME); s != nil {
		r.ans = r.withSig(r.ans, z, nd, owner, s)
		return resAlias, s.rrs[0].Data.(*dnswire.CNAME).Target
	}
	return resNoData, dnswire.Name{}
}

// dname answers through the DNAME at qname's ancestor with k labels
// (RFC 6672 3.2): the DNAME itself, then a CNAME from qname to qname with
// the owner's suffix replaced by the target, whose target is followed.
func (r *responder) dname(z *Zone, nd *node, qname dnswire.Name, k int, dn *rrset) (lookupResult, dnswire.Name) {
	owner := qname.Ancestor(k)
	// RFC 6672 5.3.1: the DNAME is signed, the CNAME made from it not.
	r.ans = r.withSig(r.ans, z, nd, owner, dn)
	target := dn.rrs[0].Data.(*dnswire.DNAME).Target
	var buf [2 * dnswire.MaxNameLen]byte
	w := qname.AppendWire(buf[:0])
	prefix := len(w) - owner.Len()
	w = target.AppendWire(w[:prefix])
	nn, err := dnswire.NameFromWire(w)
	if err != nil {
		return resYXDomain, dnswire.Name{}
	}
	if r.nsynth >= len(r.synth) {
		return resAnswer, dnswire.Name{}
	}
	i := r.nsynth
	r.nsynth++
	r.synthData[i].Target = nn
	s := &r.synth[i]
	s.rrs[0] = dnswire.RR{
		RRHeader: dnswire.RRHeader{Name: qname, Type: dnswire.TypeCNAME, Class: dnswire.ClassINET, TTL: dn.rrs[0].TTL},
		Data:     &r.synthData[i],
	}
	s.wire = 10 + nn.Len()
	r.ans = append(r.ans, piece{owner: qname, set: s, zone: z})
	return resAlias, nn
}

// additional adds the address records of the hosts named by NS, MX and
// SRV records in the answer and authority sections (RFC 1035 3.3.9,
// 3.3.11; RFC 2782), from the same zone only, each RRset once.
func (r *responder) additional() {
	for _, sec := range [2][]piece{r.ans, r.auth} {
		for _, p := range sec {
			switch p.set.typ {
			case dnswire.TypeNS, dnswire.TypeMX, dnswire.TypeSRV:
			default:
				continue
			}
			for i := range p.set.rrs {
				var host dnswire.Name
				switch d := p.set.rrs[i].Data.(type) {
				case *dnswire.NS:
					host = d.Host
				case *dnswire.MX:
					host = d.Host
				case *dnswire.SRV:
					host = d.Target
				}
				if !host.IsSubdomainOf(p.zone.origin) {
					continue
				}
				nd := p.zone.node(host)
				if nd == nil {
					continue
				}
				for _, t := range [2]dnswire.Type{dnswire.TypeA, dnswire.TypeAAAA} {
					if s := nd.get(t); s != nil && !r.placed(s) {
						// RFC 4035 3.1.1: with the RRSIGs of
						// authoritative data (glue has none).
						r.add = r.withSig(r.add, p.zone, nd, nd.name, s)
					}
				}
			}
		}
	}
}

// placed reports whether s is already in the response.
func (r *responder) placed(s *rrset) bool {
	for _, sec := range [3][]piece{r.ans, r.auth, r.add} {
		for _, p := range sec {
			if p.set == s {
				return true
			}
		}
	}
	return false
}
