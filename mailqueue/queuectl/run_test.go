package queuectl

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/relaykit/relaykit/mailqueue"
)

func run(t *testing.T, ops Ops, args ...string) (string, error) {
	t.Helper()
	var b strings.Builder
	err := Run(context.Background(), ops, args, &b)
	return b.String(), err
}

const (
	id1 = "0000000000000001"
	id2 = "0000000000000002"
	id3 = "0000000000000003"
)

var (
	listAll = `-Queue ID-        --Size-- ----Arrival Time---- -Sender/Recipient-------
0000000000000003        22 Sun Mar  1 09:30:00  alice@a.test
                                                 dave@d.test

0000000000000001        22 Sun Mar  1 09:30:00  alice@a.test
                  (451 4.3.0 try later)
                                                 bob@b.test

0000000000000002!       22 Sun Mar  1 09:30:00  MAILER-DAEMON
                                                 postmaster@a.test

-- 1 Kbytes in 3 Requests.
`
	listHeld = `-Queue ID-        --Size-- ----Arrival Time---- -Sender/Recipient-------
0000000000000002!       22 Sun Mar  1 09:30:00  MAILER-DAEMON
                                                 postmaster@a.test

-- 1 Kbytes in 1 Request.
`
)

func TestRunOutput(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"list"}, listAll},
		{[]string{"list", "-held"}, listHeld},
		{[]string{"list", "-from", "alice", "-deferred"}, strings.Join(strings.Split(listAll, "\n")[0:1], "") + "\n" +
			strings.Join(strings.Split(listAll, "\n")[4:8], "\n") + "\n-- 1 Kbytes in 1 Request.\n"},
		{[]string{"list", "-to", "bob@"}, strings.Join(strings.Split(listAll, "\n")[0:1], "") + "\n" +
			strings.Join(strings.Split(listAll, "\n")[4:8], "\n") + "\n-- 1 Kbytes in 1 Request.\n"},
		// carol was delivered: -to looks at pending recipients only.
		{[]string{"list", "-to", "carol"}, "Mail queue is empty\n"},
		{[]string{"counts"}, "messages 3\nheld 1\ndeferred 1\nrunning 0\nunreadable 0\npending-recipients 3\nbytes 66\n"},
		{[]string{"show", id1}, "id: " + id1 + "\nfrom: <alice@a.test>\ncreated: 2026-03-01T09:30:00Z\nattempts: 2\n" +
			"next attempt: 2026-03-01T10:30:00Z\nheld: false\nto: <bob@b.test> pending (451 4.3.0 try later)\n" +
			"to: <carol@c.test> delivered\nsize: 22\n\nSubject: 1\r\n\r\nbody 1\r\n"},
		{[]string{"hold", id1, id3}, id1 + ": held\n" + id3 + ": held\n"},
		{[]string{"release", id2}, id2 + ": released\n"},
		{[]string{"flush"}, "flushed\n"},
		{[]string{"flush", id1}, id1 + ": flushed\n"},
		{[]string{"requeue", id2}, id2 + ": requeued\n"},
		{[]string{"delete", id3}, id3 + ": deleted\n"},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			got, err := run(t, StoreOps{Store: testStore(t), Now: func() time.Time { return t0 }}, c.args...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestRunChanges: what the changing commands leave in the store.
func TestRunChanges(t *testing.T) {
	ctx := context.Background()
	s := testStore(t)
	now := t0.Add(time.Minute)
	ops := StoreOps{Store: s, Now: func() time.Time { return now }}
	for _, args := range [][]string{{"hold", id1}, {"requeue", id2}, {"delete", id3}} {
		if out, err := run(t, ops, args...); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	es, err := ops.Entries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		ID   mailqueue.ID
		Held bool
		Next time.Time
	}
	var gots []got
	for _, e := range es {
		gots = append(gots, got{e.ID, e.Held, e.NextAttempt})
	}
	want := []got{{2, false, now}, {1, true, t0.Add(time.Hour)}}
	if diff := cmp.Diff(want, gots); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestRunErrors(t *testing.T) {
	for _, c := range []struct {
		args   []string
		status int
		is     error
		msg    string
		out    string
	}{
		{nil, 2, ErrUsage, "queuectl: no command (list, show, counts, flush, hold, release, delete, requeue)", ""},
		{[]string{"frob"}, 2, ErrUsage, `queuectl: unknown command "frob"`, ""},
		{[]string{"list", "-x"}, 2, ErrUsage, "queuectl: list: flag provided but not defined: -x", ""},
		{[]string{"list", id1}, 2, ErrUsage, "queuectl: list: takes no queue IDs", ""},
		{[]string{"counts", id1}, 2, ErrUsage, "queuectl: counts: takes no queue IDs", ""},
		{[]string{"show"}, 2, ErrUsage, "queuectl: show: needs one queue ID", ""},
		{[]string{"show", id1, id2}, 2, ErrUsage, "queuectl: show: needs one queue ID", ""},
		{[]string{"hold"}, 2, ErrUsage, "queuectl: hold: needs queue IDs", ""},
		{[]string{"hold", "xyz"}, 2, mailqueue.ErrBadID, `queuectl: hold: bad queue ID "xyz"`, ""},
		{[]string{"delete", "-f", id1}, 2, ErrUsage, "queuectl: delete: flag provided but not defined: -f", ""},
		{[]string{"show", "00000000000000ff"}, 1, mailqueue.ErrNotFound, "queuectl: show 00000000000000ff: mailqueue: no such message", ""},
		// The first ID is done and reported; the second fails.
		{[]string{"hold", id1, "00000000000000ff", id3}, 1, mailqueue.ErrNotFound,
			"queuectl: hold 00000000000000ff: mailqueue: no such message", id1 + ": held\n"},
		{[]string{"flush", "00000000000000ff"}, 1, mailqueue.ErrNotFound, "queuectl: flush 00000000000000ff: mailqueue: no such message", ""},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			out, err := run(t, StoreOps{Store: testStore(t)}, c.args...)
			if Status(err) != c.status || !errors.Is(err, c.is) || !strings.HasPrefix(err.Error(), c.msg) {
				t.Errorf("err %v (status %d), want %q (status %d, is %v)", err, Status(err), c.msg, c.status, c.is)
			}
			if out != c.out {
				t.Errorf("output %q, want %q", out, c.out)
			}
		})
	}
	var ue *UsageError
	if _, err := run(t, StoreOps{Store: testStore(t)}, "hold", "xyz"); !errors.As(err, &ue) || ue.Command != "hold" {
		t.Errorf("errors.As UsageError: %v", err)
	}
	var oe *OpError
	if _, err := run(t, StoreOps{Store: testStore(t)}, "delete", "00000000000000ff"); !errors.As(err, &oe) || oe.ID != 0xff {
		t.Errorf("errors.As OpError: %v", err)
	}
}

// TestRunHelp: -h prints list's flags and is no error.
func TestRunHelp(t *testing.T) {
	out, err := run(t, StoreOps{Store: testStore(t)}, "list", "-h")
	if err != nil || !strings.HasPrefix(out, "usage of list:\n") || !strings.Contains(out, "-deferred") {
		t.Errorf("list -h: %v\n%s", err, out)
	}
}

// failOps fails every call.
type failOps struct{ err error }

func (o failOps) Entries(context.Context) ([]mailqueue.Entry, error) { return nil, o.err }
func (o failOps) Get(context.Context, mailqueue.ID) (*mailqueue.Message, error) {
	return nil, o.err
}
func (o failOps) Hold(context.Context, mailqueue.ID) error     { return o.err }
func (o failOps) Release(context.Context, mailqueue.ID) error  { return o.err }
func (o failOps) Delete(context.Context, mailqueue.ID) error   { return o.err }
func (o failOps) Flush(context.Context, ...mailqueue.ID) error { return o.err }

func TestRunOpsFail(t *testing.T) {
	boom := errors.New("disk on fire")
	for _, args := range [][]string{{"list"}, {"counts"}, {"flush"}, {"requeue", id1}, {"show", id1}} {
		out, err := run(t, failOps{boom}, args...)
		var oe *OpError
		if !errors.Is(err, boom) || !errors.As(err, &oe) || oe.Command != args[0] || Status(err) != 1 || out != "" {
			t.Errorf("%v: %v %q", args, err, out)
		}
	}
}

func TestCountEntries(t *testing.T) {
	pending := []mailqueue.EntryRecipient{{}, {RcptState: mailqueue.RcptState{Status: mailqueue.StatusFailed}}}
	got := CountEntries([]mailqueue.Entry{
		{Size: 10, Held: true, Running: true, Attempts: 1, Recipients: pending},
		{Size: 20, Running: true},
		{Broken: true, Held: true},
		{Size: 5, Attempts: 3, Recipients: pending[:1]},
	})
	want := Counts{Messages: 4, Held: 1, Running: 1, Unreadable: 1, Deferred: 2, PendingRecipients: 2, Bytes: 35}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
