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

// isNotify tells whether msg is a NOTIFY request (opcode in the header).
func isNotify(msg []byte) bool {
	return len(msg) >= dnswire.HeaderLen && msg[2]&0x80 == 0 && dnswire.Opcode(msg[2]>>3&0xF) == dnswire.OpcodeNotify
}

// answerNotify handles an incoming NOTIFY (RFC 1996 3.7-3.11) from the
// address from: for a secondary zone whose primary sent it (or that was
// signed with the zone's key, from anywhere) it triggers an SOA check and is answered
// NOERROR with the question copied (RFC 1996 4.7); for other zones
// NOTAUTH, from other senders REFUSED, unsigned as RFC 8945 5.2 wants
// for a bad signature. The reply is appended to out.
func (s *Server) answerNotify(msg []byte, from netip.Addr, out []byte) []byte {
	var req request
	rc, err := parseRequest(msg, &req)
	if err == errDrop {
		return nil
	}
	reply := dnswire.Msg{}
	reply.Header = dnswire.Header{ID: req.hdr.ID, Response: true, Opcode: dnswire.OpcodeNotify, Authoritative: true}
	if req.hasQ {
		reply.Question = []dnswire.Question{req.q}
	}
	var auth *dnswire.TSIGResult
	if err == nil && req.tsig {
		res, verr := dnswire.VerifyTSIG(msg, dnswire.TSIGVerify{Keys: s.key, Now: s.now()})
		if verr != nil {
			rc, err = dnswire.RCodeNotAuth, verr
		} else {
			auth = res
		}
	}
	if err == nil {
		rc = s.notified(req.q, from, auth)
	}
	reply.RCode = rc
	wire, perr := reply.Pack()
	if perr != nil {
		return nil
	}
	if auth != nil {
		if signed, _, serr := dnswire.SignTSIG(wire, dnswire.TSIGSign{Key: auth.Key, RequestMAC: auth.Record.MAC, Time: s.now()}); serr == nil {
			wire = signed
		}
	}
	return append(out, wire...)
}

// notified applies RFC 1996 3.10-3.11 to one NOTIFY question and returns
// the RCODE for its reply.
func (s *Server) notified(q dnswire.Question, from netip.Addr, auth *dnswire.TSIGResult) dnswire.RCode {
	if q.Type != dnswire.TypeSOA {
		return dnswire.RCodeNotImplemented
	}
	s.mu.Lock()
	f := s.followers[q.Name.Lower()]
	s.mu.Unlock()
	if f == nil {
		return dnswire.RCodeNotAuth
	}
	fromPrimary := from.Unmap() == f.cfg.Primary.Addr().Unmap()
	signed := auth != nil && f.cfg.Key != nil && auth.Key.Name.Equal(f.cfg.Key.Name)
	if !fromPrimary && !signed {
		s.logDebug("zone: notify refused", "from", from, "zone", q.Name)
		return dnswire.RCodeRefused
	}
	select {
	case f.kick <- struct{}{}:
	default:
	}
	return dnswire.RCodeSuccess
}
