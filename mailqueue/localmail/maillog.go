package localmail

import (
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/relaykit/relaykit/mailqueue"
)

// MailLog writes a mail log, what an operator greps (Postfix's maillog):
// one line per accepted message with its queue ID, sender,
// recipients, size, client and status, and one per recipient outcome of
// a queued message's delivery attempt. Each line is one write, so lines
// from many connections never interleave; it writes nothing else.
//
//	2026-12-05T23:20:01.123Z 3f2a9c01d4e5b677: from=<alice@near.test>, to=<bob@far.test>, size=1234, client=127.0.0.1, status=queued
//	2026-12-05T23:20:01.140Z 3f2a9c01d4e5b677: to=<bob@far.test>, relay=mx.far.test, status=delivered (250 2.0.0 ok)
//
// Local mail has no queue ID: "-" stands in. status is "queued" for
// relayed mail ("held" with Held), "delivered" for mail written into its
// mailboxes before the 250, "journaled" for mail in a Backend's journal.
// Set its fields before use and share it by pointer: Accepted goes in a
// Backend's Config.OnAccept, the MailLog itself is a mailqueue.Observer.
type MailLog struct {
	// W receives the lines. A failed write is dropped: the mail log
	// never stops mail.
	W io.Writer
	// Now stamps the lines (default time.Now).
	Now func() time.Time
	// Held says relayed mail is queued on hold (mailqueue's
	// EnqueueHeld): its status is "held", not "queued".
	Held bool

	mu  sync.Mutex
	buf []byte
}

// Accepted logs one accepted message (Config.OnAccept).
func (l *MailLog) Accepted(a Accepted) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.stamp()
	if a.QueueID != 0 {
		b = append(b, a.QueueID.String()...)
	} else {
		b = append(b, '-')
	}
	b = append(b, ": from=<"...)
	b = append(b, a.From...)
	b = append(b, ">, to="...)
	n := 0
	for _, list := range [2][]string{a.Local, a.Relayed} {
		for _, r := range list {
			if n > 0 {
				b = append(b, ',')
			}
			b = append(b, '<')
			b = append(b, r...)
			b = append(b, '>')
			n++
		}
	}
	b = append(b, ", size="...)
	b = strconv.AppendInt(b, int64(a.Size), 10)
	b = append(b, ", client="...)
	b = a.Client.AppendTo(b)
	if a.User != "" {
		b = append(b, ", sasl_username="...)
		b = append(b, a.User...)
	}
	b = append(b, ", status="...)
	switch {
	case len(a.Local) > 0 && a.Journaled:
		b = append(b, "journaled"...)
	case len(a.Local) > 0:
		b = append(b, "delivered"...)
	}
	if len(a.Relayed) > 0 {
		if len(a.Local) > 0 {
			b = append(b, '+')
		}
		if l.Held {
			b = append(b, "held"...)
		} else {
			b = append(b, "queued"...)
		}
	}
	l.write(b)
}

// Observe implements mailqueue.Observer: one line per recipient outcome.
func (l *MailLog) Observe(e mailqueue.Event) {
	switch e.Kind {
	case mailqueue.EventDelivered, mailqueue.EventDeferred, mailqueue.EventBounced, mailqueue.EventExpired:
	default:
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.stamp()
	b = append(b, e.ID.String()...)
	b = append(b, ": to=<"...)
	b = append(b, e.Recipient...)
	b = append(b, '>')
	if e.RemoteMTA != "" {
		b = append(b, ", relay="...)
		b = append(b, e.RemoteMTA...)
	}
	b = append(b, ", status="...)
	b = append(b, e.Kind.String()...)
	if e.Reply != "" {
		b = append(b, " ("...)
		b = append(b, e.Reply...)
		b = append(b, ')')
	}
	l.write(b)
}

// stamp starts a line with the time; l.mu held.
func (l *MailLog) stamp() []byte {
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	return now().UTC().AppendFormat(l.buf[:0], "2006-01-02T15:04:05.000Z ")
}

// write ends the line and writes it; l.mu held. A failed write is
// dropped: the mail log must never stop mail.
func (l *MailLog) write(b []byte) {
	b = append(b, '\n')
	l.W.Write(b)
	if cap(b) <= 4096 {
		l.buf = b
	}
}
