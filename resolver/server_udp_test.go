package resolver

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// TestServerUDPBurst sends bursts of queries from several sockets at
// once, so the server reads many per system call where it can (recvmmsg
// on Linux) and answers some from the cache and some through the slow
// path in the same batch: every query gets its own answer, to its own
// address, with its ID, its question's case (0x20) and its EDNS.
func TestServerUDPBurst(t *testing.T) {
	t.Run("loop=native", func(t *testing.T) { testServerUDPBurst(t, false) })
	// A net.PacketConn that is not a *net.UDPConn takes the portable
	// loop (ReadFrom/WriteTo) everywhere.
	t.Run("loop=portable", func(t *testing.T) { testServerUDPBurst(t, true) })
}

// plainPacketConn hides the *net.UDPConn under a net.PacketConn.
type plainPacketConn struct{ net.PacketConn }

func testServerUDPBurst(t *testing.T, portable bool) {
	_, r := newTest(t, Config{})
	var udp net.Addr
	if portable {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		s := NewServer(ServerConfig{Resolver: r})
		done := make(chan error, 1)
		go func() { done <- s.ServeUDP(plainPacketConn{pc}) }()
		t.Cleanup(func() {
			s.Close()
			if err := <-done; !errors.Is(err, ErrClosed) {
				t.Errorf("ServeUDP returned %v", err)
			}
		})
		udp = pc.LocalAddr()
	} else {
		_, udp, _ = startServer(t, ServerConfig{Resolver: r})
	}
	cases := []burstCase{
		{"MuLtI.example.com.", true, dnswire.RCodeSuccess, 3},
		{"www.EXAMPLE.com.", false, dnswire.RCodeSuccess, 1},
		{"alias2.example.com.", true, dnswire.RCodeSuccess, 3},
		{"nOpE.example.com.", false, dnswire.RCodeNameError, 0},
		{"www.example.org.", true, dnswire.RCodeSuccess, 1},
	}
	// Cache all but www.example.org, which the first burst resolves
	// through the slow path.
	for _, c := range cases[:4] {
		exchangeUDP(t, udp, query(t, c.name, dnswire.TypeA, 0))
	}
	const clients, perClient = 4, 100
	errc := make(chan error, clients)
	for ci := range clients {
		go func() { errc <- burst(udp, ci, perClient, cases) }()
	}
	for range clients {
		if err := <-errc; err != nil {
			t.Error(err)
		}
	}
}

// burstCase is a query of TestServerUDPBurst and its expected answer.
type burstCase struct {
	name  string
	edns  bool
	rcode dnswire.RCode
	n     int
}

// burst sends n queries from one socket in waves of wave queries sent
// without waiting, reading each wave's answers before the next (small
// enough that the kernel's socket buffers do not drop any), and checks
// each answer against the query with its ID.
func burst(addr net.Addr, ci, n int, cases []burstCase) error {
	const wave = 10
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	seen := make(map[uint16]bool)
	buf := make([]byte, 65535)
	for first := 0; first < n; first += wave {
		for i := first; i < min(first+wave, n); i++ {
			w := cases[i%len(cases)]
			var m dnswire.Msg
			m.RecursionDesired = true
			m.SetQuestion(dnswire.MustName(w.name), dnswire.TypeA)
			m.ID = uint16((ci+1)<<12 | i) // never 0 (SetQuestion picks one then)
			if w.edns {
				m.SetEDNS(1232, false)
			}
			b, err := m.Pack()
			if err != nil {
				return err
			}
			if _, err := c.WriteTo(b, addr); err != nil {
				return err
			}
		}
		for len(seen) < min(first+wave, n) {
			k, from, err := c.ReadFrom(buf)
			if err != nil {
				return fmt.Errorf("client %d: %d of %d answers: %v", ci, len(seen), n, err)
			}
			if from.String() != addr.String() {
				return fmt.Errorf("answer from %v", from)
			}
			var m dnswire.Msg
			if err := m.Unpack(buf[:k]); err != nil {
				return err
			}
			i := int(m.ID) & 0xFFF
			if int(m.ID)>>12 != ci+1 || i >= min(first+wave, n) || seen[m.ID] {
				return fmt.Errorf("client %d: unexpected or repeated ID %#x", ci, m.ID)
			}
			seen[m.ID] = true
			w := cases[i%len(cases)]
			switch {
			case len(m.Question) != 1 || m.Question[0].Name.String() != w.name:
				return fmt.Errorf("ID %#x: question %v, want %s as sent", m.ID, m.Question, w.name)
			case m.RCode != w.rcode || len(m.Answer) != w.n:
				return fmt.Errorf("ID %#x %s: %v with %d answers, want %v with %d", m.ID, w.name, m.RCode, len(m.Answer), w.rcode, w.n)
			case (m.EDNS != nil) != w.edns:
				return fmt.Errorf("ID %#x: EDNS %v in the answer, %v in the query", m.ID, m.EDNS != nil, w.edns)
			}
		}
	}
	return nil
}

// TestServerUDPAllocs: a cached answer costs the server no allocation
// end to end, socket to socket (the client's side does not allocate
// either: one buffer, AddrPort calls).
func TestServerUDPAllocs(t *testing.T) {
	_, r := newTest(t, Config{})
	_, udp, _ := startServer(t, ServerConfig{Resolver: r})
	q := query(t, "multi.example.com.", dnswire.TypeA, 1232)
	exchangeUDP(t, udp, q)
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	to := netip.MustParseAddrPort(udp.String())
	buf := make([]byte, 1500)
	c.SetDeadline(time.Now().Add(20 * time.Second))
	exchange := func() {
		if _, err := c.WriteToUDPAddrPort(q, to); err != nil {
			t.Fatal(err)
		}
		if n, _, err := c.ReadFromUDPAddrPort(buf); err != nil || n < 12 || buf[0] != 0x12 || buf[1] != 0x34 {
			t.Fatalf("answer: %v", err)
		}
	}
	exchange()
	if allocs := testing.AllocsPerRun(500, exchange); allocs > 0 {
		t.Fatalf("%v allocations per cached UDP answer, want 0", allocs)
	}
}

// TestServerUDPOversized: a datagram larger than the server reads whole
// (mmsgBufSize on Linux) is not answered from a truncated copy, and the
// queries after it are answered.
func TestServerUDPOversized(t *testing.T) {
	_, r := newTest(t, Config{})
	_, udp, _ := startServer(t, ServerConfig{Resolver: r})
	q := query(t, "www.example.com.", dnswire.TypeA, 0)
	c, err := net.Dial("udp", udp.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The query followed by 8000 octets of junk: FORMERR from a server
	// that read it whole (counts do not match), nothing from one that
	// could not.
	big := append(append([]byte(nil), q...), make([]byte, 8000)...)
	big[0], big[1] = 0xBB, 0xBB
	c.Write(big)
	c.Write(q)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 65535)
	for {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		var m dnswire.Msg
		if err := m.Unpack(buf[:n]); err != nil {
			t.Fatal(err)
		}
		if m.ID == 0xBBBB {
			if m.RCode != dnswire.RCodeFormatError {
				t.Fatalf("oversized query answered %v", m.RCode)
			}
			continue
		}
		if m.ID != 0x1234 || len(m.Answer) != 1 {
			t.Fatalf("%+v", m.Header)
		}
		return
	}
}

// TestServerUDPv6: queries over IPv6 (::1) and IPv4 to a dual-stack
// socket (the client address arrives v4-mapped) are answered from the
// cache and, for a miss, through the slow path, to the right address.
func TestServerUDPv6(t *testing.T) {
	for _, c := range []struct{ listen, dial string }{{"[::1]:0", "[::1]"}, {"[::]:0", "127.0.0.1"}} {
		pc, err := net.ListenPacket("udp", c.listen)
		if err != nil {
			t.Logf("%s: %v (no IPv6 here?)", c.listen, err)
			continue
		}
		_, r := newTest(t, Config{})
		s := NewServer(ServerConfig{Resolver: r})
		done := make(chan error, 1)
		go func() { done <- s.ServeUDP(pc) }()
		_, port, _ := net.SplitHostPort(pc.LocalAddr().String())
		addr, err := net.ResolveUDPAddr("udp", net.JoinHostPort(strings.Trim(c.dial, "[]"), port))
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 { // a miss (slow path), then cache hits (built, then prepacked)
			m := exchangeUDP(t, addr, query(t, "www.example.com.", dnswire.TypeA, 1232))
			if m.ID != 0x1234 || len(m.Answer) != 1 {
				t.Fatalf("%s via %s, query %d: %+v, %d answers", c.listen, c.dial, i, m.Header, len(m.Answer))
			}
		}
		s.Close()
		if err := <-done; !errors.Is(err, ErrClosed) {
			t.Errorf("ServeUDP returned %v", err)
		}
	}
}

// BenchmarkServerUDP measures a cached answer socket to socket on
// loopback: a client keeps 32 queries in flight to the server (one
// op is one answer), through the batched loop (recvmmsg/sendmmsg where
// it exists) and through the portable one (ReadFromUDPAddrPort and
// WriteToUDPAddrPort, one datagram per system call). cpu-ns/op is the
// CPU time of the process (server and client) per answer.
func BenchmarkServerUDP(b *testing.B) {
	for _, portable := range []bool{false, true} {
		name := "loop=batched"
		if portable {
			name = "loop=portable"
		}
		b.Run(name, func(b *testing.B) {
			h := startHier(b, testZones, testServers)
			r := New(Config{RootHints: h.RootHints(), GluePort: h.Port(), AllowSpecialAddrs: true, Transport: h.Transport(), Now: h.Clock.Now})
			s := NewServer(ServerConfig{Resolver: r})
			pc, err := net.ListenPacket("udp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			s.noBatch = portable
			go s.ServeUDP(pc)
			defer s.Close()
			c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			to := netip.MustParseAddrPort(pc.LocalAddr().String())
			q := packedQuery(b, "www.example.com.", dnswire.TypeA, 1232, false, false, true, 7)
			buf := make([]byte, 1500)
			c.SetDeadline(time.Now().Add(time.Minute))
			exchange := func(n int) {
				const window = 32
				sent, got := 0, 0
				for got < n {
					for sent < n && sent-got < window {
						if _, err := c.WriteToUDPAddrPort(q, to); err != nil {
							b.Fatal(err)
						}
						sent++
					}
					if _, _, err := c.ReadFromUDPAddrPort(buf); err != nil {
						b.Fatal(err)
					}
					got++
				}
			}
			exchange(100) // fills the cache
			b.ReportAllocs()
			b.ResetTimer()
			cpu := processCPU()
			exchange(b.N)
			b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}
