package dkim

import "sync"

// maxCachedKeyRecord is the longest key record text a KeyCache keeps: an
// 8192-bit RSA key (the largest a Verifier accepts) takes about 1,400
// characters of base64.
const maxCachedKeyRecord = 4096

// KeyCache keeps parsed key records, keyed by the exact text of the TXT
// record each was parsed from, so that a Verifier that meets the same key
// again skips decoding the base64 and parsing the public key. It is safe
// for concurrent use by several Verifiers, and its zero value is a cache
// of 1,024 records.
//
// The cache never answers a DNS question: the key record is still looked
// up through the Verifier's TXTResolver for every signature, so the
// resolver's TTLs decide when a record is fetched again, and a record
// that changed (a rotated key, or a revoked one with an empty p=) is new
// text, parsed afresh. Records that fail to parse are not kept, nor are
// records longer than 4,096 bytes.
//
// The *KeyRecord in a Result comes from the cache when it is on and is
// shared between Results: treat it as read-only.
type KeyCache struct {
	// Size is the most records kept; zero means 1,024.
	Size int

	mu       sync.Mutex
	cur, old map[string]*KeyRecord
}

// parse returns the parsed record for txt, from the cache when it is
// there. A nil cache parses every time.
func (c *KeyCache) parse(txt string) (*KeyRecord, error) {
	if c == nil || len(txt) > maxCachedKeyRecord {
		return ParseKeyRecord(txt)
	}
	c.mu.Lock()
	k, ok := c.cur[txt]
	if !ok {
		if k, ok = c.old[txt]; ok {
			c.add(txt, k)
		}
	}
	c.mu.Unlock()
	if ok {
		return k, nil
	}
	// Parse outside the lock: two goroutines may parse the same new
	// record at once, which costs a little work and is harmless.
	k, err := ParseKeyRecord(txt)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.add(txt, k)
	c.mu.Unlock()
	return k, nil
}

// add stores k under txt; c.mu is held. The cache has two generations
// of at most Size/2 records each: when the current one is full it
// becomes the old one and the old one is dropped, so records in use stay
// (a hit in the old generation moves the record to the current one) and
// at most Size records are held.
func (c *KeyCache) add(txt string, k *KeyRecord) {
	half := c.Size / 2
	if c.Size <= 0 {
		half = 512
	}
	half = max(half, 1)
	if len(c.cur) >= half {
		c.old, c.cur = c.cur, nil
	}
	if c.cur == nil {
		c.cur = make(map[string]*KeyRecord, min(half, 64))
	}
	c.cur[txt] = k
}

// Len returns the number of records the cache holds.
func (c *KeyCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(c.cur)
	for txt := range c.old {
		if _, dup := c.cur[txt]; !dup {
			n++
		}
	}
	return n
}
