package mailqueue

import (
	"context"
	"errors"
	"time"
)

// ErrLeaseLost means a lease is no longer the message's current one: it
// expired (and another node may have claimed the message), it was
// released, or the message is gone. Whatever the holder was doing with
// the message must not be recorded.
var ErrLeaseLost = errors.New("mailqueue: lease lost")

// Lease is one node's claim on one message. While it holds (until
// Expires), no other Claim returns the message.
type Lease struct {
	ID    ID
	Owner string
	// Token grows with every claim the store grants, so a holder whose
	// lease expired and was claimed again cannot write over the new
	// holder's work: the store compares tokens (a fencing token).
	Token   uint64
	Expires time.Time
}

// LeaseStore is a Store that several queue nodes can share. A node claims
// due messages in batches, works on each under its lease, renews the
// lease while an attempt runs long, and records the attempt's outcome
// against the lease, which fails with ErrLeaseLost once the lease is
// gone. A lease that expires returns the message to the pool, so the
// work of a node that died is taken over by the others.
//
// Times come from the caller (the queue's clock), so tests can run a
// lease out without waiting. Nodes sharing a store need clocks that agree
// to well within the lease length.
type LeaseStore interface {
	Store
	// Claim leases, for ttl from now, up to max messages that are due
	// (NextAttempt at or before now), not held, and under no live lease,
	// earliest due first. It returns no leases and no error when nothing
	// is due.
	Claim(ctx context.Context, owner string, now time.Time, max int, ttl time.Duration) ([]Lease, error)
	// Renew extends a live lease to now+ttl, or fails with ErrLeaseLost.
	Renew(ctx context.Context, l Lease, now time.Time, ttl time.Duration) (Lease, error)
	// Release ends a lease early and returns the message to the pool. It
	// fails with ErrLeaseLost if the lease was no longer current.
	Release(ctx context.Context, l Lease) error
	// UpdateLeased is Update, done only while l is live at now; otherwise
	// it fails with ErrLeaseLost and changes nothing. The lease stays.
	UpdateLeased(ctx context.Context, l Lease, now time.Time, st *State) error
	// RemoveLeased is Remove, done only while l is live at now; otherwise
	// it fails with ErrLeaseLost and changes nothing.
	RemoveLeased(ctx context.Context, l Lease, now time.Time) error
}

// Waker is a LeaseStore that can tell a node when messages may have
// become due through another node (an enqueue, a release, a message
// rescheduled to now), so an idle node claims them at once instead of at
// its next poll. A queue on a shared store that implements Waker selects
// on the channel beside its PollInterval timer.
//
// A wake-up is only a hint: wake-ups may be coalesced, arrive when
// nothing is due, or be lost (a dropped connection), and the queue keeps
// polling, so a lost one delays a message by at most PollInterval and
// never loses it.
type Waker interface {
	LeaseStore
	// Wakeups returns a channel that receives a value when messages may
	// have become due (a send is dropped while one is pending), and a
	// function that stops the wake-ups. The queue calls it once at New
	// and stop at Shutdown.
	Wakeups() (wake <-chan struct{}, stop func())
}
