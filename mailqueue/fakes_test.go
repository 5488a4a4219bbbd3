package mailqueue

import (
	"context"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"
)

// fakeClock is a Clock that moves only when told to.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at time.Time
	c  chan time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) (<-chan time.Time, func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{at: c.now.Add(d), c: make(chan time.Time, 1)}
	if d <= 0 {
		t.c <- c.now
		return t.c, func() {}
	}
	c.timers = append(c.timers, t)
	return t.c, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.timers = slices.DeleteFunc(c.timers, func(x *fakeTimer) bool { return x == t })
	}
}

// set moves the clock to t and fires the timers due by then.
func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
	c.timers = slices.DeleteFunc(c.timers, func(x *fakeTimer) bool {
		if x.at.After(t) {
			return false
		}
		x.c <- t
		return true
	})
}

// runFor runs the queue on the fake clock for d, jumping from one due
// time to the next. It asks the queue, not the clock's timers, what is due
// next: the scheduler may be between disarming one timer and arming the
// next when we look.
func runFor(q *Queue, c *fakeClock, d time.Duration) {
	end := c.Now().Add(d)
	for {
		q.settle()
		q.mu.Lock()
		var at time.Time
		ok := q.heap.len() > 0
		if ok {
			at = time.Unix(0, q.heap.peek().due)
		}
		q.mu.Unlock()
		if !ok || at.After(end) {
			c.set(end)
			q.settle()
			return
		}
		c.set(at)
	}
}

// fakeResolver answers from maps.
type fakeResolver struct {
	mu      sync.Mutex
	mx      map[string][]MX
	mxErr   map[string]error
	ip      map[string][]netip.Addr
	ipErr   map[string]error
	ipAsked []string
}

func newFakeResolver() *fakeResolver {
	return &fakeResolver{mx: map[string][]MX{}, mxErr: map[string]error{}, ip: map[string][]netip.Addr{}, ipErr: map[string]error{}}
}

func (r *fakeResolver) LookupMX(_ context.Context, d string) ([]MX, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.mxErr[d]; err != nil {
		return nil, err
	}
	if mx, ok := r.mx[d]; ok {
		return slices.Clone(mx), nil
	}
	if _, ok := r.ip[d]; ok {
		return nil, nil // exists, no MX
	}
	return nil, ErrNXDomain
}

func (r *fakeResolver) LookupIP(_ context.Context, h string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ipAsked = append(r.ipAsked, h)
	if err := r.ipErr[h]; err != nil {
		return nil, err
	}
	if a, ok := r.ip[h]; ok {
		return slices.Clone(a), nil
	}
	return nil, ErrNXDomain
}

// simple sets up domain with one MX host with one address.
func (r *fakeResolver) simple(domain, addr string) {
	r.mx[domain] = []MX{{Host: "mx." + domain, Pref: 10}}
	r.ip["mx."+domain] = []netip.Addr{netip.MustParseAddr(addr)}
}

type call struct {
	T     Target
	Txn   Transaction
	At    time.Time
	Rcpts []string
}

// fakeDeliverer records calls and answers through fn.
type fakeDeliverer struct {
	mu    sync.Mutex
	clock Clock
	calls []call
	fn    func(t Target, txn *Transaction) ([]Reply, error)
}

func (d *fakeDeliverer) Deliver(ctx context.Context, t Target, txn *Transaction) ([]Reply, error) {
	d.mu.Lock()
	c := call{T: t, Txn: *txn, At: d.clock.Now()}
	for _, r := range txn.Recipients {
		c.Rcpts = append(c.Rcpts, r.Addr)
	}
	d.calls = append(d.calls, c)
	fn := d.fn
	d.mu.Unlock()
	if fn == nil {
		return replies(len(txn.Recipients), Reply{Code: 250, Enhanced: "2.0.0", Text: "ok"}), nil
	}
	return fn(t, txn)
}

func (d *fakeDeliverer) snapshot() []call {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.calls)
}

func replies(n int, r Reply) []Reply {
	out := make([]Reply, n)
	for i := range out {
		out[i] = r
	}
	return out
}

type harness struct {
	t     *testing.T
	clock *fakeClock
	res   *fakeResolver
	dlv   *fakeDeliverer
	store Store
	q     *Queue
	cfg   Config
}

func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	h := &harness{t: t, clock: newFakeClock(), res: newFakeResolver()}
	h.dlv = &fakeDeliverer{clock: h.clock}
	h.res.simple("example.com", "192.0.2.1")
	h.res.simple("example.org", "192.0.2.2")
	h.store = openSpool(t, t.TempDir(), SpoolConfig{})
	cfg.Clock, cfg.Resolver, cfg.Deliverer = h.clock, h.res, h.dlv
	if cfg.Hostname == "" {
		cfg.Hostname = "mq.example.org"
	}
	h.cfg = cfg
	h.start()
	return h
}

func (h *harness) start() {
	q, err := New(h.store, h.cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	h.q = q
	h.t.Cleanup(func() { q.Shutdown(context.Background()) })
}

func (h *harness) enqueue(from string, rcpts ...string) ID {
	h.t.Helper()
	env := Envelope{From: from}
	for _, r := range rcpts {
		env.Recipients = append(env.Recipients, Recipient{Addr: r})
	}
	id, err := h.q.Enqueue(context.Background(), env, []byte("From: <"+from+">\r\nTo: <"+rcpts[0]+">\r\nSubject: test\r\nMessage-ID: <1@example.org>\r\n\r\nhello\r\n"))
	if err != nil {
		h.t.Fatal(err)
	}
	return id
}
