package smtp

import (
	"net"
	"strings"
	"testing"
	"time"
)

// dialFrom connects to addr from the loopback address src and returns the
// client after reading the first reply line.
func dialFrom(t *testing.T, src, addr string) (*lineClient, string) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	lc := newLineClient(t, nc)
	return lc, lc.line()
}

// TestServerPerNetworkLimit: many addresses of one /24 cannot take every
// connection; another network still gets in.
func TestServerPerNetworkLimit(t *testing.T) {
	s := &Server{Backend: &testBackend{}, MaxConnections: 100, MaxConnectionsPerIP: 2, MaxConnectionsPerNetwork: 3}
	addr := startServer(t, s)
	for _, src := range []string{"127.0.0.1", "127.0.0.1", "127.0.0.2"} {
		if _, r := dialFrom(t, src, addr); !strings.HasPrefix(r, "220 ") {
			t.Fatalf("%s: %q", src, r)
		}
	}
	if _, r := dialFrom(t, "127.0.0.3", addr); !strings.HasPrefix(r, "421 4.7.0") || !strings.Contains(r, "network") {
		t.Fatalf("fourth connection from 127.0.0.0/24: %q", r)
	}
	if _, r := dialFrom(t, "127.0.1.1", addr); !strings.HasPrefix(r, "220 ") {
		t.Fatalf("another network: %q", r)
	}
}

// TestServerStressClosesIdle: once 80% of the connection slots are taken,
// connections that sit idle are closed after the stress timeout, those
// already waiting included, so an honest client finds a slot again.
func TestServerStressClosesIdle(t *testing.T) {
	s := &Server{Backend: &testBackend{}, MaxConnections: 5, Timeouts: ServerTimeouts{Stress: 100 * time.Millisecond}}
	addr := startServer(t, s)
	var idle []*lineClient
	for i := range 4 {
		lc, r := dialFrom(t, "127.0.0.1", addr)
		if !strings.HasPrefix(r, "220 ") {
			t.Fatalf("connection %d: %q", i, r)
		}
		idle = append(idle, lc)
	}
	// Every idle one, the first (which began waiting under the normal
	// 5-minute timeout) included, is told 421 and closed.
	start := time.Now()
	for i, lc := range idle {
		if r := lc.line(); !strings.HasPrefix(r, "421 4.4.2") {
			t.Fatalf("idle connection %d: %q", i, r)
		}
		lc.expectEOF()
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("idle connections closed after %v", el)
	}
	if lc, r := dialFrom(t, "127.0.0.1", addr); !strings.HasPrefix(r, "220 ") {
		t.Fatalf("honest client: %q", r)
	} else {
		lc.send("QUIT\r\n")
		lc.reply()
	}
}
