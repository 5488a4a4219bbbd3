package mailqueue

import (
	"context"
	"errors"
	"testing"
)

// gatedStore holds the first Update after arm until it is let go, to
// stand in the moment an attempt's outcome is being written.
type gatedStore struct {
	Store
	armed   chan struct{} // closed by the test to arm the gate
	entered chan struct{}
	release chan struct{}
}

func (s *gatedStore) Update(ctx context.Context, id ID, st *State) error {
	select {
	case <-s.armed:
		select {
		case s.entered <- struct{}{}:
			<-s.release
		default: // only the first Update after arming waits
		}
	default:
	}
	return s.Store.Update(ctx, id, st)
}

// A Hold that arrives while an attempt's outcome is being written is not
// lost: the outcome is written again with it.
func TestHoldDuringOutcomeWrite(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, Config{})
	gs := &gatedStore{Store: h.store, armed: make(chan struct{}), entered: make(chan struct{}), release: make(chan struct{})}
	h.q.Shutdown(ctx)
	h.store = gs
	h.start()
	h.dlv.fn = func(tg Target, txn *Transaction) ([]Reply, error) { return nil, errors.New("refused") }
	id := h.enqueue("alice@example.org", "a@example.com")
	close(gs.armed) // the first attempt's outcome (deferred) waits
	<-gs.entered
	if err := h.q.Hold(ctx, id); err != nil {
		t.Fatal(err)
	}
	close(gs.release)
	h.q.settle()
	m, err := h.store.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !m.State.Held {
		t.Fatal("the hold given during the outcome write is not stored")
	}
	var held bool
	h.q.List(ctx, func(e Entry) error { held = e.Held; return nil })
	if !held {
		t.Fatal("the queue does not list the message as held")
	}
}
