package prometheus_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	relayprom "github.com/relaykit/relaykit/contrib/prometheus"
	"github.com/relaykit/relaykit/mailqueue"
)

// TestCollector: each event kind is one series, with the counts the
// queue's Counters hold at scrape time.
func TestCollector(t *testing.T) {
	var c mailqueue.Counters
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(relayprom.NewCollector(&c, prometheus.Labels{"node": "mx1"}))
	c.Observe(mailqueue.Event{Kind: mailqueue.EventAccepted})
	c.Observe(mailqueue.Event{Kind: mailqueue.EventDelivered})
	c.Observe(mailqueue.Event{Kind: mailqueue.EventDelivered})
	c.Observe(mailqueue.Event{Kind: mailqueue.EventExpired})
	want := `# HELP relaykit_mailqueue_events_total Events of the mail queue: messages accepted and attempted, recipients delivered, deferred, bounced and expired.
# TYPE relaykit_mailqueue_events_total counter
relaykit_mailqueue_events_total{kind="accepted",node="mx1"} 1
relaykit_mailqueue_events_total{kind="attempt",node="mx1"} 0
relaykit_mailqueue_events_total{kind="bounced",node="mx1"} 0
relaykit_mailqueue_events_total{kind="deferred",node="mx1"} 0
relaykit_mailqueue_events_total{kind="delivered",node="mx1"} 2
relaykit_mailqueue_events_total{kind="expired",node="mx1"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
}

// Register the collector and let the queue count into the same Counters
// (mailqueue.Config{Observer: &c}); serve reg with promhttp.HandlerFor.
func ExampleNewCollector() {
	var c mailqueue.Counters
	reg := prometheus.NewRegistry()
	reg.MustRegister(relayprom.NewCollector(&c, nil))
	c.Observe(mailqueue.Event{Kind: mailqueue.EventBounced})
	mfs, _ := reg.Gather()
	for _, m := range mfs[0].GetMetric() {
		if m.GetLabel()[0].GetValue() == "bounced" {
			fmt.Println("bounced", m.GetCounter().GetValue())
		}
	}
	// Output:
	// bounced 1
}
