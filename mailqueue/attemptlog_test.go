package mailqueue

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// lockedBuffer is a bytes.Buffer safe for the queue's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestAttemptLogSaysDeferred: a transaction whose every recipient got 451
// is logged as deferred, never as delivered.
func TestAttemptLogSaysDeferred(t *testing.T) {
	for _, tc := range []struct {
		name  string
		codes map[string]int // recipient -> reply code; others 250
		want  string
	}{
		{"all 451", map[string]int{"a@example.com": 451, "b@example.com": 451}, `msg="mailqueue: deferred"`},
		{"all 550", map[string]int{"a@example.com": 550, "b@example.com": 550}, `msg="mailqueue: refused"`},
		{"mixed", map[string]int{"a@example.com": 451}, `msg="mailqueue: partly delivered"`},
		{"all 250", nil, `msg="mailqueue: delivered"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs lockedBuffer
			h := newHarness(t, Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			h.dlv.fn = func(_ Target, txn *Transaction) ([]Reply, error) {
				out := make([]Reply, len(txn.Recipients))
				for i, r := range txn.Recipients {
					out[i] = Reply{Code: 250, Enhanced: "2.0.0", Text: "ok"}
					if c := tc.codes[r.Addr]; c != 0 {
						out[i] = Reply{Code: c, Text: "no"}
					}
				}
				return out, nil
			}
			h.enqueue("s@example.org", "a@example.com", "b@example.com")
			runFor(h.q, h.clock, 0)
			got := logs.String()
			if !strings.Contains(got, tc.want) {
				t.Errorf("log lacks %s:\n%s", tc.want, got)
			}
			if tc.name == "all 451" && strings.Contains(got, `msg="mailqueue: delivered"`) {
				t.Errorf("log says delivered:\n%s", got)
			}
		})
	}
}
