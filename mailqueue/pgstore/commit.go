package pgstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/relaykit/relaykit/mailqueue"
)

// Group commit. Every Put joins a commit queue. When no commit is
// running, the Put that arrives leads: it takes every message queued so
// far (its own among them) and stores them with one INSERT in one
// transaction, and the Puts that arrived meanwhile ride along, each
// returning when the commit that holds its message has. While that commit
// runs, the next Puts queue up; when it ends, the leader hands the lead to
// the oldest waiting Put, whose commit takes all of them. One node's
// concurrent enqueuers so share one round trip, one commit (one WAL flush)
// and at most one NOTIFY, however many they are.

const (
	// defaultLeaders is how many commits of one Store may run at once.
	defaultLeaders = 1
	// defaultNotifyGap spaces the NOTIFYs of Puts under load: a commit
	// within this time of the last one that notified does not. Nothing
	// waits for that: the node that stored the messages claims them
	// itself (its queue wakes on its own Enqueue), and the NOTIFY only
	// brings idle nodes in to share the load, which one every 100 ms
	// does as well as one per commit, without each commit taking
	// PostgreSQL's notify lock.
	defaultNotifyGap = 100 * time.Millisecond
	// maxBatch and maxBatchBytes bound one commit; the rest wait for the
	// next. A message larger than maxBatchBytes goes alone.
	maxBatch      = 256
	maxBatchBytes = 8 << 20
)

// putReq is one Put waiting in the commit queue.
type putReq struct {
	id    int64
	env   []byte // JSON
	state []byte // JSON
	body  []byte
	due   time.Time
	held  bool

	// done receives the outcome once the message's commit has ended, or
	// errLead when this Put is to lead the next commit. Buffered.
	done chan error
	// taken is set, under committer.mu, when a leader took the request
	// into a commit: from then on only that commit's outcome counts.
	taken bool
	// promoted is set, under committer.mu, when a leader handed this
	// waiting Put the lead (errLead is on its way).
	promoted bool
}

// errLead tells a waiting Put that it leads the next commit.
var errLead = errors.New("pgstore: lead")

// committer is the commit queue of one Store.
type committer struct {
	mu      sync.Mutex
	queue   []*putReq
	leaders int // commits running
	// maxLeaders caps the commits running at once; zero means
	// defaultLeaders. Set only by tests and benchmarks before any Put.
	maxLeaders int
	// noNotify, set only by benchmarks before any Put, leaves the NOTIFY
	// out, to measure what it costs.
	noNotify bool
	// notifyGap is the least time between two commits of Puts that
	// NOTIFY; zero means defaultNotifyGap, negative means none (tests).
	notifyGap time.Duration
	// lastNotify is when a commit of Puts last carried a NOTIFY (unix
	// nanoseconds), under mu.
	lastNotify int64
	// single, set only by tests and benchmarks before any Put, stores
	// each message with its own INSERT and commit (the behaviour before
	// group commit), for the comparison.
	single bool
	// beforeCommit, set only by tests before any Put, is called by the
	// leader with each batch before it is sent.
	beforeCommit func(batch int)
	// commits and messages count the batches sent and the messages in
	// them, for tests and benchmarks (messages per commit).
	commits, messages atomic.Int64
}

// put stores r through the commit queue and returns its outcome.
func (s *Store) put(ctx context.Context, r *putReq) error {
	c := &s.commit
	if c.single {
		return s.insertOne(ctx, r, false)
	}
	r.done = make(chan error, 1)
	c.mu.Lock()
	c.queue = append(c.queue, r)
	if c.leaders < cmp.Or(c.maxLeaders, defaultLeaders) {
		c.leaders++
		c.mu.Unlock()
		return s.lead(ctx, r)
	}
	c.mu.Unlock()
	var err error
	select {
	case err = <-r.done:
	case <-ctx.Done():
		c.mu.Lock()
		if i := indexOf(c.queue, r); i >= 0 && !r.taken && !r.promoted {
			// Not in any commit yet, and not chosen to lead: leave.
			c.queue = slices.Delete(c.queue, i, i+1)
			c.mu.Unlock()
			return fmt.Errorf("pgstore: put: %w", ctx.Err())
		}
		c.mu.Unlock()
		// The message is in a commit (or this Put leads the next one):
		// its outcome must be reported as it is, whatever ctx says,
		// because an error means "not stored".
		err = <-r.done
	}
	if err == errLead {
		return s.lead(ctx, r)
	}
	return err
}

func indexOf(q []*putReq, r *putReq) int {
	for i, x := range q {
		if x == r {
			return i
		}
	}
	return -1
}

// lead runs commits until own's message is stored (or refused), then
// passes the lead to the oldest waiting Put, if any.
func (s *Store) lead(ctx context.Context, own *putReq) error {
	c := &s.commit
	// The commit carries other callers' messages: it must run to its end
	// even if this caller gives up, or they would be told nothing.
	cctx := context.WithoutCancel(ctx)
	var ownErr error
	for ownDone := false; !ownDone; {
		c.mu.Lock()
		if own.taken {
			// Another leader's commit took own's message (it was queued,
			// handed the lead, when that commit began): lead no more, and
			// wait for that commit like any Put.
			c.handOff()
			c.mu.Unlock()
			return <-own.done
		}
		n, size := 0, 0
		for n < len(c.queue) && n < maxBatch && (n == 0 || size+len(c.queue[n].body) <= maxBatchBytes) {
			size += len(c.queue[n].body)
			c.queue[n].taken = true
			n++
		}
		batch := make([]*putReq, n)
		copy(batch, c.queue)
		rest := copy(c.queue, c.queue[n:])
		clear(c.queue[rest:])
		c.queue = c.queue[:rest]
		c.mu.Unlock()
		if c.beforeCommit != nil {
			c.beforeCommit(len(batch))
		}
		c.commits.Add(1)
		c.messages.Add(int64(len(batch)))
		errs := s.insertBatch(cctx, batch)
		for i, r := range batch {
			if r == own {
				ownErr, ownDone = errs[i], true
				continue
			}
			r.done <- errs[i]
		}
	}
	c.mu.Lock()
	c.handOff()
	c.mu.Unlock()
	return ownErr
}

// handOff ends a leader's turn, c.mu held: it hands the lead to the
// oldest queued Put no other leader has handed it to, which takes itself
// and those behind it, or, if there is none, lets the leader go.
func (c *committer) handOff() {
	if i := slices.IndexFunc(c.queue, func(r *putReq) bool { return !r.promoted }); i >= 0 {
		c.queue[i].promoted = true
		c.queue[i].done <- errLead
	} else {
		c.leaders--
	}
}

// notifyDue reports whether a commit of Puts now is to NOTIFY, and if so
// notes the time.
func (c *committer) notifyDue() bool {
	if c.noNotify {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now().UnixNano()
	if gap := cmp.Or(c.notifyGap, defaultNotifyGap); gap > 0 && c.lastNotify != 0 && now-c.lastNotify < int64(gap) {
		return false
	}
	c.lastNotify = now
	return true
}

// insertBatch stores a batch with one INSERT and, when a message in it
// is due (not held), one NOTIFY, in one implicit transaction (a pgx batch
// is sent as one pipeline ending in one Sync: it commits or fails as a
// whole). It returns each message's outcome.
//
// If the transaction fails with an error PostgreSQL raised (one message
// it cannot store, say), nothing was committed, and every message is
// tried again on its own, so only the one at fault fails. Any other
// failure (the connection lost) fails every message in the batch. As
// with a single INSERT, a connection lost after PostgreSQL committed
// reports an error for messages that are stored: a client that retries
// then queues its message twice, which delivers twice but loses nothing.
func (s *Store) insertBatch(ctx context.Context, batch []*putReq) []error {
	errs := make([]error, len(batch))
	if len(batch) == 1 {
		errs[0] = s.insertOne(ctx, batch[0], !batch[0].held && s.commit.notifyDue())
		return errs
	}
	// Two Puts of one ID in one batch: the first is inserted (if the ID
	// is new), the others are duplicates.
	first := make(map[int64]int, len(batch))
	var ids []int64
	var envs, states, bodies [][]byte
	var dues []time.Time
	var helds []bool
	notify := false
	for i, r := range batch {
		if _, dup := first[r.id]; dup {
			errs[i] = ErrDuplicate
			continue
		}
		first[r.id] = i
		ids = append(ids, r.id)
		envs = append(envs, r.env)
		states = append(states, r.state)
		bodies = append(bodies, r.body)
		dues = append(dues, r.due)
		helds = append(helds, r.held)
		notify = notify || !r.held
	}
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO mailqueue_messages (id, envelope, state, body, due, held)
		SELECT * FROM unnest($1::bigint[], $2::jsonb[], $3::jsonb[], $4::bytea[], $5::timestamptz[], $6::boolean[])
		ON CONFLICT (id) DO NOTHING
		RETURNING id`, ids, envs, states, bodies, dues, helds)
	if notify && s.commit.notifyDue() {
		s.queueNotify(b)
	}
	inserted := make(map[int64]bool, len(ids))
	err := s.sendBatch(ctx, b, func(br pgx.BatchResults) error {
		rows, err := br.Query()
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			inserted[id] = true
		}
		rows.Close()
		return rows.Err()
	})
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		for i, r := range batch {
			if errs[i] == nil {
				errs[i] = s.insertOne(ctx, r, !r.held && s.commit.notifyDue())
			}
		}
		return errs
	}
	for i, r := range batch {
		switch {
		case errs[i] != nil:
		case err != nil:
			errs[i] = fmt.Errorf("pgstore: put: %w", err)
		case !inserted[r.id]:
			errs[i] = ErrDuplicate
		}
	}
	return errs
}

// insertOne stores one message in a transaction of its own, with a
// NOTIFY when it is due and notify is set.
func (s *Store) insertOne(ctx context.Context, r *putReq, notify bool) error {
	const insert = `INSERT INTO mailqueue_messages (id, envelope, state, body, due, held)
		VALUES ($1, $2, $3, $4, $5, $6)`
	var err error
	if notify && !r.held {
		b := &pgx.Batch{}
		b.Queue(insert, r.id, r.env, r.state, r.body, r.due, r.held)
		s.queueNotify(b)
		err = s.sendBatch(ctx, b, nil)
	} else {
		_, err = s.pool.Exec(ctx, insert, r.id, r.env, r.state, r.body, r.due, r.held)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" { // unique_violation
		return ErrDuplicate
	}
	if err != nil {
		return fmt.Errorf("pgstore: put: %w", err)
	}
	return nil
}

// sendBatch sends b as one implicit transaction; first, if not nil,
// reads the first statement's results, and the others' are checked.
func (s *Store) sendBatch(ctx context.Context, b *pgx.Batch, first func(pgx.BatchResults) error) error {
	br := s.pool.SendBatch(ctx, b)
	var err error
	for i := range b.Len() {
		if i == 0 && first != nil {
			err = first(br)
		} else {
			_, err = br.Exec()
		}
		if err != nil {
			break
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return err
}

// newPutReq checks and encodes m for the commit queue.
func newPutReq(m *mailqueue.Message) (*putReq, error) {
	if m.ID == 0 || len(m.State.Rcpts) != len(m.Envelope.Recipients) {
		return nil, errors.New("pgstore: Put of a message without ID or with mismatched state")
	}
	env, err := jsonMarshal(&m.Envelope)
	if err != nil {
		return nil, err
	}
	st, err := jsonMarshal(&m.State)
	if err != nil {
		return nil, err
	}
	return &putReq{id: int64(m.ID), env: env, state: st, body: m.Body, due: m.State.NextAttempt, held: m.State.Held}, nil
}
