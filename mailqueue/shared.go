package mailqueue

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"time"
)

// A queue on a shared store (Config.Shared, or any LeaseStore that is not
// a *Spool) is one node of several. It keeps no schedule in memory: it
// claims due messages from the store with a lease (LeaseStore.Claim),
// renews the leases of the messages it is attempting, writes each
// attempt's outcome fenced by the lease (UpdateLeased, RemoveLeased) and
// then releases it. A node that dies holds its leases until they expire;
// the other nodes then claim those messages. Only the messages whose
// attempt was in flight at the death can be delivered twice: the dead
// node may have sent them before it could record that.

// sharedState is what a shared queue keeps beside the single-node fields.
type sharedState struct {
	store LeaseStore
	// wakeups receives when another node may have made messages due, if
	// the store is a Waker; nil otherwise (a nil channel never receives).
	wakeups    <-chan struct{}
	stopWakeup func()
	// leases holds the lease of every message this node is attempting,
	// under Queue.mu.
	leases map[ID]*heldLease
}

type heldLease struct {
	l      Lease
	cancel context.CancelFunc // ends the attempt when the lease is lost
	ctx    context.Context
}

// sharedStore returns the LeaseStore the queue must claim through, or nil
// for the single-node path.
func sharedStore(store Store, cfg *Config) LeaseStore {
	ls, ok := store.(LeaseStore)
	if !ok {
		return nil
	}
	if _, spool := store.(*Spool); spool && !cfg.Shared {
		// A Spool has one owner process: the in-memory schedule is
		// cheaper than leases and just as safe.
		return nil
	}
	return ls
}

func (c *Config) setSharedDefaults() {
	if c.Node == "" {
		h, _ := os.Hostname()
		c.Node = h + "-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatUint(rand.Uint64()&0xffffff, 16)
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = 2 * time.Minute
	}
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
}

// loopShared is the scheduler of a shared queue: it claims as many due
// messages as it has room for, starts a job for each, and when the store
// had fewer than asked for, sleeps until PollInterval has passed, this
// node enqueued or finished something, or the store (a Waker) says
// another node made messages due.
func (q *Queue) loopShared() {
	defer close(q.loopDone)
	sh := q.shared
	for {
		q.mu.Lock()
		if q.closing {
			q.mu.Unlock()
			return
		}
		room := q.maxJobs() - q.jobs
		q.mu.Unlock()
		var leases []Lease
		var err error
		if room > 0 {
			leases, err = sh.store.Claim(q.ctx, q.cfg.Node, q.now(), room, q.cfg.LeaseTTL)
			if err != nil {
				q.log(slog.LevelWarn, "mailqueue: claim failed", "node", q.cfg.Node, "err", err)
			}
		}
		q.mu.Lock()
		for _, l := range leases {
			if q.closing || q.items[l.ID] != nil {
				// Shutting down, or a message whose earlier lease this
				// node lost while its attempt still runs: hand it back.
				go sh.store.Release(context.Background(), l)
				continue
			}
			ctx, cancel := context.WithCancel(q.ctx)
			sh.leases[l.ID] = &heldLease{l: l, ctx: ctx, cancel: cancel}
			q.items[l.ID] = &item{id: l.ID, index: -1, state: itemRunning}
			q.jobs++
			q.wg.Add(1)
			go q.job(l.ID)
		}
		full := room > 0 && err == nil && len(leases) == room
		q.passes++
		q.cond.Broadcast()
		closing := q.closing
		q.mu.Unlock()
		if closing {
			return
		}
		if full {
			continue
		}
		timer, stop := q.cfg.Clock.After(q.cfg.PollInterval)
		select {
		case <-timer:
		case <-q.wake:
		case <-sh.wakeups:
		}
		stop()
	}
}

// renewLeases extends the leases of the messages this node is attempting
// every third of LeaseTTL, until the queue has shut down and its jobs
// ended. A lease that cannot be renewed any more ends its attempt.
func (q *Queue) renewLeases(done <-chan struct{}) {
	sh := q.shared
	for {
		timer, stop := q.cfg.Clock.After(q.cfg.LeaseTTL / 3)
		select {
		case <-done:
			stop()
			return
		case <-timer:
		}
		q.mu.Lock()
		ls := make([]Lease, 0, len(sh.leases))
		for _, h := range sh.leases {
			ls = append(ls, h.l)
		}
		q.mu.Unlock()
		for _, l := range ls {
			nl, err := sh.store.Renew(context.Background(), l, q.now(), q.cfg.LeaseTTL)
			q.mu.Lock()
			h := sh.leases[l.ID]
			if h != nil && h.l.Token == l.Token {
				switch {
				case err == nil:
					h.l = nl
				case errors.Is(err, ErrLeaseLost):
					h.cancel()
				}
			}
			q.mu.Unlock()
			if err != nil {
				q.log(slog.LevelWarn, "mailqueue: lease renewal failed", "id", l.ID, "node", q.cfg.Node, "err", err)
			}
		}
	}
}

// jobContext is the context deliveries of message id run under: the
// queue's, or on a shared store, one that also ends with the lease.
func (q *Queue) jobContext(id ID) context.Context {
	if q.shared == nil {
		return q.ctx
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if h := q.shared.leases[id]; h != nil {
		return h.ctx
	}
	return q.ctx
}

func (q *Queue) leaseOf(id ID) (Lease, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	h := q.shared.leases[id]
	if h == nil {
		return Lease{}, false
	}
	return h.l, true
}

// storeUpdate records an attempt's outcome: on a shared store against the
// lease, which is then released so any node may take the message when it
// is next due.
func (q *Queue) storeUpdate(ctx context.Context, id ID, st *State) error {
	if q.shared == nil {
		return q.store.Update(ctx, id, st)
	}
	l, ok := q.leaseOf(id)
	if !ok {
		return ErrLeaseLost
	}
	if err := q.shared.store.UpdateLeased(ctx, l, q.now(), st); err != nil {
		return err
	}
	if err := q.shared.store.Release(ctx, l); err != nil && !errors.Is(err, ErrLeaseLost) {
		// The outcome is stored; the lease runs out by itself.
		q.log(slog.LevelWarn, "mailqueue: lease release failed", "id", id, "err", err)
	}
	return nil
}

// storeRemove removes a finished message, on a shared store only under
// this node's lease.
func (q *Queue) storeRemove(ctx context.Context, id ID) error {
	if q.shared == nil {
		return q.store.Remove(ctx, id)
	}
	l, ok := q.leaseOf(id)
	if !ok {
		return ErrLeaseLost
	}
	return q.shared.store.RemoveLeased(ctx, l, q.now())
}

// endSharedJob forgets a finished job of a shared queue; q.mu held. The
// message stays in the store (with its lease released, or running out)
// unless it was removed.
func (q *Queue) endSharedJob(id ID) {
	if h := q.shared.leases[id]; h != nil {
		h.cancel()
		delete(q.shared.leases, id)
	}
	delete(q.items, id)
	q.jobs--
	q.cond.Broadcast()
	q.kick()
}

// The operations on a shared queue work on the store, which every node
// sees. A message another node is attempting can have the change
// overwritten by that attempt's outcome (its hold, say, undone), as with
// Postfix's postsuper racing a delivery agent; this node's own attempts
// take the change when they end, as on a single node.

func (q *Queue) sharedRunning(id ID) (*item, bool) {
	it := q.items[id]
	return it, it != nil
}

func (q *Queue) sharedSetHeld(ctx context.Context, id ID, held bool) error {
	q.mu.Lock()
	if it, ok := q.sharedRunning(id); ok {
		if held {
			it.pendingOps = it.pendingOps&^opReleaseAfter | opHoldAfter
		} else {
			it.pendingOps = it.pendingOps&^opHoldAfter | opReleaseAfter
		}
		q.mu.Unlock()
		return nil
	}
	q.mu.Unlock()
	m, err := q.store.Get(ctx, id)
	if err != nil {
		return err
	}
	if m.State.Held == held {
		return nil
	}
	m.State.Held = held
	if !held {
		m.State.NextAttempt = q.now()
	}
	if err := q.store.Update(ctx, id, &m.State); err != nil {
		return err
	}
	q.kick()
	return nil
}

func (q *Queue) sharedDelete(ctx context.Context, id ID) error {
	q.mu.Lock()
	if it, ok := q.sharedRunning(id); ok {
		it.pendingOps |= opDeleteAfter
		q.mu.Unlock()
		return nil
	}
	q.mu.Unlock()
	return q.store.Remove(ctx, id)
}

func (q *Queue) sharedFlush(ctx context.Context, ids []ID) error {
	all := len(ids) == 0
	if all {
		err := q.store.Scan(ctx, func(s Summary) error {
			if s.Err == nil && !s.Held {
				ids = append(ids, s.ID)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	now := q.now()
	for _, id := range ids {
		q.mu.Lock()
		it, running := q.sharedRunning(id)
		if running {
			it.pendingOps |= opFlushAfter
		}
		q.mu.Unlock()
		if running {
			continue
		}
		m, err := q.store.Get(ctx, id)
		if errors.Is(err, ErrNotFound) && all {
			continue // finished meanwhile
		}
		if err != nil {
			return err
		}
		if m.State.Held || !m.State.NextAttempt.After(now) {
			continue
		}
		m.State.NextAttempt = now
		if err := q.store.Update(ctx, id, &m.State); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	q.kick()
	return nil
}

// sharedIDs lists the store's messages in order of next attempt, for List.
func (q *Queue) sharedIDs(ctx context.Context) ([]Summary, error) {
	var all []Summary
	err := q.store.Scan(ctx, func(s Summary) error {
		all = append(all, s)
		return nil
	})
	slices.SortFunc(all, func(a, b Summary) int {
		if c := a.NextAttempt.Compare(b.NextAttempt); c != 0 {
			return c
		}
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	return all, err
}
