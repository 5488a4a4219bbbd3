package mailqueue

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// wakingStore is a LeaseStore that is also a Waker whose wake-ups the
// test sends by hand.
type wakingStore struct {
	LeaseStore
	wake    chan struct{}
	stopped atomic.Int32
}

func (s *wakingStore) Wakeups() (<-chan struct{}, func()) {
	return s.wake, func() { s.stopped.Add(1) }
}

// An idle node of a shared store that is a Waker claims a message another
// node stored as soon as the store wakes it, without waiting for its poll
// (an hour here, on a clock that does not move); Shutdown stops the
// wake-ups.
func TestSharedWakerWakesIdleNode(t *testing.T) {
	clock := newFakeClock()
	res := newFakeResolver()
	res.simple("example.com", "192.0.2.1")
	delivered := make(chan ID, 1)
	dlv := DelivererFunc(func(ctx context.Context, tg Target, txn *Transaction) ([]Reply, error) {
		delivered <- txn.ID
		return replies(len(txn.Recipients), Reply{Code: 250}), nil
	})
	store := &wakingStore{LeaseStore: openSpool(t, t.TempDir(), SpoolConfig{}), wake: make(chan struct{}, 1)}
	poll := time.Hour
	q, err := New(store, Config{Clock: clock, Resolver: res, Deliverer: dlv, Shared: true, Node: "idle", PollInterval: poll, Hostname: "mq.example.org"})
	if err != nil {
		t.Fatal(err)
	}
	// The node's first pass found nothing and it sleeps until its poll.
	waitTimerAt(clock, clock.Now().Add(poll))

	// Another node stores a message due now (straight into the store: this
	// node's Enqueue would wake it by itself).
	m := &Message{ID: newID(), Envelope: Envelope{From: "alice@example.org", Recipients: []Recipient{{Addr: "bob@example.com"}}}, Body: testBody("alice@example.org", "bob@example.com")}
	m.State = State{Created: clock.Now(), NextAttempt: clock.Now(), Rcpts: make([]RcptState, 1)}
	if err := store.Put(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-delivered:
		t.Fatalf("message %v delivered before any wake-up", id)
	default:
	}
	store.wake <- struct{}{}
	select {
	case id := <-delivered:
		if id != m.ID {
			t.Fatalf("delivered %v, want %v", id, m.ID)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the wake-up did not make the idle node claim the message")
	}
	if err := q.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := store.stopped.Load(); n != 1 {
		t.Fatalf("stop called %d times at Shutdown, want 1", n)
	}
}
