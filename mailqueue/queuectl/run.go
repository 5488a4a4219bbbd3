package queuectl

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/relaykit/relaykit/mailqueue"
)

// Commands lists the command names Run knows, for usage messages.
const Commands = "list, show, counts, flush, hold, release, delete, requeue"

// ErrUsage is wrapped by every *UsageError, for errors.Is.
var ErrUsage = errors.New("queuectl: usage")

// UsageError reports a command line that Run refused before acting: no
// command, an unknown one, a bad flag, a malformed queue ID, or missing
// or extra IDs. A server answers it with status 2.
type UsageError struct {
	// Command is the command name, or "" when there was none.
	Command string
	// Reason says what is wrong.
	Reason string
	// Err is the underlying error (a flag error, mailqueue.ErrBadID), or
	// nil.
	Err error
}

func (e *UsageError) Error() string {
	if e.Command == "" {
		return "queuectl: " + e.Reason
	}
	return "queuectl: " + e.Command + ": " + e.Reason
}

// Unwrap returns Err and ErrUsage.
func (e *UsageError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrUsage}
	}
	return []error{e.Err, ErrUsage}
}

// OpError reports an operation that failed: a command with its message ID
// (zero for one that concerns the whole queue) and the Ops error, which
// Unwrap returns (errors.Is(err, mailqueue.ErrNotFound) for an unknown
// ID). A server answers it with status 1.
type OpError struct {
	Command string
	ID      mailqueue.ID
	Err     error
}

func (e *OpError) Error() string {
	if e.ID == 0 {
		return "queuectl: " + e.Command + ": " + e.Err.Error()
	}
	return "queuectl: " + e.Command + " " + e.ID.String() + ": " + e.Err.Error()
}

// Unwrap returns Err.
func (e *OpError) Unwrap() error { return e.Err }

// Status is the exit status for err: 0 for nil, 2 for a *UsageError (as
// the flag package's programs exit), 1 for anything else. Server answers
// with it; a command-line tool can exit with it.
func Status(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, ErrUsage):
		return 2
	}
	return 1
}

// Run runs one command against ops and writes its output to w. args is
// the command name and its arguments:
//
//	list [-from S] [-to S] [-held] [-deferred]   the mailq listing (WriteQueue)
//	show ID                                      envelope, state and text (WriteMessage)
//	counts                                       messages, held, deferred, running, ...
//	flush [ID...]                                due now; all not held (postqueue -f / -i)
//	hold ID...                                   (postsuper -h)
//	release ID...                                (postsuper -H)
//	delete ID...                                 (postsuper -d)
//	requeue ID...                                release if held, then due now
//
// list's filters combine: -from keeps messages whose sender contains S,
// -to those with a pending recipient that contains S, -held the held
// ones and -deferred those attempted at least once. Commands that take
// IDs report each one ("0123456789abcdef: held") and stop at the first
// that fails. The error is a *UsageError for a command line Run refused
// and an *OpError for a failed operation.
func Run(ctx context.Context, ops Ops, args []string, w io.Writer) error {
	if len(args) == 0 {
		return &UsageError{Reason: "no command (" + Commands + ")"}
	}
	name, args := args[0], args[1:]
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var from, to string
	var held, deferred bool
	switch name {
	case "list":
		fs.StringVar(&from, "from", "", "only messages whose sender contains `S`")
		fs.StringVar(&to, "to", "", "only messages with a pending recipient that contains `S`")
		fs.BoolVar(&held, "held", false, "only held messages")
		fs.BoolVar(&deferred, "deferred", false, "only messages attempted at least once")
	case "show", "counts", "flush", "hold", "release", "delete", "requeue":
	default:
		return &UsageError{Reason: fmt.Sprintf("unknown command %q (%s)", name, Commands)}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(w, "usage of %s:\n", name)
			fs.SetOutput(w)
			fs.PrintDefaults()
			return nil
		}
		return &UsageError{Command: name, Reason: err.Error(), Err: err}
	}
	var ids []mailqueue.ID
	for _, a := range fs.Args() {
		id, err := mailqueue.ParseID(a)
		if err != nil {
			return &UsageError{Command: name, Reason: fmt.Sprintf("bad queue ID %q", clip(a)), Err: err}
		}
		ids = append(ids, id)
	}
	each := func(fn func(context.Context, mailqueue.ID) error, done string) error {
		if len(ids) == 0 {
			return &UsageError{Command: name, Reason: "needs queue IDs"}
		}
		for _, id := range ids {
			if err := fn(ctx, id); err != nil {
				return &OpError{Command: name, ID: id, Err: err}
			}
			if _, err := fmt.Fprintf(w, "%s: %s\n", id, done); err != nil {
				return err
			}
		}
		return nil
	}
	noIDs := func() error {
		if len(ids) != 0 {
			return &UsageError{Command: name, Reason: "takes no queue IDs"}
		}
		return nil
	}
	switch name {
	case "list":
		if err := noIDs(); err != nil {
			return err
		}
		es, err := ops.Entries(ctx)
		if err != nil {
			return &OpError{Command: name, Err: err}
		}
		kept := es[:0]
		for _, e := range es {
			if (from == "" || strings.Contains(e.From, from)) && (!held || e.Held) &&
				(!deferred || e.Attempts > 0) && (to == "" || hasPendingRcpt(e, to)) {
				kept = append(kept, e)
			}
		}
		return WriteQueue(w, kept)
	case "show":
		if len(ids) != 1 {
			return &UsageError{Command: name, Reason: "needs one queue ID"}
		}
		m, err := ops.Get(ctx, ids[0])
		if err != nil {
			return &OpError{Command: name, ID: ids[0], Err: err}
		}
		return WriteMessage(w, m)
	case "counts":
		if err := noIDs(); err != nil {
			return err
		}
		es, err := ops.Entries(ctx)
		if err != nil {
			return &OpError{Command: name, Err: err}
		}
		return CountEntries(es).Write(w)
	case "flush":
		if len(ids) > 0 {
			return each(func(ctx context.Context, id mailqueue.ID) error { return ops.Flush(ctx, id) }, "flushed")
		}
		if err := ops.Flush(ctx); err != nil {
			return &OpError{Command: name, Err: err}
		}
		_, err := fmt.Fprintln(w, "flushed")
		return err
	case "hold":
		return each(ops.Hold, "held")
	case "release":
		return each(ops.Release, "released")
	case "delete":
		return each(ops.Delete, "deleted")
	default: // "requeue"
		return each(func(ctx context.Context, id mailqueue.ID) error {
			if err := ops.Release(ctx, id); err != nil {
				return err
			}
			return ops.Flush(ctx, id)
		}, "requeued")
	}
}

// clip shortens a hostile argument quoted in an error.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

func hasPendingRcpt(e mailqueue.Entry, s string) bool {
	for _, rc := range e.Recipients {
		if rc.Status == mailqueue.StatusPending && strings.Contains(rc.Addr, s) {
			return true
		}
	}
	return false
}

// Counts sums up a queue listing, as the "counts" command prints it.
type Counts struct {
	Messages int
	// Held, Running and Unreadable are exclusive: a held message is not
	// counted as running, an unreadable one as neither.
	Held       int
	Running    int
	Unreadable int
	// Deferred counts messages attempted at least once.
	Deferred int
	// PendingRecipients counts recipients not yet delivered or failed.
	PendingRecipients int
	// Bytes is the messages' total size.
	Bytes int
}

// CountEntries counts a listing.
func CountEntries(es []mailqueue.Entry) Counts {
	var c Counts
	for _, e := range es {
		c.Messages++
		c.Bytes += e.Size
		switch {
		case e.Broken:
			c.Unreadable++
		case e.Held:
			c.Held++
		case e.Running:
			c.Running++
		}
		if e.Attempts > 0 {
			c.Deferred++
		}
		for _, rc := range e.Recipients {
			if rc.Status == mailqueue.StatusPending {
				c.PendingRecipients++
			}
		}
	}
	return c
}

// Write prints c as "name value" lines: messages, held, deferred,
// running, unreadable, pending-recipients, bytes.
func (c Counts) Write(w io.Writer) error {
	_, err := fmt.Fprintf(w, "messages %d\nheld %d\ndeferred %d\nrunning %d\nunreadable %d\npending-recipients %d\nbytes %d\n",
		c.Messages, c.Held, c.Deferred, c.Running, c.Unreadable, c.PendingRecipients, c.Bytes)
	return err
}
