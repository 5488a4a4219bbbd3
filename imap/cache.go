package imap

import (
	"bytes"
	"sync"
	"time"

	"github.com/relaykit/relaykit/rfc5322"
)

// DefaultCacheSize is the default of Server.CacheSize.
const DefaultCacheSize = 64 << 20

// cacheKey names one message's octets for as long as IMAP promises they
// do not change: a user's mailbox, its UIDVALIDITY and the UID (RFC 9051
// 2.3.1.1: a UID is never reused for other octets while UIDVALIDITY
// stays).
type cacheKey struct {
	user, mailbox string
	validity, uid uint32
}

// msgInfo is what the server parsed from one message: its header and
// the ENVELOPE made of it. It is never changed once cached (a new
// ENVELOPE form replaces the entry), so sessions read it without a lock.
type msgInfo struct {
	size   int64
	date   time.Time
	header []byte          // the header with the empty line that ends it
	hdr    *rfc5322.Header // as far as it parsed
	hdrErr bool            // it did not parse whole: ENVELOPE is all NIL
	env    [2][]byte       // ENVELOPE: [0] for IMAP4rev1 clients, [1] UTF-8
}

// cost is an estimate of the entry's memory, for the cache's bound.
func (e *msgInfo) cost() int64 {
	n := int64(len(e.header)+len(e.env[0])+len(e.env[1])) + 160
	if e.hdr != nil {
		n += int64(e.hdr.Len()) * 48
	}
	return n + int64(len(e.header)) // fields keep their own copy of the name
}

// msgCache keeps msgInfo across sessions and commands, so FETCH
// ENVELOPE and SEARCH by header read no file for a message seen before
// (what Dovecot keeps in dovecot.index.cache). Bounded by bytes; when
// full it drops arbitrary entries (Go's map order) down to three
// quarters.
type msgCache struct {
	mu    sync.Mutex
	m     map[cacheKey]*msgInfo
	bytes int64
	max   int64
}

// get returns the cached entry for k if it describes m (the size and
// internal date guard against a store that reuses UIDs).
func (c *msgCache) get(k cacheKey, m *Message) *msgInfo {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	e := c.m[k]
	c.mu.Unlock()
	if e == nil || e.size != m.Size || !e.date.Equal(m.InternalDate) {
		return nil
	}
	return e
}

func (c *msgCache) put(k cacheKey, e *msgInfo) {
	if c == nil || e.cost() > c.max/8 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[k]; old != nil {
		c.bytes -= old.cost()
	}
	c.m[k] = e
	c.bytes += e.cost()
	if c.bytes > c.max {
		for key, v := range c.m {
			delete(c.m, key)
			c.bytes -= v.cost()
			if c.bytes <= c.max/4*3 {
				break
			}
		}
	}
}

// cache returns the server's message cache, nil when disabled.
func (s *Server) cache() *msgCache {
	s.cacheOnce.Do(func() {
		size := s.CacheSize
		if size == 0 {
			size = DefaultCacheSize
		}
		if size > 0 {
			s.msgCache = &msgCache{m: map[cacheKey]*msgInfo{}, max: size}
		}
	})
	return s.msgCache
}

// info returns the parsed header of m, from the cache or from msg (read
// here when nil: the header alone when the mailbox is a HeaderReader).
func (ss *session) info(m *Message, msg []byte) (*msgInfo, error) {
	c := ss.c.srv.cache()
	k := cacheKey{ss.userName, ss.mboxName, ss.snap.UIDValidity, m.UID}
	if ss.snap.UIDValidity == 0 {
		c = nil
	}
	if e := c.get(k, m); e != nil {
		return e, nil
	}

	if msg == nil {
		var err error
		if hr, ok := ss.mbox.(HeaderReader); ok {
			msg, err = hr.ReadHeader(ss.ctx, m.UID)
		} else {
			msg, err = ss.load(m)
		}
		if err != nil {
			return nil, err
		}
	}
	h, _ := splitMessage(msg)
	e := &msgInfo{size: m.Size, date: m.InternalDate, header: bytes.Clone(h)}
	var err error
	e.hdr, _, err = rfc5322.ParseHeader(e.header)
	e.hdrErr = err != nil
	if e.hdr == nil {
		e.hdr = &rfc5322.Header{}
	}
	c.put(k, e)
	return e, nil
}

// envelope returns m's ENVELOPE text for this session's client.
func (ss *session) envelope(m *Message, e *msgInfo) []byte {
	u := 0
	if ss.utf8 {
		u = 1
	}
	if env := e.env[u]; env != nil {
		return env
	}
	ne := *e
	hdr := e.hdr
	if e.hdrErr {
		hdr = &rfc5322.Header{}
	}
	ne.env[u] = appendEnvelopeHeader(nil, hdr, ss.utf8)
	if c := ss.c.srv.cache(); c != nil && ss.snap.UIDValidity != 0 {
		c.put(cacheKey{ss.userName, ss.mboxName, ss.snap.UIDValidity, m.UID}, &ne)
	}
	return ne.env[u]
}
