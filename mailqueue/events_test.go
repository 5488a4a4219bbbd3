package mailqueue

import (
	"encoding/json"
	"sync"
	"testing"
	"time"
)

type recorder struct {
	mu sync.Mutex
	ev []Event
}

func (r *recorder) Observe(e Event) {
	r.mu.Lock()
	r.ev = append(r.ev, e)
	r.mu.Unlock()
}

// TestEvents: one message to a recipient that is accepted, one refused
// for good and one deferred until the lifetime ends; the observer sees
// each outcome once per attempt, the bounce's own delivery too, and
// Counters count them.
func TestEvents(t *testing.T) {
	var rec recorder
	var c Counters
	h := newHarness(t, Config{Lifetime: time.Hour, Observer: multiObs{&rec, &c}})
	h.dlv.fn = func(tg Target, txn *Transaction) ([]Reply, error) {
		if txn.From == "" {
			return replies(len(txn.Recipients), Reply{Code: 250}), nil
		}
		out := make([]Reply, len(txn.Recipients))
		for i, r := range txn.Recipients {
			switch r.Addr {
			case "ok@example.com":
				out[i] = Reply{Code: 250}
			case "no@example.com":
				out[i] = Reply{Code: 550, Enhanced: "5.1.1", Text: "no such user"}
			default:
				out[i] = Reply{Code: 451, Enhanced: "4.3.0", Text: "try later"}
			}
		}
		return out, nil
	}
	h.enqueue("alice@example.org", "ok@example.com", "no@example.com", "later@example.com")
	runFor(h.q, h.clock, 2*time.Hour)
	// 30-minute retries in a one-hour lifetime: attempts at 0, 30 and 60
	// minutes, the last one giving up; a report to alice for the 550 at
	// once and one for the expiry, each delivered at its first attempt.
	want := map[EventKind]uint64{EventAccepted: 3, EventAttempt: 5, EventDelivered: 3, EventDeferred: 2, EventBounced: 1, EventExpired: 1}
	for _, k := range Kinds() {
		if got := c.Get(k); got != want[k] {
			t.Errorf("%v: %d, want %d (events %+v)", k, got, want[k], rec.ev)
		}
	}
	for _, e := range rec.ev {
		if e.Kind == EventBounced && (e.Recipient != "no@example.com" || e.Enhanced != "5.1.1") {
			t.Errorf("bounced event %+v", e)
		}
		if e.Kind == EventExpired && e.Recipient != "later@example.com" {
			t.Errorf("expired event %+v", e)
		}
	}
	var m map[string]uint64
	if err := json.Unmarshal([]byte(c.String()), &m); err != nil || m["expired"] != 1 || m["accepted"] != 3 {
		t.Fatalf("Counters.String() = %s (%v)", c.String(), err)
	}
	if EventKind(99).String() != "event99" {
		t.Fatal(EventKind(99).String())
	}
}

type multiObs []Observer

func (m multiObs) Observe(e Event) {
	for _, o := range m {
		o.Observe(e)
	}
}

// TestObservers: each event reaches every Observer, in order.
func TestObservers(t *testing.T) {
	var a, b recorder
	var c Counters
	o := Observers{&a, &c, &b}
	o.Observe(Event{Kind: EventDelivered, Recipient: "x@y.test"})
	o.Observe(Event{Kind: EventDeferred, Recipient: "z@y.test"})
	if len(a.ev) != 2 || len(b.ev) != 2 || a.ev[1].Recipient != "z@y.test" || b.ev[0].Kind != EventDelivered {
		t.Errorf("a %+v, b %+v", a.ev, b.ev)
	}
	if c.Get(EventDelivered) != 1 || c.Get(EventDeferred) != 1 {
		t.Errorf("counters: %d delivered, %d deferred", c.Get(EventDelivered), c.Get(EventDeferred))
	}
}
