package mailqueue

import (
	"strconv"
	"sync/atomic"
)

// EventKind says what happened to a queued message.
type EventKind uint8

// The events an Observer sees. Delivered, Deferred, Bounced and Expired
// are reported once per recipient and attempt; Accepted and Attempt once
// per message.
const (
	EventAccepted  EventKind = iota + 1 // Enqueue stored the message
	EventAttempt                        // a delivery attempt starts
	EventDelivered                      // a server accepted a recipient
	EventDeferred                       // a recipient stays queued for a retry
	EventBounced                        // a recipient failed for good (5xx, or routing)
	EventExpired                        // a recipient failed because the lifetime ran out
)

var eventNames = [...]string{"", "accepted", "attempt", "delivered", "deferred", "bounced", "expired"}

// String returns the kind's name: "accepted", "attempt", "delivered",
// "deferred", "bounced" or "expired".
func (k EventKind) String() string {
	if int(k) < len(eventNames) && k != 0 {
		return eventNames[k]
	}
	return "event" + strconv.Itoa(int(k))
}

// Event is one thing the queue did with a message.
type Event struct {
	Kind EventKind
	ID   ID
	// Recipient is set for per-recipient events.
	Recipient string
	// Reply and Enhanced are the last reply for the recipient (the
	// remote server's, or the queue's own for routing and expiry).
	Reply, Enhanced string
	// RemoteMTA is the host that gave the reply, if any.
	RemoteMTA string
}

// Observer receives the queue's events (Config.Observer). The queue calls
// Observe from its delivery goroutines, so it must be safe for concurrent
// use and quick: it runs on the delivery path.
type Observer interface {
	Observe(Event)
}

// Observers is an Observer that passes each event to every Observer in
// it, in order (counters and a mail log, say).
type Observers []Observer

// Observe implements Observer.
func (o Observers) Observe(e Event) {
	for _, x := range o {
		x.Observe(e)
	}
}

// Counters is an Observer that counts events, for export to a metrics
// system. Its zero value is ready; it is safe for concurrent use. It
// satisfies expvar.Var (its String method writes JSON), so
// expvar.Publish("mailqueue", c) exports it without this package
// importing expvar.
type Counters struct {
	n [len(eventNames)]atomic.Uint64
}

// Observe implements Observer.
func (c *Counters) Observe(e Event) {
	if int(e.Kind) < len(c.n) {
		c.n[e.Kind].Add(1)
	}
}

// Get returns how many events of kind k were seen.
func (c *Counters) Get(k EventKind) uint64 {
	if int(k) >= len(c.n) {
		return 0
	}
	return c.n[k].Load()
}

// Kinds returns every event kind, in order, for exporters.
func Kinds() []EventKind {
	return []EventKind{EventAccepted, EventAttempt, EventDelivered, EventDeferred, EventBounced, EventExpired}
}

// String returns the counters as a JSON object keyed by kind name, such
// as {"accepted": 3, "attempt": 3, ...}.
func (c *Counters) String() string {
	b := []byte{'{'}
	for i, k := range Kinds() {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = strconv.AppendQuote(b, k.String())
		b = append(b, ": "...)
		b = strconv.AppendUint(b, c.Get(k), 10)
	}
	return string(append(b, '}'))
}

// observe sends e to the configured Observer, if any.
func (q *Queue) observe(e Event) {
	if q.cfg.Observer != nil {
		q.cfg.Observer.Observe(e)
	}
}

// observeOutcome reports each recipient whose attempt ended in this
// finish: delivered, failed (bounced, or expired where gaveUp says the
// lifetime failed it) or still pending.
func (q *Queue) observeOutcome(m *Message, before []Status, gaveUp []bool) {
	if q.cfg.Observer == nil {
		return
	}
	for i, r := range m.State.Rcpts {
		if before[i] != StatusPending {
			continue
		}
		var k EventKind
		switch {
		case r.Status == StatusDelivered:
			k = EventDelivered
		case r.Status == StatusFailed && gaveUp != nil && gaveUp[i]:
			k = EventExpired
		case r.Status == StatusFailed:
			k = EventBounced
		default:
			k = EventDeferred
		}
		q.cfg.Observer.Observe(Event{Kind: k, ID: m.ID, Recipient: m.Envelope.Recipients[i].Addr,
			Reply: r.Reply, Enhanced: r.Enhanced, RemoteMTA: r.RemoteMTA})
	}
}
