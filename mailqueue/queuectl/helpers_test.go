package queuectl

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/relaykit/relaykit/mailqueue"
)

var t0 = time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)

// memStore is a mailqueue.Store in memory; broken IDs are reported by
// Scan as unreadable, as a Spool reports damaged records.
type memStore struct {
	mu     sync.Mutex
	msgs   map[mailqueue.ID]*mailqueue.Message
	broken []mailqueue.ID
}

func newMemStore() *memStore { return &memStore{msgs: map[mailqueue.ID]*mailqueue.Message{}} }

func clone(m *mailqueue.Message) *mailqueue.Message {
	c := *m
	c.Envelope.Recipients = append([]mailqueue.Recipient(nil), m.Envelope.Recipients...)
	c.State.Rcpts = append([]mailqueue.RcptState(nil), m.State.Rcpts...)
	c.Body = append([]byte(nil), m.Body...)
	return &c
}

func (s *memStore) Put(_ context.Context, m *mailqueue.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs[m.ID] = clone(m)
	return nil
}

func (s *memStore) Get(_ context.Context, id mailqueue.ID) (*mailqueue.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.msgs[id]
	if !ok {
		return nil, mailqueue.ErrNotFound
	}
	return clone(m), nil
}

func (s *memStore) Update(_ context.Context, id mailqueue.ID, st *mailqueue.State) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.msgs[id]
	if !ok {
		return mailqueue.ErrNotFound
	}
	m.State = *st
	m.State.Rcpts = append([]mailqueue.RcptState(nil), st.Rcpts...)
	return nil
}

func (s *memStore) Remove(_ context.Context, id mailqueue.ID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.msgs[id]; !ok {
		return mailqueue.ErrNotFound
	}
	delete(s.msgs, id)
	return nil
}

func (s *memStore) Scan(ctx context.Context, fn func(mailqueue.Summary) error) error {
	s.mu.Lock()
	var sums []mailqueue.Summary
	for id, m := range s.msgs {
		sums = append(sums, mailqueue.Summary{ID: id, NextAttempt: m.State.NextAttempt, Held: m.State.Held})
	}
	for _, id := range s.broken {
		sums = append(sums, mailqueue.Summary{ID: id, Err: &mailqueue.CorruptError{}})
	}
	s.mu.Unlock()
	for _, sm := range sums {
		if err := fn(sm); err != nil {
			return err
		}
	}
	return nil
}

// msg builds a message: created at t0, due at t0+due, from from, to the
// pending recipients rcpts.
func msg(id mailqueue.ID, from string, due time.Duration, rcpts ...string) *mailqueue.Message {
	m := &mailqueue.Message{ID: id}
	m.Envelope.From = from
	for _, r := range rcpts {
		m.Envelope.Recipients = append(m.Envelope.Recipients, mailqueue.Recipient{Addr: r})
		m.State.Rcpts = append(m.State.Rcpts, mailqueue.RcptState{})
	}
	m.State.Created = t0
	m.State.NextAttempt = t0.Add(due)
	m.Body = fmt.Appendf(nil, "Subject: %d\r\n\r\nbody %d\r\n", id, id)
	return m
}

func put(t *testing.T, s mailqueue.Store, ms ...*mailqueue.Message) {
	t.Helper()
	for _, m := range ms {
		if err := s.Put(context.Background(), m); err != nil {
			t.Fatalf("Put %v: %v", m.ID, err)
		}
	}
}

// testStore is three messages: 1 from alice to bob and carol (carol
// delivered), attempted twice; 2 from the null sender, held; 3 from
// alice to dave, due first.
func testStore(t *testing.T) *memStore {
	s := newMemStore()
	m1 := msg(1, "alice@a.test", time.Hour, "bob@b.test", "carol@c.test")
	m1.State.Attempts = 2
	m1.State.Rcpts[0].Reply = "451 4.3.0 try later"
	m1.State.Rcpts[1].Status = mailqueue.StatusDelivered
	m2 := msg(2, "", 2*time.Hour, "postmaster@a.test")
	m2.State.Held = true
	m3 := msg(3, "alice@a.test", 0, "dave@d.test")
	put(t, s, m1, m2, m3)
	return s
}
