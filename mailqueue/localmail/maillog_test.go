package localmail_test

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/relaykit/mailqueue"
	"github.com/relaykit/relaykit/mailqueue/localmail"
)

func TestMailLogOutcome(t *testing.T) {
	var log strings.Builder
	l := &localmail.MailLog{W: &log, Now: func() time.Time { return time.Date(2026, 12, 5, 23, 20, 1, 123e6, time.UTC) }}
	l.Observe(mailqueue.Event{Kind: mailqueue.EventAttempt, ID: 0x3f2a9c01d4e5b677})
	l.Observe(mailqueue.Event{Kind: mailqueue.EventDelivered, ID: 0x3f2a9c01d4e5b677, Recipient: "bob@far.test", RemoteMTA: "mx.far.test", Reply: "250 2.0.0 ok"})
	l.Observe(mailqueue.Event{Kind: mailqueue.EventDeferred, ID: 0x3f2a9c01d4e5b677, Recipient: "carol@far.test", Reply: "451 4.4.1 connection refused"})
	want := "2026-12-05T23:20:01.123Z 3f2a9c01d4e5b677: to=<bob@far.test>, relay=mx.far.test, status=delivered (250 2.0.0 ok)\n" +
		"2026-12-05T23:20:01.123Z 3f2a9c01d4e5b677: to=<carol@far.test>, status=deferred (451 4.4.1 connection refused)\n"
	if got := log.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestMailLogAccepted: the line for each kind of accepted message.
func TestMailLogAccepted(t *testing.T) {
	var log strings.Builder
	now := func() time.Time { return time.Date(2026, 12, 5, 23, 20, 1, 0, time.UTC) }
	l := &localmail.MailLog{W: &log, Now: now}
	client := netip.MustParseAddr("192.0.2.7")
	l.Accepted(localmail.Accepted{From: "a@x.test", Local: []string{"bob@local.test"}, Size: 10, Client: client})
	l.Accepted(localmail.Accepted{From: "a@x.test", Local: []string{"bob@local.test"}, Size: 10, Client: client, Journaled: true})
	l.Accepted(localmail.Accepted{From: "alice@local.test", Local: []string{"bob@local.test"}, Relayed: []string{"c@far.test"},
		QueueID: 0xab, Size: 20, Client: client, User: "alice"})
	held := &localmail.MailLog{W: &log, Now: now, Held: true}
	held.Accepted(localmail.Accepted{From: "", Relayed: []string{"c@far.test"}, QueueID: 0xcd, Size: 5, Client: client})
	want := "2026-12-05T23:20:01.000Z -: from=<a@x.test>, to=<bob@local.test>, size=10, client=192.0.2.7, status=delivered\n" +
		"2026-12-05T23:20:01.000Z -: from=<a@x.test>, to=<bob@local.test>, size=10, client=192.0.2.7, status=journaled\n" +
		"2026-12-05T23:20:01.000Z 00000000000000ab: from=<alice@local.test>, to=<bob@local.test>,<c@far.test>, size=20, client=192.0.2.7, sasl_username=alice, status=delivered+queued\n" +
		"2026-12-05T23:20:01.000Z 00000000000000cd: from=<>, to=<c@far.test>, size=5, client=192.0.2.7, status=held\n"
	if got := log.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
