package main

import (
	"context"
	"sync"
	"time"
)

// simClock is the queue's simulated clock (mailqueue.Clock): it moves
// only when Advance is called, so "30 minutes later" takes no time.
type simClock struct {
	mu      sync.Mutex
	now     time.Time
	timers  []*simTimer
	changed chan struct{} // closed and replaced whenever timers change
}

type simTimer struct {
	at time.Time
	ch chan time.Time
}

func newSimClock(start time.Time) *simClock {
	return &simClock{now: start, changed: make(chan struct{})}
}

// Now implements mailqueue.Clock.
func (c *simClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After implements mailqueue.Clock: the channel receives once the clock
// has been advanced past now+d.
func (c *simClock) After(d time.Duration) (<-chan time.Time, func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &simTimer{at: c.now.Add(d), ch: make(chan time.Time, 1)}
	if d <= 0 {
		t.ch <- c.now
		return t.ch, func() {}
	}
	c.timers = append(c.timers, t)
	c.signal()
	return t.ch, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		for i, x := range c.timers {
			if x == t {
				c.timers = append(c.timers[:i], c.timers[i+1:]...)
				c.signal()
				return
			}
		}
	}
}

func (c *simClock) signal() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// Advance moves the clock forward by d and fires every timer now due.
func (c *simClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, t := range c.timers {
		if !t.at.After(c.now) {
			t.ch <- c.now
		} else {
			kept = append(kept, t)
		}
	}
	c.timers = kept
	c.signal()
}

// WaitTimer waits until someone waits on the clock for a moment no later
// than deadline: the queue has scheduled its next attempt, so advancing
// the clock to deadline will wake it. No polling: it sleeps on changes to
// the timer list.
func (c *simClock) WaitTimer(ctx context.Context, deadline time.Time) error {
	for {
		c.mu.Lock()
		for _, t := range c.timers {
			if !t.at.After(deadline) {
				c.mu.Unlock()
				return nil
			}
		}
		ch := c.changed
		c.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
