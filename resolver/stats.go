package resolver

import (
	"net/netip"
	"sync/atomic"

	"github.com/relaykit/relaykit/dnswire"
)

// Stats are a resolver's counters since New, for a user to read or
// export (as unbound-control stats does). Every field only grows.
type Stats struct {
	// QueriesUDP and QueriesTCP count queries sent upstream (to
	// authoritative servers, or to Config.Forwarders), per transport;
	// a retry over TCP after TC counts in both.
	QueriesUDP, QueriesTCP uint64
	// Timeouts counts upstream queries that got no answer in time.
	Timeouts uint64
	// CacheHits counts questions answered without any upstream query;
	// CacheMisses those that needed at least one (or failed to).
	CacheHits, CacheMisses uint64
	// LameMarked counts the times a server was marked lame for a zone
	// (answered without authority, or referred upwards).
	LameMarked uint64
	// Answers counts the answers given to callers of Resolve (and the
	// lookups built on it) by RCODE: index 0 NOERROR (NODATA too),
	// 2 SERVFAIL, 3 NXDOMAIN, 6 YXDOMAIN.
	Answers [16]uint64
}

// stats holds the live counters.
type stats struct {
	udp, tcp, timeouts, hits, misses, lame atomic.Uint64
	answers                                [16]atomic.Uint64
}

// answer counts one answer with rcode rc, from the cache or not.
func (s *stats) answer(rc dnswire.RCode, fromCache bool) {
	s.answers[rc&15].Add(1)
	if fromCache {
		s.hits.Add(1)
	} else {
		s.misses.Add(1)
	}
}

// Stats returns a snapshot of the counters. Each field is read
// atomically; the snapshot as a whole is not taken at one instant.
func (r *Resolver) Stats() Stats {
	s := &r.stats
	out := Stats{
		QueriesUDP:  s.udp.Load(),
		QueriesTCP:  s.tcp.Load(),
		Timeouts:    s.timeouts.Load(),
		CacheHits:   s.hits.Load(),
		CacheMisses: s.misses.Load(),
		LameMarked:  s.lame.Load(),
	}
	for i := range s.answers {
		out.Answers[i] = s.answers[i].Load()
	}
	return out
}

// markLame marks srv lame for zone and counts it.
func (r *Resolver) markLame(srv netip.AddrPort, zone string) {
	r.infra.setLame(srv, zone, r.now())
	r.stats.lame.Add(1)
}
