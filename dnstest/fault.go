package dnstest

import (
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// Fault is what a Server does wrong, set with Server.SetFault; the zero
// Fault is a well-behaved server. Faults apply to answers over the
// network (UDP and TCP) and through the in-process Transport.
type Fault struct {
	// Drop: never answer (over TCP, close the connection).
	Drop bool
	// Delay: answer this much later (real time over the network,
	// simulated time through Transport).
	Delay time.Duration
	// Lame: answer REFUSED to everything, as a server listed in an NS
	// RRset but not configured for the zone does.
	Lame bool
	// ServFail: answer SERVFAIL to everything.
	ServFail bool
	// Truncate: UDP answers have TC set and no records; TCP answers
	// are whole (RFC 7766 resolvers retry over TCP).
	Truncate bool
	// Spoof: over UDP, before each answer, send a forged one from
	// another port of the same address: the same ID and question, an
	// A record for the question's name (SpoofAddr, default 192.0.2.66)
	// with a one-day TTL, and an out-of-bailiwick NS for the root with
	// its glue.
	Spoof     bool
	SpoofAddr netip.Addr
	// WrongID: the answer's ID is wrong (and no right one follows).
	WrongID bool
	// WrongQuestion: the answer is for another question
	// (wrong.example. A).
	WrongQuestion bool
	// NoEDNS: answer FORMERR without OPT to any query with an OPT
	// record, like a server from before RFC 6891.
	NoEDNS bool
	// No0x20: the question in the answer is in lower case.
	No0x20 bool
	// Recursive: answers carry RA set and AA clear, as a recursive
	// server listed in an NS RRset answers (lame, RFC 1034 4.3.1).
	Recursive bool
	// Answer, Authority and Additional are forged records appended to
	// those sections of every authoritative or negative answer (for
	// probes of what a resolver accepts and caches).
	Answer, Authority, Additional []dnswire.RR
	// Edit, when set, rewrites every answer last (for shapes of answer
	// the zones cannot produce).
	Edit func(m *dnswire.Msg)
}

// Poison returns a Fault.Edit that adds the records of a classic cache
// poisoning attempt, all out of the responder's bailiwick, to every
// answer: an A record (addr) for target in the answer section; NS records
// naming ns.evil.test. for the root and for target's parent in the
// authority section; A records (addr) for ns.evil.test. and for target in
// the additional section. All have a one-day TTL. A resolver that follows
// RFC 2181 5.4.1 caches none of them.
func Poison(target dnswire.Name, addr netip.Addr) func(m *dnswire.Msg) {
	parent, ok := target.Parent()
	if !ok {
		parent = dnswire.Root()
	}
	evil := dnswire.MustName("ns.evil.test.")
	rr := func(n dnswire.Name, t dnswire.Type, d dnswire.RData) dnswire.RR {
		return dnswire.RR{RRHeader: dnswire.RRHeader{Name: n, Type: t, Class: dnswire.ClassINET, TTL: 86400}, Data: d}
	}
	return func(m *dnswire.Msg) {
		m.Answer = append(m.Answer, rr(target, dnswire.TypeA, &dnswire.A{Addr: addr}))
		m.Ns = append(m.Ns, rr(dnswire.Root(), dnswire.TypeNS, &dnswire.NS{Host: evil}),
			rr(parent, dnswire.TypeNS, &dnswire.NS{Host: evil}))
		m.Extra = append(m.Extra, rr(evil, dnswire.TypeA, &dnswire.A{Addr: addr}),
			rr(target, dnswire.TypeA, &dnswire.A{Addr: addr}))
	}
}

// none reports whether f is the zero Fault.
func (f *Fault) none() bool {
	return !f.Drop && f.Delay == 0 && !f.Lame && !f.ServFail && !f.Truncate && !f.Spoof && !f.WrongID &&
		!f.WrongQuestion && !f.NoEDNS && !f.No0x20 && !f.Recursive && f.Answer == nil && f.Authority == nil &&
		f.Additional == nil && f.Edit == nil
}

// Query is one query a Server received.
type Query struct {
	Network string // "udp" or "tcp"
	Name    dnswire.Name
	Type    dnswire.Type
	EDNS    bool
	DO      bool
	ID      uint16
	// From is the client's address (zero through Transport).
	From netip.AddrPort
}

// faults is a Server's fault and query log.
type faults struct {
	mu      sync.Mutex
	fault   Fault
	queries []Query
	spoofPC net.PacketConn // the forger's socket, made on first use
}

// SetFault makes the server misbehave as f says (the zero Fault:
// behave).
func (s *Server) SetFault(f Fault) {
	s.f.mu.Lock()
	s.f.fault = f
	s.f.mu.Unlock()
}

func (s *Server) fault() Fault {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	return s.f.fault
}

// Queries returns the queries received so far (over TCP, logged as
// they are answered, so also when the answer is then dropped).
func (s *Server) Queries() []Query {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	return append([]Query(nil), s.f.queries...)
}

// ResetQueries forgets the queries received so far.
func (s *Server) ResetQueries() {
	s.f.mu.Lock()
	s.f.queries = nil
	s.f.mu.Unlock()
}

// logQuery records the question of msg (a query, or for TCP the
// answer, which repeats the question).
func (s *Server) logQuery(network string, msg []byte, from netip.AddrPort) {
	var m dnswire.Msg
	if m.Unpack(msg) != nil || len(m.Question) != 1 {
		return
	}
	q := Query{Network: network, Name: m.Question[0].Name, Type: m.Question[0].Type, ID: m.ID, From: from}
	if m.EDNS != nil {
		q.EDNS, q.DO = true, m.EDNS.DO
	}
	s.f.mu.Lock()
	s.f.queries = append(s.f.queries, q)
	s.f.mu.Unlock()
}

// faulted is what a fault makes of one answer.
type faulted struct {
	drop  bool
	delay time.Duration
	resp  []byte
	spoof []byte // over UDP, the forged answer sent first
}

// apply applies f to resp, the server's answer.
func apply(f *Fault, resp []byte, tcp bool) faulted {
	if f.Drop {
		return faulted{drop: true}
	}
	var m dnswire.Msg
	if err := m.Unpack(resp); err != nil || len(m.Question) != 1 {
		return faulted{resp: resp, delay: f.Delay}
	}
	out := faulted{delay: f.Delay}
	if f.Spoof && !tcp {
		out.spoof = forge(&m, f.SpoofAddr)
	}
	reset := func(rc dnswire.RCode) {
		m.Answer, m.Ns, m.Extra = nil, nil, nil
		m.Authoritative = false
		m.RCode = rc
	}
	switch {
	case f.NoEDNS && m.EDNS != nil:
		reset(dnswire.RCodeFormatError)
		m.EDNS = nil
	case f.Lame:
		reset(dnswire.RCodeRefused)
	case f.ServFail:
		reset(dnswire.RCodeServerFailure)
	}
	if m.Authoritative || m.RCode != dnswire.RCodeSuccess {
		m.Answer = append(m.Answer, f.Answer...)
		m.Ns = append(m.Ns, f.Authority...)
		m.Extra = append(m.Extra, f.Additional...)
	}
	if f.Recursive {
		m.RecursionAvailable, m.Authoritative = true, false
	}
	if f.Edit != nil {
		f.Edit(&m)
	}
	if f.No0x20 && len(m.Question) > 0 {
		m.Question[0].Name = m.Question[0].Name.Lower()
	}
	if f.Truncate && !tcp {
		m.Truncated = true
		m.Answer, m.Ns, m.Extra = nil, nil, nil
	}
	if f.WrongID {
		m.ID ^= 0x5A5A
	}
	if f.WrongQuestion {
		wrong := dnswire.MustName("wrong.example.")
		m.Question = []dnswire.Question{{Name: wrong, Type: dnswire.TypeA, Class: dnswire.ClassINET}}
		m.Authoritative, m.RCode = true, dnswire.RCodeSuccess
		m.Answer = []dnswire.RR{{RRHeader: dnswire.RRHeader{Name: wrong, Type: dnswire.TypeA, Class: dnswire.ClassINET, TTL: 86400},
			Data: &dnswire.A{Addr: spoofAddr(f.SpoofAddr)}}}
		m.Ns, m.Extra = nil, nil
	}
	b, err := m.Pack()
	if err != nil {
		return faulted{drop: true}
	}
	out.resp = b
	return out
}

func spoofAddr(a netip.Addr) netip.Addr {
	if a.IsValid() {
		return a
	}
	return netip.AddrFrom4([4]byte{192, 0, 2, 66})
}

// forge builds the forged answer of Fault.Spoof for the answer m.
func forge(m *dnswire.Msg, addr netip.Addr) []byte {
	f := dnswire.Msg{Header: m.Header, Question: m.Question}
	f.Authoritative, f.RCode, f.Truncated = true, dnswire.RCodeSuccess, false
	evil := dnswire.MustName("ns.evil.test.")
	a := &dnswire.A{Addr: spoofAddr(addr)}
	rr := func(n dnswire.Name, t dnswire.Type, d dnswire.RData) dnswire.RR {
		return dnswire.RR{RRHeader: dnswire.RRHeader{Name: n, Type: t, Class: dnswire.ClassINET, TTL: 86400}, Data: d}
	}
	f.Answer = []dnswire.RR{rr(m.Question[0].Name, dnswire.TypeA, a)}
	f.Ns = []dnswire.RR{rr(dnswire.Root(), dnswire.TypeNS, &dnswire.NS{Host: evil})}
	f.Extra = []dnswire.RR{rr(evil, dnswire.TypeA, a)}
	b, err := f.Pack()
	if err != nil {
		return nil
	}
	return b
}

// faultPC is the UDP socket a zone.Server serves on, with the faults of
// its dnstest Server applied to what it writes.
type faultPC struct {
	net.PacketConn
	s *Server
}

func (pc *faultPC) ReadFrom(b []byte) (int, net.Addr, error) {
	n, addr, err := pc.PacketConn.ReadFrom(b)
	if err == nil {
		ap, _ := netip.ParseAddrPort(addr.String())
		pc.s.logQuery("udp", b[:n], ap)
	}
	return n, addr, err
}

func (pc *faultPC) WriteTo(b []byte, addr net.Addr) (int, error) {
	f := pc.s.fault()
	if f.none() {
		return pc.PacketConn.WriteTo(b, addr)
	}
	out := apply(&f, b, false)
	if out.drop {
		return len(b), nil
	}
	if out.spoof != nil {
		if sp := pc.s.spoofer(); sp != nil {
			sp.WriteTo(out.spoof, addr)
		}
	}
	if out.delay > 0 {
		time.AfterFunc(out.delay, func() { pc.PacketConn.WriteTo(out.resp, addr) })
		return len(b), nil
	}
	if _, err := pc.PacketConn.WriteTo(out.resp, addr); err != nil {
		return 0, err
	}
	return len(b), nil
}

// spoofer returns the socket forged answers leave from: the server's
// address, another port.
func (s *Server) spoofer() net.PacketConn {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	if s.f.spoofPC == nil {
		pc, err := net.ListenPacket("udp", netip.AddrPortFrom(s.Addr.Addr(), 0).String())
		if err != nil {
			return nil
		}
		s.f.spoofPC = pc
	}
	return s.f.spoofPC
}

// faultListener hands a zone.Server TCP connections whose answers go
// through the faults.
type faultListener struct {
	net.Listener
	s *Server
}

func (l *faultListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &faultConn{Conn: c, s: l.s}, nil
}

// faultConn applies faults to each answer a zone.Server writes: one
// length-prefixed message per Write.
type faultConn struct {
	net.Conn
	s *Server
}

func (c *faultConn) Write(b []byte) (int, error) {
	if len(b) < 2 {
		return c.Conn.Write(b)
	}
	ap, _ := netip.ParseAddrPort(c.RemoteAddr().String())
	c.s.logQuery("tcp", b[2:], ap)
	f := c.s.fault()
	if f.none() {
		return c.Conn.Write(b)
	}
	out := apply(&f, b[2:], true)
	if out.drop {
		c.Conn.Close()
		return 0, net.ErrClosed
	}
	if out.delay > 0 {
		time.Sleep(out.delay)
	}
	if _, err := c.Conn.Write(append([]byte{byte(len(out.resp) >> 8), byte(len(out.resp))}, out.resp...)); err != nil {
		return 0, err
	}
	return len(b), nil
}

// QueryCount returns the number of queries all servers got so far.
func (h *Hierarchy) QueryCount() int {
	n := 0
	for _, s := range h.servers {
		n += len(s.Queries())
	}
	return n
}

// ResetQueries forgets every server's queries.
func (h *Hierarchy) ResetQueries() {
	for _, s := range h.servers {
		s.ResetQueries()
	}
}
