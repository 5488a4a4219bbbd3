package zone

import (
	"bytes"
	"crypto/sha1"
	"slices"

	"github.com/relaykit/relaykit/dnswire"
)

// Serving signed zones (RFC 4035 3.1): a zone that holds RRSIG, NSEC or
// NSEC3 records (made by Sign, ldns-signzone or dnssec-signzone) answers
// a query with the DO bit set with the RRSIGs of every RRset it returns
// and the NSEC or NSEC3 records that prove what does not exist. Without
// DO, DNSSEC records appear only when asked for by type.

// nsec3Entry is one NSEC3 owner: the hash its first label spells
// (RFC 5155 3.3) and its node.
type nsec3Entry struct {
	hash []byte
	nd   *node
}

// maxServedIterations bounds the NSEC3 iterations a zone's chain may use
// for this server to compute proofs (RFC 9276 3.2 asks for 0; validators
// treat more than 150 as insecure, RFC 9276 3.2, so more is useless).
const maxServedIterations = 500

// resetDNSSEC, indexNode (for every node) and sortDNSSEC index the
// zone's RRSIGs by type covered and its NSEC and NSEC3 chains (finish
// calls them in its pass over the nodes).
func (z *Zone) resetDNSSEC() { z.signed, z.nsec, z.nsec3, z.n3 = false, nil, nil, nil }

// indexNode indexes the DNSSEC records of one node.
func (z *Zone) indexNode(n *node) {
	n.sigs = nil
	for i := range n.sets {
		switch n.sets[i].typ {
		case dnswire.TypeRRSIG:
			z.signed = true
			for _, rr := range n.sets[i].rrs {
				sig, ok := rr.Data.(*dnswire.RRSIG)
				if !ok {
					continue
				}
				g := n.sig(sig.TypeCovered)
				if g == nil {
					n.sigs = append(n.sigs, rrset{typ: dnswire.TypeRRSIG, cov: sig.TypeCovered})
					g = &n.sigs[len(n.sigs)-1]
				}
				g.rrs = append(g.rrs, rr)
				g.wire += 10 + rdataLen(rr)
			}
		case dnswire.TypeNSEC:
			z.nsec = append(z.nsec, n)
		case dnswire.TypeNSEC3:
			if n.name.NumLabels() == z.origin.NumLabels()+1 {
				if h, ok := decodeBase32Hex(n.name.Label(0)); ok {
					z.nsec3 = append(z.nsec3, nsec3Entry{hash: h, nd: n})
				}
			}
		}
	}
}

// sortDNSSEC orders the chains and finds the NSEC3 parameters.
func (z *Zone) sortDNSSEC() {
	if len(z.nsec) > 1 {
		slices.SortFunc(z.nsec, func(a, b *node) int { return a.name.Compare(b.name) })
	}
	if len(z.nsec3) > 1 {
		slices.SortFunc(z.nsec3, func(a, b nsec3Entry) int { return bytes.Compare(a.hash, b.hash) })
	}
	if apex := z.node(z.origin); apex != nil && len(z.nsec3) > 0 {
		if s := apex.get(dnswire.TypeNSEC3PARAM); s != nil {
			p := s.rrs[0].Data.(*dnswire.NSEC3PARAM)
			if p.HashAlg == 1 && p.Iterations <= maxServedIterations {
				z.n3 = p
			}
		}
	}
}

// sig returns the RRSIGs at n covering type t, or nil.
func (n *node) sig(t dnswire.Type) *rrset {
	for i := range n.sigs {
		if n.sigs[i].cov == t {
			return &n.sigs[i]
		}
	}
	return nil
}

// withSig appends the piece of set s owned by owner to dst, followed by
// the RRSIGs covering it when the client asked for DNSSEC records.
func (r *responder) withSig(dst []piece, z *Zone, nd *node, owner dnswire.Name, s *rrset) []piece {
	dst = append(dst, piece{owner: owner, set: s, zone: z})
	if r.do && z.signed && s.typ != dnswire.TypeRRSIG {
		if g := nd.sig(s.typ); g != nil {
			dst = append(dst, piece{owner: owner, set: g, zone: z, sig: true})
		}
	}
	return dst
}

// proveSet adds the NSEC or NSEC3 set of nd (and its RRSIGs) to the
// proofs, once.
func (r *responder) proveSet(z *Zone, nd *node, t dnswire.Type) {
	s := nd.get(t)
	if s == nil {
		return
	}
	for _, p := range r.proof {
		if p.set == s {
			return
		}
	}
	r.proof = r.withSig(r.proof, z, nd, nd.name, s)
}

// nsecFor returns the NSEC owner that matches or covers name: the last
// one not after it in canonical order (RFC 4034 6.1), or the last of all
// (whose next name is the apex) when name sorts first.
func (z *Zone) nsecFor(name dnswire.Name) *node {
	if len(z.nsec) == 0 {
		return nil
	}
	i, found := slices.BinarySearchFunc(z.nsec, name, func(n *node, t dnswire.Name) int { return n.name.Compare(t) })
	if found {
		return z.nsec[i]
	}
	if i == 0 {
		return z.nsec[len(z.nsec)-1]
	}
	return z.nsec[i-1]
}

// nsec3For returns the NSEC3 owner that matches name's hash, or the one
// that covers it, and whether it matched.
func (z *Zone) nsec3For(name dnswire.Name) (*node, bool) {
	var buf [sha1.Size]byte
	h := nsec3Hash(buf[:0], name, z.n3.Salt, z.n3.Iterations)
	// The first entry not below h (a loop, not slices.BinarySearchFunc,
	// whose closure would make h escape: the query path allocates
	// nothing).
	i, j := 0, len(z.nsec3)
	for i < j {
		m := int(uint(i+j) >> 1)
		if bytes.Compare(z.nsec3[m].hash, h) < 0 {
			i = m + 1
		} else {
			j = m
		}
	}
	if i < len(z.nsec3) && bytes.Equal(z.nsec3[i].hash, h) {
		return z.nsec3[i].nd, true
	}
	if i == 0 {
		return z.nsec3[len(z.nsec3)-1].nd, false
	}
	return z.nsec3[i-1].nd, false
}

// nsec3Hash appends the hash of name (RFC 5155 5): SHA-1 over the
// canonical (lower-case) wire name and the salt, then iterations more
// times over the previous digest and the salt.
func nsec3Hash(dst []byte, name dnswire.Name, salt []byte, iterations uint16) []byte {
	var in [dnswire.MaxNameLen + 255 + sha1.Size]byte
	b := name.Lower().AppendWire(in[:0])
	b = append(b, salt...)
	d := sha1.Sum(b)
	for range iterations {
		b = append(append(in[:0], d[:]...), salt...)
		d = sha1.Sum(b)
	}
	return append(dst, d[:]...)
}

// proveNoName adds the proof that qname does not exist below the closest
// encloser ce: with NSEC the record covering qname (RFC 4035 3.1.3.2),
// with NSEC3 the closest encloser proof (RFC 5155 7.2.1: the NSEC3
// matching ce and the one covering the next closer name). wild adds the
// proof that no wildcard at ce exists either (NXDOMAIN); a wildcard
// answer needs only the first part (RFC 4035 3.1.3.3, RFC 5155 7.2.6).
func (r *responder) proveNoName(z *Zone, qname, ce dnswire.Name, wild bool) {
	wc, err := ce.Child("*")
	if err != nil {
		wild = false
	}
	if z.n3 != nil {
		if nd, ok := z.nsec3For(ce); ok && wild {
			r.proveSet(z, nd, dnswire.TypeNSEC3)
		}
		if qname.NumLabels() > ce.NumLabels() {
			nd, _ := z.nsec3For(qname.Ancestor(ce.NumLabels() + 1))
			r.proveSet(z, nd, dnswire.TypeNSEC3)
		}
		if wild {
			nd, _ := z.nsec3For(wc)
			r.proveSet(z, nd, dnswire.TypeNSEC3)
		}
		return
	}
	if nd := z.nsecFor(qname); nd != nil {
		r.proveSet(z, nd, dnswire.TypeNSEC)
	}
	if wild {
		if nd := z.nsecFor(wc); nd != nil {
			r.proveSet(z, nd, dnswire.TypeNSEC)
		}
	}
}

// proveNoData adds the proof that name (whose node is nd) has no data of
// the asked type: its own NSEC (RFC 4035 3.1.3.1), or for an empty
// non-terminal the NSEC covering it; with NSEC3 the NSEC3 matching it
// (RFC 5155 7.2.3), or, when there is none (a DS question at an opt-out
// delegation, RFC 5155 7.2.4), the closest provable encloser proof.
func (r *responder) proveNoData(z *Zone, nd *node, name dnswire.Name) {
	if z.n3 != nil {
		if m, ok := z.nsec3For(name); ok {
			r.proveSet(z, m, dnswire.TypeNSEC3)
			return
		}
		r.provableEncloser(z, name)
		return
	}
	if nd != nil && nd.get(dnswire.TypeNSEC) != nil {
		r.proveSet(z, nd, dnswire.TypeNSEC)
		return
	}
	if c := z.nsecFor(name); c != nil {
		r.proveSet(z, c, dnswire.TypeNSEC)
	}
}

// provableEncloser adds the NSEC3 matching the closest ancestor of name
// that has one and the NSEC3 covering the name one label below it (RFC
// 5155 7.2.1, 7.2.4, 7.2.7 with opt-out).
func (r *responder) provableEncloser(z *Zone, name dnswire.Name) {
	for k := name.NumLabels() - 1; k >= z.origin.NumLabels(); k-- {
		if m, ok := z.nsec3For(name.Ancestor(k)); ok {
			r.proveSet(z, m, dnswire.TypeNSEC3)
			c, _ := z.nsec3For(name.Ancestor(k + 1))
			r.proveSet(z, c, dnswire.TypeNSEC3)
			return
		}
	}
}

// referralProof adds to a referral at the cut node nd the signed DS
// RRset, or the proof that there is none (RFC 4035 3.1.4: the NSEC at
// the cut; RFC 5155 7.2.7: the NSEC3 matching the cut, or with opt-out
// the closest provable encloser proof).
func (r *responder) referralProof(z *Zone, nd *node, cut dnswire.Name) {
	if ds := nd.get(dnswire.TypeDS); ds != nil {
		r.auth = r.withSig(r.auth, z, nd, cut, ds)
		return
	}
	r.proveNoData(z, nd, cut)
}

// decodeBase32Hex decodes an NSEC3 owner label (RFC 4648 7, no padding,
// either case).
func decodeBase32Hex(s string) ([]byte, bool) {
	out := make([]byte, 0, len(s)*5/8)
	var acc uint64
	bits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'v':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'V':
			v = c - 'A' + 10
		default:
			return nil, false
		}
		acc = acc<<5 | uint64(v)
		bits += 5
		if bits >= 8 {
			bits -= 8
			out = append(out, byte(acc>>bits))
		}
	}
	// Leftover bits: fewer than five, all zero (RFC 4648 6: no
	// superfluous character, no data in the padding bits).
	if bits >= 5 || acc&(1<<bits-1) != 0 {
		return nil, false
	}
	return out, true
}
