// Command relaypg is examples/relay with its -postgres flag working: the
// queue lives in a PostgreSQL database (mailqueue/pgstore) that several
// relay processes share, each claiming due messages with a lease. It is
// its own module so that the relaykit module stays free of the driver.
//
// Usage: as examples/relay, plus
//
//	relaypg -postgres 'host=/run/postgresql dbname=mail' [-node NAME] [-lease-ttl 2m] ...
//
// Every node needs its own -spool directory (its lock, control socket and
// local-mail journal); the queued mail is in the database. A node that
// dies leaves its leases to expire after -lease-ttl, and the other nodes
// deliver its messages; only those it was delivering when it died can
// arrive twice. examples/relay/bench's results (bench/results/mailqueue.md)
// give its throughput with 1, 2 and 3 nodes.
package main

import (
	"context"
	"io"
	"os"

	"github.com/relaykit/relaykit/examples/internal/relay"
	"github.com/relaykit/relaykit/mailqueue"
	"github.com/relaykit/relaykit/mailqueue/pgstore"
)

func main() {
	os.Exit(relay.Main(os.Args[1:], os.Stdout, os.Stderr, relay.Options{OpenStore: openStore}))
}

func openStore(ctx context.Context, dsn string) (mailqueue.Store, io.Closer, error) {
	s, err := pgstore.Open(ctx, dsn)
	if err != nil {
		return nil, nil, err
	}
	return s, closer{s}, nil
}

type closer struct{ s *pgstore.Store }

func (c closer) Close() error { c.s.Close(); return nil }
