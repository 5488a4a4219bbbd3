package zone

import (
	"bytes"

	"github.com/relaykit/relaykit/dnswire"
)

// Catalog zones (RFC 9432): a zone whose records list other zones, so a
// secondary learns from its primary which zones to serve.

// catalogMembers reads the member zones of catalog z (RFC 9432 4): the
// PTR at <unique-id>.zones.<catalog> names a member. ok is false when
// the catalog's schema version (the TXT at version.<catalog>) is not
// "2", which a consumer must not process (RFC 9432 4.2).
func catalogMembers(z *Zone) (members map[dnswire.Name]dnswire.Name, ok bool) {
	version, err := z.origin.Child("version")
	if err != nil {
		return nil, false
	}
	txt := z.set(version, dnswire.TypeTXT)
	if len(txt) != 1 || string(bytes.Join(txt[0].Data.(*dnswire.TXT).Strings, nil)) != "2" {
		return nil, false
	}
	zones, err := z.origin.Child("zones")
	if err != nil {
		return nil, false
	}
	members = make(map[dnswire.Name]dnswire.Name)
	for _, rr := range z.Records() { // canonical order: the first ID wins
		if rr.Type != dnswire.TypePTR || rr.Name.NumLabels() != zones.NumLabels()+1 || !rr.Name.IsSubdomainOf(zones) {
			continue
		}
		// RFC 9432 4.1: a member's PTR RRset holds one record; one
		// with more is broken and ignored.
		if len(z.set(rr.Name, dnswire.TypePTR)) != 1 {
			continue
		}
		m := rr.Data.(*dnswire.PTR).Target.Lower()
		if _, dup := members[m]; dup || !m.IsAbsolute() {
			continue // RFC 9432 4.1: a zone is a member once
		}
		members[m] = rr.Name.Lower()
	}
	return members, true
}

// syncCatalog follows the members catalog z lists now and stops
// following those it no longer lists; a member whose unique ID changed
// is reset (RFC 9432 5.6: removed and transferred afresh).
func (s *Server) syncCatalog(f *follower, z *Zone) {
	members, ok := catalogMembers(z)
	if !ok {
		s.logDebug("zone: catalog version not 2: ignored (RFC 9432 4.2)", "zone", z.origin)
		return
	}
	for m, id := range f.members {
		if nid, still := members[m]; !still || !nid.Equal(id) {
			s.logDebug("zone: catalog member removed", "catalog", z.origin, "zone", m)
			if err := s.RemoveSecondary(m); err == nil {
				delete(f.members, m)
			}
		}
	}
	if f.members == nil {
		f.members = make(map[dnswire.Name]dnswire.Name)
	}
	for m, id := range members {
		if _, have := f.members[m]; have {
			continue
		}
		sec := Secondary{Origin: m, Primary: f.cfg.Primary, Key: f.cfg.Key, Timeout: f.cfg.Timeout,
			OnRefresh: f.cfg.OnRefresh}
		if err := s.AddSecondary(sec); err != nil {
			// Followed already on its own (or the server is closing):
			// the catalog leaves it alone.
			s.logDebug("zone: catalog member not added", "catalog", z.origin, "zone", m, "err", err)
			continue
		}
		s.logDebug("zone: catalog member added", "catalog", z.origin, "zone", m)
		f.members[m] = id
	}
}
