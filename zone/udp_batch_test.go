package zone

import (
	"encoding/binary"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// udpClient is a UDP socket on 127.0.0.1 sending to s, with a deadline.
func udpClient(t testing.TB, s *Server) (*net.UDPConn, *net.UDPAddr) {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c, net.UDPAddrFromAddrPort(s.Addr())
}

// A burst of queries from several clients, more than one batch holds, is
// answered in full, each answer to its own client and query, by the
// batched loop and by the one-datagram loop alike.
func TestServePacketBurst(t *testing.T) {
	for _, noBatch := range []bool{false, true} {
		t.Run(fmt.Sprintf("noBatch=%v", noBatch), func(t *testing.T) {
			s := testServer(t)
			s.noBatch = noBatch
			startServer(t, s)
			const clients, per = 3, 3 * udpBatch
			conns := make([]*net.UDPConn, clients)
			var to *net.UDPAddr
			for c := range conns {
				conns[c], to = udpClient(t, s)
			}
			names := []string{"web.example.", "nope.example.", "x.net."}
			for i := range per {
				for c, conn := range conns {
					q := query(names[c], dnswire.TypeA)
					q.ID = uint16(c<<8 | i)
					w, _ := q.Pack()
					if _, err := conn.WriteToUDP(w, to); err != nil {
						t.Fatal(err)
					}
				}
			}
			buf := make([]byte, 4096)
			for c, conn := range conns {
				seen := map[uint16]bool{}
				for range per {
					n, err := conn.Read(buf)
					if err != nil {
						t.Fatalf("client %d after %d answers: %v", c, len(seen), err)
					}
					var m dnswire.Msg
					if err := m.Unpack(buf[:n]); err != nil {
						t.Fatal(err)
					}
					if int(m.ID>>8) != c || seen[m.ID] || !m.Response || len(m.Question) != 1 || m.Question[0].Name.String() != names[c] {
						t.Fatalf("client %d got answer %d to %v (seen %v)", c, m.ID, m.Question, seen[m.ID])
					}
					seen[m.ID] = true
				}
			}
		})
	}
}

// Answering over UDP, socket to socket, allocates nothing per query on
// either loop (the client's reads and writes allocate nothing either).
func TestServePacketAllocs(t *testing.T) {
	for _, noBatch := range []bool{false, true} {
		s := testServer(t)
		s.noBatch = noBatch
		s.UDPReaders = 1
		startServer(t, s)
		c, to := udpClient(t, s)
		q := query("web.example.", dnswire.TypeA)
		q.SetEDNS(1232, false)
		w, _ := q.Pack()
		buf := make([]byte, 4096)
		dst := to.AddrPort()
		allocs := testing.AllocsPerRun(200, func() {
			binary.BigEndian.PutUint16(w, binary.BigEndian.Uint16(w)+1)
			if _, err := c.WriteToUDPAddrPort(w, dst); err != nil {
				t.Fatal(err)
			}
			n, _, err := c.ReadFromUDPAddrPort(buf)
			if err != nil || n < 12 || buf[0] != w[0] || buf[1] != w[1] {
				t.Fatalf("answer %x: %v", buf[:n], err)
			}
		})
		if allocs > 0 {
			t.Errorf("noBatch %v: %.2f allocations per UDP query, budget 0", noBatch, allocs)
		}
	}
}

// BenchmarkServeUDP: bursts of 16 queries from one client socket to a
// server with one UDP reader, answered batched (recvmmsg/sendmmsg on
// Linux) and one datagram per system call; per query.
func BenchmarkServeUDP(b *testing.B) {
	for _, mode := range []struct {
		name    string
		noBatch bool
	}{{"batched", false}, {"unbatched", true}} {
		b.Run(mode.name, func(b *testing.B) {
			s := testServer(b)
			s.noBatch = mode.noBatch
			s.UDPReaders = 1
			if err := s.ListenAndServe("127.0.0.1:0"); err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			c.SetReadBuffer(1 << 20)
			dst := s.Addr()
			q := query("web.example.", dnswire.TypeA)
			q.SetEDNS(1232, false)
			w, _ := q.Pack()
			buf := make([]byte, 4096)
			const burst = 16
			b.ReportAllocs()
			for b.Loop() {
				for range burst {
					if _, err := c.WriteToUDPAddrPort(w, dst); err != nil {
						b.Fatal(err)
					}
				}
				for range burst {
					if _, _, err := c.ReadFromUDPAddrPort(buf); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*burst), "ns/query")
		})
	}
}
