package mailqueue

import "time"

// Schedule says how long to wait before the next delivery attempt after
// attempt number n (1 for the first) left recipients pending. The queue
// gives up when Config.Lifetime has passed since the message was
// enqueued, whatever the schedule says.
//
// None of the schedules here waits less than one second, whatever it is
// given (a tiny interval would otherwise retry a deferring host in a
// tight loop). Tests
// that want many attempts quickly inject a Clock (Config.Clock) instead
// of shortening the schedule below the floor.
type Schedule interface {
	Delay(n int) time.Duration
}

// Fixed retries at a constant interval, at least one second. The default schedule is
// Fixed(30 * time.Minute): RFC 5321 4.5.4.1 says the retry interval
// SHOULD be at least 30 minutes.
type Fixed time.Duration

// Delay implements Schedule.
func (f Fixed) Delay(int) time.Duration { return max(time.Duration(f), time.Second) }

// Exponential doubles the interval from Initial up to Max, like Postfix
// (minimal_backoff_time 300s, maximal_backoff_time 4000s). Zero fields
// take those Postfix values.
type Exponential struct {
	Initial, Max time.Duration
}

// Delay implements Schedule.
func (e Exponential) Delay(n int) time.Duration {
	d, m := e.Initial, e.Max
	if d <= 0 {
		d = 300 * time.Second
	}
	if m <= 0 {
		m = 4000 * time.Second
	}
	for i := 1; i < n && d < m; i++ {
		d *= 2
	}
	return max(min(d, m), time.Second)
}

// Intervals is a fixed list of delays: the n-th retry waits Intervals[n-1],
// and the last entry repeats; each is at least one second. An empty list
// means 30 minutes.
type Intervals []time.Duration

// Delay implements Schedule.
func (l Intervals) Delay(n int) time.Duration {
	if len(l) == 0 {
		return 30 * time.Minute
	}
	return max(l[min(max(n, 1), len(l))-1], time.Second)
}
