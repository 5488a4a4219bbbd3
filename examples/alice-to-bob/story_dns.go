package main

import (
	"context"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// exchangeUDP sends one DNS message to server over UDP and returns the
// response's bytes (RFC 1035 4.2.1: a query and its answer are one
// datagram each).
func exchangeUDP(ctx context.Context, server string, msg []byte) ([]byte, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "udp", server)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(msg); err != nil {
		return nil, err
	}
	buf := make([]byte, 65535)
	n, err := c.Read(buf)
	if err != nil {
		return nil, err
	}
	return buf[:n], nil
}

// ask sends a query for name and type t to server and decodes the answer.
func (s *story) ask(server, name string, t dnswire.Type) (*dnswire.Msg, []byte, error) {
	var q dnswire.Msg
	q.SetQuestion(dnswire.MustName(name), t)
	q.RecursionDesired = false // an authoritative server is asked
	wire, err := q.Pack()
	if err != nil {
		return nil, nil, err
	}
	resp, err := exchangeUDP(s.ctx, server, wire)
	if err != nil {
		return nil, nil, err
	}
	var m dnswire.Msg
	if err := m.Unpack(resp); err != nil {
		return nil, nil, err
	}
	return &m, resp, nil
}

func (s *story) dnsServer(addr string) string {
	return net.JoinHostPort(addr, strconv.Itoa(int(s.w.dns.Port())))
}

// registrar is the first DNS chapter: hamburger.edu is registered. The
// edu. server does not know it until the registrar sends a signed
// dynamic update (RFC 2136, RFC 3007) with the NS record and its glue.
func (s *story) registrar() {
	s.heading("Bob's university registers hamburger.edu")
	edu := s.dnsServer(eduAddr)
	s.printf("  DNS queries and answers travel over UDP to port 53 (RFC 1035 4.2.1; in this\n")
	s.printf("  small Internet every server listens on port %d instead). Before the\n", s.w.dns.Port())
	s.printf("  registration, ns.edu is asked for hamburger.edu's name servers:\n\n")
	before, raw, err := s.ask(edu, "hamburger.edu.", dnswire.TypeNS)
	if err != nil {
		s.stop("ns.edu answers", err)
		return
	}
	s.printHeader(raw)
	s.indent(before.String())
	s.expect(before.RCode == dnswire.RCodeNameError, "before registration, ns.edu says hamburger.edu does not exist (NXDOMAIN)")

	s.printf("\n  The registrar sends ns.edu a dynamic update (RFC 2136) with the two records\n")
	s.printf("  the chapter names: the NS record and its glue; and, since every zone here is\n")
	s.printf("  signed (DNSSEC, RFC 4033), the DS record: the digest of hamburger.edu's key,\n")
	s.printf("  which links Bob's zone into the chain of trust. The update is signed with the\n")
	s.printf("  key the registry gave the registrar (TSIG, RFC 8945), and the registry's policy\n")
	s.printf("  lets that key add only NS, DS and address records below edu. (RFC 3007):\n\n")
	u := dnswire.NewUpdate(dnswire.MustName("edu."))
	u.ID = uint16(rand.Uint32()) // unpredictable, as for any query (RFC 5452 4.3)
	u.PrereqNameNotInUse(dnswire.MustName("hamburger.edu."))
	for _, text := range []string{
		"hamburger.edu. 3600 IN NS ns.hamburger.edu.",
		"ns.hamburger.edu. 3600 IN A " + hamburgerDNS,
	} {
		rr, err := dnswire.ParseRR(text)
		if err != nil {
			s.stop("update record", err)
			return
		}
		u.UpdateAdd(rr)
	}
	hamburger := dnswire.MustName("hamburger.edu.")
	for _, k := range s.w.dns.SigningKeys("hamburger.edu.") {
		ds, err := k.DS(hamburger)
		if err != nil {
			s.stop("hamburger.edu's DS record", err)
			return
		}
		u.UpdateAdd(dnswire.RR{RRHeader: dnswire.RRHeader{Name: hamburger, Type: dnswire.TypeDS, Class: dnswire.ClassINET, TTL: 3600}, Data: ds})
	}
	s.indent(u.String())
	wire, err := u.Pack()
	if err == nil {
		var mac []byte
		now := s.w.clock.Now()
		wire, mac, err = dnswire.SignTSIG(wire, dnswire.TSIGSign{Key: registrarKey, Time: now})
		if err == nil {
			var resp []byte
			if resp, err = exchangeUDP(s.ctx, edu, wire); err == nil {
				var m dnswire.Msg
				if err = m.Unpack(resp); err == nil {
					_, verr := dnswire.VerifyTSIG(resp, dnswire.TSIGVerify{
						Keys: func(dnswire.Name) *dnswire.TSIGKey { return registrarKey }, Now: now, RequestMAC: mac,
					})
					s.printf("\n  ns.edu answers %s, signed with the same key (signature %s).\n", m.RCode, verdict(verr))
					s.expect(m.RCode == dnswire.RCodeSuccess && verr == nil, "the signed UPDATE is accepted by ns.edu, and its answer verifies")
				}
			}
		}
	}
	if err != nil {
		s.stop("the registrar's UPDATE", err)
		return
	}
	s.printf("  ns.edu signs the changed zone at once, so the new DS record carries edu.'s signature.\n")
	after, _, err := s.ask(edu, "mail.hamburger.edu.", dnswire.TypeA)
	if err != nil {
		s.stop("ns.edu answers after the update", err)
		return
	}
	s.printf("\n  Now ns.edu refers questions about hamburger.edu to Bob's university's server:\n\n")
	s.indent(after.String())
	s.expect(!after.Authoritative && len(after.Answer) == 0 && hasRecord(after.Ns, "NS\tns.hamburger.edu.") &&
		hasRecord(after.Extra, "A\t"+hamburgerDNS), "after the update, ns.edu refers hamburger.edu to ns.hamburger.edu, with glue")
}

func verdict(err error) string {
	if err != nil {
		return "BAD: " + err.Error()
	}
	return "verified"
}

// printHeader prints a message's fixed 12-byte header field by field
// (RFC 1035 4.1.1), once, so the dig-style lines after it can be read.
func (s *story) printHeader(raw []byte) {
	if len(raw) < 12 {
		return
	}
	u16 := func(i int) uint16 { return uint16(raw[i])<<8 | uint16(raw[i+1]) }
	s.printf("    The response's 12-byte header, % x:\n", raw[:12])
	s.printf("      ID %d (copied from the query), flags 0x%04x (QR: a response; AA: from the\n", u16(0), u16(2))
	s.printf("      zone's own server; RCODE in the low 4 bits), and the counts of the four\n")
	s.printf("      sections: question %d, answer %d, authority %d, additional %d.\n",
		u16(4), u16(6), u16(8), u16(10))
	s.printf("    Then the sections, as dig prints them:\n\n")
}

// localDNS is the last DNS chapter: Alice's laptop asks the local DNS
// server of her network for Bob's web site, twice, and again after the
// records' TTL ran out.
func (s *story) localDNS() {
	s.heading("Alice's laptop looks up www.hamburger.edu through its local DNS server")
	srv := net.JoinHostPort(localDNSAddr, strconv.Itoa(int(s.w.dns.Port())))
	s.printf("  Alice's laptop does not walk the DNS itself: it sends one recursive query (RD set)\n")
	s.printf("  to the local DNS server of its network, %s, which asks the root, edu. and\n", localDNSAddr)
	s.printf("  hamburger.edu for it and caches what it learns.\n\n")
	query := func() (*dnswire.Msg, bool) {
		var q dnswire.Msg
		q.SetQuestion(dnswire.MustName("www.hamburger.edu."), dnswire.TypeA)
		q.AuthenticData = true // "tell me whether you validated it" (RFC 6840 5.7)
		wire, err := q.Pack()
		if err != nil {
			s.stop("query packed", err)
			return nil, false
		}
		resp, err := exchangeUDP(s.ctx, srv, wire)
		var m dnswire.Msg
		if err == nil {
			err = m.Unpack(resp)
		}
		if err != nil {
			s.stop("the local DNS server answers", err)
			return nil, false
		}
		return &m, true
	}
	first, ok := query()
	if !ok {
		return
	}
	s.indent(first.String())
	s.expect(first.RCode == dnswire.RCodeSuccess && first.RecursionAvailable && len(first.Answer) == 4 &&
		hasRecord(first.Answer, "CNAME\tweb.hamburger.edu."),
		"www.hamburger.edu is an alias (CNAME) of web.hamburger.edu, which has three addresses")
	s.printf("\n  www.hamburger.edu is an alias: the canonical name web.hamburger.edu has three\n")
	s.printf("  addresses, so clients spread over three web servers. The local server validated\n")
	s.printf("  the records (DNSSEC) and says so with the ad flag, which the laptop asked for.\n")
	s.expect(first.AuthenticData, "the local DNS server validated the answer (ad flag)")

	s.w.clock.Advance(time.Minute)
	second, ok := query()
	if !ok {
		return
	}
	ttl1, ttl2 := addrTTL(first), addrTTL(second)
	s.printf("\n  A minute later the same question is answered from the cache: the addresses' TTL\n")
	s.printf("  went down from %d to %d seconds, and no authoritative server was asked.\n", ttl1, ttl2)
	s.expect(ttl1 > 0 && ttl2 == ttl1-60, "the second answer comes from the cache, its TTL 60 s lower")

	s.w.clock.Advance(time.Duration(ttl2+1) * time.Second)
	third, ok := query()
	if !ok {
		return
	}
	ttl3 := addrTTL(third)
	s.printf("\n  After the TTL ran out the cached addresses are gone, and the local server asks\n")
	s.printf("  hamburger.edu's server again: the TTL is back to %d.\n", ttl3)
	s.expect(ttl3 == ttl1 && len(third.Answer) == 4, "after the TTL ran out, the addresses are fetched again")
	s.printf("\n  The addresses in the three answers, in the order given:\n")
	for i, m := range []*dnswire.Msg{first, second, third} {
		s.printf("    %d: %s\n", i+1, strings.Join(addrs(m), " "))
	}
	s.printf("  hamburger.edu's server turns the order of the set with each answer it gives\n")
	s.printf("  (round robin), so clients taking the first address spread over the three\n")
	s.printf("  web servers; the cached copy keeps the order it was fetched in.\n")
	a1, a2, a3 := strings.Join(addrs(first), " "), strings.Join(addrs(second), " "), strings.Join(addrs(third), " ")
	s.expect(a1 == a2 && a1 != a3, "the cached answer keeps its order; a fresh one comes rotated")
}

// addrTTL returns the TTL of the first A record in m's answer.
func addrTTL(m *dnswire.Msg) uint32 {
	for _, rr := range m.Answer {
		if rr.Type == dnswire.TypeA {
			return rr.TTL
		}
	}
	return 0
}

func addrs(m *dnswire.Msg) []string {
	var out []string
	for _, rr := range m.Answer {
		if a, ok := rr.Data.(*dnswire.A); ok {
			out = append(out, a.Addr.String())
		}
	}
	return out
}
