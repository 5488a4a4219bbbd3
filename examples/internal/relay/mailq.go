package relay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/relaykit/relaykit/mailqueue"
)

// listenControl opens the control socket: each connection carries one
// command, from relay -mailq or relayq (queuectl.go); Postfix's mailq asks
// showq the same way. The socket is in the spool directory, 0700, so only
// the relay's user can read or change the queue.
func (r *Relay) listenControl() error {
	path := controlPath(r.cfg.Spool)
	os.Remove(path) // a socket left by a relay that crashed
	l, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("relay: control socket: %w", err)
	}
	r.control = l
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go r.serveControl(c)
		}
	}()
	return nil
}

// printQueue asks the relay running on spool for its queue.
func printQueue(w io.Writer, spool string) error {
	c, err := net.DialTimeout("unix", controlPath(spool), 5*time.Second)
	if err != nil {
		return fmt.Errorf("relay: no relay running on %s: %w", spool, err)
	}
	var errOut strings.Builder
	if queueOverSocket(c, nil, w, &errOut) != 0 {
		return errors.New(strings.TrimSpace(errOut.String()))
	}
	return nil
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

// WriteQueue prints the queue as Postfix's mailq does: ID (with '!' for
// a held message), size, arrival time, sender, then each pending
// recipient with the reason it is still queued.
func (r *Relay) WriteQueue(ctx context.Context, w io.Writer) error {
	entries, err := r.Entries(ctx)
	if err != nil {
		return err
	}
	return formatQueue(w, entries)
}

func formatQueue(w io.Writer, entries []mailqueue.Entry) error {
	if len(entries) == 0 {
		_, err := fmt.Fprintln(w, "Mail queue is empty")
		return err
	}
	fmt.Fprintln(w, "-Queue ID-        --Size-- ----Arrival Time---- -Sender/Recipient-------")
	total := 0
	for _, e := range entries {
		mark := " "
		switch {
		case e.Held:
			mark = "!"
		case e.Running:
			mark = "*"
		}
		from := e.From
		if from == "" {
			from = "MAILER-DAEMON"
		}
		if e.Broken {
			fmt.Fprintf(w, "%s%s (unreadable)\n\n", e.ID, mark)
			continue
		}
		fmt.Fprintf(w, "%s%s %8d %s  %s\n", e.ID, mark, e.Size, e.Created.Format("Mon Jan _2 15:04:05"), from)
		for _, rc := range e.Recipients {
			if rc.Status != mailqueue.StatusPending {
				continue
			}
			if rc.Reply != "" {
				fmt.Fprintf(w, "%18s(%s)\n", "", strings.TrimSpace(rc.Reply))
			}
			fmt.Fprintf(w, "%49s%s\n", "", rc.Addr)
		}
		fmt.Fprintln(w)
		total += e.Size
	}
	req := "Requests"
	if len(entries) == 1 {
		req = "Request"
	}
	_, err := fmt.Fprintf(w, "-- %d Kbytes in %d %s.\n", (total+1023)/1024, len(entries), req)
	return err
}
