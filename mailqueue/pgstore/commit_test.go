package pgstore

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/relaykit/relaykit/mailqueue"
)

// openStore opens a Store on the server at dsn, closed when the test ends.
func openStore(t testing.TB, dsn string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func testMessage(id mailqueue.ID, from string) *mailqueue.Message {
	m := &mailqueue.Message{ID: id, Body: fmt.Appendf(nil, "Subject: %d\r\n\r\nbody\r\n", id)}
	m.Envelope.From = from
	m.Envelope.Recipients = []mailqueue.Recipient{{Addr: "bob@example.com"}}
	m.State.Rcpts = make([]mailqueue.RcptState, 1)
	return m
}

// waitQueued waits until n Puts wait in the commit queue.
func (c *committer) waitQueued(n int) {
	for {
		c.mu.Lock()
		k := len(c.queue)
		c.mu.Unlock()
		if k >= n {
			return
		}
		runtime.Gosched()
	}
}

// gate holds the first commit of s until release is closed, and reports
// each batch's size on sizes.
func gate(s *Store) (sizes chan int, release chan struct{}) {
	sizes, release = make(chan int, 1000), make(chan struct{})
	first := true
	s.commit.beforeCommit = func(n int) {
		sizes <- n
		if first {
			first = false
			<-release
		}
	}
	return sizes, release
}

// putAll runs Put for each message in its own goroutine and returns the
// errors in order, once all have returned.
func putAll(ctx context.Context, s *Store, ms []*mailqueue.Message) (wait func() []error) {
	errs := make([]error, len(ms))
	var wg sync.WaitGroup
	for i, m := range ms {
		wg.Go(func() { errs[i] = s.Put(ctx, m) })
	}
	return func() []error { wg.Wait(); return errs }
}

// Puts that arrive while a commit runs wait for it and then go together
// in the next one: 1 + 31 Puts make two commits, and every message is
// stored when its Put returns.
func TestGroupCommitSharesOneCommit(t *testing.T) {
	s := openStore(t, startPostgres(t))
	ctx := context.Background()
	sizes, release := gate(s)
	first := putAll(ctx, s, []*mailqueue.Message{testMessage(1, "a@example.org")})
	if n := <-sizes; n != 1 {
		t.Fatalf("first commit holds %d messages, want 1", n)
	}
	var rest []*mailqueue.Message
	for i := range 31 {
		rest = append(rest, testMessage(mailqueue.ID(100+i), "a@example.org"))
	}
	others := putAll(ctx, s, rest)
	s.commit.waitQueued(len(rest))
	close(release)
	for i, err := range append(first(), others()...) {
		if err != nil {
			t.Fatalf("Put %d: %v", i, err)
		}
	}
	if n := <-sizes; n != len(rest) {
		t.Fatalf("second commit holds %d messages, want %d", n, len(rest))
	}
	if c := s.commit.commits.Load(); c != 2 {
		t.Fatalf("%d commits, want 2", c)
	}
	for _, m := range rest {
		got, err := s.Get(ctx, m.ID)
		if err != nil || string(got.Body) != string(m.Body) {
			t.Fatalf("Get(%v) = %v, %v", m.ID, got, err)
		}
	}
}

// In one batch, a message whose ID is stored already and a second Put of
// an ID in the same batch get ErrDuplicate; a message PostgreSQL refuses
// (a NUL in its envelope, which jsonb cannot hold) fails alone; the
// others are stored.
func TestGroupCommitFailsOnlyTheFaultyMessages(t *testing.T) {
	s := openStore(t, startPostgres(t))
	ctx := context.Background()
	if err := s.Put(ctx, testMessage(7, "a@example.org")); err != nil {
		t.Fatal(err)
	}
	sizes, release := gate(s)
	hold := putAll(ctx, s, []*mailqueue.Message{testMessage(1, "a@example.org")})
	<-sizes
	ms := []*mailqueue.Message{
		testMessage(10, "a@example.org"),
		testMessage(7, "a@example.org"),      // stored before
		testMessage(11, "a\x00@example.org"), // jsonb refuses \u0000
		testMessage(12, "a@example.org"),
		testMessage(12, "a@example.org"), // twice in the batch
	}
	wait := putAll(ctx, s, ms)
	s.commit.waitQueued(len(ms))
	close(release)
	if err := hold()[0]; err != nil {
		t.Fatal(err)
	}
	errs := wait()
	if errs[0] != nil || errs[3] != nil && errs[4] != nil {
		t.Fatalf("good messages failed: %v", errs)
	}
	if !errors.Is(errs[1], ErrDuplicate) {
		t.Fatalf("Put of a stored ID: %v, want ErrDuplicate", errs[1])
	}
	if errs[2] == nil || errors.Is(errs[2], ErrDuplicate) {
		t.Fatalf("Put with a NUL in the envelope: %v, want PostgreSQL's refusal", errs[2])
	}
	if (errs[3] == nil) == (errs[4] == nil) || !errors.Is(errs[3], ErrDuplicate) && !errors.Is(errs[4], ErrDuplicate) {
		t.Fatalf("two Puts of one ID: %v, %v; want one stored, one ErrDuplicate", errs[3], errs[4])
	}
	for _, id := range []mailqueue.ID{1, 7, 10, 12} {
		if _, err := s.Get(ctx, id); err != nil {
			t.Fatalf("Get(%v): %v", id, err)
		}
	}
	if _, err := s.Get(ctx, 11); !errors.Is(err, mailqueue.ErrNotFound) {
		t.Fatalf("Get of the refused message: %v, want ErrNotFound", err)
	}
}

// A Put whose context ends while it waits in the queue, before any
// commit took its message, returns the context's error and its message
// is not stored; the Puts around it are.
func TestGroupCommitCancelWhileQueued(t *testing.T) {
	s := openStore(t, startPostgres(t))
	sizes, release := gate(s)
	hold := putAll(context.Background(), s, []*mailqueue.Message{testMessage(1, "a@example.org")})
	<-sizes
	ctx, cancel := context.WithCancel(context.Background())
	cancelled := putAll(ctx, s, []*mailqueue.Message{testMessage(2, "a@example.org")})
	s.commit.waitQueued(1)
	other := putAll(context.Background(), s, []*mailqueue.Message{testMessage(3, "a@example.org")})
	s.commit.waitQueued(2)
	cancel()
	if err := cancelled()[0]; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Put: %v, want context.Canceled", err)
	}
	close(release)
	if err := hold()[0]; err != nil {
		t.Fatal(err)
	}
	if err := other()[0]; err != nil {
		t.Fatal(err)
	}
	bg := context.Background()
	if _, err := s.Get(bg, 2); !errors.Is(err, mailqueue.ErrNotFound) {
		t.Fatalf("the cancelled Put's message: %v, want ErrNotFound", err)
	}
	for _, id := range []mailqueue.ID{1, 3} {
		if _, err := s.Get(bg, id); err != nil {
			t.Fatalf("Get(%v): %v", id, err)
		}
	}
}

// With several commits allowed at once (a benchmark setting), every Put
// still returns once its own message is stored, and the lead is never
// handed twice to one Put.
func TestGroupCommitSeveralLeaders(t *testing.T) {
	s := openStore(t, startPostgres(t))
	s.commit.maxLeaders = 4
	ctx := context.Background()
	var ms []*mailqueue.Message
	for i := range 200 {
		ms = append(ms, testMessage(mailqueue.ID(1000+i), "a@example.org"))
	}
	for i, err := range putAll(ctx, s, ms)() {
		if err != nil {
			t.Fatalf("Put %d: %v", i, err)
		}
	}
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM mailqueue_messages`).Scan(&n); err != nil || n != len(ms) {
		t.Fatalf("%d messages stored (%v), want %d", n, err, len(ms))
	}
	if l := s.commit.leaders; l != 0 {
		t.Fatalf("%d leaders left when no Put runs", l)
	}
}
