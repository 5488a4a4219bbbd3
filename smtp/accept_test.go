package smtp

import (
	"bufio"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/relaykit/internal/faultnet"
)

// TestServeAfterEMFILE: running out of file descriptors for a moment
// does not stop the server.
func TestServeAfterEMFILE(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	el := &faultnet.EMFILEListener{Listener: l}
	s := &Server{Backend: &discardBackend{}}
	done := make(chan error, 1)
	go func() { done <- s.Serve(el) }()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	greeting, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || !strings.HasPrefix(greeting, "220 ") {
		t.Fatalf("greeting %q, %v (Serve: %v)", greeting, err, func() error {
			select {
			case err := <-done:
				return err
			default:
				return nil
			}
		}())
	}
	if !el.Failed() {
		t.Fatal("the failing Accept was not called")
	}
	s.Close()
	if err := <-done; !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve: %v", err)
	}
}
