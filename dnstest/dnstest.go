// Package dnstest starts a whole DNS hierarchy on loopback for tests, the
// way net/http/httptest starts an HTTP server: root, TLD and leaf zones
// given as master-file text, each served by a zone.Server on its own
// 127.x address, all on one port, ready for a resolver pointed at the
// root.
//
// Which address serves which zone comes from the zones themselves: the
// name servers of each zone (its apex NS records) are looked up among the
// address records of all the zones (glue included), and every such
// address must be in 127.0.0.0/8. One server runs per address and serves
// every zone whose name servers have that address, and any more that
// Config.Servers gives it (for a server only a parent's delegation
// names, or a lame one).
//
// Since real glue carries no port, all servers listen on the same port
// (chosen free at start): give a resolver RootHints() and Port() as its
// glue port, and set resolver.Config.AllowSpecialAddrs, since a resolver
// does not otherwise send queries to loopback addresses.
//
// With Config.Sign set, every zone is signed (DNSSEC, RFC 4035) before
// it is served, the DS records of each signed child are put in its
// parent (below the delegation) before the parent is signed, and
// TrustAnchor returns the root's DS: a validator given that anchor and
// Query sees a chain of trust from the root to every signed zone, and
// insecure delegations to the zones listed in Sign.Unsigned.
//
// Servers can misbehave on demand (Server.SetFault): drop, delay or
// truncate answers, answer lame (REFUSED), SERVFAIL, with a wrong ID or
// question, without EDNS or 0x20, as a recursive server, with forged
// records, or race a spoofed datagram ahead of the real one; each keeps
// a log of the queries it got (Server.Queries). Besides the sockets,
// Hierarchy.Transport answers in process (resolver.Transport's shape)
// and advances a simulated Clock by a round trip per exchange, or by the
// timeout when no usable answer comes, so retry and expiry tests run
// deterministically in no real time.
package dnstest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnswire"
	"github.com/relaykit/relaykit/zone"
)

// Config describes a hierarchy.
type Config struct {
	// Zones maps each zone's origin (".", "edu.", "hamburger.edu.") to
	// its text in master-file form; relative names are completed from
	// the origin, and a record without a TTL gets TTL (or 3600).
	Zones map[string]string
	// TTL is the default TTL (default 3600).
	TTL uint32
	// Port, when non-zero, is the port every server listens on (53 for
	// tools that cannot be told a port; needs privileges). Zero picks a
	// free one.
	Port uint16
	// Setup, when set, is called for each server before it starts, to
	// set fields such as Keys, UpdatePolicy or JournalDir.
	Setup func(addr netip.Addr, s *zone.Server)
	// Sign, when set, signs the zones (DNSSEC) before serving them.
	Sign *Signing
	// Clock, when set, is the servers' clock (zone.Server.Now, for
	// TSIG and rate limits), the signer's (unless Sign.Now is set), and
	// the one Transport advances.
	Clock *Clock
	// RTT is the round trip Transport charges each exchange (default
	// 1 ms).
	RTT time.Duration
	// Servers, when set, adds servers the NS records do not give: each
	// address ("127.0.0.9", in 127.0.0.0/8) serves the zones listed (by
	// origin as in Zones) besides any its NS records give it. It is for
	// shapes a hierarchy built from the zones' own NS records cannot
	// take: a server only the parent's delegation names, or one that a
	// delegation names but that serves another zone (a referral loop,
	// lame). An address that serves the root is a root hint.
	Servers map[string][]string
}

// Signing says how the hierarchy's zones are signed.
type Signing struct {
	// Keys gives the signing keys of some zones, by origin as in
	// Config.Zones; every other zone gets a new Ed25519 key that signs
	// everything (a CSK).
	Keys map[string][]zone.SigningKey
	// Unsigned lists zones (by origin) left unsigned; their parents
	// publish no DS for them, which makes them provably insecure.
	Unsigned []string
	// NSEC3, when set, gives every zone an NSEC3 chain with these
	// parameters instead of an NSEC chain.
	NSEC3 *dnswire.NSEC3PARAM
	// Now is the clock the signatures' validity starts from (default
	// time.Now); they are valid from an hour before it for Validity
	// (default 14 days).
	Now      func() time.Time
	Validity time.Duration
}

// Server is one server of the hierarchy. Its zone.Server serves on
// sockets dnstest binds, so that SetFault can make it misbehave.
type Server struct {
	// Addr is where it listens (UDP and TCP).
	Addr netip.AddrPort
	// Origins are the zones it serves.
	Origins []dnswire.Name
	*zone.Server

	f faults
}

// Hierarchy is a running set of servers; Close stops them.
type Hierarchy struct {
	servers []*Server
	port    uint16
	root    []netip.AddrPort
	anchor  []dnswire.RR
	keys    map[dnswire.Name][]zone.SigningKey
	clock   *Clock
	rtt     time.Duration
}

// New starts the hierarchy for a test and stops it when the test ends;
// an error fails the test.
func New(tb testing.TB, cfg Config) *Hierarchy {
	tb.Helper()
	h, err := Start(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { h.Close() })
	return h
}

// Start starts the hierarchy; the caller must Close it.
func Start(cfg Config) (*Hierarchy, error) {
	ttl := cfg.TTL
	if ttl == 0 {
		ttl = 3600
	}
	var all []*zone.Zone
	for origin, text := range cfg.Zones {
		o, err := dnswire.ParseName(origin)
		if err != nil || !o.IsAbsolute() {
			return nil, fmt.Errorf("dnstest: zone origin %q must be an absolute name", origin)
		}
		z, err := zone.Parse(strings.NewReader(text), o, zone.LoadConfig{TTL: ttl, File: origin})
		if err != nil {
			return nil, fmt.Errorf("dnstest: %w", err)
		}
		all = append(all, z)
	}
	if len(all) == 0 {
		return nil, errors.New("dnstest: no zones")
	}
	var sg *signed
	if cfg.Sign != nil {
		sign := *cfg.Sign
		if sign.Now == nil && cfg.Clock != nil {
			sign.Now = cfg.Clock.Now
		}
		var err error
		if sg, err = signAll(all, &sign, ttl); err != nil {
			return nil, err
		}
		all = sg.zones
	}
	slices.SortFunc(all, func(a, b *zone.Zone) int { return a.Origin().Compare(b.Origin()) })
	// Every address record of every zone, by lower-cased owner.
	addrs := make(map[dnswire.Name][]netip.Addr)
	for _, z := range all {
		for _, rr := range z.Records() {
			if a, ok := rr.Data.(*dnswire.A); ok {
				k := rr.Name.Lower()
				if !slices.Contains(addrs[k], a.Addr) {
					addrs[k] = append(addrs[k], a.Addr)
				}
			}
		}
	}
	byAddr := make(map[netip.Addr][]*zone.Zone)
	var order []netip.Addr
	var root []netip.Addr
	// serve makes the server at a serve z (an address serving the root
	// is a root hint).
	serve := func(a netip.Addr, z *zone.Zone) {
		if !slices.Contains(byAddr[a], z) {
			if byAddr[a] == nil {
				order = append(order, a)
			}
			byAddr[a] = append(byAddr[a], z)
		}
		if z.Origin().IsRoot() && !slices.Contains(root, a) {
			root = append(root, a)
		}
	}
	for _, z := range all {
		found := false
		for _, rr := range z.Records() {
			ns, ok := rr.Data.(*dnswire.NS)
			if !ok || !rr.Name.Equal(z.Origin()) {
				continue
			}
			for _, a := range addrs[ns.Host.Lower()] {
				if !a.IsLoopback() || !a.Is4() {
					return nil, fmt.Errorf("dnstest: zone %s: name server %s has address %s, not in 127.0.0.0/8", z.Origin(), ns.Host, a)
				}
				serve(a, z)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("dnstest: zone %s: no address for any of its name servers", z.Origin())
		}
	}
	for _, as := range slices.Sorted(maps.Keys(cfg.Servers)) {
		a, err := netip.ParseAddr(as)
		if err != nil || !a.IsLoopback() || !a.Is4() {
			return nil, fmt.Errorf("dnstest: Config.Servers: address %q is not in 127.0.0.0/8", as)
		}
		for _, origin := range cfg.Servers[as] {
			i := -1
			if o, err := dnswire.ParseName(origin); err == nil {
				i = slices.IndexFunc(all, func(z *zone.Zone) bool { return z.Origin().Equal(o) })
			}
			if i < 0 {
				return nil, fmt.Errorf("dnstest: Config.Servers: %s serves %q, which is not in Zones", as, origin)
			}
			serve(a, all[i])
		}
	}
	if len(root) == 0 {
		return nil, errors.New("dnstest: no root zone (\".\")")
	}
	var lastErr error
	for try := 0; try < 20; try++ {
		h, err := listen(cfg, order, byAddr)
		if err == nil {
			for _, a := range root {
				h.root = append(h.root, netip.AddrPortFrom(a, h.port))
			}
			if sg != nil {
				h.anchor, h.keys = sg.anchor, sg.keys
			}
			return h, nil
		}
		lastErr = err
		if cfg.Port != 0 {
			break
		}
	}
	return nil, fmt.Errorf("dnstest: %w", lastErr)
}

// listen binds every address on one port (the first one's, picked free).
func listen(cfg Config, order []netip.Addr, byAddr map[netip.Addr][]*zone.Zone) (*Hierarchy, error) {
	h := &Hierarchy{port: cfg.Port, clock: cfg.Clock, rtt: cfg.RTT}
	if h.rtt == 0 {
		h.rtt = time.Millisecond
	}
	for _, a := range order {
		s := &zone.Server{}
		if cfg.Clock != nil {
			s.Now = cfg.Clock.Now
		}
		if cfg.Setup != nil {
			cfg.Setup(a, s)
		}
		srv := &Server{Server: s}
		for _, z := range byAddr[a] {
			if err := s.AddZone(z); err != nil {
				h.Close()
				return nil, err
			}
			srv.Origins = append(srv.Origins, z.Origin())
		}
		if err := srv.listen(net.JoinHostPort(a.String(), strconv.Itoa(int(h.port)))); err != nil {
			h.Close()
			return nil, err
		}
		h.port = srv.Addr.Port()
		h.servers = append(h.servers, srv)
	}
	return h, nil
}

// listen binds UDP and TCP at addr and serves them through the faults.
func (s *Server) listen(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	pc, err := net.ListenPacket("udp", l.Addr().String())
	if err != nil {
		l.Close()
		return err
	}
	s.Addr = l.Addr().(*net.TCPAddr).AddrPort()
	go s.Serve(&faultListener{Listener: l, s: s})
	go s.ServePacket(&faultPC{PacketConn: pc, s: s})
	return nil
}

// RootHints returns the root servers' addresses, for a resolver.
func (h *Hierarchy) RootHints() []netip.AddrPort { return slices.Clone(h.root) }

// Port returns the port all servers listen on (a resolver's glue port).
func (h *Hierarchy) Port() uint16 { return h.port }

// Servers returns every server, in the order the zones sort.
func (h *Hierarchy) Servers() []*Server { return slices.Clone(h.servers) }

// ServerFor returns the first server of the zone at origin, or nil.
func (h *Hierarchy) ServerFor(origin string) *Server {
	o, err := dnswire.ParseName(origin)
	if err != nil {
		return nil
	}
	for _, s := range h.servers {
		for _, z := range s.Origins {
			if z.Equal(o) {
				return s
			}
		}
	}
	return nil
}

// Close stops every server.
func (h *Hierarchy) Close() error {
	var errs []error
	for _, s := range h.servers {
		if err := s.Shutdown(context.Background()); err != nil {
			errs = append(errs, err)
		}
		s.f.mu.Lock()
		if s.f.spoofPC != nil {
			s.f.spoofPC.Close()
		}
		s.f.mu.Unlock()
	}
	h.servers = nil
	return errors.Join(errs...)
}
