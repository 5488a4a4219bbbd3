package dnstest

import (
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// Fault is what a Server does wrong; set it with Server.SetFault. The
// zero Fault is a well-behaved server.
type Fault struct {
	// Drop: never answer (over TCP, close the connection).
	Drop bool
	// Delay: answer after this long (simulated time in process).
	Delay time.Duration
	// Lame: answer REFUSED to everything, as a server listed in an NS
	// RRset but not configured for the zone does.
	Lame bool
	// ServFail: answer SERVFAIL to everything.
	ServFail bool
	// Truncate: UDP answers have TC set and no records; TCP answers are
	// whole.
	Truncate bool
	// Spoof: before each UDP answer, send a forged one from another
	// port of the same address: same ID and question, answer
	// SpoofAddr (default 192.0.2.66) with a one-day TTL, and an
	// out-of-bailiwick NS and glue in authority and additional.
	Spoof     bool
	SpoofAddr netip.Addr
	// WrongID: the answer's ID is wrong (and no right one follows).
	WrongID bool
	// WrongQuestion: the answer is for another question: the name
	// wrong.example. with an A record (PoisonAddr) for it.
	WrongQuestion bool
	// NoEDNS: answer FORMERR to any query with an OPT record, like a
	// server from before RFC 6891.
	NoEDNS bool
	// No0x20: the question in the answer is in lower case.
	No0x20 bool
	// Poison: add out-of-bailiwick records to every answer: an A record
	// for PoisonName in the answer, NS records for the root and for
	// PoisonName's parent naming ns.evil.test. in the authority, and A
	// records (PoisonAddr, default 192.0.2.66) for ns.evil.test. and
	// PoisonName in the additional section.
	Poison     bool
	PoisonName dnswire.Name
	PoisonAddr netip.Addr
	// Edit, if set, rewrites every response last (for shapes of
	// response the zone data cannot produce).
	Edit func(m *dnswire.Msg)
	// Recursive: answers carry RA set and AA clear, as a recursive
	// server listed in an NS RRset answers (lame, RFC 1034 4.3.1).
	Recursive bool
	// ENTRCode, when not zero, answers every question for an empty
	// non-terminal (a name owning no records but with names below it,
	// RFC 8020) with this RCODE and no records, as servers that
	// mishandle QNAME minimisation do (RFC 9156 3).
	ENTRCode dnswire.RCode
	// Answer, Authority and Additional are forged records appended to
	// those sections of every answer that is not a referral (for
	// probes of what a resolver caches).
	Answer, Authority, Additional []dnswire.RR
}

// Query is one query a Server received.
type Query struct {
	Network string // "udp" or "tcp"
	Name    dnswire.Name
	Type    dnswire.Type
	EDNS    bool
	ID      uint16
	// From is the client's address and port (zero in process).
	From netip.AddrPort
}

// Server is one name server of a Hierarchy, on its own address.
type Server struct {
	// Addr is the server's address and port.
	Addr netip.AddrPort

	zones []*zone

	mu      sync.Mutex
	fault   Fault
	queries []Query
	conns   map[net.Conn]bool

	udp, spoof *net.UDPConn
	tcp        *net.TCPListener
}

// SetFault makes the server misbehave as f says (zero Fault: behave).
func (s *Server) SetFault(f Fault) {
	s.mu.Lock()
	s.fault = f
	s.mu.Unlock()
}

// Queries returns a copy of the queries received so far.
func (s *Server) Queries() []Query {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Query(nil), s.queries...)
}

// ResetQueries forgets the queries received so far.
func (s *Server) ResetQueries() {
	s.mu.Lock()
	s.queries = nil
	s.mu.Unlock()
}

// reply is what handle decided to do with one query.
type reply struct {
	drop  bool
	delay time.Duration
	resp  []byte
	spoof []byte // forged datagram to send first, from another port
}

// handle answers one query in wire form.
func (s *Server) handle(query []byte, tcp bool, from netip.AddrPort) reply {
	var q dnswire.Msg
	if err := q.Unpack(query); err != nil || len(q.Question) != 1 || q.Response {
		var p dnswire.Parser
		h, herr := p.Start(query)
		if herr != nil || h.Response {
			return reply{drop: true}
		}
		m := dnswire.Msg{Header: dnswire.Header{ID: h.ID, Response: true, Opcode: h.Opcode, RCode: dnswire.RCodeFormatError}}
		b, _ := m.Pack()
		return reply{resp: b}
	}
	network := "udp"
	if tcp {
		network = "tcp"
	}
	qq := q.Question[0]
	s.mu.Lock()
	f := s.fault
	s.queries = append(s.queries, Query{Network: network, Name: qq.Name, Type: qq.Type, EDNS: q.EDNS != nil, ID: q.ID, From: from})
	s.mu.Unlock()

	if f.Drop {
		return reply{drop: true}
	}
	var m dnswire.Msg
	m.Reply(&q)
	switch {
	case f.NoEDNS && q.EDNS != nil:
		m.EDNS = nil
		m.RCode = dnswire.RCodeFormatError
	case f.Lame:
		m.RCode = dnswire.RCodeRefused
	case f.ServFail:
		m.RCode = dnswire.RCodeServerFailure
	default:
		if z := s.zoneFor(qq.Name); z != nil && f.ENTRCode != 0 && z.emptyNonTerminal(qq.Name) {
			m.RCode = f.ENTRCode
		} else if z != nil {
			z.answer(&m, qq.Name, qq.Type)
		} else {
			m.RCode = dnswire.RCodeRefused
		}
	}
	if f.Poison {
		poison(&m, f)
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
	if f.No0x20 {
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
		addr := f.PoisonAddr
		if !addr.IsValid() {
			addr = netip.AddrFrom4([4]byte{192, 0, 2, 66})
		}
		wrong := dnswire.MustName("wrong.example.")
		m.Question = []dnswire.Question{{Name: wrong, Type: dnswire.TypeA, Class: dnswire.ClassINET}}
		m.Authoritative = true
		m.RCode = dnswire.RCodeSuccess
		m.Answer = []dnswire.RR{{RRHeader: dnswire.RRHeader{Name: wrong, Type: dnswire.TypeA, Class: dnswire.ClassINET, TTL: 86400}, Data: &dnswire.A{Addr: addr}}}
		m.Ns, m.Extra = nil, nil
	}
	max := 0
	if !tcp {
		max = 512
		if q.EDNS != nil && q.EDNS.UDPSize > 512 {
			max = int(q.EDNS.UDPSize)
		}
	}
	b, err := m.AppendPackOptions(nil, dnswire.BuildOptions{Compress: true, MaxSize: max})
	if err != nil {
		return reply{drop: true}
	}
	out := reply{resp: b, delay: f.Delay}
	if f.Spoof && !tcp {
		out.spoof = forge(&q, f.SpoofAddr)
	}
	return out
}

// forge builds the forged answer of Fault.Spoof.
func forge(q *dnswire.Msg, addr netip.Addr) []byte {
	if !addr.IsValid() {
		addr = netip.AddrFrom4([4]byte{192, 0, 2, 66})
	}
	var m dnswire.Msg
	m.Reply(q)
	m.Authoritative = true
	qn := q.Question[0].Name
	evil := dnswire.MustName("ns.evil.test.")
	m.Answer = append(m.Answer, dnswire.RR{RRHeader: dnswire.RRHeader{Name: qn, Type: dnswire.TypeA, Class: dnswire.ClassINET, TTL: 86400}, Data: &dnswire.A{Addr: addr}})
	m.Ns = append(m.Ns, dnswire.RR{RRHeader: dnswire.RRHeader{Name: dnswire.Root(), Type: dnswire.TypeNS, Class: dnswire.ClassINET, TTL: 86400}, Data: &dnswire.NS{Host: evil}})
	m.Extra = append(m.Extra, dnswire.RR{RRHeader: dnswire.RRHeader{Name: evil, Type: dnswire.TypeA, Class: dnswire.ClassINET, TTL: 86400}, Data: &dnswire.A{Addr: addr}})
	b, err := m.Pack()
	if err != nil {
		return nil
	}
	return b
}

func poison(m *dnswire.Msg, f Fault) {
	addr := f.PoisonAddr
	if !addr.IsValid() {
		addr = netip.AddrFrom4([4]byte{192, 0, 2, 66})
	}
	evil := dnswire.MustName("ns.evil.test.")
	target := f.PoisonName
	if target.IsZero() {
		target = dnswire.MustName("www.example.net.")
	}
	parent, ok := target.Parent()
	if !ok {
		parent = dnswire.Root()
	}
	rr := func(n dnswire.Name, t dnswire.Type, d dnswire.RData) dnswire.RR {
		return dnswire.RR{RRHeader: dnswire.RRHeader{Name: n, Type: t, Class: dnswire.ClassINET, TTL: 86400}, Data: d}
	}
	m.Answer = append(m.Answer, rr(target, dnswire.TypeA, &dnswire.A{Addr: addr}))
	m.Ns = append(m.Ns, rr(dnswire.Root(), dnswire.TypeNS, &dnswire.NS{Host: evil}),
		rr(parent, dnswire.TypeNS, &dnswire.NS{Host: evil}))
	m.Extra = append(m.Extra, rr(evil, dnswire.TypeA, &dnswire.A{Addr: addr}),
		rr(target, dnswire.TypeA, &dnswire.A{Addr: addr}))
}

// zoneFor returns the deepest zone the server serves that contains n.
func (s *Server) zoneFor(n dnswire.Name) *zone {
	var best *zone
	for _, z := range s.zones {
		if n.IsSubdomainOf(z.origin) && (best == nil || z.origin.NumLabels() > best.origin.NumLabels()) {
			best = z
		}
	}
	return best
}
