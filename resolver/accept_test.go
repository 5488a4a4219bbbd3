package resolver

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnswire"
	"github.com/relaykit/relaykit/internal/faultnet"
)

// TestServeTCPAfterEMFILE: running out of file descriptors for a moment
// does not stop the TCP server.
func TestServeTCPAfterEMFILE(t *testing.T) {
	_, r := newTest(t, Config{})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	el := &faultnet.EMFILEListener{Listener: l}
	s := NewServer(ServerConfig{Resolver: r})
	done := make(chan error, 1)
	go func() { done <- s.ServeTCP(el) }()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	out, _ := dnswire.AppendTCP(nil, query(t, "www.example.com.", dnswire.TypeA, 0))
	if _, err := c.Write(out); err != nil {
		t.Fatal(err)
	}
	var n [2]byte
	if _, err := io.ReadFull(c, n[:]); err != nil {
		select {
		case serr := <-done:
			t.Fatalf("no answer: %v (ServeTCP: %v)", err, serr)
		default:
			t.Fatalf("no answer: %v", err)
		}
	}
	b := make([]byte, binary.BigEndian.Uint16(n[:]))
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatal(err)
	}
	var m dnswire.Msg
	if err := m.Unpack(b); err != nil || len(m.Answer) != 1 {
		t.Fatalf("answer %+v, %v", m, err)
	}
	if !el.Failed() {
		t.Fatal("the failing Accept was not called")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Errorf("ServeTCP: %v", err)
	}
}
