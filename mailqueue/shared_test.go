package mailqueue

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// waitTimerAt waits until some goroutine waits on c for time at.
func waitTimerAt(c *fakeClock, at time.Time) {
	for {
		c.mu.Lock()
		found := slices.ContainsFunc(c.timers, func(x *fakeTimer) bool { return x.at.Equal(at) })
		c.mu.Unlock()
		if found {
			return
		}
		runtime.Gosched()
	}
}

// sharedHarness runs several queue nodes on one Spool in Shared mode,
// with one fake clock, resolver and deliverer.
type sharedHarness struct {
	t     *testing.T
	clock *fakeClock
	res   *fakeResolver
	dlv   *fakeDeliverer
	store *countingStore
	nodes []*Queue
}

// countingStore counts the lease calls a queue makes on a LeaseStore.
type countingStore struct {
	LeaseStore
	claims, renews, lost atomic.Int64
}

func (s *countingStore) Claim(ctx context.Context, owner string, now time.Time, max int, ttl time.Duration) ([]Lease, error) {
	s.claims.Add(1)
	return s.LeaseStore.Claim(ctx, owner, now, max, ttl)
}

func (s *countingStore) Renew(ctx context.Context, l Lease, now time.Time, ttl time.Duration) (Lease, error) {
	s.renews.Add(1)
	nl, err := s.LeaseStore.Renew(ctx, l, now, ttl)
	if errors.Is(err, ErrLeaseLost) {
		s.lost.Add(1)
	}
	return nl, err
}

func newSharedHarness(t *testing.T, n int, cfg Config) *sharedHarness {
	t.Helper()
	h := &sharedHarness{t: t, clock: newFakeClock(), res: newFakeResolver()}
	h.dlv = &fakeDeliverer{clock: h.clock}
	h.res.simple("example.com", "192.0.2.1")
	h.res.simple("example.org", "192.0.2.2")
	h.store = &countingStore{LeaseStore: openSpool(t, t.TempDir(), SpoolConfig{})}
	cfg.Clock, cfg.Resolver, cfg.Deliverer = h.clock, h.res, h.dlv
	cfg.Hostname, cfg.Shared = "mq.example.org", true
	if cfg.LeaseTTL == 0 {
		cfg.LeaseTTL = time.Minute
	}
	for i := range n {
		c := cfg
		c.Node = fmt.Sprintf("node%d", i)
		q, err := New(h.store, c)
		if err != nil {
			t.Fatal(err)
		}
		if q.shared == nil {
			t.Fatal("Shared queue on a Spool does not claim through leases")
		}
		t.Cleanup(func() { q.Shutdown(context.Background()) })
		h.nodes = append(h.nodes, q)
	}
	return h
}

func (h *sharedHarness) settle() {
	for range 3 { // one node's outcome (a bounce) can be due for another
		for _, q := range h.nodes {
			q.settle()
		}
	}
}

// step moves the clock forward by d in steps of at most a second
// (PollInterval), settling every node at each.
func (h *sharedHarness) step(d time.Duration) {
	end := h.clock.Now().Add(d)
	for h.clock.Now().Before(end) {
		h.settle()
		next := h.clock.Now().Add(time.Second)
		if next.After(end) {
			next = end
		}
		h.clock.set(next)
	}
	h.settle()
}

func testBody(from, to string) []byte {
	return []byte("From: <" + from + ">\r\nTo: <" + to + ">\r\nSubject: test\r\n\r\nhello\r\n")
}

func TestSharedNodesDeliverEachMessageOnce(t *testing.T) {
	h := newSharedHarness(t, 3, Config{})
	const n = 300
	ids := map[ID]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q := h.nodes[i%len(h.nodes)]
			to := fmt.Sprintf("u%d@example.com", i)
			id, err := q.Enqueue(context.Background(), Envelope{From: "alice@example.org", Recipients: []Recipient{{Addr: to}}}, testBody("alice@example.org", to))
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			ids[id] = true
			mu.Unlock()
		}()
	}
	wg.Wait()
	h.step(3 * time.Second)
	seen := map[ID]int{}
	for _, c := range h.dlv.snapshot() {
		seen[c.Txn.ID]++
	}
	if len(seen) != n {
		t.Fatalf("%d messages delivered, want %d", len(seen), n)
	}
	for id, k := range seen {
		if !ids[id] || k != 1 {
			t.Fatalf("message %v delivered %d times (enqueued: %v)", id, k, ids[id])
		}
	}
	for _, q := range h.nodes {
		if l := q.Len(); l != 0 {
			t.Fatalf("store still holds %d messages", l)
		}
	}
	if h.store.claims.Load() == 0 {
		t.Fatal("no Claim calls")
	}
}

// A deferred message is retried on schedule by whichever node claims it,
// and when its lifetime ends exactly one bounce reaches the sender.
func TestSharedRetriesAndBouncesOnce(t *testing.T) {
	h := newSharedHarness(t, 2, Config{Schedule: Fixed(10 * time.Minute), Lifetime: time.Hour})
	h.dlv.fn = func(t Target, txn *Transaction) ([]Reply, error) {
		if txn.From == "" {
			return replies(len(txn.Recipients), Reply{Code: 250}), nil
		}
		return replies(len(txn.Recipients), Reply{Code: 451, Enhanced: "4.3.0", Text: "try later"}), nil
	}
	start := h.clock.Now()
	if _, err := h.nodes[1].Enqueue(context.Background(), Envelope{From: "alice@example.org", Recipients: []Recipient{{Addr: "bob@example.com"}}}, testBody("alice@example.org", "bob@example.com")); err != nil {
		t.Fatal(err)
	}
	h.step(90 * time.Minute)
	tries := callsTo(h.dlv.snapshot(), "bob@example.com")
	if len(tries) != 7 { // +0, 10, ..., 50 and the last at the lifetime, +60
		var at []time.Duration
		for _, c := range tries {
			at = append(at, c.At.Sub(start))
		}
		t.Fatalf("%d attempts at %v, want 7", len(tries), at)
	}
	for i, c := range tries {
		if want := start.Add(time.Duration(i) * 10 * time.Minute); !c.At.Equal(want) {
			t.Fatalf("attempt %d at +%v, want +%v", i+1, c.At.Sub(start), want.Sub(start))
		}
	}
	bounces := callsTo(h.dlv.snapshot(), "alice@example.org")
	if len(bounces) != 1 || bounces[0].Txn.From != "" {
		t.Fatalf("%d bounces, want 1", len(bounces))
	}
	if l := h.nodes[0].Len(); l != 0 {
		t.Fatalf("store still holds %d messages", l)
	}
}

// The messages a dead node had claimed come back when its leases expire,
// and its late write is refused.
func TestSharedDeadNodesLeaseExpires(t *testing.T) {
	h := newSharedHarness(t, 1, Config{LeaseTTL: time.Minute})
	q := h.nodes[0]
	// Enqueue while a "dead" node holds the claim: enqueue on hold, then
	// release through the store and claim as the dead node at once.
	id, err := q.EnqueueHeld(context.Background(), Envelope{From: "alice@example.org", Recipients: []Recipient{{Addr: "bob@example.com"}}}, testBody("alice@example.org", "bob@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := h.store.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	m.State.Held = false
	// Store the release and claim before the live node's next poll.
	if err := h.store.Update(context.Background(), id, &m.State); err != nil {
		t.Fatal(err)
	}
	dead, err := h.store.Claim(context.Background(), "dead", h.clock.Now(), 10, time.Minute)
	if err != nil || len(dead) != 1 {
		t.Fatalf("dead node's claim: %v, %v", dead, err)
	}
	h.step(50 * time.Second)
	if n := len(h.dlv.snapshot()); n != 0 {
		t.Fatalf("%d deliveries while another node's lease held", n)
	}
	h.step(20 * time.Second)
	if n := len(h.dlv.snapshot()); n != 1 {
		t.Fatalf("%d deliveries after the lease expired, want 1", n)
	}
	if err := h.store.RemoveLeased(context.Background(), dead[0], h.clock.Now()); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("dead node's late write: %v, want ErrLeaseLost", err)
	}
}

// gateDeliverer is a Deliverer that blocks until released.
type gateDeliverer struct {
	entered chan struct{}
	gate    chan struct{}
}

func (d *gateDeliverer) Deliver(ctx context.Context, t Target, txn *Transaction) ([]Reply, error) {
	d.entered <- struct{}{}
	select {
	case <-d.gate:
		return replies(len(txn.Recipients), Reply{Code: 250}), nil
	case <-ctx.Done():
		return nil, &DeliveryError{Stage: StageData, Err: ctx.Err()}
	}
}

// A long attempt keeps its lease by renewing it: the other node does not
// take the message although the attempt outlasts several lease lengths.
func TestSharedLeaseRenewedDuringLongAttempt(t *testing.T) {
	clock := newFakeClock()
	res := newFakeResolver()
	res.simple("example.com", "192.0.2.1")
	store := &countingStore{LeaseStore: openSpool(t, t.TempDir(), SpoolConfig{})}
	gd := &gateDeliverer{entered: make(chan struct{}, 4), gate: make(chan struct{})}
	cfg := Config{Clock: clock, Resolver: res, Deliverer: gd, Hostname: "mq.example.org", Shared: true, LeaseTTL: 30 * time.Second}
	a, err := New(store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Shutdown(context.Background())
	if _, err := a.Enqueue(context.Background(), Envelope{From: "alice@example.org", Recipients: []Recipient{{Addr: "bob@example.com"}}}, testBody("alice@example.org", "bob@example.com")); err != nil {
		t.Fatal(err)
	}
	<-gd.entered
	// The other node renews every 11 seconds, so its renewer's timers (like
	// both nodes' 1-second polls) never fall on the 10-second instants this
	// test waits for a's renewer at, however late its goroutine runs.
	t0 := clock.Now()
	cfg.Node, cfg.LeaseTTL = "other", 33*time.Second
	b, err := New(store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Shutdown(context.Background())
	for k := range 12 { // 2 minutes in 10-second steps: four lease lengths
		r := store.renews.Load()
		next := t0.Add(time.Duration(k+1) * 10 * time.Second)
		waitTimerAt(clock, next) // a's renewer is waiting for its next turn
		clock.set(next)
		for store.renews.Load() == r { // its timer fired: wait for its call
			runtime.Gosched()
		}
		b.settle()
	}
	select {
	case <-gd.entered:
		t.Fatal("the other node attempted a message under a renewed lease")
	default:
	}
	if store.lost.Load() != 0 {
		t.Fatal("a renewal found the lease lost")
	}
	close(gd.gate)
	a.settle()
	if l := a.Len(); l != 0 {
		t.Fatalf("store still holds %d messages", l)
	}
}

func TestSharedOperations(t *testing.T) {
	h := newSharedHarness(t, 2, Config{})
	q := h.nodes[0]
	id, err := q.EnqueueHeld(context.Background(), Envelope{From: "alice@example.org", Recipients: []Recipient{{Addr: "bob@example.com"}}}, testBody("alice@example.org", "bob@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	h.step(2 * time.Second)
	var listed []Entry
	if err := h.nodes[1].List(context.Background(), func(e Entry) error { listed = append(listed, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(listed) != 1 || listed[0].ID != id || !listed[0].Held {
		t.Fatalf("List on the other node: %+v", listed)
	}
	if err := h.nodes[1].Release(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	h.step(2 * time.Second)
	if n := len(h.dlv.snapshot()); n != 1 {
		t.Fatalf("%d deliveries after Release, want 1", n)
	}
	id2, err := q.EnqueueHeld(context.Background(), Envelope{From: "alice@example.org", Recipients: []Recipient{{Addr: "carol@example.com"}}}, testBody("alice@example.org", "carol@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if err := h.nodes[1].Delete(context.Background(), id2); err != nil {
		t.Fatal(err)
	}
	if err := q.Hold(context.Background(), id2); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Hold of a deleted message: %v", err)
	}
	if l := q.Len(); l != 0 {
		t.Fatalf("Len %d after Delete", l)
	}
}
