package mailqueue

import (
	"context"
	"testing"
	"time"
)

// TestScheduleFloor: no schedule retries sooner than one second.
func TestScheduleFloor(t *testing.T) {
	for _, s := range []Schedule{
		Fixed(0), Fixed(time.Millisecond), Intervals{time.Nanosecond},
		Exponential{Initial: time.Nanosecond, Max: time.Millisecond},
	} {
		for n := 1; n <= 3; n++ {
			if d := s.Delay(n); d < time.Second {
				t.Errorf("%T%v.Delay(%d) = %v, below the 1 s floor", s, s, n, d)
			}
		}
	}
}

func TestFlushHonoursContext(t *testing.T) {
	h := newHarness(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := h.q.Flush(ctx); err != context.Canceled {
		t.Errorf("Flush with a done context: %v", err)
	}
}
