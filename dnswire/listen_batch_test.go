package dnswire

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"
)

func listenBatch(t *testing.T, network, addr string, size int) (*net.UDPConn, *PacketBatch) {
	t.Helper()
	pc, err := net.ListenPacket(network, addr)
	if err != nil {
		t.Skipf("cannot listen on %s %s: %v", network, addr, err)
	}
	t.Cleanup(func() { pc.Close() })
	c := pc.(*net.UDPConn)
	b, err := NewPacketBatch(c, size)
	if err != nil {
		t.Fatal(err)
	}
	return c, b
}

func newSlots(n, size int) []Datagram {
	ds := make([]Datagram, n)
	for i := range ds {
		ds[i].Buf = make([]byte, size)
	}
	return ds
}

// Datagrams sent to a batch are all read, with their sources, and the
// batch's echoes all reach the sender.
func TestPacketBatchEcho(t *testing.T) {
	for _, tc := range []struct{ network, addr string }{
		{"udp4", "127.0.0.1:0"}, {"udp6", "[::1]:0"}, {"udp", ":0"},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			srv, b := listenBatch(t, tc.network, tc.addr, 8)
			dst := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), srv.LocalAddr().(*net.UDPAddr).AddrPort().Port())
			cnet := "udp4"
			if tc.network == "udp6" {
				dst = netip.AddrPortFrom(netip.IPv6Loopback(), dst.Port())
				cnet = "udp6"
			}
			cli, err := net.ListenUDP(cnet, &net.UDPAddr{IP: net.IP(dst.Addr().AsSlice())})
			if err != nil {
				t.Skip(err)
			}
			defer cli.Close()
			const total = 20
			for i := range total {
				if _, err := cli.WriteToUDPAddrPort(fmt.Appendf(nil, "query %02d", i), dst); err != nil {
					t.Fatal(err)
				}
			}
			srv.SetReadDeadline(time.Now().Add(5 * time.Second))
			ds := newSlots(8, 512)
			seen := map[string]bool{}
			for len(seen) < total {
				n, err := b.ReadBatch(ds)
				if err != nil {
					t.Fatalf("after %d datagrams: %v", len(seen), err)
				}
				if n < 1 || n > 8 {
					t.Fatalf("ReadBatch read %d", n)
				}
				for i := range n {
					got := string(ds[i].Buf[:ds[i].N])
					if seen[got] || len(got) != 8 {
						t.Fatalf("datagram %q read twice or cut", got)
					}
					seen[got] = true
					if ds[i].Addr.Port() != cli.LocalAddr().(*net.UDPAddr).AddrPort().Port() || ds[i].Addr.Addr().Unmap() != dst.Addr() {
						t.Fatalf("source %v, client %v", ds[i].Addr, cli.LocalAddr())
					}
					ds[i].Buf[0] = 'Q'
				}
				if sent, err := b.WriteBatch(ds[:n]); err != nil || sent != n {
					t.Fatalf("WriteBatch sent %d of %d: %v", sent, n, err)
				}
			}
			cli.SetReadDeadline(time.Now().Add(5 * time.Second))
			buf := make([]byte, 64)
			for range total {
				n, _, err := cli.ReadFromUDPAddrPort(buf)
				if err != nil {
					t.Fatal(err)
				}
				if m := string(buf[:n]); !seen["q"+m[1:]] || m[0] != 'Q' {
					t.Fatalf("echo %q", m)
				}
			}
		})
	}
}

// A datagram longer than its slot is cut to the slot, as ReadFrom cuts it.
func TestPacketBatchShortBuffer(t *testing.T) {
	srv, b := listenBatch(t, "udp4", "127.0.0.1:0", 4)
	cli, err := net.DialUDP("udp4", nil, srv.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	cli.Write([]byte("0123456789"))
	srv.SetReadDeadline(time.Now().Add(5 * time.Second))
	ds := newSlots(4, 4)
	n, err := b.ReadBatch(ds)
	if err != nil || n != 1 || string(ds[0].Buf[:ds[0].N]) != "0123" {
		t.Fatalf("read %d %q %v", n, ds[0].Buf[:ds[0].N], err)
	}
}

// A datagram the kernel refuses (an IPv6 peer on an IPv4 socket) is
// skipped with an error; the others in the batch are sent.
func TestPacketBatchWriteSkipsRefused(t *testing.T) {
	srv, b := listenBatch(t, "udp4", "127.0.0.1:0", 4)
	cli, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	to := cli.LocalAddr().(*net.UDPAddr).AddrPort()
	ds := []Datagram{
		{Buf: []byte("a"), N: 1, Addr: to},
		{Buf: []byte("b"), N: 1, Addr: netip.MustParseAddrPort("[2001:db8::1]:53")},
		{Buf: []byte("c"), N: 1, Addr: to},
	}
	sent, err := b.WriteBatch(ds)
	if sent != 2 || err == nil {
		t.Fatalf("sent %d, err %v; want 2 and an error", sent, err)
	}
	cli.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 8)
	var got string
	for range 2 {
		n, _, err := cli.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatal(err)
		}
		got += string(buf[:n])
	}
	if got != "ac" {
		t.Fatalf("received %q, want \"ac\"", got)
	}
	_ = srv
}

// Close ends a ReadBatch waiting for datagrams; a deadline does too.
func TestPacketBatchCloseAndDeadline(t *testing.T) {
	srv, b := listenBatch(t, "udp4", "127.0.0.1:0", 4)
	ds := newSlots(4, 64)
	srv.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	_, err := b.ReadBatch(ds)
	if ne := net.Error(nil); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("after the deadline: %v, want a timeout", err)
	}
	srv.SetReadDeadline(time.Time{})
	done := make(chan error, 1)
	go func() { _, err := b.ReadBatch(ds); done <- err }()
	srv.Close()
	if err := <-done; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("after Close: %v, want net.ErrClosed", err)
	}
}

// A batch read and its written answers allocate nothing.
func TestPacketBatchAllocs(t *testing.T) {
	srv, b := listenBatch(t, "udp4", "127.0.0.1:0", 4)
	cli, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	dst := srv.LocalAddr().(*net.UDPAddr).AddrPort()
	ds := newSlots(4, 64)
	msg := []byte("query")
	buf := make([]byte, 64)
	allocs := testing.AllocsPerRun(100, func() {
		cli.WriteToUDPAddrPort(msg, dst)
		n, err := b.ReadBatch(ds)
		if err != nil || n != 1 {
			t.Fatalf("read %d: %v", n, err)
		}
		b.WriteBatch(ds[:n])
		cli.ReadFromUDPAddrPort(buf)
	})
	if allocs > 0 {
		t.Errorf("%.1f allocations per batch round trip, want 0", allocs)
	}
}

func BenchmarkPacketBatch(b *testing.B) {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer pc.Close()
	srv := pc.(*net.UDPConn)
	batch, _ := NewPacketBatch(srv, 16)
	cli, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer cli.Close()
	dst := srv.LocalAddr().(*net.UDPAddr).AddrPort()
	ds := newSlots(16, 512)
	msg := make([]byte, 40)
	buf := make([]byte, 512)
	b.ReportAllocs()
	for b.Loop() {
		for range 16 {
			cli.WriteToUDPAddrPort(msg, dst)
		}
		for got := 0; got < 16; {
			n, err := batch.ReadBatch(ds)
			if err != nil {
				b.Fatal(err)
			}
			batch.WriteBatch(ds[:n])
			got += n
		}
		for range 16 {
			cli.ReadFromUDPAddrPort(buf)
		}
	}
}
