// Package prometheus exports relaykit's mailqueue counters in the
// Prometheus exposition format, through
// github.com/prometheus/client_golang. It is its own module so that the
// relaykit core does not depend on client_golang.
//
// One counter family, relaykit_mailqueue_events_total, with a kind label
// for each mailqueue.EventKind (accepted, attempt, delivered, deferred,
// bounced, expired).
package prometheus

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/relaykit/relaykit/mailqueue"
)

// Collector is a prometheus.Collector that reads a *mailqueue.Counters
// at each scrape. Register it with a prometheus.Registerer.
type Collector struct {
	c    *mailqueue.Counters
	desc *prometheus.Desc
}

// NewCollector returns a Collector for c, which the queue fills when it
// is the queue's Config.Observer. constLabels (may be nil) are added to
// every series, e.g. {"node": "mx1"}.
func NewCollector(c *mailqueue.Counters, constLabels prometheus.Labels) *Collector {
	return &Collector{
		c: c,
		desc: prometheus.NewDesc("relaykit_mailqueue_events_total",
			"Events of the mail queue: messages accepted and attempted, recipients delivered, deferred, bounced and expired.",
			[]string{"kind"}, constLabels),
	}
}

// Describe implements prometheus.Collector.
func (x *Collector) Describe(ch chan<- *prometheus.Desc) { ch <- x.desc }

// Collect implements prometheus.Collector.
func (x *Collector) Collect(ch chan<- prometheus.Metric) {
	for _, k := range mailqueue.Kinds() {
		ch <- prometheus.MustNewConstMetric(x.desc, prometheus.CounterValue, float64(x.c.Get(k)), k.String())
	}
}
