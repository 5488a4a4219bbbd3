package zone

import (
	"net"
	"net/netip"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// notifyAll tells every secondary in Notify that z changed (RFC 1996
// 3.7), in the background, each until it answers or five tries pass
// (RFC 1996 3.6 retransmission, 2 s apart here).
func (s *Server) notifyAll(z *Zone) {
	if len(s.Notify) == 0 {
		return
	}
	s.mu.Lock()
	s.init()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.wg.Add(len(s.Notify))
	s.mu.Unlock()
	for _, to := range s.Notify {
		go func(to netip.AddrPort) {
			defer s.wg.Done()
			if err := s.sendNotify(z, to); err != nil {
				s.logDebug("zone: notify", "to", to, "zone", z.origin, "err", err)
			}
		}(to)
	}
}

// sendNotify sends one NOTIFY (RFC 1996 3.3: opcode NOTIFY, AA, the zone's
// SOA as question and, as a hint, in the answer) and waits for its reply.
func (s *Server) sendNotify(z *Zone, to netip.AddrPort) error {
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(to))
	if err != nil {
		return err
	}
	defer c.Close()
	m := dnswire.Msg{}
	m.ID = uint16(time.Now().UnixNano())
	m.Opcode = dnswire.OpcodeNotify
	m.Authoritative = true
	m.Question = []dnswire.Question{{Name: z.origin, Type: dnswire.TypeSOA, Class: dnswire.ClassINET}}
	m.Answer = []dnswire.RR{z.soa}
	wire, err := m.Pack()
	if err != nil {
		return err
	}
	buf := make([]byte, 1232)
	for try := 0; try < 5; try++ {
		if s.isClosed() {
			return ErrServerClosed
		}
		if _, err := c.Write(wire); err != nil {
			return err
		}
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		for {
			n, err := c.Read(buf)
			if err != nil {
				break
			}
			var r dnswire.Parser
			h, err := r.Start(buf[:n])
			if err == nil && h.Response && h.ID == m.ID && h.Opcode == dnswire.OpcodeNotify {
				return nil
			}
		}
	}
	return errNoNotifyReply
}

var errNoNotifyReply = Error("zone: no reply to NOTIFY")
