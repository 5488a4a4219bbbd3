// Package storetest checks that a mailqueue.LeaseStore keeps the
// contract the queue relies on: what Put stored is read back as it was,
// Update and Remove stick, and leases let several nodes share the
// messages without two of them working on one message at once. The
// Spool and every shared store (mailqueue/pgstore) run the same checks:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) mailqueue.LeaseStore { return openMyStore(t) })
//	}
//
// Each subtest opens a fresh, empty store with the function it is given
// and closes it itself (t.Cleanup). Times are made up (a fixed epoch plus
// offsets), so leases run out without waiting.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/relaykit/relaykit/mailqueue"
)

// epoch is the made-up "now" the checks start from.
var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Run runs every check as a subtest of t; open returns a new, empty
// store for each.
func Run(t *testing.T, open func(t *testing.T) mailqueue.LeaseStore) {
	for _, c := range []struct {
		name string
		fn   func(*testing.T, mailqueue.LeaseStore)
	}{
		{"PutGetUpdateRemove", testPutGetUpdateRemove},
		{"ClaimDueOnly", testClaimDueOnly},
		{"LeaseExcludes", testLeaseExcludes},
		{"ExpiredLeaseTakenOver", testExpiredTakenOver},
		{"RenewKeeps", testRenewKeeps},
		{"ReleaseReturns", testReleaseReturns},
		{"RemoveLeased", testRemoveLeased},
		{"ConcurrentClaimsDisjoint", testConcurrentClaims},
	} {
		t.Run(c.name, func(t *testing.T) { c.fn(t, open(t)) })
	}
}

// message returns a message with id, due at due.
func message(id mailqueue.ID, due time.Time, rcpts ...string) *mailqueue.Message {
	m := &mailqueue.Message{ID: id}
	m.Envelope.From = "alice@example.org"
	for _, r := range rcpts {
		m.Envelope.Recipients = append(m.Envelope.Recipients, mailqueue.Recipient{Addr: r})
		m.State.Rcpts = append(m.State.Rcpts, mailqueue.RcptState{})
	}
	m.State.Created = epoch
	m.State.NextAttempt = due
	m.Body = fmt.Appendf(nil, "Subject: %d\r\n\r\nbody %d\r\n", id, id)
	return m
}

func put(t *testing.T, s mailqueue.Store, m *mailqueue.Message) {
	t.Helper()
	if err := s.Put(context.Background(), m); err != nil {
		t.Fatalf("Put %v: %v", m.ID, err)
	}
}

func claim(t *testing.T, s mailqueue.LeaseStore, owner string, now time.Time, max int, ttl time.Duration) []mailqueue.Lease {
	t.Helper()
	ls, err := s.Claim(context.Background(), owner, now, max, ttl)
	if err != nil {
		t.Fatalf("Claim by %s: %v", owner, err)
	}
	for _, l := range ls {
		if l.Owner != owner || !l.Expires.Equal(now.Add(ttl)) || l.Token == 0 {
			t.Fatalf("Claim by %s at %v for %v returned %+v", owner, now, ttl, l)
		}
	}
	return ls
}

func ids(ls []mailqueue.Lease) []mailqueue.ID {
	out := make([]mailqueue.ID, len(ls))
	for i, l := range ls {
		out[i] = l.ID
	}
	return out
}

func testPutGetUpdateRemove(t *testing.T, s mailqueue.LeaseStore) {
	ctx := context.Background()
	m := message(1, epoch, "bob@example.com", "carol@example.net")
	put(t, s, m)
	got, err := s.Get(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got.Envelope.From != m.Envelope.From || len(got.Envelope.Recipients) != 2 ||
		got.Envelope.Recipients[1].Addr != "carol@example.net" || string(got.Body) != string(m.Body) ||
		!got.State.NextAttempt.Equal(epoch) {
		t.Fatalf("Get = %+v, want %+v", got, m)
	}
	st := m.State
	st.Attempts = 3
	st.NextAttempt = epoch.Add(time.Hour)
	st.Rcpts = []mailqueue.RcptState{{Status: mailqueue.StatusDelivered}, {}}
	if err := s.Update(ctx, 1, &st); err != nil {
		t.Fatal(err)
	}
	got, err = s.Get(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got.State.Attempts != 3 || !got.State.NextAttempt.Equal(st.NextAttempt) || got.State.Rcpts[0].Status != mailqueue.StatusDelivered {
		t.Fatalf("after Update: %+v", got.State)
	}
	n := 0
	if err := s.Scan(ctx, func(sm mailqueue.Summary) error {
		if sm.Err != nil {
			return sm.Err
		}
		n++
		return nil
	}); err != nil || n != 1 {
		t.Fatalf("Scan: %d messages, %v", n, err)
	}
	if err := s.Remove(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, 1); !errors.Is(err, mailqueue.ErrNotFound) {
		t.Fatalf("Get after Remove: %v, want ErrNotFound", err)
	}
}

func testClaimDueOnly(t *testing.T, s mailqueue.LeaseStore) {
	put(t, s, message(1, epoch.Add(2*time.Minute), "a@example.com"))
	put(t, s, message(2, epoch, "a@example.com"))
	put(t, s, message(3, epoch.Add(time.Hour), "a@example.com")) // not due
	held := message(4, epoch, "a@example.com")
	held.State.Held = true
	put(t, s, held)
	put(t, s, message(5, epoch.Add(time.Minute), "a@example.com"))
	now := epoch.Add(5 * time.Minute)
	got := ids(claim(t, s, "n1", now, 2, time.Minute))
	if len(got) != 2 || got[0] != 2 || got[1] != 5 {
		t.Fatalf("first claim of 2 = %v, want [2 5] (earliest due first)", got)
	}
	got = ids(claim(t, s, "n1", now, 10, time.Minute))
	if len(got) != 1 || got[0] != 1 {
		t.Fatalf("second claim = %v, want [1] (3 not due, 4 held)", got)
	}
}

func testLeaseExcludes(t *testing.T, s mailqueue.LeaseStore) {
	for i := 1; i <= 5; i++ {
		put(t, s, message(mailqueue.ID(i), epoch, "a@example.com"))
	}
	a := claim(t, s, "a", epoch, 10, time.Minute)
	if len(a) != 5 {
		t.Fatalf("a claimed %v", ids(a))
	}
	for _, at := range []time.Duration{0, 30 * time.Second, time.Minute - time.Nanosecond} {
		if b := claim(t, s, "b", epoch.Add(at), 10, time.Minute); len(b) != 0 {
			t.Fatalf("b claimed %v at +%v while a's leases hold", ids(b), at)
		}
	}
}

func testExpiredTakenOver(t *testing.T, s mailqueue.LeaseStore) {
	ctx := context.Background()
	m := message(7, epoch, "a@example.com")
	put(t, s, m)
	a := claim(t, s, "a", epoch, 1, time.Minute)
	if len(a) != 1 {
		t.Fatalf("a claimed %v", ids(a))
	}
	later := epoch.Add(time.Minute)
	b := claim(t, s, "b", later, 1, time.Minute)
	if len(b) != 1 || b[0].ID != 7 || b[0].Token <= a[0].Token {
		t.Fatalf("b at expiry claimed %+v, want message 7 with a token above %d", b, a[0].Token)
	}
	// a, late, must not record its attempt over b's.
	st := m.State
	st.Attempts = 99
	if err := s.UpdateLeased(ctx, a[0], later, &st); !errors.Is(err, mailqueue.ErrLeaseLost) {
		t.Fatalf("UpdateLeased by the expired holder: %v, want ErrLeaseLost", err)
	}
	if err := s.RemoveLeased(ctx, a[0], later); !errors.Is(err, mailqueue.ErrLeaseLost) {
		t.Fatalf("RemoveLeased by the expired holder: %v, want ErrLeaseLost", err)
	}
	if _, err := s.Renew(ctx, a[0], later, time.Minute); !errors.Is(err, mailqueue.ErrLeaseLost) {
		t.Fatalf("Renew by the expired holder: %v, want ErrLeaseLost", err)
	}
	if err := s.Release(ctx, a[0]); !errors.Is(err, mailqueue.ErrLeaseLost) {
		t.Fatalf("Release by the expired holder: %v, want ErrLeaseLost", err)
	}
	got, err := s.Get(ctx, 7)
	if err != nil || got.State.Attempts != 0 {
		t.Fatalf("after the stale writes: %v %+v", err, got)
	}
	st.Attempts = 1
	if err := s.UpdateLeased(ctx, b[0], later, &st); err != nil {
		t.Fatalf("UpdateLeased by the holder: %v", err)
	}
	if got, err := s.Get(ctx, 7); err != nil || got.State.Attempts != 1 {
		t.Fatalf("after the holder's write: %v %+v", err, got)
	}
}

func testRenewKeeps(t *testing.T, s mailqueue.LeaseStore) {
	ctx := context.Background()
	put(t, s, message(1, epoch, "a@example.com"))
	a := claim(t, s, "a", epoch, 1, time.Minute)
	r, err := s.Renew(ctx, a[0], epoch.Add(50*time.Second), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Expires.Equal(epoch.Add(110*time.Second)) || r.Token != a[0].Token {
		t.Fatalf("renewed lease %+v", r)
	}
	if b := claim(t, s, "b", epoch.Add(100*time.Second), 1, time.Minute); len(b) != 0 {
		t.Fatalf("b claimed %v under a renewed lease", ids(b))
	}
	if b := claim(t, s, "b", epoch.Add(110*time.Second), 1, time.Minute); len(b) != 1 {
		t.Fatal("renewed lease did not expire")
	}
}

func testReleaseReturns(t *testing.T, s mailqueue.LeaseStore) {
	ctx := context.Background()
	m := message(1, epoch, "a@example.com")
	put(t, s, m)
	a := claim(t, s, "a", epoch, 1, time.Hour)
	// The attempt deferred the message: it is due again in ten minutes.
	st := m.State
	st.Attempts = 1
	st.NextAttempt = epoch.Add(10 * time.Minute)
	if err := s.UpdateLeased(ctx, a[0], epoch, &st); err != nil {
		t.Fatal(err)
	}
	if err := s.Release(ctx, a[0]); err != nil {
		t.Fatal(err)
	}
	if err := s.Release(ctx, a[0]); !errors.Is(err, mailqueue.ErrLeaseLost) {
		t.Fatalf("second Release: %v, want ErrLeaseLost", err)
	}
	if b := claim(t, s, "b", epoch.Add(time.Minute), 1, time.Minute); len(b) != 0 {
		t.Fatalf("b claimed %v before the recorded next attempt", ids(b))
	}
	if b := claim(t, s, "b", epoch.Add(10*time.Minute), 1, time.Minute); len(b) != 1 {
		t.Fatal("released message not claimable when due")
	}
}

func testRemoveLeased(t *testing.T, s mailqueue.LeaseStore) {
	ctx := context.Background()
	put(t, s, message(1, epoch, "a@example.com"))
	a := claim(t, s, "a", epoch, 1, time.Minute)
	if err := s.RemoveLeased(ctx, a[0], epoch); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, 1); !errors.Is(err, mailqueue.ErrNotFound) {
		t.Fatalf("Get after RemoveLeased: %v", err)
	}
	if b := claim(t, s, "b", epoch.Add(time.Hour), 1, time.Minute); len(b) != 0 {
		t.Fatalf("removed message claimed: %v", ids(b))
	}
}

func testConcurrentClaims(t *testing.T, s mailqueue.LeaseStore) {
	const n, nodes = 200, 4
	for i := 1; i <= n; i++ {
		put(t, s, message(mailqueue.ID(i), epoch, "a@example.com"))
	}
	var mu sync.Mutex
	seen := map[mailqueue.ID]string{}
	var wg sync.WaitGroup
	errs := make(chan error, nodes)
	for k := range nodes {
		owner := fmt.Sprintf("node%d", k)
		wg.Go(func() {
			for {
				ls, err := s.Claim(context.Background(), owner, epoch, 7, time.Hour)
				if err != nil {
					errs <- err
					return
				}
				if len(ls) == 0 {
					return
				}
				mu.Lock()
				for _, l := range ls {
					if prev, ok := seen[l.ID]; ok {
						mu.Unlock()
						errs <- fmt.Errorf("message %v claimed by %s and %s", l.ID, prev, owner)
						return
					}
					seen[l.ID] = owner
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(seen) != n {
		t.Fatalf("%d of %d messages claimed", len(seen), n)
	}
}
