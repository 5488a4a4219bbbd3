package mailsrv

import (
	"context"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relaykit/relaykit/mailqueue"
)

func TestHoldStoreRecoveredAsHeld(t *testing.T) {
	dir := t.TempDir()
	sp, err := mailqueue.OpenSpool(dir, mailqueue.SpoolConfig{})
	if err != nil {
		t.Fatal(err)
	}
	h := HoldStore{Store: sp}
	env := mailqueue.Envelope{From: "a@x.test", Recipients: []mailqueue.Recipient{{Addr: "b@y.test"}, {Addr: "c@y.test"}}}
	id, err := h.Enqueue(context.Background(), env, []byte("Subject: held\r\n\r\nbody\r\n"))
	if err != nil || id == 0 {
		t.Fatalf("Enqueue = %v, %v", id, err)
	}
	if err := sp.Close(); err != nil {
		t.Fatal(err)
	}
	// A queue opened on the same spool later lists the message as held
	// and never attempts it.
	sp, err = mailqueue.OpenSpool(dir, mailqueue.SpoolConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	var attempts atomic.Int32
	q, err := mailqueue.New(sp, mailqueue.Config{
		Deliverer: mailqueue.DelivererFunc(func(context.Context, mailqueue.Target, *mailqueue.Transaction) ([]mailqueue.Reply, error) {
			attempts.Add(1)
			return nil, nil
		}),
		Resolver: staticResolver{},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Shutdown(context.Background())
	var entries []mailqueue.Entry
	if err := q.List(context.Background(), func(e mailqueue.Entry) error {
		entries = append(entries, e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].ID != id || !entries[0].Held || len(entries[0].Recipients) != 2 || entries[0].From != "a@x.test" {
		t.Fatalf("List = %+v", entries)
	}
	if time.Since(entries[0].Created) > time.Minute {
		t.Errorf("Created = %v", entries[0].Created)
	}
	if n := attempts.Load(); n != 0 {
		t.Errorf("held message attempted %d times", n)
	}
}

type staticResolver struct{}

func (staticResolver) LookupMX(context.Context, string) ([]mailqueue.MX, error) { return nil, nil }
func (staticResolver) LookupIP(context.Context, string) ([]netip.Addr, error)   { return nil, nil }
