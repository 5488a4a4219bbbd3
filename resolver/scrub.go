package resolver

import (
	"github.com/relaykit/relaykit/dnswire"
)

// maxChainInMsg bounds the CNAME hops followed inside one response.
const maxChainInMsg = 16

// scrubbed is a response with everything the resolver will not trust
// removed (after Unbound's iter_scrub.c):
//   - answer: only the records for the name asked (of the type asked) or
//     the CNAME chain starting there, each owned by a name in the
//     bailiwick (the zone the server was asked as a server of);
//   - authority: only NS and SOA records owned by the bailiwick or below
//     it and at or above the last name of the chain;
//   - additional: only A and AAAA records for the name servers named by
//     the kept NS records, and only within the bailiwick (in-bailiwick
//     glue, RFC 2181 5.4.1's "additional data" rank at best).
//
// Every record must be of class IN.
type scrubbed struct {
	answer, authority, additional []RR
	// last is the last name of the answer's CNAME chain (qn if none);
	// data reports that the answer holds records of the type asked at
	// last; cname that qn starts a chain.
	last  dnswire.Name
	data  bool
	cname bool
	// nsOwner is the owner of the kept NS records, if any.
	nsOwner dnswire.Name
	hasNS   bool
	soa     *RR
	loop    bool // the chain loops back on itself
	yx      bool // a DNAME substitution was too long (RFC 6672 2.2)
	// own counts the leading answer records owned by the name asked
	// (the data or the first CNAME); the rest is the chain beyond it.
	own   int
	qtype dnswire.Type
	rcode dnswire.RCode
}

// maxSectionRRs bounds the records of each section the resolver looks
// at; a 64 KiB TCP response could carry thousands. Legitimate responses
// are far below it.
const maxSectionRRs = 512

func firstN(rrs []RR) []RR {
	if len(rrs) > maxSectionRRs {
		return rrs[:maxSectionRRs]
	}
	return rrs
}

func scrub(m *dnswire.Msg, zone, qn dnswire.Name, qt dnswire.Type) *scrubbed {
	s := &scrubbed{last: qn, qtype: qt, rcode: m.Header.RCode}
	answer, authority, additional := firstN(m.Answer), firstN(m.Ns), firstN(m.Extra)
	cur := qn
	for hop := 0; hop <= maxChainInMsg; hop++ {
		var next dnswire.Name
		found, alias := false, false
		if d, ok := findDNAME(answer, cur, zone); ok {
			// RFC 6672 3.4: the resolver synthesises the CNAME from
			// the DNAME itself; a CNAME sent beside it for cur is
			// not trusted (it may not match).
			target, err := synthesise(cur, d.Name, d.Data.(*dnswire.DNAME).Target)
			s.answer = append(s.answer, d)
			if hop == 0 {
				s.cname = true
			}
			s.last = cur
			if err != nil {
				s.yx = true
				break
			}
			s.answer = append(s.answer, RR{RRHeader: dnswire.RRHeader{Name: cur, Type: dnswire.TypeCNAME, Class: dnswire.ClassINET, TTL: d.TTL},
				Data: &dnswire.CNAME{Target: target}})
			if hop == 0 {
				s.own = len(s.answer)
			}
			if looped(s.answer[:len(s.answer)-1], target) || target.Equal(cur) {
				s.loop = true
				break
			}
			cur = target
			continue
		}
		for i := range answer {
			rr := &answer[i]
			if rr.Class != dnswire.ClassINET || !rr.Name.Equal(cur) || !rr.Name.IsSubdomainOf(zone) {
				continue
			}
			switch {
			// RFC 1034 4.3.2 3a: a CNAME is followed only when the
			// type asked does not match it; for CNAME and ANY it is
			// the data.
			case rr.Type == qt || qt == dnswire.TypeANY:
				if rr.Data != nil {
					s.answer = append(s.answer, *rr)
					found = true
				}
			case rr.Type == dnswire.TypeCNAME && !alias:
				// RFC 2181 10.1: one CNAME per name; the first wins.
				if c, ok := rr.Data.(*dnswire.CNAME); ok {
					s.answer = append(s.answer, *rr)
					next, alias = c.Target, true
				}
			}
		}
		s.last = cur
		if found {
			s.data = true
			// Data and a CNAME at one name cannot both be right
			// (RFC 1034 3.6.2); keep the data.
			if alias {
				s.answer = dropType(s.answer, cur, dnswire.TypeCNAME)
			}
			if hop == 0 {
				s.own = len(s.answer)
			}
			break
		}
		if !alias {
			break
		}
		if hop == 0 {
			s.cname = true
			s.own = len(s.answer)
		}
		if looped(s.answer, next) {
			s.loop = true
			break
		}
		cur = next
	}

	// Authority: NS and SOA at or above the last name, within bailiwick.
	for i := range authority {
		rr := &authority[i]
		if rr.Class != dnswire.ClassINET || !rr.Name.IsSubdomainOf(zone) || !s.last.IsSubdomainOf(rr.Name) {
			continue
		}
		switch rr.Data.(type) {
		case *dnswire.NS:
			if rr.Type != dnswire.TypeNS {
				continue
			}
			if s.hasNS && !rr.Name.Equal(s.nsOwner) {
				// Keep only the deepest NS owner.
				if !rr.Name.IsSubdomainOf(s.nsOwner) {
					continue
				}
				s.authority = dropType(s.authority, s.nsOwner, dnswire.TypeNS)
			}
			s.nsOwner, s.hasNS = rr.Name, true
			s.authority = append(s.authority, *rr)
		case *dnswire.SOA:
			if rr.Type != dnswire.TypeSOA || s.soa != nil {
				continue
			}
			s.authority = append(s.authority, *rr)
			c := *rr
			s.soa = &c
		}
	}
	// Additional: in-bailiwick addresses of the kept name servers.
	hosts := s.hostSet()
	for i := range additional {
		rr := &additional[i]
		if rr.Class != dnswire.ClassINET || (rr.Type != dnswire.TypeA && rr.Type != dnswire.TypeAAAA) {
			continue
		}
		var kb [dnswire.MaxNameLen + 2]byte
		if rr.Data == nil || !rr.Name.IsSubdomainOf(zone) || !hosts[string(appendKey(kb[:0], rr.Name, 0))] {
			continue
		}
		s.additional = append(s.additional, *rr)
	}
	return s
}

// findDNAME returns the DNAME record in answer owned by a proper
// ancestor of name within zone (RFC 6672 2.3: a DNAME redirects the
// names below its owner, not the owner itself).
func findDNAME(answer []RR, name, zone dnswire.Name) (RR, bool) {
	for i := range answer {
		rr := &answer[i]
		if rr.Type != dnswire.TypeDNAME || rr.Class != dnswire.ClassINET || rr.Name.Equal(name) ||
			!name.IsSubdomainOf(rr.Name) || !rr.Name.IsSubdomainOf(zone) {
			continue
		}
		if _, ok := rr.Data.(*dnswire.DNAME); ok {
			return *rr, true
		}
	}
	return RR{}, false
}

// synthesise replaces the suffix owner of name by target (RFC 6672
// 2.2); an error means the result is longer than 255 octets.
func synthesise(name, owner, target dnswire.Name) (dnswire.Name, error) {
	out := target
	for i := name.NumLabels() - owner.NumLabels() - 1; i >= 0; i-- {
		var err error
		if out, err = out.Child(name.Label(i)); err != nil {
			return dnswire.Name{}, err
		}
	}
	return out, nil
}

// hostSet returns the kept NS hosts as cache-style keys (type 0).
func (s *scrubbed) hostSet() map[string]bool {
	set := make(map[string]bool)
	var kb [dnswire.MaxNameLen + 2]byte
	for i := range s.authority {
		if ns, ok := s.authority[i].Data.(*dnswire.NS); ok {
			set[string(appendKey(kb[:0], ns.Host, 0))] = true
		}
	}
	return set
}

// nsHosts returns the name server names of the kept NS records.
func (s *scrubbed) nsHosts() []dnswire.Name {
	var out []dnswire.Name
	for i := range s.authority {
		if ns, ok := s.authority[i].Data.(*dnswire.NS); ok {
			out = append(out, ns.Host)
		}
	}
	return out
}

func dropType(rrs []RR, owner dnswire.Name, t dnswire.Type) []RR {
	out := rrs[:0]
	for _, rr := range rrs {
		if rr.Type == t && rr.Name.Equal(owner) {
			continue
		}
		out = append(out, rr)
	}
	return out
}

// looped reports whether name already owns a record in the chain.
func looped(chain []RR, name dnswire.Name) bool {
	for i := range chain {
		if chain[i].Name.Equal(name) {
			return true
		}
	}
	return false
}
