package mailqueue

import (
	"context"
	"errors"
	"slices"
	"time"
)

// Entry describes one queued message, as List reports it (like mailq).
type Entry struct {
	ID          ID
	From        string
	Size        int
	Created     time.Time
	Attempts    int
	NextAttempt time.Time
	Held        bool
	// Running is true while an attempt is in progress.
	Running bool
	// Broken is true for a message the store could not read.
	Broken     bool
	Recipients []EntryRecipient
}

// EntryRecipient is one recipient of a listed message.
type EntryRecipient struct {
	Recipient
	RcptState
}

// List calls fn for every queued message, in order of next attempt. It
// reads each message's state from the store, so it costs a store read per
// message; it stops at the first error from fn or the store. On a shared
// store it lists every node's messages (Running only for this node's).
func (q *Queue) List(ctx context.Context, fn func(Entry) error) error {
	type snap struct {
		id    ID
		due   int64
		state uint8
	}
	var all []snap
	if q.shared != nil {
		sums, err := q.sharedIDs(ctx)
		if err != nil {
			return err
		}
		q.mu.Lock()
		for _, s := range sums {
			st := uint8(itemQueued)
			switch {
			case q.items[s.ID] != nil:
				st = itemRunning
			case s.Err != nil:
				st = itemBroken
			case s.Held:
				st = itemHeld
			}
			all = append(all, snap{s.ID, s.NextAttempt.UnixNano(), st})
		}
		q.mu.Unlock()
	} else {
		q.mu.Lock()
		all = make([]snap, 0, len(q.items))
		for _, it := range q.items {
			all = append(all, snap{it.id, it.due, it.state})
		}
		q.mu.Unlock()
	}
	slices.SortFunc(all, func(a, b snap) int {
		if a.due != b.due {
			if a.due < b.due {
				return -1
			}
			return 1
		}
		if a.id < b.id {
			return -1
		}
		if a.id > b.id {
			return 1
		}
		return 0
	})
	for _, s := range all {
		if err := ctx.Err(); err != nil {
			return err
		}
		e := Entry{ID: s.id, Running: s.state == itemRunning, Broken: s.state == itemBroken, Held: s.state == itemHeld}
		m, err := q.store.Get(ctx, s.id)
		switch {
		case errors.Is(err, ErrNotFound):
			continue // finished meanwhile
		case errors.Is(err, ErrCorrupt):
			e.Broken = true
		case err != nil:
			return err
		default:
			e.From, e.Size = m.Envelope.From, len(m.Body)
			e.Created, e.Attempts, e.NextAttempt = m.State.Created, m.State.Attempts, m.State.NextAttempt
			e.Held = e.Held || m.State.Held
			for i, r := range m.Envelope.Recipients {
				e.Recipients = append(e.Recipients, EntryRecipient{r, m.State.Rcpts[i]})
			}
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

// Len returns the number of queued messages. On a shared store it counts
// the store's messages (every node's), or returns -1 if the store cannot
// be read.
func (q *Queue) Len() int {
	if q.shared != nil {
		n := 0
		if err := q.store.Scan(context.Background(), func(Summary) error { n++; return nil }); err != nil {
			return -1
		}
		return n
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// Flush makes the given messages due now; with no IDs, every message that
// is not held (like postqueue -f). A message being attempted is tried
// again as soon as its attempt ends. It changes only the schedule in
// memory (a message's stored next attempt stays as it was, so a restart
// does not lose more than the flush); Flush returns ctx's error, doing
// nothing, if ctx is already done. On a shared store (Config.Shared),
// which keeps the schedule, the stored next attempt is moved, for every
// node to see.
func (q *Queue) Flush(ctx context.Context, ids ...ID) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if q.shared != nil {
		// No schedule in memory: the stored next attempt is moved.
		return q.sharedFlush(ctx, ids)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.now().UnixNano()
	if len(ids) == 0 {
		for _, it := range q.heap.a {
			it.due = now
		}
		// All equal keys: the order by ID is restored by re-sorting.
		slices.SortFunc(q.heap.a, func(a, b *item) int {
			if a.id < b.id {
				return -1
			}
			return 1
		})
		for i, it := range q.heap.a {
			it.index = int32(i)
		}
		q.kick()
		return nil
	}
	for _, id := range ids {
		it := q.items[id]
		if it == nil {
			return ErrNotFound
		}
		switch it.state {
		case itemQueued:
			it.due = now
			q.heap.fix(int(it.index))
		case itemRunning:
			it.pendingOps |= opFlushAfter
		}
	}
	q.kick()
	return nil
}

// Hold stops attempts for a message until Release; the hold is persisted.
func (q *Queue) Hold(ctx context.Context, id ID) error { return q.setHeld(ctx, id, true) }

// Release undoes Hold and makes the message due now.
func (q *Queue) Release(ctx context.Context, id ID) error { return q.setHeld(ctx, id, false) }

func (q *Queue) setHeld(ctx context.Context, id ID, held bool) error {
	if q.shared != nil {
		return q.sharedSetHeld(ctx, id, held)
	}
	q.mu.Lock()
	it := q.items[id]
	if it == nil {
		q.mu.Unlock()
		return ErrNotFound
	}
	if it.state == itemRunning {
		if held {
			it.pendingOps = it.pendingOps&^opReleaseAfter | opHoldAfter
		} else {
			it.pendingOps = it.pendingOps&^opHoldAfter | opReleaseAfter
		}
		q.mu.Unlock()
		return nil
	}
	if (it.state == itemHeld) == held || it.state == itemBroken {
		q.mu.Unlock()
		return nil
	}
	// Take it out of the schedule while the store is updated, so no job
	// starts meanwhile.
	if it.state == itemQueued {
		q.heap.remove(int(it.index))
	}
	prev := it.state
	it.state = itemRunning
	q.jobs++
	q.mu.Unlock()

	m, err := q.store.Get(ctx, id)
	if err == nil {
		m.State.Held = held
		if !held {
			m.State.NextAttempt = q.now()
		}
		err = q.store.Update(ctx, id, &m.State)
	}
	q.mu.Lock()
	q.jobs--
	q.cond.Broadcast()
	it.pendingOps = 0
	switch {
	case errors.Is(err, ErrNotFound):
		delete(q.items, id)
	case err != nil:
		it.state = prev
		if prev == itemQueued {
			q.heap.push(it)
		}
	case held:
		it.state = itemHeld
	default:
		it.state = itemQueued
		it.due = q.now().UnixNano()
		q.heap.push(it)
	}
	q.mu.Unlock()
	q.kick()
	return err
}

// Delete removes a message without delivering it and without a bounce
// (like postsuper -d). A message being attempted is removed when its
// attempt ends; recipients it delivered to meanwhile keep the message.
func (q *Queue) Delete(ctx context.Context, id ID) error {
	if q.shared != nil {
		return q.sharedDelete(ctx, id)
	}
	q.mu.Lock()
	it := q.items[id]
	if it == nil {
		q.mu.Unlock()
		return ErrNotFound
	}
	if it.state == itemRunning {
		it.pendingOps |= opDeleteAfter
		q.mu.Unlock()
		return nil
	}
	if it.state == itemQueued {
		q.heap.remove(int(it.index))
	}
	prev := it.state
	it.state = itemRunning
	q.jobs++
	q.mu.Unlock()
	err := q.store.Remove(ctx, id)
	q.mu.Lock()
	q.jobs--
	q.cond.Broadcast()
	if err == nil || errors.Is(err, ErrNotFound) {
		delete(q.items, id)
		err = nil
	} else {
		it.state = prev
		if prev == itemQueued {
			q.heap.push(it)
		}
	}
	q.mu.Unlock()
	return err
}
