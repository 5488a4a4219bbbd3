package zone

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnswire"
	"github.com/relaykit/relaykit/internal/faultnet"
)

// TestServeAfterEMFILE: running out of file descriptors for a moment
// does not stop the TCP server.
func TestServeAfterEMFILE(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	el := &faultnet.EMFILEListener{Listener: l}
	s := testServer(t)
	done := make(chan error, 1)
	go func() { done <- s.Serve(el) }()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	q, err := query("web.example.", dnswire.TypeA).Pack()
	if err != nil {
		t.Fatal(err)
	}
	out, _ := dnswire.AppendTCP(nil, q)
	if _, err := c.Write(out); err != nil {
		t.Fatal(err)
	}
	var n [2]byte
	if _, err := io.ReadFull(c, n[:]); err != nil {
		select {
		case serr := <-done:
			t.Fatalf("no answer: %v (Serve: %v)", err, serr)
		default:
			t.Fatalf("no answer: %v", err)
		}
	}
	b := make([]byte, binary.BigEndian.Uint16(n[:]))
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatal(err)
	}
	var m dnswire.Msg
	if err := m.Unpack(b); err != nil || len(m.Answer) == 0 {
		t.Fatalf("answer %+v, %v", m, err)
	}
	if !el.Failed() {
		t.Fatal("the failing Accept was not called")
	}
	s.Close()
	if err := <-done; !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve: %v", err)
	}
}
