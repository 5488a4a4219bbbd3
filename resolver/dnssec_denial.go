package resolver

import (
	"bytes"
	"crypto/sha1"
	"encoding/base32"
	"slices"
	"strings"

	"github.com/relaykit/relaykit/dnswire"
)

// Authenticated denial of existence with NSEC (RFC 4035 5.4, RFC 6840
// 4.1) and NSEC3 (RFC 5155 8, RFC 9276). The records given here have
// already had their signatures verified.

// denial is what a set of NSEC or NSEC3 records proves about a name.
type denial uint8

const (
	proofNone     denial = iota // nothing proved
	proofNoData                 // the name exists without the type
	proofNXDomain               // the name (and any wildcard) does not exist
	proofOptOut                 // an opt-out span covers the name: insecure (RFC 5155 6)
	proofInsecure               // NSEC3 iterations over the limit (RFC 9276 3.2)
)

// nsecRR is one NSEC record's data with its owner.
type nsecRR struct {
	owner dnswire.Name
	n     *dnswire.NSEC
}

// nsecCovers reports whether the NSEC span owner..next covers name
// strictly (RFC 4034 4.1.1: canonical order, the last NSEC wrapping to
// the apex).
func nsecCovers(owner, next, name dnswire.Name) bool {
	if owner.Compare(next) < 0 {
		return owner.Compare(name) < 0 && name.Compare(next) < 0
	}
	// The last NSEC in the zone: next is the apex.
	return owner.Compare(name) < 0 && name.IsSubdomainOf(next)
}

// nsecDeny checks NSEC records for qname/qtype (RFC 4035 5.4, 3.1.3).
func nsecDeny(recs []nsecRR, qname dnswire.Name, qtype dnswire.Type) denial {
	var ce dnswire.Name
	covered := false
	for _, r := range recs {
		if r.owner.Equal(qname) {
			// RFC 4035 5.4 and RFC 6840 4.1: a parent-side NSEC at a
			// delegation (NS without SOA) proves only DS absence.
			if qtype != dnswire.TypeDS && slices.Contains(r.n.Types, dnswire.TypeNS) && !slices.Contains(r.n.Types, dnswire.TypeSOA) {
				return proofNone
			}
			if qtype == dnswire.TypeDS && slices.Contains(r.n.Types, dnswire.TypeSOA) && !qname.IsRoot() {
				return proofNone // the child's apex NSEC cannot deny its DS
			}
			if slices.Contains(r.n.Types, qtype) || slices.Contains(r.n.Types, dnswire.TypeCNAME) {
				return proofNone
			}
			return proofNoData
		}
		if nsecCovers(r.owner, r.n.NextDomain, qname) {
			// An empty non-terminal: the next name is below qname
			// (RFC 4035 3.1.3.2).
			if r.n.NextDomain.IsSubdomainOf(qname) {
				return proofNoData
			}
			covered = true
			// Closest encloser: the longest ancestor of qname shared
			// with either end of the span.
			a, b := commonAncestor(qname, r.owner), commonAncestor(qname, r.n.NextDomain)
			c := a
			if b.NumLabels() > a.NumLabels() {
				c = b
			}
			if c.NumLabels() > ce.NumLabels() || ce.IsZero() {
				ce = c
			}
		}
	}
	if !covered {
		return proofNone
	}
	// RFC 4035 3.1.3.2: the wildcard at the closest encloser must not
	// exist either, or (NODATA) must lack the type.
	wild, err := ce.Child("*")
	if err != nil {
		return proofNone
	}
	for _, r := range recs {
		if r.owner.Equal(wild) {
			if slices.Contains(r.n.Types, qtype) || slices.Contains(r.n.Types, dnswire.TypeCNAME) {
				return proofNone
			}
			return proofNoData
		}
		if nsecCovers(r.owner, r.n.NextDomain, wild) {
			return proofNXDomain
		}
	}
	return proofNone
}

// commonAncestor returns the longest name that both a and b are under.
func commonAncestor(a, b dnswire.Name) dnswire.Name {
	n := min(a.NumLabels(), b.NumLabels())
	for ; n > 0; n-- {
		if a.Ancestor(n).Equal(b.Ancestor(n)) {
			break
		}
	}
	return a.Ancestor(n)
}

// nsec3RR is one NSEC3 record with its owner's hash decoded.
type nsec3RR struct {
	hash []byte
	zone dnswire.Name
	n    *dnswire.NSEC3
}

var b32hex = base32.HexEncoding.WithPadding(base32.NoPadding)

// newNSEC3 decodes the owner hash of an NSEC3 record; ok is false for
// records a validator must ignore (RFC 5155 8.1: unknown hash algorithm
// or flags; malformed owner).
func newNSEC3(rr *dnswire.RR) (nsec3RR, bool) {
	n, ok := rr.Data.(*dnswire.NSEC3)
	if !ok || n.HashAlg != 1 || n.Flags&^1 != 0 || rr.Name.NumLabels() < 2 {
		return nsec3RR{}, false
	}
	h, err := b32hex.DecodeString(strings.ToUpper(rr.Name.Label(0)))
	if err != nil || len(h) != sha1.Size || len(n.NextHashed) != sha1.Size {
		return nsec3RR{}, false
	}
	return nsec3RR{hash: h, zone: rr.Name.Ancestor(rr.Name.NumLabels() - 1), n: n}, true
}

// nsec3Hash is RFC 5155 5's iterated hash of name, counted against b.
func nsec3Hash(name dnswire.Name, salt []byte, iterations uint16, b *budget) ([]byte, bool) {
	if b.hashes >= b.lim.MaxNSEC3Hashes {
		return nil, false
	}
	b.hashes++
	buf := name.Lower().AppendWire(nil)
	h := sha1.New()
	var sum []byte
	for i := 0; i <= int(iterations); i++ {
		h.Reset()
		h.Write(buf)
		h.Write(salt)
		sum = h.Sum(sum[:0])
		buf = append(buf[:0], sum...)
	}
	return append([]byte(nil), sum...), true
}

// nsec3Covers reports whether the span of r strictly covers hash h
// (RFC 5155 8.3), wrapping at the end of the chain.
func nsec3Covers(r nsec3RR, h []byte) bool {
	o, n := r.hash, r.n.NextHashed
	if bytes.Compare(o, n) < 0 {
		return bytes.Compare(o, h) < 0 && bytes.Compare(h, n) < 0
	}
	return bytes.Compare(o, h) < 0 || bytes.Compare(h, n) < 0
}

// nsec3Deny checks NSEC3 records for qname/qtype (RFC 5155 8.4-8.7)
// within zone. Hashes are counted against b; running out is bogus (the
// caller sees proofNone with b exhausted).
func nsec3Deny(recs []nsec3RR, zone, qname dnswire.Name, qtype dnswire.Type, b *budget) denial {
	if len(recs) == 0 {
		return proofNone
	}
	// RFC 5155 8.2 and RFC 9276 3.2: all records of one chain share
	// parameters; too many iterations make the answer insecure.
	p := recs[0].n
	for _, r := range recs {
		if !r.zone.Equal(zone) {
			return proofNone
		}
		if int(r.n.Iterations) > b.lim.MaxNSEC3Iterations {
			return proofInsecure
		}
	}
	hashes := map[string][]byte{}
	hash := func(n dnswire.Name) []byte {
		k := n.Lower().String()
		if h, ok := hashes[k]; ok {
			return h
		}
		h, ok := nsec3Hash(n, p.Salt, p.Iterations, b)
		if !ok {
			return nil
		}
		hashes[k] = h
		return h
	}
	match := func(h []byte) *nsec3RR {
		for i := range recs {
			if bytes.Equal(recs[i].hash, h) {
				return &recs[i]
			}
		}
		return nil
	}
	cover := func(h []byte) *nsec3RR {
		for i := range recs {
			if nsec3Covers(recs[i], h) {
				return &recs[i]
			}
		}
		return nil
	}
	h := hash(qname)
	if h == nil {
		return proofNone
	}
	// RFC 5155 8.5 and 8.6: a matching NSEC3 without the type.
	if m := match(h); m != nil {
		t := m.n.Types
		if qtype == dnswire.TypeDS && slices.Contains(t, dnswire.TypeSOA) && !qname.Equal(zone) {
			return proofNone
		}
		if qtype != dnswire.TypeDS && slices.Contains(t, dnswire.TypeNS) && !slices.Contains(t, dnswire.TypeSOA) {
			return proofNone
		}
		if slices.Contains(t, qtype) || slices.Contains(t, dnswire.TypeCNAME) {
			return proofNone
		}
		return proofNoData
	}
	// RFC 5155 8.3: the closest encloser proof. Each candidate costs a
	// hash, so the loop is bounded by the budget as well as the labels.
	next := qname
	for ce := qname; ce.NumLabels() > zone.NumLabels(); {
		parent := ce.Ancestor(ce.NumLabels() - 1)
		next, ce = ce, parent
		hc := hash(ce)
		if hc == nil {
			return proofNone
		}
		if match(hc) == nil {
			continue
		}
		hn := hash(next)
		if hn == nil {
			return proofNone
		}
		nc := cover(hn)
		if nc == nil {
			return proofNone
		}
		// RFC 5155 8.6 and 6: an opt-out span over the next closer
		// name proves only that the delegation, if any, is unsigned.
		if nc.n.Flags&1 != 0 && qtype == dnswire.TypeDS {
			return proofOptOut
		}
		// RFC 5155 8.4 and 8.7: the wildcard at the closest encloser.
		wild, err := ce.Child("*")
		if err != nil {
			return proofNone
		}
		hw := hash(wild)
		if hw == nil {
			return proofNone
		}
		if m := match(hw); m != nil {
			if slices.Contains(m.n.Types, qtype) || slices.Contains(m.n.Types, dnswire.TypeCNAME) {
				return proofNone
			}
			return proofNoData
		}
		if cover(hw) != nil {
			return proofNXDomain
		}
		if nc.n.Flags&1 != 0 {
			return proofOptOut
		}
		return proofNone
	}
	return proofNone
}

// nsec3CoversNextCloser checks, for an answer expanded from a wildcard
// whose closest encloser has labels labels, that the next closer name
// of qname is covered (RFC 5155 8.8).
func nsec3CoversNextCloser(recs []nsec3RR, qname dnswire.Name, labels int, b *budget) bool {
	if len(recs) == 0 || qname.NumLabels() <= labels {
		return false
	}
	p := recs[0].n
	h, ok := nsec3Hash(qname.Ancestor(labels+1), p.Salt, p.Iterations, b)
	if !ok {
		return false
	}
	for _, r := range recs {
		if nsec3Covers(r, h) {
			return true
		}
	}
	return false
}

// nsecCoversName checks that an NSEC proves qname itself absent, for a
// wildcard expansion (RFC 4035 5.3.4).
func nsecCoversName(recs []nsecRR, qname dnswire.Name) bool {
	for _, r := range recs {
		if nsecCovers(r.owner, r.n.NextDomain, qname) {
			return true
		}
	}
	return false
}
