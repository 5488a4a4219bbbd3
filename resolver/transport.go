package resolver

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"time"
)

// Transport sends one DNS query to one server and returns the response
// that answers it. network is "udp" or "tcp". A Transport must return only
// a response that comes from server and matches the query's ID and
// question (see MatchResponse); over UDP it ignores anything else and
// keeps waiting until timeout. When nothing acceptable arrives in time it
// returns an error for which errors.Is(err, os.ErrDeadlineExceeded)
// holds. It must be safe for concurrent use.
//
// Tests substitute an in-process Transport (dnstest.Hierarchy.Transport is
// one) so a whole hierarchy runs deterministically with simulated time.
type Transport interface {
	Exchange(ctx context.Context, network string, server netip.AddrPort, query []byte, timeout time.Duration) ([]byte, error)
}

// NetTransport is the real network Transport. Its zero value is ready to
// use. Each UDP query uses a fresh socket connected to the server, so the
// source port is chosen at random by the operating system and the kernel
// itself drops datagrams from any other address or port (RFC 5452 4 and
// 9.2: randomise the source port, accept answers only from the address and
// port asked).
type NetTransport struct {
	// Dialer, if set, is used for TCP connections. A *net.UDPAddr in
	// its LocalAddr (which a TCP dial would reject) is taken as
	// UDPLocalAddr and TCPLocalAddr when those are unset.
	Dialer *net.Dialer
	// UDPLocalAddr and TCPLocalAddr, if valid, are the source addresses
	// of UDP queries and TCP connections, set apart so that each
	// transport (and the retry over TCP after TC) binds an address of
	// its own kind. The source port is always chosen by the system.
	UDPLocalAddr, TCPLocalAddr netip.Addr
}

// localAddrs returns the UDP and TCP source addresses to bind.
func (t NetTransport) localAddrs() (udp *net.UDPAddr, tcp net.Addr) {
	u, c := t.UDPLocalAddr, t.TCPLocalAddr
	if t.Dialer != nil {
		switch a := t.Dialer.LocalAddr.(type) {
		case *net.UDPAddr:
			if ip, ok := netip.AddrFromSlice(a.IP); ok {
				if !u.IsValid() {
					u = ip.Unmap()
				}
				if !c.IsValid() {
					c = ip.Unmap()
				}
			}
		case *net.TCPAddr:
			tcp = a
		}
	}
	if u.IsValid() {
		udp = &net.UDPAddr{IP: u.AsSlice(), Zone: u.Zone()}
	}
	if c.IsValid() {
		tcp = &net.TCPAddr{IP: c.AsSlice(), Zone: c.Zone()}
	}
	return udp, tcp
}

// Exchange implements Transport.
func (t NetTransport) Exchange(ctx context.Context, network string, server netip.AddrPort, query []byte, timeout time.Duration) ([]byte, error) {
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if network == "tcp" {
		return t.exchangeTCP(ctx, server, query, deadline)
	}
	laddr, _ := t.localAddrs()
	c, err := net.DialUDP("udp", laddr, net.UDPAddrFromAddrPort(server))
	if err != nil {
		return nil, err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if err := c.SetDeadline(deadline); err != nil {
		return nil, err
	}
	if _, err := c.Write(query); err != nil {
		return nil, err
	}
	// We advertise at most a few KiB (Config.EDNSBufferSize); a larger
	// datagram is cut here and then fails to parse.
	buf := make([]byte, 8192)
	for {
		n, err := c.Read(buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return nil, os.ErrDeadlineExceeded
			}
			// ICMP port unreachable and the like: keep the error.
			return nil, err
		}
		if MatchResponse(query, buf[:n]) {
			return append([]byte(nil), buf[:n]...), nil
		}
		// RFC 5452 9.1: a mismatched answer is ignored; keep waiting.
	}
}

func (t NetTransport) exchangeTCP(ctx context.Context, server netip.AddrPort, query []byte, deadline time.Time) ([]byte, error) {
	var d net.Dialer
	if t.Dialer != nil {
		d = *t.Dialer
	}
	_, d.LocalAddr = t.localAddrs()
	dctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	c, err := d.DialContext(dctx, "tcp", server.String())
	if err != nil {
		if dctx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
			return nil, os.ErrDeadlineExceeded
		}
		return nil, err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	c.SetDeadline(deadline)
	// RFC 1035 4.2.2 / RFC 7766 8: two-octet length prefix, one write.
	out := make([]byte, 2+len(query))
	binary.BigEndian.PutUint16(out, uint16(len(query)))
	copy(out[2:], query)
	if _, err := c.Write(out); err != nil {
		return nil, timeoutErr(ctx, err)
	}
	var l [2]byte
	if _, err := io.ReadFull(c, l[:]); err != nil {
		return nil, timeoutErr(ctx, err)
	}
	// Read what arrives before allocating for it: the length is the
	// server's claim.
	var resp []byte
	var chunk [4096]byte
	for need := int(binary.BigEndian.Uint16(l[:])); len(resp) < need; {
		n, err := c.Read(chunk[:min(len(chunk), need-len(resp))])
		resp = append(resp, chunk[:n]...)
		if err != nil && len(resp) < need {
			return nil, timeoutErr(ctx, err)
		}
	}
	if !MatchResponse(query, resp) {
		return nil, ErrMismatch
	}
	return resp, nil
}

func timeoutErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return os.ErrDeadlineExceeded
	}
	return err
}

// MatchResponse reports whether resp answers query: resp is a response
// (QR set) with the same ID, one question, and the same question name
// (compared ignoring ASCII case; the resolver checks the case itself for
// 0x20), type and class (RFC 5452 9.1). query must be a well-formed query
// with one uncompressed question, as the resolver builds them.
func MatchResponse(query, resp []byte) bool {
	if len(query) < 12 || len(resp) < 12 {
		return false
	}
	if query[0] != resp[0] || query[1] != resp[1] || resp[2]&0x80 == 0 {
		return false
	}
	if binary.BigEndian.Uint16(resp[4:]) != 1 || binary.BigEndian.Uint16(query[4:]) != 1 {
		return false
	}
	// Walk the query's question name.
	i := 12
	for i < len(query) && query[i] != 0 {
		if query[i]&0xC0 != 0 {
			return false
		}
		i += int(query[i]) + 1
	}
	end := i + 1 + 4
	if end > len(query) || end > len(resp) {
		return false
	}
	for j := 12; j < i+1; j++ {
		if lower(query[j]) != lower(resp[j]) {
			return false
		}
	}
	return string(query[i+1:end]) == string(resp[i+1:end])
}

func lower(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}
