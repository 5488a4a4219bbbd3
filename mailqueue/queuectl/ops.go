package queuectl

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	"github.com/relaykit/relaykit/mailqueue"
)

// Ops is what the commands need from a queue: its entries, one message,
// and the operator's changes. QueueOps and StoreOps implement it.
type Ops interface {
	// Entries returns the queued messages, in the order they are due.
	Entries(ctx context.Context) ([]mailqueue.Entry, error)
	// Get returns one message with its state, or an error wrapping
	// mailqueue.ErrNotFound.
	Get(ctx context.Context, id mailqueue.ID) (*mailqueue.Message, error)
	// Hold stops attempts for a message until Release.
	Hold(ctx context.Context, id mailqueue.ID) error
	// Release undoes Hold and makes the message due now.
	Release(ctx context.Context, id mailqueue.ID) error
	// Delete removes a message without delivering it or bouncing it.
	Delete(ctx context.Context, id mailqueue.ID) error
	// Flush makes the given messages due now, or with no IDs every
	// message that is not held; held messages stay held.
	Flush(ctx context.Context, ids ...mailqueue.ID) error
}

var (
	_ Ops = QueueOps{}
	_ Ops = StoreOps{}
)

// ErrNoStore is returned by QueueOps.Get when QueueOps has no Store.
var ErrNoStore = errors.New("queuectl: QueueOps has no Store to read messages from")

// QueueOps acts through a running queue: changes go through Queue's Hold,
// Release, Delete and Flush, so a message being attempted takes them when
// its attempt ends.
type QueueOps struct {
	// Queue is the running queue. Required.
	Queue *mailqueue.Queue
	// Store is the queue's store, which Get reads ("show"); the queue has
	// no method that returns a whole message. Nil makes Get fail with
	// ErrNoStore.
	Store mailqueue.Store
}

// Entries lists the queue (mailqueue.Queue.List).
func (o QueueOps) Entries(ctx context.Context) ([]mailqueue.Entry, error) {
	var out []mailqueue.Entry
	err := o.Queue.List(ctx, func(e mailqueue.Entry) error {
		out = append(out, e)
		return nil
	})
	return out, err
}

// Get reads a message from Store.
func (o QueueOps) Get(ctx context.Context, id mailqueue.ID) (*mailqueue.Message, error) {
	if o.Store == nil {
		return nil, ErrNoStore
	}
	return o.Store.Get(ctx, id)
}

// Hold calls Queue.Hold.
func (o QueueOps) Hold(ctx context.Context, id mailqueue.ID) error { return o.Queue.Hold(ctx, id) }

// Release calls Queue.Release.
func (o QueueOps) Release(ctx context.Context, id mailqueue.ID) error {
	return o.Queue.Release(ctx, id)
}

// Delete calls Queue.Delete.
func (o QueueOps) Delete(ctx context.Context, id mailqueue.ID) error {
	return o.Queue.Delete(ctx, id)
}

// Flush calls Queue.Flush.
func (o QueueOps) Flush(ctx context.Context, ids ...mailqueue.ID) error {
	return o.Queue.Flush(ctx, ids...)
}

// StoreOps changes the stored messages of a queue that is not running:
// each change is a Get and an Update of the message's state, which the
// queue finds when it starts. Use it only on a store no queue has open
// (a Spool takes a lock on its directory, so OpenSpool fails while a
// relay runs on it); on a store shared by running nodes (pgstore), go
// through a node's control socket instead.
type StoreOps struct {
	// Store holds the messages. Required.
	Store mailqueue.Store
	// Now is the time Release and Flush make a message due at. Nil means
	// time.Now.
	Now func() time.Time
}

func (o StoreOps) now() time.Time {
	if o.Now == nil {
		return time.Now()
	}
	return o.Now()
}

// Entries scans the store and reads every message, sorted as
// mailqueue.Queue.List sorts (by next attempt, then ID). A message the
// store cannot read is listed as Broken.
func (o StoreOps) Entries(ctx context.Context) ([]mailqueue.Entry, error) {
	var out []mailqueue.Entry
	err := o.Store.Scan(ctx, func(sm mailqueue.Summary) error {
		if sm.Err != nil {
			out = append(out, mailqueue.Entry{ID: sm.ID, Broken: true})
			return nil
		}
		m, err := o.Store.Get(ctx, sm.ID)
		switch {
		case errors.Is(err, mailqueue.ErrNotFound):
			return nil // removed since Scan saw it
		case err != nil:
			out = append(out, mailqueue.Entry{ID: sm.ID, Broken: true})
			return nil
		}
		out = append(out, entryOf(m))
		return nil
	})
	slices.SortFunc(out, func(a, b mailqueue.Entry) int {
		if c := a.NextAttempt.Compare(b.NextAttempt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, err
}

// entryOf is the listing of a stored message.
func entryOf(m *mailqueue.Message) mailqueue.Entry {
	e := mailqueue.Entry{ID: m.ID, From: m.Envelope.From, Size: len(m.Body), Created: m.State.Created,
		Attempts: m.State.Attempts, NextAttempt: m.State.NextAttempt, Held: m.State.Held}
	for i, rc := range m.Envelope.Recipients {
		var st mailqueue.RcptState
		if i < len(m.State.Rcpts) {
			st = m.State.Rcpts[i]
		}
		e.Recipients = append(e.Recipients, mailqueue.EntryRecipient{Recipient: rc, RcptState: st})
	}
	return e
}

// Get reads a message from Store.
func (o StoreOps) Get(ctx context.Context, id mailqueue.ID) (*mailqueue.Message, error) {
	return o.Store.Get(ctx, id)
}

func (o StoreOps) change(ctx context.Context, id mailqueue.ID, fn func(*mailqueue.State)) error {
	m, err := o.Store.Get(ctx, id)
	if err != nil {
		return err
	}
	fn(&m.State)
	return o.Store.Update(ctx, id, &m.State)
}

// Hold marks the message held.
func (o StoreOps) Hold(ctx context.Context, id mailqueue.ID) error {
	return o.change(ctx, id, func(st *mailqueue.State) { st.Held = true })
}

// Release clears the hold and makes the message due at Now.
func (o StoreOps) Release(ctx context.Context, id mailqueue.ID) error {
	return o.change(ctx, id, func(st *mailqueue.State) { st.Held, st.NextAttempt = false, o.now() })
}

// Delete removes the message from Store.
func (o StoreOps) Delete(ctx context.Context, id mailqueue.ID) error {
	return o.Store.Remove(ctx, id)
}

// Flush makes the given messages (or every readable message that is not
// held) due at Now; a held message stays as it is.
func (o StoreOps) Flush(ctx context.Context, ids ...mailqueue.ID) error {
	if len(ids) == 0 {
		es, err := o.Entries(ctx)
		if err != nil {
			return err
		}
		for _, e := range es {
			if !e.Held && !e.Broken {
				ids = append(ids, e.ID)
			}
		}
	}
	now := o.now()
	for _, id := range ids {
		err := o.change(ctx, id, func(st *mailqueue.State) {
			if !st.Held {
				st.NextAttempt = now
			}
		})
		if err != nil {
			return err
		}
	}
	return nil
}
