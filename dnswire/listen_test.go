package dnswire

import (
	"net"
	"runtime"
	"testing"
	"time"
)

// ListenUDP's sockets share one port, and a datagram sent to it reaches
// one of them.
func TestListenUDP(t *testing.T) {
	pcs, err := ListenUDP("127.0.0.1:0", 3)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, pc := range pcs {
			pc.Close()
		}
	}()
	if runtime.GOOS == "linux" && len(pcs) != 3 {
		t.Fatalf("%d sockets on Linux, want 3", len(pcs))
	}
	addr := pcs[0].LocalAddr().String()
	for _, pc := range pcs[1:] {
		if got := pc.LocalAddr().String(); got != addr {
			t.Fatalf("socket on %s, first on %s", got, addr)
		}
	}
	got := make(chan string, len(pcs))
	for _, pc := range pcs {
		go func() {
			buf := make([]byte, 64)
			n, _, err := pc.ReadFrom(buf)
			if err == nil {
				got <- string(buf[:n])
			}
		}()
	}
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("query")); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-got:
		if s != "query" {
			t.Fatalf("read %q", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no socket received the datagram")
	}
	if _, err := ListenUDP("127.0.0.1:bad", 2); err == nil {
		t.Fatal("ListenUDP on a bad port: no error")
	}
	one, err := ListenUDP("127.0.0.1:0", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, pc := range one {
		pc.Close()
	}
	if len(one) != 1 {
		t.Fatalf("n=0 gave %d sockets, want 1", len(one))
	}
}
