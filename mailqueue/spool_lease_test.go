package mailqueue_test

import (
	"testing"

	"github.com/relaykit/relaykit/mailqueue"
	"github.com/relaykit/relaykit/mailqueue/storetest"
)

// TestSpoolConformance runs the Store and lease checks every store must
// pass against the Spool.
func TestSpoolConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) mailqueue.LeaseStore {
		s, err := mailqueue.OpenSpool(t.TempDir(), mailqueue.SpoolConfig{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
