package relay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/relaykit/relaykit/mailqueue"
	"github.com/relaykit/relaykit/mailqueue/queuectl"
)

// listenControl opens the control socket: each connection carries one
// command, from relay -mailq or relayq (queuectl.go), answered by a
// queuectl.Server; Postfix's mailq asks showq the same way. The socket is
// in the spool directory, 0700, so only the relay's user can read or
// change the queue.
func (r *Relay) listenControl() error {
	path := controlPath(r.cfg.Spool)
	os.Remove(path) // a socket left by a relay that crashed
	l, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("relay: control socket: %w", err)
	}
	r.control = &queuectl.Server{Ops: relayOps{QueueOps: queuectl.QueueOps{Queue: r.queue, Store: r.store}, r: r}}
	go r.control.Serve(l)
	return nil
}

// printQueue asks the relay running on spool for its queue.
func printQueue(w io.Writer, spool string) error {
	c, err := net.DialTimeout("unix", controlPath(spool), 5*time.Second)
	if err != nil {
		return fmt.Errorf("relay: no relay running on %s: %w", spool, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return queuectl.Do(ctx, c, []string{"list"}, w)
}

// Entries returns the queued messages, then (with Config.Journal) the
// local deliveries the journal still holds: answered 250, their maildir
// files not yet committed. Those are normally gone within milliseconds;
// one that stays is waiting for a maildir write to succeed (the relay's
// log says why), and is retried every minute.
func (r *Relay) Entries(ctx context.Context) ([]mailqueue.Entry, error) {
	var out []mailqueue.Entry
	err := r.queue.List(ctx, func(e mailqueue.Entry) error {
		out = append(out, e)
		return nil
	})
	if err != nil || r.journal == nil {
		return out, err
	}
	err = r.journal.Scan(ctx, func(s mailqueue.Summary) error {
		var m *mailqueue.Message
		err := s.Err
		if err == nil {
			m, err = r.journal.Get(ctx, s.ID)
		}
		switch {
		case errors.Is(err, mailqueue.ErrNotFound):
			return nil // delivered since Scan saw it
		case err != nil:
			out = append(out, mailqueue.Entry{ID: s.ID, Broken: true})
			return nil
		}
		e := mailqueue.Entry{ID: m.ID, From: m.Envelope.From, Size: len(m.Body), Created: m.State.Created}
		for _, rc := range m.Envelope.Recipients {
			e.Recipients = append(e.Recipients, mailqueue.EntryRecipient{
				Recipient: rc,
				RcptState: mailqueue.RcptState{Reply: journalReason},
			})
		}
		out = append(out, e)
		return nil
	})
	return out, err
}

// journalReason is what the listing says of a message in the journal.
const journalReason = "accepted for a local mailbox; maildir write pending"

// WriteQueue prints the queue as Postfix's mailq does
// (queuectl.WriteQueue): ID (with '!' for a held message), size, arrival
// time, sender, then each pending recipient with the reason it is still
// queued.
func (r *Relay) WriteQueue(ctx context.Context, w io.Writer) error {
	entries, err := r.Entries(ctx)
	if err != nil {
		return err
	}
	return queuectl.WriteQueue(w, entries)
}
