package imap

import (
	"fmt"
	"strings"
	"testing"
)

func (b *memBackend) openCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.opens
}

// TestCache: ENVELOPE, header sections and SEARCH by header read a
// message once, in any session of the user; the body still comes from
// the store; a message whose size changed under the same UID (a store
// breaking RFC 9051 2.3.1.1) is read again; CacheSize < 0 turns it off.
func TestCache(t *testing.T) {
	ts := startServer(t, nil)
	ts.be.deliver("INBOX", msg1)
	ts.be.deliver("INBOX", msg2)
	env1 := `* 1 FETCH (ENVELOPE ("Tue, 5 Mar 2024 10:00:00 +0000" "Hello Bob" (("Alice" NIL "alice" "crepes.fr")) (("Alice" NIL "alice" "crepes.fr")) (("Alice" NIL "alice" "crepes.fr")) ((NIL NIL "bob" "hamburger.edu")) NIL NIL NIL "<1@crepes.fr>"))`
	c, _ := ts.dial(t)
	c.do("a1", "LOGIN bob secret")
	c.do("a2", "EXAMINE INBOX")
	c.check("a3", "FETCH 1 ENVELOPE", env1, "a3 OK FETCH completed")
	if n := ts.be.openCount(); n != 1 {
		t.Fatalf("%d opens after the first ENVELOPE", n)
	}
	d, _ := ts.dial(t)
	d.do("b1", "LOGIN bob secret")
	d.do("b2", "EXAMINE INBOX")
	d.check("b3", "FETCH 1 ENVELOPE", env1, "b3 OK FETCH completed")
	d.check("b4", "FETCH 1 BODY.PEEK[HEADER.FIELDS (SUBJECT)]",
		"* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {22}", "Subject: Hello Bob", "", ")", "b4 OK FETCH completed")
	d.check("b5", `SEARCH SUBJECT "hello"`, "* SEARCH 1", "b5 OK SEARCH completed")
	if n := ts.be.openCount(); n != 2 {
		t.Fatalf("%d opens, want 2 (message 2 read once by SEARCH)", n)
	}
	d.check("b6", `SEARCH SUBJECT "lunch"`, "* SEARCH 2", "b6 OK SEARCH completed")
	d.check("b7", "FETCH 1 BODY.PEEK[TEXT]", "* 1 FETCH (BODY[TEXT] {14}", "How are you?", ")", "b7 OK FETCH completed")
	if n := ts.be.openCount(); n != 3 {
		t.Fatalf("%d opens, want 3 (BODY[TEXT] reads the message)", n)
	}

	// Same UID, other octets: the size check catches it.
	ts.be.mu.Lock()
	ts.be.boxes["INBOX"].msgs[0].data = []byte(strings.Replace(msg1, "Hello Bob", "Bye Bob", 1))
	ts.be.mu.Unlock()
	d.do("b9", "NOOP")
	d.check("b8", "FETCH 1 BODY.PEEK[HEADER.FIELDS (SUBJECT)]",
		"* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {20}", "Subject: Bye Bob", "", ")", "b8 OK FETCH completed")

	off := startServer(t, func(s *Server) { s.CacheSize = -1 })
	off.be.deliver("INBOX", msg1)
	e, _ := off.dial(t)
	e.do("c1", "LOGIN bob secret")
	e.do("c2", "EXAMINE INBOX")
	for i := range 3 {
		e.do(fmt.Sprint("d", i), "FETCH 1 ENVELOPE")
	}
	if n := off.be.openCount(); n != 3 {
		t.Fatalf("%d opens without a cache, want 3", n)
	}
}

// TestCacheBound: the cache stays within its byte bound.
func TestCacheBound(t *testing.T) {
	c := &msgCache{m: map[cacheKey]*msgInfo{}, max: 64 << 10}
	for i := range 1000 {
		c.put(cacheKey{"u", "INBOX", 1, uint32(i)}, &msgInfo{header: make([]byte, 500)})
		if c.bytes > c.max {
			t.Fatalf("after %d entries: %d bytes > %d", i+1, c.bytes, c.max)
		}
	}
	if len(c.m) == 0 {
		t.Fatal("cache empty")
	}
}
