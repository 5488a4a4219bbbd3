package zone

import (
	"errors"
	"testing"

	"github.com/relaykit/relaykit/dnswire"
	"github.com/relaykit/relaykit/internal/faultnet"
)

// TestServeAfterEMFILE: running out of file descriptors for a moment
// does not stop the TCP server.
func TestServeAfterEMFILE(t *testing.T) {
	s := testServer(t)
	q, err := query("web.example.", dnswire.TypeA).Pack()
	if err != nil {
		t.Fatal(err)
	}
	b, err := faultnet.AnswersAfterEMFILE(t, s.Serve, func() { s.Close() }, q)
	if !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve: %v", err)
	}
	var m dnswire.Msg
	if err := m.Unpack(b); err != nil || len(m.Answer) == 0 {
		t.Fatalf("answer %+v, %v", m, err)
	}
}
