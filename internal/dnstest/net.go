package dnstest

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"
)

// listen binds UDP and TCP on every server's address at one port, chosen
// by the kernel for the first socket and then reused for the others (the
// resolver under test uses one port for every server it learns from
// glue). It retries with another port when one is taken.
func (h *Hierarchy) listen() error {
	var lastErr error
	for try := 0; try < 50; try++ {
		port := uint16(0)
		ok := true
		for _, s := range h.servers {
			a := netip.AddrPortFrom(s.Addr.Addr(), port)
			if err := s.bind(a); err != nil {
				lastErr = err
				ok = false
				break
			}
			port = s.Addr.Port()
		}
		if ok {
			h.port = port
			return nil
		}
		for _, s := range h.servers {
			s.closeSockets()
		}
	}
	return lastErr
}

func (s *Server) bind(a netip.AddrPort) error {
	u, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(a))
	if err != nil {
		return err
	}
	a = netip.AddrPortFrom(a.Addr(), u.LocalAddr().(*net.UDPAddr).AddrPort().Port())
	t, err := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(a))
	if err != nil {
		u.Close()
		return err
	}
	// The spoofer: same address, another port.
	sp, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(a.Addr(), 0)))
	if err != nil {
		u.Close()
		t.Close()
		return err
	}
	s.udp, s.tcp, s.spoof, s.Addr = u, t, sp, a
	return nil
}

func (s *Server) closeSockets() {
	if s.udp != nil {
		s.udp.Close()
	}
	if s.spoof != nil {
		s.spoof.Close()
	}
	if s.tcp != nil {
		s.tcp.Close()
	}
	s.udp, s.tcp, s.spoof = nil, nil, nil
}

// serve runs the server's UDP and TCP loops until Close.
func (s *Server) serve(wg *sync.WaitGroup) {
	// The loops use their own copies of the sockets: Close clears the
	// fields while they run.
	u, sp, t := s.udp, s.spoof, s.tcp
	wg.Add(2)
	go func() {
		defer wg.Done()
		s.serveUDP(wg, u, sp)
	}()
	go func() {
		defer wg.Done()
		s.serveTCP(wg, t)
	}()
}

func (s *Server) serveUDP(wg *sync.WaitGroup, udp, spoof *net.UDPConn) {
	buf := make([]byte, 65535)
	for {
		n, from, err := udp.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		q := append([]byte(nil), buf[:n]...)
		out := s.handle(q, false, from)
		if out.drop {
			continue
		}
		send := func() {
			if out.spoof != nil {
				spoof.WriteToUDPAddrPort(out.spoof, from)
			}
			udp.WriteToUDPAddrPort(out.resp, from)
		}
		if out.delay > 0 {
			wg.Add(1)
			time.AfterFunc(out.delay, func() {
				defer wg.Done()
				send()
			})
			continue
		}
		send()
	}
}

func (s *Server) serveTCP(wg *sync.WaitGroup, tcp *net.TCPListener) {
	for {
		c, err := tcp.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if errors.Is(err, syscall.EMFILE) {
				return
			}
			continue
		}
		s.trackConn(c, true)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer s.trackConn(c, false)
			defer c.Close()
			s.serveConn(c)
		}()
	}
}

func (s *Server) trackConn(c net.Conn, add bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns == nil {
		s.conns = make(map[net.Conn]bool)
	}
	if add {
		s.conns[c] = true
	} else {
		delete(s.conns, c)
	}
}

// serveConn answers length-framed queries on one TCP connection (RFC 1035
// 4.2.2) until the client closes it or it idles for 10 s.
func (s *Server) serveConn(c net.Conn) {
	from, _ := netip.ParseAddrPort(c.RemoteAddr().String())
	var l [2]byte
	buf := make([]byte, 65535) // never allocate by the length a client claims
	for {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.ReadFull(c, l[:]); err != nil {
			return
		}
		q := buf[:binary.BigEndian.Uint16(l[:])]
		if _, err := io.ReadFull(c, q); err != nil {
			return
		}
		out := s.handle(q, true, from)
		if out.drop {
			return
		}
		if out.delay > 0 {
			time.Sleep(out.delay) // the fault under test is the delay itself
		}
		w := make([]byte, 2+len(out.resp))
		binary.BigEndian.PutUint16(w, uint16(len(out.resp)))
		copy(w[2:], out.resp)
		if _, err := c.Write(w); err != nil {
			return
		}
	}
}
