package pgstore

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaykit/relaykit/mailqueue"
)

// Store is a mailqueue.LeaseStore backed by a PostgreSQL database. It is
// safe for concurrent use by any number of goroutines and processes.
type Store struct {
	pool *pgxpool.Pool
	// token names this Store in the notifications it sends (notify.go).
	token  string
	commit committer // group commit (commit.go)
	listen listener  // LISTEN connection (notify.go)

	closeOnce sync.Once
	closed    bool // under listen.mu
}

var _ mailqueue.Waker = (*Store)(nil)

// ErrDuplicate is returned by Put for an ID that is already stored.
var ErrDuplicate = errors.New("pgstore: duplicate message ID")

// migrations bring the schema from version i to i+1.
var migrations = []string{
	`CREATE TABLE mailqueue_messages (
		id            bigint PRIMARY KEY,
		envelope      jsonb NOT NULL,
		state         jsonb NOT NULL,
		body          bytea NOT NULL,
		due           timestamptz NOT NULL,
		held          boolean NOT NULL DEFAULT false,
		lease_owner   text,
		lease_token   bigint,
		lease_expires timestamptz
	);
	CREATE INDEX mailqueue_messages_due ON mailqueue_messages (due, id) WHERE NOT held;
	CREATE SEQUENCE mailqueue_lease_token;`,
}

// DefaultMaxConns is the pool size Open uses when the DSN does not set
// pool_max_conns.
const DefaultMaxConns = 32

// schemaLock is the pg_advisory_xact_lock key Open migrates under.
const schemaLock = 0x72656c61796b6974 // "relaykit"

// Open connects to the database named by dsn (a PostgreSQL connection
// string or URL, as pgx takes it) and creates or migrates the schema.
//
// The pool holds up to DefaultMaxConns connections unless dsn sets
// pool_max_conns. Each Put commits on its own connection, and PostgreSQL
// flushes the WAL of commits that arrive together at once, so concurrent
// Puts share flushes only when they have connections to run on: pgx's
// default (four, on a two-CPU machine) held one relay node under twelve
// concurrent clients to 98 msg/s where 32 connections give 238 (a loaded
// two-core machine; bench/results/mailqueue.md).
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		cfg.MaxConns = DefaultMaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	s := &Store{pool: pool, token: rand.Text()}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) migrate(ctx context.Context) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(schemaLock)); err != nil {
			return fmt.Errorf("pgstore: schema lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS mailqueue_schema (version int NOT NULL)`); err != nil {
			return fmt.Errorf("pgstore: schema: %w", err)
		}
		var v int
		err := tx.QueryRow(ctx, `SELECT version FROM mailqueue_schema`).Scan(&v)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			if _, err := tx.Exec(ctx, `INSERT INTO mailqueue_schema VALUES (0)`); err != nil {
				return fmt.Errorf("pgstore: schema: %w", err)
			}
		case err != nil:
			return fmt.Errorf("pgstore: schema: %w", err)
		}
		if v > len(migrations) {
			return fmt.Errorf("pgstore: schema version %d is newer than this code (%d)", v, len(migrations))
		}
		for ; v < len(migrations); v++ {
			if _, err := tx.Exec(ctx, migrations[v]); err != nil {
				return fmt.Errorf("pgstore: migration %d: %w", v+1, err)
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE mailqueue_schema SET version = $1`, v); err != nil {
			return fmt.Errorf("pgstore: schema: %w", err)
		}
		return nil
	})
	if err != nil && !strings.HasPrefix(err.Error(), "pgstore:") {
		return fmt.Errorf("pgstore: %w", err) // connecting, BEGIN or COMMIT failed
	}
	return err
}

// Close stops the LISTEN connection, if any, and closes the store's
// connections. Wakeups after Close never wake.
func (s *Store) Close() {
	s.closeOnce.Do(func() {
		s.listen.mu.Lock()
		s.closed = true
		s.listen.mu.Unlock()
		s.stopListening()
		s.pool.Close()
	})
}

func jsonMarshal(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	return b, nil
}

// Put implements mailqueue.Store. The message is durable when Put
// returns: the transaction that holds it has committed. Concurrent Puts
// share that transaction (group commit, commit.go), and a due message
// wakes the other nodes (notify.go).
//
// Once its message has gone into a commit, Put waits for that commit's
// outcome even if ctx ends, so that an error always means "not stored".
func (s *Store) Put(ctx context.Context, m *mailqueue.Message) error {
	r, err := newPutReq(m)
	if err != nil {
		return err
	}
	return s.put(ctx, r)
}

// Get implements mailqueue.Store.
func (s *Store) Get(ctx context.Context, id mailqueue.ID) (*mailqueue.Message, error) {
	var env, st, body []byte
	err := s.pool.QueryRow(ctx, `SELECT envelope, state, body FROM mailqueue_messages WHERE id = $1`, int64(id)).Scan(&env, &st, &body)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, mailqueue.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("pgstore: get: %w", err)
	}
	m := &mailqueue.Message{ID: id, Body: body}
	if err := json.Unmarshal(env, &m.Envelope); err != nil {
		return nil, fmt.Errorf("pgstore: message %v envelope: %w", id, err)
	}
	if err := json.Unmarshal(st, &m.State); err != nil {
		return nil, fmt.Errorf("pgstore: message %v state: %w", id, err)
	}
	return m, nil
}

// Update implements mailqueue.Store. When it leaves the message due
// and unleased (a release from hold, a flush), it wakes the other nodes.
func (s *Store) Update(ctx context.Context, id mailqueue.ID, st *mailqueue.State) error {
	b, err := jsonMarshal(st)
	if err != nil {
		return err
	}
	const sql = `UPDATE mailqueue_messages SET state = $2, due = $3, held = $4 WHERE id = $1`
	if st.Held {
		return s.one(ctx, mailqueue.ErrNotFound, sql, int64(id), b, st.NextAttempt, st.Held)
	}
	return s.oneNotify(ctx, mailqueue.ErrNotFound, id, sql, int64(id), b, st.NextAttempt, st.Held)
}

// Remove implements mailqueue.Store.
func (s *Store) Remove(ctx context.Context, id mailqueue.ID) error {
	return s.one(ctx, mailqueue.ErrNotFound, `DELETE FROM mailqueue_messages WHERE id = $1`, int64(id))
}

// oneNotify is one, plus a NOTIFY in the same transaction if message id
// is then due (by the database's clock: a hint), not held and not leased.
func (s *Store) oneNotify(ctx context.Context, none error, id mailqueue.ID, sql string, args ...any) error {
	b := &pgx.Batch{}
	b.Queue(sql, args...)
	b.Queue(`SELECT pg_notify($1, $2) FROM mailqueue_messages
		WHERE id = $3 AND NOT held AND due <= now() AND lease_token IS NULL`, notifyChannel, s.token, int64(id))
	var n int64
	err := s.sendBatch(ctx, b, func(br pgx.BatchResults) error {
		tag, err := br.Exec()
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("pgstore: %w", err)
	}
	if n == 0 {
		return none
	}
	return nil
}

// one runs a statement that must change one row, and returns none when
// it changed nothing.
func (s *Store) one(ctx context.Context, none error, sql string, args ...any) error {
	tag, err := s.pool.Exec(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("pgstore: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return none
	}
	return nil
}

// Scan implements mailqueue.Store: every stored message, from one
// snapshot of the table.
func (s *Store) Scan(ctx context.Context, fn func(mailqueue.Summary) error) error {
	rows, err := s.pool.Query(ctx, `SELECT id, due, held FROM mailqueue_messages`)
	if err != nil {
		return fmt.Errorf("pgstore: scan: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var sm mailqueue.Summary
		if err := rows.Scan(&id, &sm.NextAttempt, &sm.Held); err != nil {
			return fmt.Errorf("pgstore: scan: %w", err)
		}
		sm.ID = mailqueue.ID(id)
		if err := fn(sm); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("pgstore: scan: %w", err)
	}
	return nil
}

// Claim implements mailqueue.LeaseStore. Rows another node's Claim has
// locked are skipped, not waited for (FOR UPDATE SKIP LOCKED), so nodes
// claiming at once get disjoint batches.
func (s *Store) Claim(ctx context.Context, owner string, now time.Time, max int, ttl time.Duration) ([]mailqueue.Lease, error) {
	exp := now.Add(ttl)
	rows, err := s.pool.Query(ctx, `WITH c AS (
			SELECT id FROM mailqueue_messages
			WHERE NOT held AND due <= $1 AND (lease_token IS NULL OR lease_expires <= $1)
			ORDER BY due, id LIMIT $2
			FOR UPDATE SKIP LOCKED)
		UPDATE mailqueue_messages m
		SET lease_owner = $3, lease_token = nextval('mailqueue_lease_token'), lease_expires = $4
		FROM c WHERE m.id = c.id
		RETURNING m.id, m.lease_token, m.due`, now, max, owner, exp)
	if err != nil {
		return nil, fmt.Errorf("pgstore: claim: %w", err)
	}
	defer rows.Close()
	type claimed struct {
		l   mailqueue.Lease
		due time.Time
	}
	var cs []claimed
	for rows.Next() {
		var id, token int64
		var due time.Time
		if err := rows.Scan(&id, &token, &due); err != nil {
			return nil, fmt.Errorf("pgstore: claim: %w", err)
		}
		cs = append(cs, claimed{mailqueue.Lease{ID: mailqueue.ID(id), Owner: owner, Token: uint64(token), Expires: exp}, due})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pgstore: claim: %w", err)
	}
	slices.SortFunc(cs, func(a, b claimed) int {
		if c := a.due.Compare(b.due); c != 0 {
			return c
		}
		return cmp.Compare(a.l.ID, b.l.ID)
	})
	out := make([]mailqueue.Lease, len(cs))
	for i, c := range cs {
		out[i] = c.l
	}
	return out, nil
}

// Renew implements mailqueue.LeaseStore.
func (s *Store) Renew(ctx context.Context, l mailqueue.Lease, now time.Time, ttl time.Duration) (mailqueue.Lease, error) {
	exp := now.Add(ttl)
	err := s.one(ctx, mailqueue.ErrLeaseLost, `UPDATE mailqueue_messages SET lease_expires = $4
		WHERE id = $1 AND lease_token = $2 AND lease_expires > $3`, int64(l.ID), int64(l.Token), now, exp)
	if err != nil {
		return mailqueue.Lease{}, err
	}
	l.Expires = exp
	return l, nil
}

// Release implements mailqueue.LeaseStore. A message released while it
// is due (a node shutting down with messages claimed) wakes the other
// nodes; one released after an attempt (due at its next retry) does not.
func (s *Store) Release(ctx context.Context, l mailqueue.Lease) error {
	return s.oneNotify(ctx, mailqueue.ErrLeaseLost, l.ID, `UPDATE mailqueue_messages
		SET lease_owner = NULL, lease_token = NULL, lease_expires = NULL
		WHERE id = $1 AND lease_token = $2`, int64(l.ID), int64(l.Token))
}

// UpdateLeased implements mailqueue.LeaseStore: the check and the write
// are one statement, so a lease that expires meanwhile cannot let a late
// write in.
func (s *Store) UpdateLeased(ctx context.Context, l mailqueue.Lease, now time.Time, st *mailqueue.State) error {
	b, err := jsonMarshal(st)
	if err != nil {
		return err
	}
	return s.one(ctx, mailqueue.ErrLeaseLost, `UPDATE mailqueue_messages SET state = $4, due = $5, held = $6
		WHERE id = $1 AND lease_token = $2 AND lease_expires > $3`,
		int64(l.ID), int64(l.Token), now, b, st.NextAttempt, st.Held)
}

// RemoveLeased implements mailqueue.LeaseStore.
func (s *Store) RemoveLeased(ctx context.Context, l mailqueue.Lease, now time.Time) error {
	return s.one(ctx, mailqueue.ErrLeaseLost, `DELETE FROM mailqueue_messages
		WHERE id = $1 AND lease_token = $2 AND lease_expires > $3`, int64(l.ID), int64(l.Token), now)
}
