// Package dnstest runs a DNS hierarchy for tests: root, TLD and
// authoritative servers, each on its own 127.0.0.x address, serving zones
// given as text, with faults on demand (drop, delay, lame, SERVFAIL,
// truncate, spoof from another port, wrong ID, no EDNS, no 0x20).
//
// A Hierarchy works two ways. In process (New, then Transport): queries
// are answered by function call with a simulated Clock, so a resolver
// test is deterministic and takes no real time. On loopback (New, then
// Listen): every server listens on UDP and TCP at its address and one
// shared port, for tests of the real transport, the examples and
// interop.
package dnstest

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// Config describes a hierarchy.
type Config struct {
	// Zones maps each zone's origin ("." for the root, "com.",
	// "example.com.") to its text in master-file form (RFC 1035 5, read
	// by dnswire.ReadZone with that origin and a default TTL of 3600).
	Zones map[string]string
	// Servers maps an IPv4 loopback address ("127.0.0.2") to the origins
	// of the zones it serves. An origin listed here but missing from
	// Zones is an error; a server may serve several zones (and then
	// answers from the deepest one that contains the name).
	Servers map[string][]string
	// RTT is the simulated round trip of an in-process exchange.
	// Default 1 ms.
	RTT time.Duration
	// Start is the simulated clock's initial time. Default 2026-01-01
	// 00:00 UTC.
	Start time.Time
}

// Hierarchy is a set of servers. Create it with New.
type Hierarchy struct {
	// Clock is the simulated clock the in-process Transport advances.
	Clock *Clock

	servers []*Server
	byAddr  map[netip.Addr]*Server
	rtt     time.Duration
	port    uint16
	wg      sync.WaitGroup
}

// New builds the hierarchy's servers without opening sockets.
func New(cfg Config) (*Hierarchy, error) {
	start := cfg.Start
	if start.IsZero() {
		start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	h := &Hierarchy{Clock: NewClock(start), byAddr: make(map[netip.Addr]*Server), rtt: cfg.RTT, port: 53}
	if h.rtt <= 0 {
		h.rtt = time.Millisecond
	}
	zones := make(map[string]*zone)
	for origin, text := range cfg.Zones {
		z, err := newZone(origin, text)
		if err != nil {
			return nil, fmt.Errorf("dnstest: zone %s: %w", origin, err)
		}
		zones[z.origin.Lower().String()] = z
	}
	addrs := make([]string, 0, len(cfg.Servers))
	for a := range cfg.Servers {
		addrs = append(addrs, a)
	}
	sort.Strings(addrs)
	for _, as := range addrs {
		a, err := netip.ParseAddr(as)
		if err != nil || !a.Is4() || !a.IsLoopback() {
			return nil, fmt.Errorf("dnstest: server address %q is not an IPv4 loopback address", as)
		}
		s := &Server{Addr: netip.AddrPortFrom(a, h.port)}
		for _, o := range cfg.Servers[as] {
			n, err := dnswire.ParseName(o)
			if err != nil {
				return nil, fmt.Errorf("dnstest: server %s: %w", as, err)
			}
			if !n.IsAbsolute() {
				n, _ = n.Absolute(dnswire.Root())
			}
			z := zones[n.Lower().String()]
			if z == nil {
				return nil, fmt.Errorf("dnstest: server %s serves %s, which has no zone text", as, o)
			}
			s.zones = append(s.zones, z)
		}
		h.servers = append(h.servers, s)
		h.byAddr[a] = s
	}
	return h, nil
}

// Listen opens UDP and TCP sockets for every server at one port chosen
// for the whole hierarchy and starts serving. Close stops them.
func (h *Hierarchy) Listen() error {
	if err := h.listen(); err != nil {
		return fmt.Errorf("dnstest: listen: %w", err)
	}
	for _, s := range h.servers {
		s.serve(&h.wg)
	}
	return nil
}

// ListenPort is Listen at a given port (53 for software that only asks
// port 53, such as Unbound).
func (h *Hierarchy) ListenPort(port uint16) error {
	for _, s := range h.servers {
		if err := s.bind(netip.AddrPortFrom(s.Addr.Addr(), port)); err != nil {
			for _, s := range h.servers {
				s.closeSockets()
			}
			return fmt.Errorf("dnstest: listen: %w", err)
		}
	}
	h.port = port
	for _, s := range h.servers {
		s.serve(&h.wg)
	}
	return nil
}

// Close stops the servers (if listening) and waits for them.
func (h *Hierarchy) Close() error {
	for _, s := range h.servers {
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.closeSockets()
	}
	h.wg.Wait()
	return nil
}

// SetZone replaces the data of the zone at origin (as served by every
// server listed for it) with text, as an operator's edit would, e.g. a
// parent removing a delegation. Call it only between in-process
// exchanges, not while the hierarchy listens.
func (h *Hierarchy) SetZone(origin, text string) error {
	nz, err := newZone(origin, text)
	if err != nil {
		return fmt.Errorf("dnstest: zone %s: %w", origin, err)
	}
	found := false
	for _, s := range h.servers {
		for _, z := range s.zones {
			if z.origin.Equal(nz.origin) {
				z.rrs, z.soa, found = nz.rrs, nz.soa, true
			}
		}
	}
	if !found {
		return fmt.Errorf("dnstest: no server serves %s", origin)
	}
	return nil
}

// Port is the port every server listens on (53 until Listen).
func (h *Hierarchy) Port() uint16 { return h.port }

// Server returns the server at addr ("127.0.0.2"), or nil.
func (h *Hierarchy) Server(addr string) *Server {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return nil
	}
	return h.byAddr[a]
}

// Servers returns every server, by address.
func (h *Hierarchy) Servers() []*Server { return append([]*Server(nil), h.servers...) }

// RootHints returns the addresses of the servers that serve the root.
func (h *Hierarchy) RootHints() []netip.AddrPort {
	var out []netip.AddrPort
	for _, s := range h.servers {
		for _, z := range s.zones {
			if z.origin.IsRoot() {
				out = append(out, netip.AddrPortFrom(s.Addr.Addr(), h.port))
			}
		}
	}
	return out
}

// QueryCount returns the number of queries all servers received.
func (h *Hierarchy) QueryCount() int {
	n := 0
	for _, s := range h.servers {
		s.mu.Lock()
		n += len(s.queries)
		s.mu.Unlock()
	}
	return n
}

// ResetQueries forgets every server's queries.
func (h *Hierarchy) ResetQueries() {
	for _, s := range h.servers {
		s.ResetQueries()
	}
}

// Transport returns an in-process transport: it has the method set of
// resolver.Transport and answers each query by calling the addressed
// server directly, advancing Clock by the simulated round trip, or by
// the whole timeout when the server drops the query, is too slow,
// answers with a mismatched ID, or does not exist.
func (h *Hierarchy) Transport() *Transport { return &Transport{h: h} }

// Transport is the in-process transport of a Hierarchy.
type Transport struct{ h *Hierarchy }

// Exchange sends query to server and returns its answer.
func (t *Transport) Exchange(ctx context.Context, network string, server netip.AddrPort, query []byte, timeout time.Duration) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	h := t.h
	s := h.byAddr[server.Addr()]
	if s == nil || server.Port() != h.port {
		h.Clock.Advance(timeout)
		return nil, os.ErrDeadlineExceeded
	}
	out := s.handle(query, network == "tcp", netip.AddrPort{})
	rtt := h.rtt + out.delay
	if out.drop || rtt > timeout || !matches(query, out.resp) {
		// A transport ignores a mismatched answer and waits on.
		h.Clock.Advance(timeout)
		return nil, os.ErrDeadlineExceeded
	}
	h.Clock.Advance(rtt)
	return out.resp, nil
}

// matches checks the ID and question of resp against query (the check
// every transport makes, RFC 5452 9.1).
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
