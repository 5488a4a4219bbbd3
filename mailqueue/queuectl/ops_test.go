package queuectl

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/relaykit/relaykit/mailqueue"
)

func TestStoreOpsEntries(t *testing.T) {
	s := testStore(t)
	s.broken = []mailqueue.ID{9}
	es, err := StoreOps{Store: s}.Entries(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Sorted by next attempt, then ID: the broken one (zero time) first.
	var ids []mailqueue.ID
	for _, e := range es {
		ids = append(ids, e.ID)
	}
	if diff := cmp.Diff([]mailqueue.ID{9, 3, 1, 2}, ids); diff != "" {
		t.Fatalf("order (-want +got):\n%s", diff)
	}
	want := mailqueue.Entry{ID: 1, From: "alice@a.test", Size: len(msg(1, "", 0).Body), Created: t0,
		Attempts: 2, NextAttempt: t0.Add(time.Hour), Recipients: []mailqueue.EntryRecipient{
			{Recipient: mailqueue.Recipient{Addr: "bob@b.test"}, RcptState: mailqueue.RcptState{Reply: "451 4.3.0 try later"}},
			{Recipient: mailqueue.Recipient{Addr: "carol@c.test"}, RcptState: mailqueue.RcptState{Status: mailqueue.StatusDelivered}},
		}}
	if diff := cmp.Diff(want, es[2]); diff != "" {
		t.Errorf("entry 1 (-want +got):\n%s", diff)
	}
	if !es[0].Broken || !es[3].Held {
		t.Errorf("broken %v, held %v", es[0].Broken, es[3].Held)
	}
}

func TestStoreOpsChanges(t *testing.T) {
	ctx := context.Background()
	s := testStore(t)
	now := t0.Add(10 * time.Minute)
	ops := StoreOps{Store: s, Now: func() time.Time { return now }}
	state := func(id mailqueue.ID) (bool, time.Time) {
		t.Helper()
		m, err := s.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return m.State.Held, m.State.NextAttempt
	}

	// Flush of everything: due now, except the held one.
	if err := ops.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[mailqueue.ID]time.Time{1: now, 3: now, 2: t0.Add(2 * time.Hour)} {
		if _, next := state(id); !next.Equal(want) {
			t.Errorf("after Flush, %v due %v, want %v", id, next, want)
		}
	}
	if err := ops.Hold(ctx, 1); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute)
	if err := ops.Flush(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if held, next := state(1); !held || !next.Equal(t0.Add(10*time.Minute)) {
		t.Errorf("held and flushed: held %v due %v; want held, unchanged", held, next)
	}
	if err := ops.Release(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if held, next := state(2); held || !next.Equal(now) {
		t.Errorf("released: held %v due %v, want due %v", held, next, now)
	}
	if err := ops.Delete(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := ops.Get(ctx, 3); !errors.Is(err, mailqueue.ErrNotFound) {
		t.Errorf("Get after Delete: %v", err)
	}
	for name, err := range map[string]error{
		"Hold": ops.Hold(ctx, 3), "Release": ops.Release(ctx, 3), "Flush": ops.Flush(ctx, 3), "Delete": ops.Delete(ctx, 3),
	} {
		if !errors.Is(err, mailqueue.ErrNotFound) {
			t.Errorf("%s of a deleted message: %v", name, err)
		}
	}
}

// TestQueueOps: the commands through a running queue, on held messages
// (never attempted until one is released).
func TestQueueOps(t *testing.T) {
	ctx := context.Background()
	spool, err := mailqueue.OpenSpool(t.TempDir(), mailqueue.SpoolConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer spool.Close()
	attempted := make(chan string, 1)
	q, err := mailqueue.New(spool, mailqueue.Config{
		Hostname: "relay.test",
		Resolver: mailqueue.StaticResolver{
			MX: map[string][]mailqueue.MX{"far.test": {{Host: "mx.far.test", Pref: 10}}},
			IP: map[string][]netip.Addr{"mx.far.test": {netip.MustParseAddr("127.0.0.1")}},
		},
		Deliverer: mailqueue.DelivererFunc(func(ctx context.Context, tg mailqueue.Target, txn *mailqueue.Transaction) ([]mailqueue.Reply, error) {
			attempted <- txn.Recipients[0].Addr
			return nil, &mailqueue.DeliveryError{Reply: mailqueue.Reply{Code: 451, Text: "later"}}
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Shutdown(ctx)
	var ids []mailqueue.ID
	for _, to := range []string{"r1@far.test", "r2@far.test"} {
		id, err := q.EnqueueHeld(ctx, mailqueue.Envelope{From: "a@here.test", Recipients: []mailqueue.Recipient{{Addr: to}}}, []byte("Subject: x\r\n\r\nhi\r\n"))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	ops := QueueOps{Queue: q, Store: spool}
	es, err := ops.Entries(ctx)
	if err != nil || len(es) != 2 || !es[0].Held || !es[1].Held {
		t.Fatalf("Entries: %v %+v", err, es)
	}
	m, err := ops.Get(ctx, ids[1])
	if err != nil || m.Envelope.Recipients[0].Addr != "r2@far.test" {
		t.Fatalf("Get: %v", err)
	}
	if err := ops.Delete(ctx, ids[1]); err != nil {
		t.Fatal(err)
	}
	if err := ops.Release(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if to := <-attempted; to != "r1@far.test" {
		t.Fatalf("attempted %s", to)
	}
	if err := ops.Hold(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if err := ops.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := (QueueOps{Queue: q}).Get(ctx, ids[0]); !errors.Is(err, ErrNoStore) {
		t.Errorf("Get without a Store: %v", err)
	}
	if err := ops.Hold(ctx, ids[1]); !errors.Is(err, mailqueue.ErrNotFound) {
		t.Errorf("Hold of a deleted message: %v", err)
	}
}
