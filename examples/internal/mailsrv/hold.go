package mailsrv

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/relaykit/relaykit/mailqueue"
)

// HoldStore is an Enqueuer that stores each message in a mailqueue.Store
// as held and never attempts it: Postfix's hold queue. Mail accepted this
// way is as durable as queued mail (Store.Put returns only when it is);
// a queue started later on the same store lists it as held, and
// Queue.Release sends it.
type HoldStore struct {
	Store mailqueue.Store
	// Now is the clock for the Created time. Default time.Now.
	Now func() time.Time
}

// Enqueue implements Enqueuer.
func (h HoldStore) Enqueue(ctx context.Context, env mailqueue.Envelope, body []byte) (mailqueue.ID, error) {
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return 0, fmt.Errorf("mailsrv: %w", err)
	}
	id := mailqueue.ID(binary.BigEndian.Uint64(b[:]) | 1) // never zero
	t := now()
	m := &mailqueue.Message{
		ID:       id,
		Envelope: env,
		State: mailqueue.State{
			Created:     t,
			NextAttempt: t,
			Held:        true,
			Rcpts:       make([]mailqueue.RcptState, len(env.Recipients)),
		},
		Body: body,
	}
	if err := h.Store.Put(ctx, m); err != nil {
		return 0, err
	}
	return id, nil
}
