package dnstest

import (
	"context"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// Clock is a simulated clock for deterministic tests: it moves only when
// Advance is called, and the in-process Transport advances it by each
// exchange's round trip, or by the timeout of one that gets no answer.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock reading start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the simulated time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Transport answers queries in process, without sockets, from the
// hierarchy's servers and through their faults; it has the shape of
// resolver.Transport, so a resolver given it (with the hierarchy's
// Clock as its Now) runs retries, timeouts and TTL expiry in simulated
// time. A query to an address no server has, or whose answer is
// dropped, late (round trip plus Fault.Delay beyond the timeout) or does
// not match the query (RFC 5452 9.1), costs the timeout.
type Transport struct{ h *Hierarchy }

// Transport returns the hierarchy's in-process transport.
func (h *Hierarchy) Transport() *Transport { return &Transport{h: h} }

// Exchange sends query to server over network ("udp" or "tcp") and
// returns the answer.
func (t *Transport) Exchange(ctx context.Context, network string, server netip.AddrPort, query []byte, timeout time.Duration) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	h := t.h
	var s *Server
	for _, x := range h.servers {
		if x.Addr == server {
			s = x
		}
	}
	advance := func(d time.Duration) {
		if h.clock != nil {
			h.clock.Advance(d)
		}
	}
	if s == nil {
		advance(timeout)
		return nil, os.ErrDeadlineExceeded
	}
	tcp := network == "tcp"
	if !tcp {
		s.logQuery("udp", query, netip.AddrPort{})
	}
	resp := s.Handle(query, tcp, nil)
	if resp != nil && tcp {
		s.logQuery("tcp", resp, netip.AddrPort{})
	}
	out := faulted{resp: resp}
	if f := s.fault(); resp != nil && !f.none() {
		out = apply(&f, resp, tcp)
	}
	rtt := h.rtt + out.delay
	if out.drop || out.resp == nil || rtt > timeout || !matches(query, out.resp) {
		// A client ignores a mismatched answer and waits on.
		advance(timeout)
		return nil, os.ErrDeadlineExceeded
	}
	advance(rtt)
	return out.resp, nil
}

// matches checks the ID and question of resp against query.
func matches(query, resp []byte) bool {
	if len(query) < 12 || len(resp) < 12 || query[0] != resp[0] || query[1] != resp[1] {
		return false
	}
	var pq, pr dnswire.Parser
	if _, err := pq.Start(query); err != nil {
		return false
	}
	if _, err := pr.Start(resp); err != nil {
		return false
	}
	qq, err1 := pq.Question()
	rq, err2 := pr.Question()
	return err1 == nil && err2 == nil && qq.Name.Equal(rq.Name) && qq.Type == rq.Type && qq.Class == rq.Class
}
