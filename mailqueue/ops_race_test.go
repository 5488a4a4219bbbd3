package mailqueue

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
)

// gatedStore holds the first Update after armed is set until it is let
// go, to stand in the moment an attempt's outcome is being written. The
// Update waits for the test to see it (entered), whenever it comes: a
// gate that let it pass when the test was not yet waiting made the test
// wait forever for an Update already done (CI, 2026-12-07).
type gatedStore struct {
	Store
	armed   atomic.Bool // set by the test to arm the gate
	gated   atomic.Bool // the Update that waits has come
	entered chan struct{}
	release chan struct{}
}

func (s *gatedStore) Update(ctx context.Context, id ID, st *State) error {
	if s.armed.Load() && s.gated.CompareAndSwap(false, true) {
		s.entered <- struct{}{}
		<-s.release
	}
	return s.Store.Update(ctx, id, st)
}

// A Hold that arrives while an attempt's outcome is being written is not
// lost: the outcome is written again with it.
func TestHoldDuringOutcomeWrite(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, Config{})
	gs := &gatedStore{Store: h.store, entered: make(chan struct{}), release: make(chan struct{})}
	h.q.Shutdown(ctx)
	h.store = gs
	h.start()
	h.dlv.fn = func(tg Target, txn *Transaction) ([]Reply, error) { return nil, errors.New("refused") }
	// Armed before the message exists: Enqueue writes with Put, and a
	// fresh message's first attempt writes nothing before its outcome,
	// so the first Update is that outcome (deferred), which waits.
	gs.armed.Store(true)
	id := h.enqueue("alice@example.org", "a@example.com")
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
