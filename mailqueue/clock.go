package mailqueue

import "time"

// Clock is the queue's source of time. Tests inject a fake one to run days
// of retries in milliseconds; nil in Config means the real clock.
type Clock interface {
	Now() time.Time
	// After returns a channel that receives once d has passed, and a
	// function that cancels the timer.
	After(d time.Duration) (<-chan time.Time, func())
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) After(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTimer(d)
	return t.C, func() { t.Stop() }
}
