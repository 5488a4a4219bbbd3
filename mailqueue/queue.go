package mailqueue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// Config configures a Queue. The zero value works: 30-minute retries for
// 5 days, DNS through the standard library, delivery over SMTP to port 25.
type Config struct {
	// Deliverer sends transactions. Nil means an SMTPDeliverer with its
	// zero configuration plus this Config's Hostname.
	Deliverer Deliverer
	// Resolver finds mail exchangers. Nil means NetResolver{}.
	Resolver Resolver
	// Port is the SMTP port of remote servers. Default 25.
	Port uint16
	// Schedule spaces the attempts. Nil means Fixed(30 * time.Minute).
	Schedule Schedule
	// Lifetime is how long a message may stay queued before its pending
	// recipients fail (RFC 5321 4.5.4.1: "at least 4-5 days"). Default 5
	// days.
	Lifetime time.Duration
	// DelayWarning, when positive, sends one RFC 3464 "Action: delayed"
	// report to the sender once a message has been queued that long.
	DelayWarning time.Duration
	// MaxHosts caps how many MX hosts one attempt tries. Default 5.
	MaxHosts int
	// MaxConcurrency caps deliveries in flight (one per message and
	// domain). Default 50.
	MaxConcurrency int
	// MaxPerDomain caps deliveries in flight to one domain. Default 10.
	MaxPerDomain int
	// MaxMessageSize bounds Enqueue. Default 64 MiB.
	MaxMessageSize int
	// Hostname names this system in reports (Reporting-MTA, the bounce's
	// From and Message-ID). Default os.Hostname().
	Hostname string
	// Postmaster, when set, receives a copy of the failure report for a
	// message with the null reverse-path, which is never bounced.
	Postmaster string
	// BounceReturnLimit caps how much of a message a bounce returns for
	// RET=FULL; a larger message returns its header only. Default 100 KiB.
	BounceReturnLimit int
	// Clock is the source of time. Nil means the real clock.
	Clock Clock
	// Logger receives queue events. Nil is silent.
	Logger *slog.Logger
	// Sign, when set, DKIM-signs each message at Enqueue with the key
	// of its sender domain (dkimsign.go). Nil sends messages as given.
	Sign SignFunc
	// Observer receives every event (accepted, attempt, delivered,
	// deferred, bounced, expired) with its reply, for metrics; *Counters
	// counts them. Nil reports nothing.
	Observer Observer

	// Shared makes the queue one node of several sharing its store, which
	// must then implement LeaseStore: the queue keeps no schedule in
	// memory but claims due messages from the store with a lease, renews
	// the leases while it attempts them, and records each outcome against
	// its lease (shared.go). A LeaseStore that is not a *Spool (pgstore,
	// say) is always used this way; Shared is needed only to run several
	// queues of one process on one Spool.
	Shared bool
	// Node names this queue in the leases it takes on a shared store.
	// Default: host name, process ID and a random suffix.
	Node string
	// LeaseTTL is how long a lease on a shared store lasts; the queue
	// renews it every third of that while the attempt runs. It is also
	// how long the messages of a node that died wait before the other
	// nodes take them over. Default 2 minutes.
	LeaseTTL time.Duration
	// PollInterval is how often an idle node of a shared store asks it
	// for due messages (other nodes' enqueues and retries). Default 1 s.
	// A store that implements Waker (pgstore, with LISTEN/NOTIFY) wakes
	// the node sooner; the poll stays as the fallback.
	PollInterval time.Duration
}

func (c *Config) setDefaults() {
	if c.Resolver == nil {
		c.Resolver = NetResolver{}
	}
	if c.Port == 0 {
		c.Port = 25
	}
	if c.Schedule == nil {
		c.Schedule = Fixed(30 * time.Minute)
	}
	if c.Lifetime <= 0 {
		c.Lifetime = 5 * 24 * time.Hour
	}
	if c.MaxHosts <= 0 {
		c.MaxHosts = 5
	}
	if c.MaxConcurrency <= 0 {
		c.MaxConcurrency = 50
	}
	if c.MaxPerDomain <= 0 {
		c.MaxPerDomain = 10
	}
	if c.MaxMessageSize <= 0 {
		c.MaxMessageSize = 64 << 20
	}
	if c.Hostname == "" {
		c.Hostname, _ = os.Hostname()
		if c.Hostname == "" {
			c.Hostname = "localhost"
		}
	}
	if c.BounceReturnLimit <= 0 {
		c.BounceReturnLimit = 100 << 10
	}
	if c.Clock == nil {
		c.Clock = realClock{}
	}
}

// Queue is a durable outbound mail queue. Create one with New; it runs
// until Shutdown.
type Queue struct {
	cfg   Config
	store Store
	own   *SMTPDeliverer // the default deliverer, closed by Shutdown

	ctx    context.Context // deliveries; cancelled when Shutdown gives up waiting
	cancel context.CancelFunc

	mu       sync.Mutex
	cond     *sync.Cond // signalled when a job ends or a scheduling pass completes
	items    map[ID]*item
	heap     itemHeap
	jobs     int // messages being worked on
	passes   uint64
	closing  bool
	disp     dispatcher
	wake     chan struct{}
	loopDone chan struct{}
	wg       sync.WaitGroup
	// shared is set when the queue claims from a LeaseStore (shared.go).
	shared *sharedState
	// renewDone stops the lease renewer after the last job has ended.
	renewDone chan struct{}
}

// item is the scheduler's view of one message: 24 bytes, plus its slot in
// the heap and the index map. Everything else stays in the store until
// the message is due.
type item struct {
	id    ID
	due   int64 // unix nanoseconds
	index int32 // position in the heap, -1 when not in it
	state uint8
	// flags set while a job runs, acted on when it ends
	pendingOps uint8
}

const (
	itemQueued  = iota // in the heap
	itemHeld           // held: not in the heap
	itemRunning        // a job has it
	itemBroken         // unreadable: left alone until restart
)

const (
	opHoldAfter = 1 << iota
	opReleaseAfter
	opDeleteAfter
	opFlushAfter
	// opFresh marks a message enqueued by this process whose first
	// attempt has not started: its stored state already says that the
	// first attempt began at Enqueue (see enqueue).
	opFresh
)

// New starts a queue over store, first recovering every message the
// store holds (Store.Scan). Messages the store reports as corrupt are
// logged and skipped.
func New(store Store, cfg Config) (*Queue, error) {
	cfg.setDefaults()
	var own *SMTPDeliverer
	if cfg.Deliverer == nil {
		own = &SMTPDeliverer{Hostname: cfg.Hostname}
		cfg.Deliverer = own
	}
	ctx, cancel := context.WithCancel(context.Background())
	q := &Queue{
		own:      own,
		cfg:      cfg,
		store:    store,
		ctx:      ctx,
		cancel:   cancel,
		items:    make(map[ID]*item),
		wake:     make(chan struct{}, 1),
		loopDone: make(chan struct{}),
	}
	q.cond = sync.NewCond(&q.mu)
	q.disp.init(cfg.MaxConcurrency, cfg.MaxPerDomain)
	if ls := sharedStore(store, &q.cfg); ls != nil {
		q.cfg.setSharedDefaults()
		q.shared = &sharedState{store: ls, leases: make(map[ID]*heldLease)}
		if w, ok := ls.(Waker); ok {
			q.shared.wakeups, q.shared.stopWakeup = w.Wakeups()
		}
		q.renewDone = make(chan struct{})
		q.log(slog.LevelInfo, "mailqueue: started on a shared store", "node", q.cfg.Node)
		go q.loopShared()
		go q.renewLeases(q.renewDone)
		return q, nil
	}
	if cfg.Shared {
		cancel()
		return nil, errors.New("mailqueue: Config.Shared needs a store that implements LeaseStore")
	}
	err := store.Scan(context.Background(), func(s Summary) error {
		if s.Err != nil {
			q.log(slog.LevelError, "mailqueue: unreadable message in store", "id", s.ID, "err", s.Err)
			return nil
		}
		if _, dup := q.items[s.ID]; dup {
			return nil
		}
		it := &item{id: s.ID, due: s.NextAttempt.UnixNano(), index: -1}
		if s.NextAttempt.IsZero() {
			it.due = 0
		}
		q.items[s.ID] = it
		if s.Held {
			it.state = itemHeld
		} else {
			q.heap.push(it)
		}
		return nil
	})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("mailqueue: recovering: %w", err)
	}
	q.log(slog.LevelInfo, "mailqueue: started", "messages", len(q.items))
	go q.loop()
	return q, nil
}

func (q *Queue) log(level slog.Level, msg string, args ...any) {
	if q.cfg.Logger != nil {
		q.cfg.Logger.Log(context.Background(), level, msg, args...)
	}
}

func (q *Queue) now() time.Time { return q.cfg.Clock.Now() }

func (q *Queue) kick() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Enqueue stores a message and schedules its first attempt at once. It
// returns only when the store says the message is durable; an error
// (a full disk, say) means the message was not accepted, and an SMTP
// server should answer 452 (RFC 5321 4.5.3.1.10 names 452 for storage).
// body is the message content with CRLF line endings, not dot-stuffed;
// Enqueue keeps no reference to env or body after it returns.
func (q *Queue) Enqueue(ctx context.Context, env Envelope, body []byte) (ID, error) {
	q.mu.Lock()
	closing := q.closing
	q.mu.Unlock()
	if closing {
		return 0, ErrClosed
	}
	return q.enqueue(ctx, env, body, false)
}

// EnqueueHeld stores a message like Enqueue but on hold: it is not
// attempted until Release (like Postfix's HOLD action on accept).
func (q *Queue) EnqueueHeld(ctx context.Context, env Envelope, body []byte) (ID, error) {
	q.mu.Lock()
	closing := q.closing
	q.mu.Unlock()
	if closing {
		return 0, ErrClosed
	}
	return q.enqueue(ctx, env, body, true)
}

func (q *Queue) enqueue(ctx context.Context, env Envelope, body []byte, held bool) (ID, error) {
	if err := env.validate(); err != nil {
		return 0, err
	}
	if len(body) > q.cfg.MaxMessageSize {
		return 0, ErrTooLarge
	}
	now := q.now()
	// RFC 5322 2.1.1: a server may have accepted lines over 998 octets
	// (smtp.Server.MaxDataLine); what the queue stores and sends is legal.
	body = FoldLongLines(body)
	if q.cfg.Sign != nil {
		var err error
		if body, err = q.sign(&env, body); err != nil {
			return 0, err
		}
	}
	m := &Message{ID: newID(), Envelope: env, Body: body}
	m.Envelope.Recipients = append([]Recipient(nil), env.Recipients...)
	// The first attempt starts right away, so its bookkeeping is stored
	// with the message: one durable write instead of two. A crash before
	// that attempt delays it by one retry interval, like a crash during
	// any attempt.
	next := now.Add(q.cfg.Schedule.Delay(1))
	if life := now.Add(q.cfg.Lifetime); next.After(life) {
		next = life
	}
	m.State = State{Created: now, NextAttempt: next, Attempts: 1, Rcpts: make([]RcptState, len(env.Recipients))}
	if held {
		m.State = State{Created: now, NextAttempt: now, Held: true, Rcpts: m.State.Rcpts}
	}
	if q.shared != nil {
		// Any node may claim the message: it is stored due now, and
		// whichever node claims it counts the first attempt.
		m.State.NextAttempt, m.State.Attempts = now, 0
		if err := q.store.Put(ctx, m); err != nil {
			q.log(slog.LevelError, "mailqueue: enqueue failed", "err", err)
			return 0, err
		}
		if !held {
			q.kick()
		}
		q.observe(Event{Kind: EventAccepted, ID: m.ID})
		q.log(slog.LevelInfo, "mailqueue: enqueued", "id", m.ID, "from", env.From, "rcpts", len(env.Recipients), "size", len(body))
		return m.ID, nil
	}
	for {
		err := q.store.Put(ctx, m)
		if err == nil {
			break
		}
		q.mu.Lock()
		_, clash := q.items[m.ID]
		q.mu.Unlock()
		if !clash {
			q.log(slog.LevelError, "mailqueue: enqueue failed", "err", err)
			return 0, err
		}
		m.ID = newID() // a random ID collided with a queued one
	}
	q.mu.Lock()
	it := &item{id: m.ID, due: now.UnixNano(), index: -1, pendingOps: opFresh}
	q.items[m.ID] = it
	if held {
		it.state, it.pendingOps = itemHeld, 0
	} else {
		q.heap.push(it)
	}
	q.mu.Unlock()
	q.kick()
	q.observe(Event{Kind: EventAccepted, ID: m.ID})
	q.log(slog.LevelInfo, "mailqueue: enqueued", "id", m.ID, "from", env.From, "rcpts", len(env.Recipients), "size", len(body))
	return m.ID, nil
}

// maxJobs bounds messages loaded in memory at once.
func (q *Queue) maxJobs() int { return q.cfg.MaxConcurrency * 4 }

// loop is the scheduler: it starts a job for each due message and sleeps
// until the next one is due or something changes.
func (q *Queue) loop() {
	defer close(q.loopDone)
	for {
		q.mu.Lock()
		if q.closing {
			q.mu.Unlock()
			return
		}
		now := q.now().UnixNano()
		for q.heap.len() > 0 && q.jobs < q.maxJobs() {
			it := q.heap.peek()
			if it.due > now {
				break
			}
			q.heap.pop()
			it.state = itemRunning
			q.jobs++
			q.wg.Add(1)
			go q.job(it.id)
		}
		var timer <-chan time.Time
		stop := func() {}
		if q.heap.len() > 0 && q.jobs < q.maxJobs() {
			timer, stop = q.cfg.Clock.After(time.Duration(q.heap.peek().due - now))
		}
		q.passes++
		q.cond.Broadcast()
		q.mu.Unlock()
		select {
		case <-timer:
		case <-q.wake:
		}
		stop()
	}
}

// settle waits until the scheduler has looked at the clock's current
// time and no job is running, and nothing is due: the queue is idle until
// the clock moves. Tests use it between steps of a fake clock.
func (q *Queue) settle() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for {
		p := q.passes
		q.kick()
		for q.passes == p && !q.closing {
			q.cond.Wait()
		}
		if q.closing {
			return
		}
		// The pass ran with the lock held throughout: if it left no job
		// running, nothing was due and its timer is armed.
		if q.jobs == 0 && (q.heap.len() == 0 || q.heap.peek().due > q.now().UnixNano()) {
			return
		}
		for q.jobs > 0 {
			q.cond.Wait()
		}
	}
}

// Shutdown stops the queue: Enqueue fails with ErrClosed from now on, no
// new attempt starts, and deliveries in flight finish. If ctx ends first,
// those deliveries are cancelled; each such message keeps its recipients
// pending and its persisted next-attempt time, so nothing is lost. The
// store and a Deliverer from Config are not closed; the default one is.
func (q *Queue) Shutdown(ctx context.Context) error {
	q.mu.Lock()
	q.closing = true
	q.cond.Broadcast()
	q.mu.Unlock()
	q.kick()
	<-q.loopDone
	q.disp.close()
	done := make(chan struct{})
	go func() {
		q.wg.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		q.cancel()
		<-done
	}
	if q.renewDone != nil {
		close(q.renewDone)
	}
	if q.shared != nil && q.shared.stopWakeup != nil {
		q.shared.stopWakeup()
	}
	q.cancel()
	if q.own != nil {
		q.own.Close()
	}
	return err
}

// endJobUnless ends a job whose message stays queued, like endJob, unless
// Hold, Release or Delete arrived that the job has not applied (seen are
// the operations it did apply): then it returns the pending operations
// and the job goes on.
func (q *Queue) endJobUnless(id ID, next time.Time, held bool, seen uint8) uint8 {
	const storedOps = opHoldAfter | opReleaseAfter | opDeleteAfter
	q.mu.Lock()
	defer q.mu.Unlock()
	if it := q.items[id]; it != nil && q.shared == nil && it.pendingOps&^seen&storedOps != 0 {
		return it.pendingOps
	}
	q.endJobLocked(id, next, false, held, false)
	return 0
}

// endJob returns the item to the schedule (or drops it) after a job.
func (q *Queue) endJob(id ID, next time.Time, gone, held, broken bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.endJobLocked(id, next, gone, held, broken)
}

// endJobLocked is endJob with q.mu held.
func (q *Queue) endJobLocked(id ID, next time.Time, gone, held, broken bool) {
	if q.shared != nil {
		q.endSharedJob(id)
		return
	}
	it := q.items[id]
	if it == nil {
		return
	}
	switch {
	case gone:
		delete(q.items, id)
	case broken:
		it.state = itemBroken
	case held:
		it.state = itemHeld
	default:
		it.state = itemQueued
		it.due = next.UnixNano()
		if it.pendingOps&opFlushAfter != 0 {
			it.due = q.now().UnixNano()
		}
		q.heap.push(it)
	}
	it.pendingOps = 0
	q.jobs--
	q.cond.Broadcast()
	q.kick()
}

var errShutdown = errors.New("mailqueue: delivery abandoned at shutdown")
