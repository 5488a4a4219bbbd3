package mailqueue

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Spool implements LeaseStore for the nodes of one process (a Spool has
// one owner process; see OpenSpool). Its leases live in memory: they end
// with the process, which is when a lease of a node that died would
// expire anyway.
var _ LeaseStore = (*Spool)(nil)

// leaseTable tracks, for every stored message, what Claim needs: when it
// is due, whether it is held, and its current lease.
type leaseTable struct {
	mu    sync.Mutex
	m     map[ID]*leaseEntry
	token uint64
}

type leaseEntry struct {
	due     time.Time
	held    bool
	owner   string
	token   uint64 // 0: never leased, or released
	expires time.Time
	// writing counts leased writes in flight: Claim skips the message
	// until they end, so a write checked against a live lease never
	// lands after another node claimed it.
	writing int
}

func (t *leaseTable) set(id ID, due time.Time, held bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = map[ID]*leaseEntry{}
	}
	e := t.m[id]
	if e == nil {
		e = &leaseEntry{}
		t.m[id] = e
	}
	e.due, e.held = due, held
}

func (t *leaseTable) remove(id ID) {
	t.mu.Lock()
	delete(t.m, id)
	t.mu.Unlock()
}

func (e *leaseEntry) live(now time.Time) bool {
	return e.token != 0 && now.Before(e.expires)
}

// Claim implements LeaseStore.
func (s *Spool) Claim(ctx context.Context, owner string, now time.Time, max int, ttl time.Duration) ([]Lease, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t := &s.leases
	t.mu.Lock()
	defer t.mu.Unlock()
	type cand struct {
		id  ID
		due time.Time
	}
	var cs []cand
	for id, e := range t.m {
		if e.held || e.due.After(now) || e.live(now) || e.writing > 0 {
			continue
		}
		cs = append(cs, cand{id, e.due})
	}
	slices.SortFunc(cs, func(a, b cand) int {
		if c := a.due.Compare(b.due); c != 0 {
			return c
		}
		if a.id < b.id {
			return -1
		}
		if a.id > b.id {
			return 1
		}
		return 0
	})
	if len(cs) > max {
		cs = cs[:max]
	}
	out := make([]Lease, 0, len(cs))
	for _, c := range cs {
		e := t.m[c.id]
		t.token++
		e.owner, e.token, e.expires = owner, t.token, now.Add(ttl)
		out = append(out, Lease{ID: c.id, Owner: owner, Token: e.token, Expires: e.expires})
	}
	return out, nil
}

// current returns l's entry if l is its live lease at now; t.mu held.
func (t *leaseTable) current(l Lease, now time.Time) *leaseEntry {
	e := t.m[l.ID]
	if e == nil || e.token != l.Token || !e.live(now) {
		return nil
	}
	return e
}

// Renew implements LeaseStore.
func (s *Spool) Renew(ctx context.Context, l Lease, now time.Time, ttl time.Duration) (Lease, error) {
	t := &s.leases
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.current(l, now)
	if e == nil {
		return Lease{}, ErrLeaseLost
	}
	e.expires = now.Add(ttl)
	l.Expires = e.expires
	return l, nil
}

// Release implements LeaseStore.
func (s *Spool) Release(ctx context.Context, l Lease) error {
	t := &s.leases
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.m[l.ID]
	if e == nil || e.token != l.Token {
		return ErrLeaseLost
	}
	e.token, e.owner = 0, ""
	return nil
}

// UpdateLeased implements LeaseStore.
func (s *Spool) UpdateLeased(ctx context.Context, l Lease, now time.Time, st *State) error {
	if err := s.beginLeased(l, now); err != nil {
		return err
	}
	defer s.endLeased(l.ID)
	return s.Update(ctx, l.ID, st)
}

// RemoveLeased implements LeaseStore.
func (s *Spool) RemoveLeased(ctx context.Context, l Lease, now time.Time) error {
	if err := s.beginLeased(l, now); err != nil {
		return err
	}
	defer s.endLeased(l.ID)
	return s.Remove(ctx, l.ID)
}

func (s *Spool) beginLeased(l Lease, now time.Time) error {
	t := &s.leases
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.current(l, now)
	if e == nil {
		return ErrLeaseLost
	}
	e.writing++
	return nil
}

func (s *Spool) endLeased(id ID) {
	t := &s.leases
	t.mu.Lock()
	if e := t.m[id]; e != nil {
		e.writing--
	}
	t.mu.Unlock()
}
