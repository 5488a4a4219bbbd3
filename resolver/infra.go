package resolver

import (
	"math/rand/v2"
	"net/netip"
	"sync"
	"time"
)

// Server selection, after Unbound's infra cache (RFC 6298 RTT estimation
// applied to DNS): each server address has a smoothed RTT and variance;
// its retransmission timeout (RTO) is srtt + 4*rttvar; a timeout doubles
// the RTO (exponential backoff); an unknown server starts at
// unknownRTO. The resolver picks at random among the servers whose RTO is
// within rttBand of the best, so a fast server is preferred without
// starving the others of probes.
const (
	// unknownRTO is the RTO of a server never heard from; Unbound's
	// UNKNOWN_SERVER_NICENESS is 376 ms.
	unknownRTO = 376 * time.Millisecond
	// minRTO bounds the RTO below so a fast loopback server is still
	// given a fair chance to answer.
	minRTO = 50 * time.Millisecond
	// maxRTO bounds the exponential backoff (RFC 6298 2.5 allows a
	// maximum of at least 60 s; a resolver cannot wait that long).
	maxRTO = 12 * time.Second
	// rttBand: servers within this of the best are picked at random
	// (Unbound's RTT_BAND is 400 ms).
	rttBand = 400 * time.Millisecond
	// deadAfter consecutive timeouts mark a server dead for DeadTime.
	deadAfter = 3
	// maxInfra bounds the number of servers remembered.
	maxInfra = 1 << 16
)

type serverInfo struct {
	srtt, rttvar time.Duration
	rto          time.Duration
	known        bool
	timeouts     int   // consecutive
	deadUntil    int64 // unix ns
	noEDNS       bool  // answered FORMERR/NOTIMP to EDNS (RFC 6891 7)
	no0x20       bool  // does not echo the question's case
	expire       int64 // forget everything at this time
}

type lameKey struct {
	addr netip.AddrPort
	zone string // lower-case presentation form
}

// infra remembers what the resolver learned about each server address.
type infra struct {
	mu       sync.Mutex
	servers  map[netip.AddrPort]*serverInfo
	lame     map[lameKey]int64 // until, unix ns
	deadTime time.Duration
	lameTime time.Duration
	infoTTL  time.Duration
}

func newInfra(deadTime, lameTime time.Duration) *infra {
	return &infra{
		servers:  make(map[netip.AddrPort]*serverInfo),
		lame:     make(map[lameKey]int64),
		deadTime: deadTime,
		lameTime: lameTime,
		infoTTL:  15 * time.Minute, // Unbound's infra-host-ttl is 900 s
	}
}

func (in *infra) get(a netip.AddrPort, now int64) *serverInfo {
	s := in.servers[a]
	if s != nil && now > s.expire {
		s = nil
	}
	if s == nil {
		if len(in.servers) >= maxInfra {
			for k := range in.servers { // drop an arbitrary one
				delete(in.servers, k)
				break
			}
		}
		s = &serverInfo{rto: unknownRTO}
		in.servers[a] = s
	}
	s.expire = now + int64(in.infoTTL)
	return s
}

// timeout returns the time to wait for a's answer.
func (in *infra) timeout(a netip.AddrPort, now int64) time.Duration {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.get(a, now).rto
}

// rtt records an answer from a after d (RFC 6298 2.2 and 2.3).
func (in *infra) rtt(a netip.AddrPort, d time.Duration, now int64) {
	in.mu.Lock()
	defer in.mu.Unlock()
	s := in.get(a, now)
	if !s.known {
		s.srtt, s.rttvar, s.known = d, d/2, true
	} else {
		diff := s.srtt - d
		if diff < 0 {
			diff = -diff
		}
		s.rttvar = (3*s.rttvar + diff) / 4 // beta = 1/4
		s.srtt = (7*s.srtt + d) / 8        // alpha = 1/8
	}
	s.rto = min(max(s.srtt+4*s.rttvar, minRTO), maxRTO)
	s.timeouts = 0
	s.deadUntil = 0
}

// timedOut records that a did not answer within its RTO: back off
// (RFC 6298 5.5) and after deadAfter timeouts in a row mark it dead.
func (in *infra) timedOut(a netip.AddrPort, now int64) {
	in.mu.Lock()
	defer in.mu.Unlock()
	s := in.get(a, now)
	s.rto = min(2*s.rto, maxRTO)
	s.timeouts++
	if s.timeouts >= deadAfter {
		s.deadUntil = now + int64(in.deadTime)
	}
}

func (in *infra) setNoEDNS(a netip.AddrPort, now int64) {
	in.mu.Lock()
	in.get(a, now).noEDNS = true
	in.mu.Unlock()
}

func (in *infra) setNo0x20(a netip.AddrPort, now int64) {
	in.mu.Lock()
	in.get(a, now).no0x20 = true
	in.mu.Unlock()
}

// flags returns whether a must be asked without EDNS and without 0x20.
func (in *infra) flags(a netip.AddrPort, now int64) (noEDNS, no0x20 bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	s := in.get(a, now)
	return s.noEDNS, s.no0x20
}

// setLame remembers that a is not authoritative for zone.
func (in *infra) setLame(a netip.AddrPort, zone string, now int64) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if len(in.lame) >= maxInfra {
		for k := range in.lame {
			delete(in.lame, k)
			break
		}
	}
	in.lame[lameKey{a, zone}] = now + int64(in.lameTime)
}

// pick chooses the next server to ask among cands, skipping those in
// tried. It prefers servers neither dead nor lame for zone; if all the
// untried ones are, it returns one of them anyway (the dead mark may be
// stale) unless onlyGood is set. ok is false when nothing is left.
func (in *infra) pick(cands []netip.AddrPort, tried map[netip.AddrPort]bool, zone string, now int64, onlyGood bool) (a netip.AddrPort, ok bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	best := time.Duration(1<<62 - 1)
	var bad []netip.AddrPort
	var good []netip.AddrPort
	var rtos []time.Duration
	for _, c := range cands {
		if tried[c] {
			continue
		}
		s := in.get(c, now)
		if until, l := in.lame[lameKey{c, zone}]; l && until > now || s.deadUntil > now {
			bad = append(bad, c)
			continue
		}
		good = append(good, c)
		rtos = append(rtos, s.rto)
		best = min(best, s.rto)
	}
	if len(good) == 0 {
		if onlyGood || len(bad) == 0 {
			return netip.AddrPort{}, false
		}
		return bad[rand.IntN(len(bad))], true
	}
	n := 0
	for i, c := range good {
		if rtos[i] <= best+rttBand {
			good[n] = c
			n++
		}
	}
	return good[rand.IntN(n)], true
}

// lameCount returns how many (server, zone) pairs are marked lame.
func (in *infra) lameCount() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return len(in.lame)
}
