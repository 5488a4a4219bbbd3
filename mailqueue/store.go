package mailqueue

import (
	"context"
	"fmt"
	"time"
)

// Store keeps queued messages durable. The queue calls it from several
// goroutines at once; every method must be safe for concurrent use. It is
// small on purpose so that a shared database can implement it; Spool is
// the default, a directory on local disk. A store several queue nodes can
// share implements LeaseStore as well (Claim, Renew, Release and writes
// fenced by the lease): the Spool does for the nodes of one process, and
// the nested module mailqueue/pgstore does on PostgreSQL. Package
// storetest holds the checks every store must pass.
//
// The queue serializes calls for one ID: it never calls Update, Remove or
// Get for a message concurrently with another of those calls for the same
// message, and never before Put for it has returned.
type Store interface {
	// Put stores a new message. It returns only when the message will
	// survive a crash; an error means it was not stored (and must not
	// reappear after a restart).
	Put(ctx context.Context, m *Message) error
	// Get returns a stored message with its latest state, or ErrNotFound.
	Get(ctx context.Context, id ID) (*Message, error)
	// Update durably replaces the state of a stored message.
	Update(ctx context.Context, id ID, st *State) error
	// Remove deletes a message; it must not reappear after a restart
	// once Remove has returned.
	Remove(ctx context.Context, id ID) error
	// Scan calls fn once for every stored message, on start. A message the
	// store cannot read is reported with Summary.Err set (a *CorruptError
	// for damaged data); the store has already set it aside and the queue
	// only reports it. Scan stops at the first error fn returns.
	Scan(ctx context.Context, fn func(Summary) error) error
}

// Summary is what the queue needs of a stored message to schedule it; the
// envelope and body stay in the store until the message is due.
type Summary struct {
	ID          ID
	NextAttempt time.Time
	Held        bool
	// Err is set when the message could not be read; ID may then be zero.
	Err error
}

// CorruptError reports damaged spool data that was moved aside.
type CorruptError struct {
	// File is the damaged file, and MovedTo where it now lives (empty if
	// it could not be moved).
	File, MovedTo string
	// Offset and Length locate the damaged bytes within File.
	Offset, Length int64
	// ID is the message the damaged record seemed to belong to, or zero.
	ID ID
	// Reason says what was wrong.
	Reason string
}

func (e *CorruptError) Error() string {
	s := fmt.Sprintf("mailqueue: corrupt spool data in %s at offset %d (%d bytes): %s", e.File, e.Offset, e.Length, e.Reason)
	if e.ID != 0 {
		s += " (message " + e.ID.String() + ")"
	}
	if e.MovedTo != "" {
		s += "; moved to " + e.MovedTo
	}
	return s
}

func (e *CorruptError) Unwrap() error { return ErrCorrupt }
