package pgstore

import (
	"context"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relaykit/relaykit/mailqueue"
)

// fakeClock is a mailqueue.Clock that moves only when the test says.
type fakeClock struct {
	mu     sync.Mutex
	cond   *sync.Cond
	now    time.Time
	timers map[*fakeTimer]bool
}

type fakeTimer struct {
	at time.Time
	c  chan time.Time
}

func newFakeClock() *fakeClock {
	c := &fakeClock{now: time.Now(), timers: map[*fakeTimer]bool{}}
	c.cond = sync.NewCond(&c.mu)
	return c
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) (<-chan time.Time, func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{at: c.now.Add(d), c: make(chan time.Time, 1)}
	c.timers[t] = true
	c.cond.Broadcast()
	return t.c, func() {
		c.mu.Lock()
		delete(c.timers, t)
		c.mu.Unlock()
	}
}

// advance moves the clock by d and fires the timers that come due.
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	for t := range c.timers {
		if !t.at.After(c.now) {
			t.c <- c.now
			delete(c.timers, t)
		}
	}
}

// waitTimer waits until someone waits on a timer set for d from now.
func (c *fakeClock) waitTimer(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		for t := range c.timers {
			if t.at.Equal(c.now.Add(d)) {
				return
			}
		}
		c.cond.Wait()
	}
}

// node is a queue over its own Store (its own pool and LISTEN
// connection, as another process would have) whose deliveries go to
// delivered.
type node struct {
	q         *mailqueue.Queue
	store     *Store
	claims    atomic.Int64 // Claim calls by q
	delivered chan mailqueue.ID
}

// countingStore counts a node's Claim calls.
type countingStore struct {
	*Store
	n *node
}

func (c countingStore) Claim(ctx context.Context, owner string, now time.Time, max int, ttl time.Duration) ([]mailqueue.Lease, error) {
	ls, err := c.Store.Claim(ctx, owner, now, max, ttl)
	c.n.claims.Add(1)
	return ls, err
}

// waitClaims waits until the node has called Claim k times.
func (n *node) waitClaims(k int64) {
	for n.claims.Load() < k {
		runtime.Gosched()
	}
}

func startNode(t *testing.T, dsn string, clock mailqueue.Clock, poll time.Duration, setup func(*Store)) *node {
	t.Helper()
	n := &node{store: openStore(t, dsn), delivered: make(chan mailqueue.ID, 100)}
	if setup != nil {
		setup(n.store)
	}
	cfg := mailqueue.Config{
		Clock:        clock,
		PollInterval: poll,
		Hostname:     "mq.example.org",
		Resolver:     mailqueue.StaticResolver{IP: map[string][]netip.Addr{"example.com": {netip.MustParseAddr("192.0.2.1")}}},
		Deliverer: mailqueue.DelivererFunc(func(ctx context.Context, tg mailqueue.Target, txn *mailqueue.Transaction) ([]mailqueue.Reply, error) {
			n.delivered <- txn.ID
			rs := make([]mailqueue.Reply, len(txn.Recipients))
			for i := range rs {
				rs[i] = mailqueue.Reply{Code: 250}
			}
			return rs, nil
		}),
	}
	q, err := mailqueue.New(countingStore{n.store, n}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	n.q = q
	t.Cleanup(func() { q.Shutdown(context.Background()) })
	return n
}

// enqueueElsewhere stores a message due now through s, as another node's
// Enqueue does (this node's own Enqueue would wake it by itself).
func enqueueElsewhere(t *testing.T, s *Store, id mailqueue.ID, now time.Time) {
	t.Helper()
	m := testMessage(id, "alice@example.org")
	m.State.Created, m.State.NextAttempt = now, now
	if err := s.Put(context.Background(), m); err != nil {
		t.Fatal(err)
	}
}

func expectDelivery(t *testing.T, n *node, id mailqueue.ID, within time.Duration) {
	t.Helper()
	select {
	case got := <-n.delivered:
		if got != id {
			t.Fatalf("delivered %v, want %v", got, id)
		}
	case <-time.After(within):
		t.Fatalf("message %v not delivered within %v", id, within)
	}
}

func expectNoDelivery(t *testing.T, n *node) {
	t.Helper()
	select {
	case got := <-n.delivered:
		t.Fatalf("message %v delivered before the node polled or was woken", got)
	default:
	}
}

// An idle node claims a message another node enqueued as soon as the
// NOTIFY of that commit reaches it: its poll (an hour, on a clock that
// never moves here) plays no part.
func TestNotifyWakesIdleNode(t *testing.T) {
	dsn := startPostgres(t)
	clock := newFakeClock()
	const poll = time.Hour
	listening := make(chan bool, 10)
	b := startNode(t, dsn, clock, poll, func(s *Store) {
		s.listen.listening = func(up bool) { listening <- up }
	})
	if !<-listening {
		t.Fatal("listener reported a drop before LISTEN")
	}
	b.waitClaims(2)       // the first pass, and the one after LISTEN
	clock.waitTimer(poll) // b found nothing and sleeps until its poll
	a := openStore(t, dsn)
	start := time.Now()
	enqueueElsewhere(t, a, 1, clock.Now())
	expectDelivery(t, b, 1, 30*time.Second)
	t.Logf("claimed and delivered %v after Put began; poll interval %v (not reached: the clock did not move)", time.Since(start), poll)
	if n := b.store.listen.notified.Load(); n != 1 {
		t.Fatalf("b received %d notifications, want 1", n)
	}
	if c := a.commit.commits.Load(); c != 1 {
		t.Fatalf("%d commits for one Put", c)
	}
}

// When the LISTEN connection is killed (pg_terminate_backend), the
// message enqueued meanwhile is delivered at the next poll; the listener
// connects again, and the next enqueue wakes the node at once.
func TestNotifyListenerKilled(t *testing.T) {
	dsn := startPostgres(t)
	clock := newFakeClock()
	const poll = time.Hour
	listening := make(chan bool, 10)
	reconnect := make(chan struct{})
	b := startNode(t, dsn, clock, poll, func(s *Store) {
		s.listen.listening = func(up bool) { listening <- up }
		s.listen.beforeReconnect = func(ctx context.Context) {
			select {
			case <-reconnect:
			case <-ctx.Done():
			}
		}
	})
	if !<-listening {
		t.Fatal("listener reported a drop before LISTEN")
	}
	// Two claims: the first pass, and the one the wake-up after LISTEN
	// caused (that wake-up is never merged with the first pass, which
	// does not read it). Then b sleeps until its poll with nothing
	// pending.
	b.waitClaims(2)
	clock.waitTimer(poll)
	a := openStore(t, dsn)
	a.commit.notifyGap = -1 // every Put notifies, however close together
	var killed int
	if err := a.pool.QueryRow(context.Background(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1`, listenAppName).Scan(&killed); err != nil || killed != 1 {
		t.Fatalf("terminated %d LISTEN connections (%v), want 1", killed, err)
	}
	if <-listening {
		t.Fatal("listener reported LISTEN, want the drop")
	}
	// The listener waits to reconnect; b sleeps until its poll.
	enqueueElsewhere(t, a, 1, clock.Now())
	expectNoDelivery(t, b) // no listener: the NOTIFY went nowhere
	if n := b.claims.Load(); n != 2 {
		t.Fatalf("b claimed %d times while nothing could wake it, want 2", n)
	}
	clock.advance(poll)
	expectDelivery(t, b, 1, 30*time.Second)

	notified := b.store.listen.notified.Load()
	close(reconnect)
	if !<-listening {
		t.Fatal("listener reported a drop, want LISTEN again")
	}
	enqueueElsewhere(t, a, 2, clock.Now())
	expectDelivery(t, b, 2, 30*time.Second)
	// The clock has not moved since the poll that delivered message 1, so
	// only the LISTEN connection woke b: at its reconnect, or with
	// message 2's notification, which it must have received.
	deadline := time.Now().Add(30 * time.Second)
	for b.store.listen.notified.Load() == notified {
		if time.Now().After(deadline) {
			t.Fatal("the new LISTEN connection received no notification")
		}
		runtime.Gosched()
	}
}
