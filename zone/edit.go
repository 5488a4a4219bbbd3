package zone

import (
	"slices"
	"strconv"

	"github.com/relaykit/relaykit/dnswire"
)

// remove deletes one record (matched by data); it reports whether it was
// there. Empty nodes are left in place; finish prunes them.
func (z *Zone) remove(rr dnswire.RR) bool {
	n := z.node(rr.Name)
	if n == nil {
		return false
	}
	s := n.get(rr.Type)
	if s == nil {
		return false
	}
	z.dirty = true
	for i, o := range s.rrs {
		if sameRData(o.Data, rr.Data) {
			s.rrs = slices.Delete(s.rrs, i, i+1)
			s.wire -= 10 + rdataLen(o)
			z.count--
			if len(s.rrs) == 0 {
				n.sets = slices.DeleteFunc(n.sets, func(x rrset) bool { return x.typ == rr.Type })
			}
			return true
		}
	}
	return false
}

// clone returns a copy of z whose nodes and sets can be changed without
// touching z (the records' data is shared, and never changed in place).
func (z *Zone) clone() *Zone {
	c := *z
	c.nodes = make(map[string]*node, len(z.nodes))
	for k, n := range z.nodes {
		nn := &node{name: n.name, sets: make([]rrset, len(n.sets))}
		for i, s := range n.sets {
			nn.sets[i] = rrset{typ: s.typ, rrs: slices.Clone(s.rrs), wire: s.wire}
		}
		c.nodes[k] = nn
	}
	return &c
}

// removeSet deletes the RRset of type t at name and returns its records.
func (z *Zone) removeSet(name dnswire.Name, t dnswire.Type) []dnswire.RR {
	n := z.node(name)
	if n == nil {
		return nil
	}
	s := n.get(t)
	if s == nil {
		return nil
	}
	out := s.rrs
	z.dirty = true
	z.count -= len(out)
	n.sets = slices.DeleteFunc(n.sets, func(x rrset) bool { return x.typ == t })
	return out
}

// set returns the records of name and type t (shared; do not change).
func (z *Zone) set(name dnswire.Name, t dnswire.Type) []dnswire.RR {
	if n := z.node(name); n != nil {
		if s := n.get(t); s != nil {
			return s.rrs
		}
	}
	return nil
}

// inUse reports whether name owns any record (RFC 2136 2.4.4).
func (z *Zone) inUse(name dnswire.Name) bool {
	n := z.node(name)
	return n != nil && len(n.sets) > 0
}

// serialGreater reports whether a is greater than b in RFC 1982 serial
// number arithmetic (SERIAL_BITS 32).
func serialGreater(a, b uint32) bool {
	return a != b && (a > b && a-b < 1<<31 || a < b && b-a > 1<<31)
}

// withSerial returns a copy of soa with the serial set.
func withSerial(soa dnswire.RR, serial uint32) dnswire.RR {
	d := *soa.Data.(*dnswire.SOA)
	d.Serial = serial
	soa.Data = &d
	return soa
}

// diffZones returns the change from a to b (both of one origin): the
// records of a not in b (same name, type, TTL and data) and of b not in
// a, each in canonical order, and the SOAs of both.
func diffZones(a, b *Zone) *change {
	ch := &change{oldSOA: a.soa, newSOA: b.soa}
	key := func(rr *dnswire.RR) string {
		w, err := dnswire.AppendCanonicalRR(nil, rr, rr.TTL)
		if err != nil {
			return rr.String() + strconv.Itoa(int(rr.TTL))
		}
		return string(w)
	}
	ar, br := a.Records()[1:], b.Records()[1:] // the SOA comes first
	inA := make(map[string]bool, len(ar))
	for i := range ar {
		inA[key(&ar[i])] = true
	}
	inB := make(map[string]bool, len(br))
	for i := range br {
		k := key(&br[i])
		inB[k] = true
		if !inA[k] {
			ch.add = append(ch.add, br[i])
		}
	}
	for i := range ar {
		if !inB[key(&ar[i])] {
			ch.del = append(ch.del, ar[i])
		}
	}
	return ch
}
