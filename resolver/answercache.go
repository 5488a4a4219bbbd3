package resolver

import (
	"bytes"
	"hash/maphash"
	"net/netip"

	"github.com/relaykit/relaykit/dnswire"
)

// Prepacked answers, as Unbound keeps them: a UDP answer that fastAnswer
// built from the cache is kept in wire form, and the next query that is
// the same octets but for its ID gets a copy with its ID and the TTLs
// patched, instead of being parsed, looked up and built again.
//
// The key is the whole query after the ID: flags (RD, CD, AD), the
// counts, the question, and the OPT record with its UDP size, version,
// DO bit and options. fastAnswer's answer depends on nothing else but
// the client address (checked on every hit) and the cache, so a
// prepacked answer is what fastAnswer would build, octet for octet, as
// long as the cache has not changed since (cache.gen counts every put,
// drop and flush), no record in it has expired, and the clock has not
// gone back. Otherwise the answer is built again. Each UDP reader
// goroutine has its own table, so hits take no lock.
//
// The key keeps the case of the question name. Unbound patches a 0x20
// client's name into the answer, but our Builder compresses a name only
// against the same octets, so the answer's compression (and the case a
// CNAME or MX target comes out in) depends on the case of the query: a
// query in another case is a different key, built afresh, and a name in
// mixed case is not kept at all (see packedKey).

const (
	// packedSlots is the size of each reader's direct-mapped table.
	packedSlots = 1024
	// packedMaxQuery and packedMaxAnswer bound what is kept: longer
	// queries (large EDNS options) and answers go the usual way.
	packedMaxQuery  = 512
	packedMaxAnswer = 1232
	// packedMaxRRs is the most answer and authority records whose TTLs
	// are patched.
	packedMaxRRs = 16
)

// ttlPatch is where one record's TTL sits in a prepacked answer and
// which entry's expiry it counts down to.
type ttlPatch struct {
	off   uint16
	entry uint8
}

type packedAnswer struct {
	key    []byte // query after the ID
	resp   []byte
	gen    uint64
	at     int64 // when packed, on the resolver's clock
	expire int64 // the earliest expiry of the entries used
	ents   [9]*entry
	nents  int
	ttls   [packedMaxRRs]ttlPatch
	nttls  int
}

// packedAnswers is one reader's table of prepacked answers.
type packedAnswers struct {
	seed  maphash.Seed
	slots []packedAnswer
	key   []byte // scratch
}

func newPackedAnswers() *packedAnswers {
	return &packedAnswers{seed: maphash.MakeSeed(), slots: make([]packedAnswer, packedSlots),
		key: make([]byte, 0, packedMaxQuery)}
}

// answerUDP answers a UDP query from the table or, failing that, through
// fastAnswer, keeping what it builds; ok false means neither could (the
// query needs respond). dst is the buffer to answer into.
func (s *Server) answerUDP(pk *packedAnswers, query []byte, client netip.Addr, dst []byte) (out []byte, ok bool) {
	key, nameEnd, ok := packedKey(pk.key[:0], query)
	if !ok {
		return s.fastAnswer(query, client, false, dst, nil)
	}
	pk.key = key
	slot := &pk.slots[maphash.Bytes(pk.seed, key)%packedSlots]
	r := s.cfg.Resolver
	now := r.now()
	if len(slot.resp) > 0 && slot.gen == r.cache.gen.Load() && now < slot.expire && now >= slot.at &&
		bytes.Equal(slot.key, key) && s.cfg.Validator == nil && s.allowed(client) {
		out = append(dst, slot.resp...)
		out[0], out[1] = query[0], query[1]
		for _, t := range slot.ttls[:slot.nttls] {
			ttl := slot.ents[t.entry].remaining(now)
			out[t.off], out[t.off+1], out[t.off+2], out[t.off+3] = byte(ttl>>24), byte(ttl>>16), byte(ttl>>8), byte(ttl)
		}
		for _, e := range slot.ents[:slot.nents] {
			if !e.ref.Load() {
				e.ref.Store(true) // a hit, for the cache's CLOCK eviction
			}
		}
		return out, true
	}
	gen := r.cache.gen.Load() // before the lookups: a change during them spoils the answer
	var used fastUsed
	out, ok = s.fastAnswer(query, client, false, dst, &used)
	if ok {
		slot.pack(key, out, nameEnd, gen, &used)
	}
	return out, ok
}

// pack keeps resp in the slot if its records can be matched to the
// entries used (not truncated, every record accounted for).
func (a *packedAnswer) pack(key, resp []byte, nameEnd int, gen uint64, used *fastUsed) {
	a.resp, a.key = a.resp[:0], a.key[:0] // empty until packed whole
	if len(resp) > packedMaxAnswer || len(resp) < dnswire.HeaderLen || resp[2]&0x02 != 0 /* TC */ {
		return
	}
	an := int(resp[6])<<8 | int(resp[7])
	ns := int(resp[8])<<8 | int(resp[9])
	want := 0
	for _, e := range used.chain[:used.n] {
		want += len(e.data)
	}
	wantNS := 0
	if used.soa != nil {
		wantNS = 1
	}
	if an != want || ns != wantNS || an+ns > packedMaxRRs {
		return
	}
	// Walk the records after the question (one question, whose name
	// ends at nameEnd as in the query) for their TTL offsets.
	off := nameEnd + 4
	a.nents, a.nttls = 0, 0
	a.expire = int64(^uint64(0) >> 1)
	for _, e := range used.chain[:used.n] {
		a.ents[a.nents] = e
		a.expire = min(a.expire, e.expire)
		for range e.data {
			var ok bool
			if off, ok = a.addTTL(resp, off, a.nents); !ok {
				return
			}
		}
		a.nents++
	}
	if used.soa != nil {
		a.ents[a.nents] = used.soa
		a.expire = min(a.expire, used.soa.expire)
		if _, ok := a.addTTL(resp, off, a.nents); !ok {
			return
		}
		a.nents++
	}
	a.key = append(a.key[:0], key...)
	a.resp = append(a.resp[:0], resp...)
	a.gen, a.at = gen, used.now
}

// addTTL records the TTL of the record at off in resp and returns the
// offset of the next record.
func (a *packedAnswer) addTTL(resp []byte, off, ent int) (int, bool) {
	// The owner: labels ending in the root label or a pointer.
	for {
		if off >= len(resp) {
			return 0, false
		}
		l := int(resp[off])
		if l&0xC0 == 0xC0 {
			off += 2
			break
		}
		if l&0xC0 != 0 {
			return 0, false
		}
		off += 1 + l
		if l == 0 {
			break
		}
	}
	// Type, class, TTL, RDLENGTH, RDATA.
	if off+10 > len(resp) {
		return 0, false
	}
	ttlAt := off + 4
	off += 10 + (int(resp[off+8])<<8 | int(resp[off+9]))
	if off > len(resp) || a.nttls == packedMaxRRs {
		return 0, false
	}
	a.ttls[a.nttls] = ttlPatch{off: uint16(ttlAt), entry: uint8(ent)}
	a.nttls++
	return off, true
}

// packedKey appends the key of query to dst: the query after its ID;
// nameEnd is where the question name ends. ok is false for a query too
// short or long, whose question name is not plain labels, or whose name
// mixes upper and lower case: such a query takes the usual path.
//
// A name in mixed case is most likely from a 0x20 client (RFC 5452 9.1
// suggests it to resolvers), whose next query for the same name comes
// in another case: keeping its answer would cost a copy per query and
// serve none.
func packedKey(dst, query []byte) (key []byte, nameEnd int, ok bool) {
	if len(query) < dnswire.HeaderLen+5 || len(query) > packedMaxQuery {
		return dst, 0, false
	}
	var upper, lower bool
	for i := dnswire.HeaderLen; ; {
		if i >= len(query) {
			return dst, 0, false
		}
		l := int(query[i])
		if l == 0 {
			nameEnd = i + 1
			break
		}
		if l > 63 || i+1+l > len(query) {
			return dst, 0, false
		}
		for _, c := range query[i+1 : i+1+l] {
			switch {
			case 'a' <= c && c <= 'z':
				lower = true
			case 'A' <= c && c <= 'Z':
				upper = true
			}
		}
		i += 1 + l
	}
	if upper && lower {
		return dst, 0, false
	}
	return append(dst, query[2:]...), nameEnd, true
}
