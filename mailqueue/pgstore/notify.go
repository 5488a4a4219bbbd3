package pgstore

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// Waking idle nodes. A commit that makes messages due (a batch of Puts, a
// Release or an Update of a message that is due now) sends one NOTIFY on
// notifyChannel, inside its own transaction, so PostgreSQL delivers it
// only if the commit happens. PostgreSQL serializes the commits of
// notifying transactions on a global lock, so a NOTIFY goes with a commit
// batch, never with each message, commits of Puts notify at most every
// defaultNotifyGap, and writes that leave nothing due (a deferred
// message's new retry time, a claim, a removal) send none.
//
// Each Store whose Wakeups someone called LISTENs on a connection of its
// own (not one of the pool's) and passes each notification from another
// Store to its subscribers. Correctness never depends on it: a
// notification can be lost with its connection, and the queue polls
// regardless (mailqueue.Config.PollInterval). When the LISTEN connection
// drops, the listener connects again, after a pause that doubles from
// listenRetryMin to listenRetryMax while connecting fails; each time
// LISTEN takes effect it wakes every subscriber, since what was notified
// while it was down is lost.

// notifyChannel is the channel Puts and releases notify on.
const notifyChannel = "relaykit_mailqueue_due"

// listenAppName names the LISTEN connection in pg_stat_activity.
const listenAppName = "relaykit-mailqueue-listen"

const (
	listenRetryMin = 100 * time.Millisecond
	listenRetryMax = 5 * time.Second
)

// listener is the state of a Store's LISTEN connection.
type listener struct {
	mu     sync.Mutex
	subs   map[chan struct{}]struct{}
	cancel context.CancelFunc // of the running listen goroutine; nil if none
	done   chan struct{}      // closed when that goroutine has ended
	// notified counts the notifications from other Stores received.
	notified atomic.Int64

	// Test hooks, set only before the first Wakeups: listening is
	// called with true each time LISTEN has taken effect on a new
	// connection and with false when that connection fails;
	// beforeReconnect is called before each connection after the first.
	listening       func(up bool)
	beforeReconnect func(ctx context.Context)
}

// queueNotify adds the NOTIFY to a batch. The payload names this Store,
// whose own listener ignores it: the node that stored the messages has
// already woken itself.
func (s *Store) queueNotify(b *pgx.Batch) {
	b.Queue(`SELECT pg_notify($1, $2)`, notifyChannel, s.token)
}

// Wakeups implements mailqueue.Waker: the channel receives when another
// Store (another node, or relayq) has committed messages that are due.
// The first call starts the LISTEN connection; it runs until the last
// stop or Close.
func (s *Store) Wakeups() (<-chan struct{}, func()) {
	l := &s.listen
	c := make(chan struct{}, 1)
	l.mu.Lock()
	if l.subs == nil {
		l.subs = make(map[chan struct{}]struct{})
	}
	l.subs[c] = struct{}{}
	if l.cancel == nil && !s.closed {
		ctx, cancel := context.WithCancel(context.Background())
		l.cancel, l.done = cancel, make(chan struct{})
		go s.listenLoop(ctx, l.done)
	}
	l.mu.Unlock()
	var once sync.Once
	return c, func() {
		once.Do(func() {
			l.mu.Lock()
			delete(l.subs, c)
			var cancel context.CancelFunc
			var done chan struct{}
			if len(l.subs) == 0 {
				cancel, done = l.cancel, l.done
				l.cancel, l.done = nil, nil
			}
			l.mu.Unlock()
			if cancel != nil {
				cancel()
				<-done
			}
		})
	}
}

// stopListening ends the LISTEN connection for Close.
func (s *Store) stopListening() {
	l := &s.listen
	l.mu.Lock()
	cancel, done := l.cancel, l.done
	l.cancel, l.done = nil, nil
	l.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// wakeAll wakes every subscriber; a subscriber with a wake-up pending
// keeps that one.
func (s *Store) wakeAll() {
	l := &s.listen
	l.mu.Lock()
	for c := range l.subs {
		select {
		case c <- struct{}{}:
		default:
		}
	}
	l.mu.Unlock()
}

// listenLoop keeps a LISTEN connection until ctx ends.
func (s *Store) listenLoop(ctx context.Context, done chan struct{}) {
	defer close(done)
	pause := listenRetryMin
	for {
		listened := s.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if listened {
			if f := s.listen.listening; f != nil {
				f(false)
			}
			pause = listenRetryMin
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		pause = min(2*pause, listenRetryMax)
		if f := s.listen.beforeReconnect; f != nil {
			f(ctx)
		}
	}
}

// listenOnce connects, LISTENs and passes notifications on until the
// connection fails or ctx ends. It reports whether LISTEN took effect.
func (s *Store) listenOnce(ctx context.Context) bool {
	cfg := s.pool.Config().ConnConfig.Copy()
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["application_name"] = listenAppName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return false
	}
	// Messages may have become due before LISTEN took effect (while the
	// connection was down, or before the first one).
	s.wakeAll()
	if f := s.listen.listening; f != nil {
		f(true)
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true
		}
		if n.Payload != s.token {
			s.listen.notified.Add(1)
			s.wakeAll()
		}
	}
}
