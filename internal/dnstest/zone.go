package dnstest

import (
	"strings"

	"github.com/relaykit/relaykit/dnswire"
)

// zone is one zone's data, served authoritatively.
type zone struct {
	origin dnswire.Name
	rrs    []dnswire.RR
	soa    *dnswire.RR
}

func newZone(origin string, text string) (*zone, error) {
	o, err := dnswire.ParseName(origin)
	if err != nil {
		return nil, err
	}
	if !o.IsAbsolute() {
		if o, err = o.Absolute(dnswire.Root()); err != nil {
			return nil, err
		}
	}
	rrs, err := dnswire.ReadZone(strings.NewReader(text), dnswire.ZoneConfig{Origin: o, TTL: 3600})
	if err != nil {
		return nil, err
	}
	z := &zone{origin: o, rrs: rrs}
	for i := range rrs {
		if rrs[i].Type == dnswire.TypeSOA && rrs[i].Name.Equal(o) {
			z.soa = &rrs[i]
		}
	}
	return z, nil
}

// at returns the records owned by n of type t (any type if t is 0).
func (z *zone) at(n dnswire.Name, t dnswire.Type) []dnswire.RR {
	var out []dnswire.RR
	for _, rr := range z.rrs {
		if rr.Name.Equal(n) && (t == 0 || rr.Type == t) {
			out = append(out, rr)
		}
	}
	return out
}

// exists reports whether n owns records or has descendants (an empty
// non-terminal, RFC 8020).
func (z *zone) exists(n dnswire.Name) bool {
	for _, rr := range z.rrs {
		if rr.Name.IsSubdomainOf(n) {
			return true
		}
	}
	return false
}

// dname returns the DNAME record owned by a proper ancestor of n
// within the zone (the highest one), if any.
func (z *zone) dname(n dnswire.Name) (dnswire.RR, bool) {
	for k := z.origin.NumLabels(); k < n.NumLabels(); k++ {
		if d := z.at(n.Ancestor(k), dnswire.TypeDNAME); len(d) > 0 {
			return d[0], true
		}
	}
	return dnswire.RR{}, false
}

// Synthesise returns name with its suffix owner replaced by target
// (RFC 6672 2.2), or an error when the result is too long.
func Synthesise(name, owner, target dnswire.Name) (dnswire.Name, error) {
	out := target
	for i := name.NumLabels() - owner.NumLabels() - 1; i >= 0; i-- {
		var err error
		if out, err = out.Child(name.Label(i)); err != nil {
			return dnswire.Name{}, err
		}
	}
	return out, nil
}

// emptyNonTerminal reports whether n owns no records of the zone but
// has names below it, with no zone cut at or above it.
func (z *zone) emptyNonTerminal(n dnswire.Name) bool {
	if _, ok := z.cut(n); ok {
		return false
	}
	return len(z.at(n, 0)) == 0 && z.exists(n)
}

// cut returns the highest delegation point at or above qn (below the
// apex), if any.
func (z *zone) cut(qn dnswire.Name) (dnswire.Name, bool) {
	apex := z.origin.NumLabels()
	for k := apex + 1; k <= qn.NumLabels(); k++ {
		a := qn.Ancestor(k)
		if len(z.at(a, dnswire.TypeNS)) > 0 {
			return a, true
		}
	}
	return dnswire.Name{}, false
}

// answer fills m (a reply to a query for qn/qt) from the zone, as an
// authoritative server does (RFC 1034 4.3.2).
func (z *zone) answer(m *dnswire.Msg, qn dnswire.Name, qt dnswire.Type) {
	if c, ok := z.cut(qn); ok {
		// Referral: the child's NS RRset and glue (RFC 1034 4.3.2 3b).
		m.Authoritative = false
		m.Ns = append(m.Ns, z.at(c, dnswire.TypeNS)...)
		z.glue(m)
		return
	}
	m.Authoritative = true
	cur := qn
	for hop := 0; ; hop++ {
		if hop == 8 {
			// Give the rest of a long chain to the resolver to chase.
			return
		}
		at := qt
		if qt == dnswire.TypeANY {
			at = 0 // RFC 1035 3.2.3: ANY asks for every type
		}
		if rrs := z.at(cur, at); len(rrs) > 0 {
			m.Answer = append(m.Answer, rrs...)
			if qt == dnswire.TypeNS && cur.Equal(z.origin) {
				z.glueFor(m, rrs)
			}
			return
		}
		if d, ok := z.dname(cur); ok {
			// RFC 6672 3.1: the DNAME, then a CNAME synthesised from
			// it (TTL of the DNAME), then on at the new name; a new
			// name too long is YXDOMAIN (RFC 6672 2.2).
			m.Answer = append(m.Answer, d)
			target, err := Synthesise(cur, d.Name, d.Data.(*dnswire.DNAME).Target)
			if err != nil {
				m.RCode = dnswire.RCodeYXDomain
				return
			}
			m.Answer = append(m.Answer, dnswire.RR{RRHeader: dnswire.RRHeader{Name: cur, Type: dnswire.TypeCNAME, Class: dnswire.ClassINET, TTL: d.TTL},
				Data: &dnswire.CNAME{Target: target}})
			cur = target
			if !cur.IsSubdomainOf(z.origin) {
				return
			}
			if _, ok := z.cut(cur); ok {
				return
			}
			continue
		}
		cn := z.at(cur, dnswire.TypeCNAME)
		if len(cn) == 0 || qt == dnswire.TypeCNAME || qt == dnswire.TypeANY {
			break
		}
		// RFC 1034 4.3.2 3a: the CNAME, then restart at its target if
		// it is in this zone.
		m.Answer = append(m.Answer, cn[0])
		cur = cn[0].Data.(*dnswire.CNAME).Target
		if !cur.IsSubdomainOf(z.origin) {
			return
		}
		if _, ok := z.cut(cur); ok {
			return
		}
	}
	if !z.exists(cur) {
		m.RCode = dnswire.RCodeNameError
	}
	if z.soa != nil {
		m.Ns = append(m.Ns, *z.soa)
	}
}

// glue adds the addresses of the name servers in m.Ns that the zone has.
func (z *zone) glue(m *dnswire.Msg) { z.glueFor(m, m.Ns) }

func (z *zone) glueFor(m *dnswire.Msg, nsset []dnswire.RR) {
	for _, ns := range nsset {
		h, ok := ns.Data.(*dnswire.NS)
		if !ok {
			continue
		}
		m.Extra = append(m.Extra, z.at(h.Host, dnswire.TypeA)...)
		m.Extra = append(m.Extra, z.at(h.Host, dnswire.TypeAAAA)...)
	}
}
