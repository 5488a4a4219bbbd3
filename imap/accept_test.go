package imap

import (
	"errors"
	"testing"

	"github.com/relaykit/relaykit/internal/faultnet"
)

// TestServeAfterEMFILE: running out of file descriptors for a moment
// does not stop the server.
func TestServeAfterEMFILE(t *testing.T) {
	s := &Server{Backend: newMemBackend()}
	if err := faultnet.GreetsAfterEMFILE(t, s.Serve, func() { s.Close() }, "* OK"); !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve: %v", err)
	}
}
