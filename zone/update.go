package zone

import (
	"github.com/relaykit/relaykit/dnswire"
)

// UpdateRule grants one TSIG key the right to change some names and
// types (RFC 3007 4: update policy), as BIND's update-policy "grant KEY
// subdomain NAME TYPES" and Knot's ACLs with update-owner do. A request
// is allowed only when every record in its update section is covered by
// some rule.
type UpdateRule struct {
	// Key is the name of the TSIG key the rule applies to.
	Key dnswire.Name
	// Name is the subtree the key may change: Name itself and every
	// name below it.
	Name dnswire.Name
	// BelowOnly excludes Name itself (so a registrar's key for edu. may
	// add hamburger.edu. but not touch edu.).
	BelowOnly bool
	// Types the key may add or delete; empty means every type but SOA.
	// Deleting all RRsets of a name (type ANY) needs an empty list.
	Types []dnswire.Type
}

func (r *UpdateRule) allows(key dnswire.Name, rr *dnswire.RR) bool {
	if !r.Key.Equal(key) || !rr.Name.IsSubdomainOf(r.Name) || r.BelowOnly && rr.Name.Equal(r.Name) {
		return false
	}
	if len(r.Types) == 0 {
		return rr.Type != dnswire.TypeSOA
	}
	for _, t := range r.Types {
		if t == rr.Type {
			return true
		}
	}
	return false
}

// change is one UPDATE's effect: the records deleted and added, and the
// serials before and after (the shape of an IXFR difference sequence,
// RFC 1995 4).
type change struct {
	oldSOA, newSOA dnswire.RR
	del, add       []dnswire.RR
}

func isMeta(t dnswire.Type) bool {
	switch t {
	case dnswire.TypeAXFR, typeIXFR, typeMAILA, typeMAILB, dnswire.TypeOPT, typeTSIG:
		return true
	}
	return false
}

// checkPrereqs applies RFC 2136 3.2 to z.
func checkPrereqs(z *Zone, pre []dnswire.RR) dnswire.RCode {
	var temp []dnswire.RR
	for i := range pre {
		rr := &pre[i]
		if rr.TTL != 0 {
			return dnswire.RCodeFormatError
		}
		if !rr.Name.IsSubdomainOf(z.origin) {
			return dnswire.RCodeNotZone
		}
		switch rr.Class {
		case dnswire.ClassANY:
			if rr.Data != nil {
				return dnswire.RCodeFormatError
			}
			if rr.Type == dnswire.TypeANY {
				if !z.inUse(rr.Name) {
					return dnswire.RCodeNameError
				}
			} else if z.set(rr.Name, rr.Type) == nil {
				return dnswire.RCodeNXRRSet
			}
		case dnswire.ClassNONE:
			if rr.Data != nil {
				return dnswire.RCodeFormatError
			}
			if rr.Type == dnswire.TypeANY {
				if z.inUse(rr.Name) {
					return dnswire.RCodeYXDomain
				}
			} else if z.set(rr.Name, rr.Type) != nil {
				return dnswire.RCodeYXRRSet
			}
		case dnswire.ClassINET:
			if rr.Type == dnswire.TypeANY || rr.Data == nil {
				return dnswire.RCodeFormatError
			}
			temp = append(temp, *rr)
		default:
			return dnswire.RCodeFormatError
		}
	}
	// RFC 2136 3.2.3: each RRset named in the value-dependent
	// prerequisites must equal, record for record, the zone's.
	done := make([]bool, len(temp))
	for i := range temp {
		if done[i] {
			continue
		}
		var want []dnswire.RR
		for j := i; j < len(temp); j++ {
			if temp[j].Name.Equal(temp[i].Name) && temp[j].Type == temp[i].Type {
				want = append(want, temp[j])
				done[j] = true
			}
		}
		have := z.set(temp[i].Name, temp[i].Type)
		if !sameSet(want, have) {
			return dnswire.RCodeNXRRSet
		}
	}
	return dnswire.RCodeSuccess
}

func sameSet(a, b []dnswire.RR) bool {
	has := func(set []dnswire.RR, rr dnswire.RR) bool {
		for _, o := range set {
			if sameRData(o.Data, rr.Data) {
				return true
			}
		}
		return false
	}
	for _, rr := range a {
		if !has(b, rr) {
			return false
		}
	}
	for _, rr := range b {
		if !has(a, rr) {
			return false
		}
	}
	return true
}

// prescan applies RFC 2136 3.4.1 to the update section.
func prescan(z *Zone, upd []dnswire.RR) dnswire.RCode {
	for i := range upd {
		rr := &upd[i]
		if !rr.Name.IsSubdomainOf(z.origin) {
			return dnswire.RCodeNotZone
		}
		switch rr.Class {
		case dnswire.ClassINET:
			if rr.Type == dnswire.TypeANY || isMeta(rr.Type) || rr.Data == nil {
				return dnswire.RCodeFormatError
			}
		case dnswire.ClassANY:
			if rr.TTL != 0 || rr.Data != nil || isMeta(rr.Type) {
				return dnswire.RCodeFormatError
			}
		case dnswire.ClassNONE:
			if rr.TTL != 0 || rr.Type == dnswire.TypeANY || isMeta(rr.Type) || rr.Data == nil {
				return dnswire.RCodeFormatError
			}
		default:
			return dnswire.RCodeFormatError
		}
	}
	return dnswire.RCodeSuccess
}

// applyUpdate applies the update section to a copy of z (RFC 2136
// 3.4.2) and returns the new zone and the change, or nil when nothing
// changed. The result is validated as a loaded zone is; a zone that would
// break the rules is refused whole.
func applyUpdate(z *Zone, upd []dnswire.RR) (*Zone, *change, dnswire.RCode) {
	nz := z.clone()
	ch := &change{oldSOA: z.soa}
	apex := z.origin
	soaSet := false
	for i := range upd {
		rr := upd[i].Clone()
		switch rr.Class {
		case dnswire.ClassINET:
			if rr.Type == dnswire.TypeSOA {
				// RFC 2136 3.4.2.2: only at the apex, only with a larger
				// serial (RFC 1982).
				if !rr.Name.Equal(apex) || !serialGreater(rr.Data.(*dnswire.SOA).Serial, nz.soa.Data.(*dnswire.SOA).Serial) {
					continue
				}
				old := nz.removeSet(apex, dnswire.TypeSOA)
				ch.del = append(ch.del, old...)
				rr.Name = nz.soa.Name
				nz.add(rr)
				nz.soa = rr
				ch.add = append(ch.add, rr)
				soaSet = true
				continue
			}
			hasCNAME := nz.set(rr.Name, dnswire.TypeCNAME) != nil
			if rr.Type == dnswire.TypeCNAME && nz.inUse(rr.Name) && !hasCNAME {
				continue // RFC 2136 3.4.2.2: CNAME onto other data is ignored
			}
			if rr.Type != dnswire.TypeCNAME && hasCNAME {
				continue
			}
			if rr.Type == dnswire.TypeCNAME && hasCNAME {
				ch.del = append(ch.del, nz.removeSet(rr.Name, dnswire.TypeCNAME)...)
			}
			// A record with the same data replaces the old (new TTL).
			for _, o := range nz.set(rr.Name, rr.Type) {
				if sameRData(o.Data, rr.Data) {
					if o.TTL == rr.TTL {
						goto next
					}
					nz.remove(o)
					ch.del = append(ch.del, o)
					break
				}
			}
			nz.add(rr)
			ch.add = append(ch.add, rr)
		case dnswire.ClassANY:
			if rr.Type == dnswire.TypeANY {
				// RFC 2136 3.4.2.3: at the apex, SOA and NS stay.
				n := nz.node(rr.Name)
				if n == nil {
					continue
				}
				var types []dnswire.Type
				for _, s := range n.sets {
					if rr.Name.Equal(apex) && (s.typ == dnswire.TypeSOA || s.typ == dnswire.TypeNS) {
						continue
					}
					types = append(types, s.typ)
				}
				for _, t := range types {
					ch.del = append(ch.del, nz.removeSet(rr.Name, t)...)
				}
				continue
			}
			if rr.Name.Equal(apex) && (rr.Type == dnswire.TypeSOA || rr.Type == dnswire.TypeNS) {
				continue
			}
			ch.del = append(ch.del, nz.removeSet(rr.Name, rr.Type)...)
		case dnswire.ClassNONE:
			if rr.Type == dnswire.TypeSOA {
				continue
			}
			if rr.Name.Equal(apex) && rr.Type == dnswire.TypeNS && len(nz.set(apex, dnswire.TypeNS)) <= 1 {
				continue // RFC 2136 3.4.2.4: never delete the last apex NS
			}
			rr.Class = dnswire.ClassINET
			for _, o := range nz.set(rr.Name, rr.Type) {
				if sameRData(o.Data, rr.Data) {
					nz.remove(o)
					ch.del = append(ch.del, o)
					break
				}
			}
		}
	next:
	}
	if len(ch.add) == 0 && len(ch.del) == 0 {
		return nil, nil, dnswire.RCodeSuccess
	}
	if !soaSet {
		// RFC 2136 3.6: the serial goes up with every change (RFC 1982
		// addition; 0 is skipped as some software treats it specially).
		serial := nz.soa.Data.(*dnswire.SOA).Serial + 1
		if serial == 0 {
			serial = 1
		}
		newSOA := withSerial(nz.soa, serial)
		nz.removeSet(apex, dnswire.TypeSOA)
		nz.add(newSOA)
		nz.soa = newSOA
		ch.del = append([]dnswire.RR{ch.oldSOA}, ch.del...)
		ch.add = append(ch.add, newSOA)
	}
	ch.newSOA = nz.soa
	if err := nz.finish(); err != nil {
		return nil, nil, dnswire.RCodeRefused
	}
	// IXFR order: drop the SOAs from the lists; they frame the change.
	ch.del = dropSOA(ch.del)
	ch.add = dropSOA(ch.add)
	return nz, ch, dnswire.RCodeSuccess
}

func dropSOA(rrs []dnswire.RR) []dnswire.RR {
	out := rrs[:0]
	for _, rr := range rrs {
		if rr.Type != dnswire.TypeSOA {
			out = append(out, rr)
		}
	}
	return out
}
