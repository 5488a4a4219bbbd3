package resolver

import (
	"unsafe"

	"github.com/relaykit/relaykit/dnswire"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"
)

// rank orders cached data by trust, RFC 2181 5.4.1: data from a less
// trusted source never replaces unexpired data from a more trusted one.
// Higher is more trusted.
type rank uint8

const (
	// RFC 2181 5.4.1: "Data from the additional information section of
	// a reply" (glue and other additional data), the least trusted.
	rankAdditional rank = iota + 1
	// "Data from the authority section of a non-authoritative answer",
	// the NS RRsets of referrals.
	rankAuthorityNonAuth
	// "Data from the answer section of a non-authoritative answer".
	rankAnswerNonAuth
	// RFC 2181's "data from the authority section of an authoritative
	// answer" has no rank of its own: the resolver never caches it
	// (see storeResponse), so it cannot replace a delegation.
	// "The authoritative data included in the answer section of an
	// authoritative reply", the most trusted (after zone data, which a
	// resolver has none of).
	rankAnswerAuth
)

// entryKind tells what a cache entry says about its key.
type entryKind uint8

const (
	kindPositive entryKind = iota + 1 // an RRset
	kindNXDomain                      // RFC 2308 5: name does not exist (any type)
	kindNoData                        // RFC 2308 5: no RRset of this type
	kindServFail                      // RFC 9520: resolution failed recently
)

// entry is one cached item. It is immutable once stored (except for the
// CLOCK reference bit), so readers use it without copying.
type entry struct {
	key  string
	kind entryKind
	rank rank
	// synth marks a CNAME synthesised from a DNAME (RFC 6672 3.4): it
	// is answered only together with that DNAME, found in the cache at
	// an ancestor of its owner.
	synth bool
	// val is a validated outcome (Config.DNSSEC), under its own key.
	val *validatedOutcome
	// data is a positive entry's RRset: the owner, type and class come
	// from the key (class IN only), the TTL from expire.
	data []dnswire.RData
	// soa is a negative entry's SOA record (RFC 2308 6), TTL as stored.
	soa    *RR
	reason error // kindServFail: why
	ttl    uint32
	// stored and expire are Unix nanoseconds on the resolver's clock;
	// staleUntil >= expire is when serve-stale gives up (RFC 8767).
	stored, expire, staleUntil int64
	size                       int
	slot                       int
	ref                        atomic.Bool
}

// remaining returns the TTL left at now, in seconds, rounded down.
func (e *entry) remaining(now int64) uint32 {
	if now >= e.expire {
		return 0
	}
	return uint32((e.expire - now) / int64(time.Second))
}

const cacheShards = 32

// entryOverhead approximates the bytes an entry costs beyond its key and
// records: the entry itself, the map slot and the ring slot.
const entryOverhead = 200

// cache is a sharded, memory-bounded map from (name, type) to entries.
// Each shard evicts with the CLOCK algorithm (second chance): a hit sets
// the entry's reference bit under the read lock, so hits never take the
// write lock; an insertion over budget sweeps the ring, clearing bits and
// evicting the first entry found unreferenced (or expired).
type cache struct {
	seed   maphash.Seed
	shards [cacheShards]shard
	// gen counts changes (put, drop, flush); a prepacked answer
	// (answercache.go) is good only while it is unchanged.
	gen atomic.Uint64
}

type shard struct {
	mu       sync.RWMutex
	m        map[string]*entry
	ring     []*entry
	free     []int
	hand     int
	bytes    int
	maxBytes int
}

func newCache(maxBytes int) *cache {
	c := &cache{seed: maphash.MakeSeed()}
	per := maxBytes / cacheShards
	if per < 4096 {
		per = 4096
	}
	for i := range c.shards {
		c.shards[i].m = make(map[string]*entry)
		c.shards[i].maxBytes = per
	}
	return c
}

func (c *cache) shard(key []byte) *shard {
	return &c.shards[maphash.Bytes(c.seed, key)%cacheShards]
}

// get returns the entry for key (see cacheKey) or nil. Expired entries are
// returned too (for serve-stale); callers check expire. It does not
// allocate.
func (c *cache) get(key []byte) *entry {
	s := c.shard(key)
	s.mu.RLock()
	e := s.m[string(key)]
	s.mu.RUnlock()
	if e != nil && !e.ref.Load() {
		e.ref.Store(true)
	}
	return e
}

// put stores e under e.key unless a more trusted unexpired entry is
// there (RFC 2181 5.4.1). It reports whether e was stored.
func (c *cache) put(e *entry, now int64) bool {
	e.size = entryOverhead + len(e.key) + dataSize(e.data)
	if e.soa != nil {
		e.size += int(unsafe.Sizeof(*e.soa)) + int(unsafe.Sizeof(dnswire.SOA{}))
	}
	if e.val != nil {
		e.size += int(unsafe.Sizeof(*e.val))
		for _, rrs := range [][]RR{e.val.o.rrs, e.val.o.sigs, e.val.o.proof} {
			e.size += len(rrs) * int(unsafe.Sizeof(RR{}))
			for _, rr := range rrs {
				e.size += dataSize([]dnswire.RData{rr.Data})
			}
		}
		if e.val.o.soa != nil {
			e.size += int(unsafe.Sizeof(*e.val.o.soa)) + int(unsafe.Sizeof(dnswire.SOA{}))
		}
	}
	s := c.shard([]byte(e.key))
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.m[e.key]; old != nil {
		if old.expire > now && !replaces(e, old) {
			return false
		}
		e.slot = old.slot
		s.ring[e.slot] = e
		s.bytes += e.size - old.size
		s.m[e.key] = e
		s.evict(now, e)
		c.gen.Add(1)
		return true
	}
	if n := len(s.free); n > 0 {
		e.slot = s.free[n-1]
		s.free = s.free[:n-1]
		s.ring[e.slot] = e
	} else {
		e.slot = len(s.ring)
		s.ring = append(s.ring, e)
	}
	s.m[e.key] = e
	s.bytes += e.size
	s.evict(now, e)
	c.gen.Add(1)
	return true
}

// replaces reports whether the new entry n may replace the unexpired old.
func replaces(n, old *entry) bool {
	switch {
	case old.kind == kindServFail:
		return true // any real answer beats a cached failure
	case n.kind == kindServFail:
		return false // a failure never hides good data (RFC 8767 too)
	}
	return n.rank >= old.rank
}

// evict removes entries until the shard is within its budget, never
// removing keep.
func (s *shard) evict(now int64, keep *entry) {
	for sweeps := 0; s.bytes > s.maxBytes && sweeps < 2*len(s.ring)+2; sweeps++ {
		if s.hand >= len(s.ring) {
			s.hand = 0
		}
		e := s.ring[s.hand]
		s.hand++
		if e == nil || e == keep {
			continue
		}
		if e.ref.Load() && e.staleUntil > now {
			e.ref.Store(false) // second chance
			continue
		}
		s.remove(e)
	}
}

func (s *shard) remove(e *entry) {
	delete(s.m, e.key)
	s.ring[e.slot] = nil
	s.free = append(s.free, e.slot)
	s.bytes -= e.size
}

// stats returns the number of entries and the approximate bytes used.
func (c *cache) stats() (entries, bytes int) {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		entries += len(s.m)
		bytes += s.bytes
		s.mu.RUnlock()
	}
	return entries, bytes
}

// flush empties the cache.
func (c *cache) flush() {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		s.m = make(map[string]*entry)
		s.ring, s.free, s.hand, s.bytes = nil, nil, 0, 0
		c.gen.Add(1)
		s.mu.Unlock()
	}
}

// dataSize approximates the memory held by an RRset's data.
func dataSize(d []dnswire.RData) int {
	n := 16 * len(d)
	for _, x := range d {
		switch v := x.(type) {
		case *dnswire.A:
			n += int(unsafe.Sizeof(*v))
		case *dnswire.AAAA:
			n += int(unsafe.Sizeof(*v))
		case *dnswire.TXT:
			n += int(unsafe.Sizeof(*v))
			for _, s := range v.Strings {
				n += 24 + len(s)
			}
		case *dnswire.Unknown:
			n += int(unsafe.Sizeof(*v)) + len(v.Data)
		default:
			// Name-carrying types (NS, CNAME, MX, SRV, PTR, SOA) hold
			// a fixed-size Name.
			n += int(unsafe.Sizeof(dnswire.Name{})) + 16
		}
	}
	return n
}

// drop removes the entry for key, if any.
func (c *cache) drop(key []byte) {
	s := c.shard(key)
	s.mu.Lock()
	if e := s.m[string(key)]; e != nil {
		s.remove(e)
		c.gen.Add(1)
	}
	s.mu.Unlock()
}
