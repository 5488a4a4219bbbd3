package relay

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/relaykit/relaykit/mailqueue"
)

// The operator's queue commands (examples/relayq), like Postfix's mailq,
// postqueue and postsuper:
//
//	relayq -spool DIR list [-from S] [-to S] [-held] [-deferred]
//	relayq -spool DIR show ID
//	relayq -spool DIR counts
//	relayq -spool DIR flush [ID...]      (postqueue -f / -i)
//	relayq -spool DIR hold ID...         (postsuper -h)
//	relayq -spool DIR release ID...      (postsuper -H)
//	relayq -spool DIR delete ID...       (postsuper -d)
//	relayq -spool DIR requeue ID...      (release if held, then due now)
//
// On a running relay the commands go over its control socket
// (SPOOL/control.sock) and act through its Queue, so a message being
// attempted takes the change when its attempt ends. On a stopped relay
// relayq opens the spool itself (taking its lock, so the relay cannot
// start meanwhile) and changes the stored messages, which the relay
// finds when it starts. A relay whose queue is in PostgreSQL (-postgres)
// is reached through its socket only.

// queueOps is what the commands need: a running relay's queue, or a
// stopped relay's spool.
type queueOps interface {
	entries(ctx context.Context) ([]mailqueue.Entry, error)
	get(ctx context.Context, id mailqueue.ID) (*mailqueue.Message, error)
	hold(ctx context.Context, id mailqueue.ID) error
	release(ctx context.Context, id mailqueue.ID) error
	remove(ctx context.Context, id mailqueue.ID) error
	flush(ctx context.Context, ids ...mailqueue.ID) error
}

// relayOps acts through a running relay's Queue.
type relayOps struct{ r *Relay }

func (o relayOps) entries(ctx context.Context) ([]mailqueue.Entry, error) { return o.r.Entries(ctx) }
func (o relayOps) get(ctx context.Context, id mailqueue.ID) (*mailqueue.Message, error) {
	return o.r.store.Get(ctx, id)
}
func (o relayOps) hold(ctx context.Context, id mailqueue.ID) error { return o.r.queue.Hold(ctx, id) }
func (o relayOps) release(ctx context.Context, id mailqueue.ID) error {
	return o.r.queue.Release(ctx, id)
}
func (o relayOps) remove(ctx context.Context, id mailqueue.ID) error {
	return o.r.queue.Delete(ctx, id)
}
func (o relayOps) flush(ctx context.Context, ids ...mailqueue.ID) error {
	return o.r.queue.Flush(ctx, ids...)
}

// storeOps acts on a stopped relay's store directly.
type storeOps struct {
	s   mailqueue.Store
	now func() time.Time
}

func (o storeOps) entries(ctx context.Context) ([]mailqueue.Entry, error) {
	var out []mailqueue.Entry
	err := o.s.Scan(ctx, func(sm mailqueue.Summary) error {
		if sm.Err != nil {
			out = append(out, mailqueue.Entry{ID: sm.ID, Broken: true})
			return nil
		}
		m, err := o.s.Get(ctx, sm.ID)
		if err != nil {
			out = append(out, mailqueue.Entry{ID: sm.ID, Broken: true})
			return nil
		}
		e := mailqueue.Entry{ID: m.ID, From: m.Envelope.From, Size: len(m.Body), Created: m.State.Created,
			Attempts: m.State.Attempts, NextAttempt: m.State.NextAttempt, Held: m.State.Held}
		for i, rc := range m.Envelope.Recipients {
			e.Recipients = append(e.Recipients, mailqueue.EntryRecipient{Recipient: rc, RcptState: m.State.Rcpts[i]})
		}
		out = append(out, e)
		return nil
	})
	return out, err
}

func (o storeOps) get(ctx context.Context, id mailqueue.ID) (*mailqueue.Message, error) {
	return o.s.Get(ctx, id)
}

func (o storeOps) change(ctx context.Context, id mailqueue.ID, fn func(*mailqueue.State)) error {
	m, err := o.s.Get(ctx, id)
	if err != nil {
		return err
	}
	fn(&m.State)
	return o.s.Update(ctx, id, &m.State)
}

func (o storeOps) hold(ctx context.Context, id mailqueue.ID) error {
	return o.change(ctx, id, func(st *mailqueue.State) { st.Held = true })
}

func (o storeOps) release(ctx context.Context, id mailqueue.ID) error {
	return o.change(ctx, id, func(st *mailqueue.State) { st.Held, st.NextAttempt = false, o.now() })
}

func (o storeOps) remove(ctx context.Context, id mailqueue.ID) error { return o.s.Remove(ctx, id) }

func (o storeOps) flush(ctx context.Context, ids ...mailqueue.ID) error {
	if len(ids) == 0 {
		es, err := o.entries(ctx)
		if err != nil {
			return err
		}
		for _, e := range es {
			if !e.Held && !e.Broken {
				ids = append(ids, e.ID)
			}
		}
	}
	for _, id := range ids {
		err := o.change(ctx, id, func(st *mailqueue.State) {
			if !st.Held {
				st.NextAttempt = o.now()
			}
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// runQueueCommand runs one command (args: its name, flags and IDs)
// against ops, writing its output to w.
func runQueueCommand(ctx context.Context, ops queueOps, args []string, w io.Writer) error {
	if len(args) == 0 {
		return errors.New("relayq: no command (list, show, counts, flush, hold, release, delete, requeue)")
	}
	name, args := args[0], args[1:]
	fs := flag.NewFlagSet("relayq "+name, flag.ContinueOnError)
	fs.SetOutput(w)
	var from, to string
	var held, deferred bool
	if name == "list" {
		fs.StringVar(&from, "from", "", "only messages whose sender contains this")
		fs.StringVar(&to, "to", "", "only messages with a pending recipient that contains this")
		fs.BoolVar(&held, "held", false, "only held messages")
		fs.BoolVar(&deferred, "deferred", false, "only messages attempted at least once")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	var ids []mailqueue.ID
	for _, a := range fs.Args() {
		id, err := mailqueue.ParseID(a)
		if err != nil {
			return fmt.Errorf("relayq: bad queue ID %q", a)
		}
		ids = append(ids, id)
	}
	needIDs := func() error {
		if len(ids) == 0 {
			return fmt.Errorf("relayq: %s needs queue IDs", name)
		}
		return nil
	}
	each := func(fn func(context.Context, mailqueue.ID) error, done string) error {
		if err := needIDs(); err != nil {
			return err
		}
		for _, id := range ids {
			if err := fn(ctx, id); err != nil {
				return fmt.Errorf("relayq: %s %s: %w", name, id, err)
			}
			fmt.Fprintf(w, "%s: %s\n", id, done)
		}
		return nil
	}
	switch name {
	case "list":
		es, err := ops.entries(ctx)
		if err != nil {
			return err
		}
		kept := es[:0]
		for _, e := range es {
			if (from == "" || strings.Contains(e.From, from)) && (!held || e.Held) &&
				(!deferred || e.Attempts > 0) && (to == "" || hasPendingRcpt(e, to)) {
				kept = append(kept, e)
			}
		}
		return formatQueue(w, kept)
	case "show":
		if len(ids) != 1 {
			return errors.New("relayq: show needs one queue ID")
		}
		m, err := ops.get(ctx, ids[0])
		if err != nil {
			return fmt.Errorf("relayq: show %s: %w", ids[0], err)
		}
		return showMessage(w, m)
	case "counts":
		es, err := ops.entries(ctx)
		if err != nil {
			return err
		}
		var n, h, d, run, broken, rcpts, size int
		for _, e := range es {
			n++
			size += e.Size
			switch {
			case e.Broken:
				broken++
			case e.Held:
				h++
			case e.Running:
				run++
			}
			if e.Attempts > 0 {
				d++
			}
			for _, rc := range e.Recipients {
				if rc.Status == mailqueue.StatusPending {
					rcpts++
				}
			}
		}
		_, err = fmt.Fprintf(w, "messages %d\nheld %d\ndeferred %d\nrunning %d\nunreadable %d\npending-recipients %d\nbytes %d\n", n, h, d, run, broken, rcpts, size)
		return err
	case "flush":
		if err := ops.flush(ctx, ids...); err != nil {
			return fmt.Errorf("relayq: flush: %w", err)
		}
		_, err := fmt.Fprintln(w, "flushed")
		return err
	case "hold":
		return each(ops.hold, "held")
	case "release":
		return each(ops.release, "released")
	case "delete":
		return each(ops.remove, "deleted")
	case "requeue":
		return each(func(ctx context.Context, id mailqueue.ID) error {
			if err := ops.release(ctx, id); err != nil {
				return err
			}
			return ops.flush(ctx, id)
		}, "requeued")
	}
	return fmt.Errorf("relayq: unknown command %q", name)
}

func hasPendingRcpt(e mailqueue.Entry, s string) bool {
	for _, rc := range e.Recipients {
		if rc.Status == mailqueue.StatusPending && strings.Contains(rc.Addr, s) {
			return true
		}
	}
	return false
}

// showMessage prints a message's envelope and state, then its text.
func showMessage(w io.Writer, m *mailqueue.Message) error {
	st := &m.State
	from := m.Envelope.From
	fmt.Fprintf(w, "id: %s\nfrom: <%s>\ncreated: %s\nattempts: %d\nnext attempt: %s\nheld: %v\n",
		m.ID, from, st.Created.Format(time.RFC3339), st.Attempts, st.NextAttempt.Format(time.RFC3339), st.Held)
	for i, rc := range m.Envelope.Recipients {
		r := st.Rcpts[i]
		fmt.Fprintf(w, "to: <%s> %s", rc.Addr, r.Status)
		if r.Reply != "" {
			fmt.Fprintf(w, " (%s)", strings.TrimSpace(r.Reply))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "size: %d\n\n", len(m.Body))
	_, err := w.Write(m.Body)
	return err
}

// serveControl answers one control connection: a JSON array of command
// arguments on one line (an empty line or "mailq" is the mailq listing),
// then the output, then a last line "status 0" or "status 1".
func (r *Relay) serveControl(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	line, err := bufio.NewReader(io.LimitReader(c, 64<<10)).ReadString('\n')
	if err != nil && line == "" {
		return
	}
	w := bufio.NewWriter(c)
	defer w.Flush()
	line = strings.TrimSpace(line)
	var args []string
	if line != "" && line != "mailq" {
		if err := json.Unmarshal([]byte(line), &args); err != nil {
			fmt.Fprintf(w, "relayq: bad request\nstatus 2\n")
			return
		}
	}
	if args == nil {
		err = r.WriteQueue(ctx, w)
	} else {
		err = runQueueCommand(ctx, relayOps{r}, args, w)
	}
	if err != nil {
		fmt.Fprintf(w, "%v\nstatus 1\n", err)
		return
	}
	fmt.Fprintf(w, "status 0\n")
}

// QueueMain runs the relayq command with args (without the program
// name) and returns its exit status.
func QueueMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("relayq", flag.ContinueOnError)
	fs.SetOutput(stderr)
	spool := fs.String("spool", "spool", "the relay's spool directory")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cmd := fs.Args()
	if len(cmd) == 0 {
		cmd = []string{"list"}
	}
	ctx := context.Background()
	c, err := net.DialTimeout("unix", controlPath(*spool), 5*time.Second)
	if err == nil {
		return queueOverSocket(c, cmd, stdout, stderr)
	}
	// No relay answers: work on the spool itself. OpenSpool's lock
	// refuses if a relay has it open after all.
	s, err := mailqueue.OpenSpool(*spool, mailqueue.SpoolConfig{})
	if err != nil {
		fmt.Fprintf(stderr, "relayq: %v\n", err)
		return 1
	}
	defer s.Close()
	if err := runQueueCommand(ctx, storeOps{s: s, now: time.Now}, cmd, stdout); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

// queueOverSocket sends cmd to a running relay and copies its answer.
func queueOverSocket(c net.Conn, cmd []string, stdout, stderr io.Writer) int {
	defer c.Close()
	b, _ := json.Marshal(cmd)
	c.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := c.Write(append(b, '\n')); err != nil {
		fmt.Fprintf(stderr, "relayq: %v\n", err)
		return 1
	}
	out, err := io.ReadAll(c)
	if err != nil {
		fmt.Fprintf(stderr, "relayq: %v\n", err)
		return 1
	}
	text := string(out)
	i := strings.LastIndex(strings.TrimSuffix(text, "\n"), "\n")
	last := strings.TrimSpace(text[i+1:])
	code, err := strconv.Atoi(strings.TrimPrefix(last, "status "))
	if !strings.HasPrefix(last, "status ") || err != nil {
		fmt.Fprintf(stderr, "relayq: the relay's answer ended early\n")
		stdout.Write(out)
		return 1
	}
	body := text[:i+1]
	if code != 0 {
		io.WriteString(stderr, body)
		return code
	}
	io.WriteString(stdout, body)
	return 0
}
