package mailqueue_test

import (
	"fmt"

	"github.com/relaykit/relaykit/mailqueue"
)

// Counters count what a queue does when set as Config.Observer; they
// print as JSON, so expvar.Publish("mailqueue", &c) exports them.
func ExampleCounters() {
	var c mailqueue.Counters
	// A queue calls Observe; here by hand.
	c.Observe(mailqueue.Event{Kind: mailqueue.EventAccepted})
	c.Observe(mailqueue.Event{Kind: mailqueue.EventAttempt})
	c.Observe(mailqueue.Event{Kind: mailqueue.EventDeferred, Recipient: "bob@example.com", Reply: "451 4.3.0 try later"})
	fmt.Println(c.Get(mailqueue.EventDeferred))
	fmt.Println(c.String())
	// Output:
	// 1
	// {"accepted": 1, "attempt": 1, "delivered": 0, "deferred": 1, "bounced": 0, "expired": 0}
}
