package resolver

import (
	"sync"
	"time"
)

// maxKeyStates bounds the zone states a key cache holds.
const maxKeyStates = 20000

// keyCache keeps what the validations of one Resolver learnt about zones
// (verified DNSKEYs, insecure delegations, names proved to be no zone
// cut) until their TTL runs out, so the DS and DNSKEY RRsets along a
// delegation path are fetched and verified once, not for every answer.
// Bogus states are never kept. A nil *keyCache keeps nothing.
type keyCache struct {
	mu sync.Mutex
	m  map[string]keyState
}

type keyState struct {
	z      *zoneState
	expire time.Time
}

func newKeyCache() *keyCache { return &keyCache{m: make(map[string]keyState)} }

func (c *keyCache) get(key string, now time.Time) (*zoneState, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.m[key]
	if !ok || !now.Before(s.expire) {
		return nil, false
	}
	return s.z, true
}

func (c *keyCache) put(key string, z *zoneState, now time.Time) {
	if c == nil || z.ttl == 0 || z.sec == Bogus {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxKeyStates {
		for k, s := range c.m {
			if !now.Before(s.expire) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= maxKeyStates {
			clear(c.m)
		}
	}
	c.m[key] = keyState{z: z, expire: now.Add(time.Duration(z.ttl) * time.Second)}
}

func (c *keyCache) flush() {
	if c == nil {
		return
	}
	c.mu.Lock()
	clear(c.m)
	c.mu.Unlock()
}
