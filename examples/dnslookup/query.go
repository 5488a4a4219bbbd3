package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// queryOptions says how to ask one server one question.
type queryOptions struct {
	TCP       bool          // TCP from the start (dig +tcp)
	NoRecurse bool          // RD clear (dig +norecurse)
	NoEDNS    bool          // no OPT record (dig +noedns)
	DO        bool          // DNSSEC OK (dig +dnssec)
	UDPSize   uint16        // advertised EDNS buffer; 1232 if zero
	Timeout   time.Duration // per attempt; 5 s if zero
}

// exchange is one completed query: the response and what dig prints
// about it.
type exchange struct {
	Msg      *dnswire.Msg
	Size     int           // response octets
	RTT      time.Duration // query sent to response read
	Server   string        // host:port asked
	TCP      bool          // answered over TCP
	Retried  bool          // UDP answer was truncated, retried over TCP
	QueryLen int
}

// errBadResponse reports a response that does not answer our query.
var errBadResponse = errors.New("dnslookup: response does not match the query")

// query asks server (host:port) for name/type over UDP, or TCP when asked
// or when the UDP answer is truncated (RFC 1035 4.2.1, RFC 7766 5).
func query(ctx context.Context, server string, name dnswire.Name, t dnswire.Type, o queryOptions) (*exchange, error) {
	if o.Timeout == 0 {
		o.Timeout = 5 * time.Second
	}
	if o.UDPSize == 0 {
		o.UDPSize = 1232 // RFC 9715 / DNS flag day 2020 default
	}
	var q dnswire.Msg
	var id [2]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, fmt.Errorf("dnslookup: %w", err)
	}
	q.ID = binary.BigEndian.Uint16(id[:])
	q.SetQuestion(name, t)
	q.RecursionDesired = !o.NoRecurse
	if !o.NoEDNS {
		q.SetEDNS(o.UDPSize, o.DO)
	}
	wire, err := q.Pack()
	if err != nil {
		return nil, fmt.Errorf("dnslookup: %w", err)
	}
	if !o.TCP {
		ex, err := roundTrip(ctx, "udp", server, wire, &q, o.Timeout)
		if err != nil || !ex.Msg.Truncated {
			return ex, err
		}
	}
	ex, err := roundTrip(ctx, "tcp", server, wire, &q, o.Timeout)
	if err == nil && !o.TCP {
		ex.Retried = true
	}
	return ex, err
}

// roundTrip sends wire over network and reads the matching response.
func roundTrip(ctx context.Context, network, server string, wire []byte, q *dnswire.Msg, timeout time.Duration) (*exchange, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, network, server)
	if err != nil {
		return nil, fmt.Errorf("dnslookup: %w", err)
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	start := time.Now()
	buf := make([]byte, 65535)
	var resp []byte
	if network == "tcp" {
		if err := dnswire.WriteTCP(c, wire); err != nil {
			return nil, fmt.Errorf("dnslookup: %w", err)
		}
		if resp, err = dnswire.ReadTCP(c, buf); err != nil {
			return nil, fmt.Errorf("dnslookup: %w", err)
		}
	} else {
		if _, err := c.Write(wire); err != nil {
			return nil, fmt.Errorf("dnslookup: %w", err)
		}
		for {
			n, err := c.Read(buf)
			if err != nil {
				return nil, fmt.Errorf("dnslookup: %w", err)
			}
			resp = buf[:n]
			// A datagram with another ID is stale or forged: keep
			// waiting for ours (RFC 5452 9.1).
			if n >= 2 && binary.BigEndian.Uint16(resp) == q.ID {
				break
			}
		}
	}
	rtt := time.Since(start)
	m := new(dnswire.Msg)
	if err := m.Unpack(resp); err != nil {
		return nil, fmt.Errorf("dnslookup: malformed response from %s: %w", server, err)
	}
	if !m.Response || m.ID != q.ID || (len(m.Question) > 0 && !sameQuestion(m.Question[0], q.Question[0])) {
		return nil, errBadResponse
	}
	return &exchange{Msg: m, Size: len(resp), RTT: rtt, Server: server, TCP: network == "tcp", QueryLen: len(wire)}, nil
}

func sameQuestion(a, b dnswire.Question) bool {
	return a.Type == b.Type && a.Class == b.Class && a.Name.Equal(b.Name)
}
