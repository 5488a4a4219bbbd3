package pgstore

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relaykit/relaykit/mailqueue"
)

// The benchmarks run on a PostgreSQL with fsync on (startPostgresDurable),
// as a real one runs, so that each commit waits for its WAL flush: the
// cost group commit shares. commit=single is the Put before group commit
// (one INSERT and one commit per message, no NOTIFY), measured in the
// same run. PGSTORE_BENCH_COMMIT lists BenchmarkPut's commit modes
// (default "group single"; see setCommitMode for the others).

var benchBody = append(bytes.Repeat([]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd\r\n"), 64), "\r\n"...)

func benchMessage(id int64) *mailqueue.Message {
	m := &mailqueue.Message{ID: mailqueue.ID(id), Body: benchBody}
	m.Envelope.From = "alice@example.org"
	m.Envelope.Recipients = []mailqueue.Recipient{{Addr: "bob@example.com"}}
	m.State.Rcpts = make([]mailqueue.RcptState, 1)
	m.State.NextAttempt = time.Now().Add(time.Hour)
	return m
}

func truncate(b *testing.B, s *Store) {
	if _, err := s.pool.Exec(context.Background(), `TRUNCATE mailqueue_messages`); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkPut: durable Puts of 4 KiB messages from 1, 8 and 32
// concurrent enqueuers on one Store (one node), with group commit and
// without.
func BenchmarkPut(b *testing.B) {
	dsn := startPostgresDurable(b)
	ctx := context.Background()
	var ids atomic.Int64
	modes := strings.Fields(cmp.Or(os.Getenv("PGSTORE_BENCH_COMMIT"), "group single"))
	for _, p := range []int{1, 8, 32} {
		for _, mode := range modes {
			b.Run(fmt.Sprintf("enqueuers=%d/commit=%s", p, mode), func(b *testing.B) {
				s, err := Open(ctx, dsn)
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				setCommitMode(b, s, mode)
				truncate(b, s)
				var n atomic.Int64
				var wg sync.WaitGroup
				b.ResetTimer()
				start := time.Now()
				for range p {
					wg.Go(func() {
						for n.Add(1) <= int64(b.N) {
							if err := s.Put(ctx, benchMessage(ids.Add(1))); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
				el := time.Since(start)
				b.StopTimer()
				b.ReportMetric(float64(b.N)/el.Seconds(), "msgs/s")
				if c := s.commit.commits.Load(); c > 0 {
					b.ReportMetric(float64(s.commit.messages.Load())/float64(c), "msgs/commit")
				}
			})
		}
	}
}

// setCommitMode sets up s for a commit= benchmark dimension: group is
// what Put does; single the Put before group commit; group-nonotify and
// group-leadersN variants of group (without the NOTIFY; with N commits
// at once), to measure each choice.
func setCommitMode(b *testing.B, s *Store, mode string) {
	switch {
	case mode == "group":
	case mode == "single":
		s.commit.single = true
	case mode == "group-nonotify":
		s.commit.noNotify = true
	case strings.HasPrefix(mode, "group-leaders"):
		n, err := strconv.Atoi(strings.TrimPrefix(mode, "group-leaders"))
		if err != nil {
			b.Fatal(err)
		}
		s.commit.maxLeaders = n
	default:
		b.Fatalf("unknown commit mode %q", mode)
	}
}

// pollOnly hides a Store's Wakeups, as before LISTEN/NOTIFY: the queue
// polls.
type pollOnly struct{ mailqueue.LeaseStore }

// BenchmarkNodes: 1, 2 and 3 queue nodes (each a Queue over its own
// Store and connection pool, as separate relay processes are) on one
// PostgreSQL; twelve producers enqueue 4 KiB messages round-robin over
// the nodes, and a Deliverer that accepts at once takes them. msgs/s is
// end to end (first Enqueue to last delivery); enq-msgs/s is the accept
// side alone. store=after is this package (group commit, NOTIFY);
// store=before is one commit per Put and polling only.
// PGSTORE_BENCH_STORE lists the store modes (default "after before";
// also after-nonotify and after-leadersN, as in setCommitMode).
func BenchmarkNodes(b *testing.B) {
	dsn := startPostgresDurable(b)
	ctx := context.Background()
	res := mailqueue.StaticResolver{IP: map[string][]netip.Addr{"example.com": {netip.MustParseAddr("192.0.2.1")}}}
	modes := strings.Fields(cmp.Or(os.Getenv("PGSTORE_BENCH_STORE"), "after before"))
	for _, nodes := range []int{1, 2, 3} {
		for _, mode := range modes {
			b.Run(fmt.Sprintf("nodes=%d/store=%s", nodes, mode), func(b *testing.B) {
				var delivered atomic.Int64
				all := make(chan struct{})
				dlv := mailqueue.DelivererFunc(func(ctx context.Context, tg mailqueue.Target, txn *mailqueue.Transaction) ([]mailqueue.Reply, error) {
					if delivered.Add(1) == int64(b.N) {
						close(all)
					}
					rs := make([]mailqueue.Reply, len(txn.Recipients))
					for i := range rs {
						rs[i] = mailqueue.Reply{Code: 250}
					}
					return rs, nil
				})
				var qs []*mailqueue.Queue
				var stores []*Store
				for i := range nodes {
					s, err := Open(ctx, dsn)
					if err != nil {
						b.Fatal(err)
					}
					if i == 0 {
						truncate(b, s)
					}
					stores = append(stores, s)
					var ls mailqueue.LeaseStore = s
					switch {
					case mode == "before":
						s.commit.single = true
						ls = pollOnly{s}
					case mode == "after":
					case strings.HasPrefix(mode, "after-"):
						setCommitMode(b, s, "group-"+strings.TrimPrefix(mode, "after-"))
					default:
						b.Fatalf("unknown store mode %q", mode)
					}
					q, err := mailqueue.New(ls, mailqueue.Config{Resolver: res, Deliverer: dlv, Hostname: "mq.example.org", Node: fmt.Sprintf("n%d", i)})
					if err != nil {
						b.Fatal(err)
					}
					qs = append(qs, q)
				}
				env := mailqueue.Envelope{From: "alice@example.org", Recipients: []mailqueue.Recipient{{Addr: "bob@example.com"}}}
				var n atomic.Int64
				var wg sync.WaitGroup
				b.ResetTimer()
				start := time.Now()
				for range 12 {
					wg.Go(func() {
						for {
							i := n.Add(1)
							if i > int64(b.N) {
								return
							}
							if _, err := qs[int(i)%nodes].Enqueue(ctx, env, benchBody); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
				accepted := time.Since(start)
				select {
				case <-all:
				case <-time.After(5 * time.Minute):
					b.Fatalf("%d of %d messages delivered after 5 minutes", delivered.Load(), b.N)
				}
				el := time.Since(start)
				b.StopTimer()
				b.ReportMetric(float64(b.N)/el.Seconds(), "msgs/s")
				b.ReportMetric(float64(b.N)/accepted.Seconds(), "enq-msgs/s")
				for _, q := range qs {
					q.Shutdown(ctx)
				}
				for _, s := range stores {
					s.Close()
				}
			})
		}
	}
}
