package resolver

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnswire"
	"github.com/relaykit/relaykit/internal/faultnet"
)

// TestServeTCPAfterEMFILE: running out of file descriptors for a moment
// does not stop the TCP server.
func TestServeTCPAfterEMFILE(t *testing.T) {
	_, r := newTest(t, Config{})
	s := NewServer(ServerConfig{Resolver: r})
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	}
	b, err := faultnet.AnswersAfterEMFILE(t, s.ServeTCP, stop, query(t, "www.example.com.", dnswire.TypeA, 0))
	if !errors.Is(err, ErrClosed) {
		t.Errorf("ServeTCP: %v", err)
	}
	var m dnswire.Msg
	if err := m.Unpack(b); err != nil || len(m.Answer) != 1 {
		t.Fatalf("answer %+v, %v", m, err)
	}
}
