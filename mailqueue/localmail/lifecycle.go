package localmail

import "sync"

// lifecycle is the shutdown of a writer goroutine that takes work from a
// channel (the maildir committer, the journal writer). Senders hold mu
// for reading while they check closed and send, so once stop has taken it
// for writing nothing more is sent; the writer drains the channel after
// quit and closes done.
type lifecycle struct {
	mu     sync.RWMutex
	closed bool
	quit   chan struct{}
	done   chan struct{}
}

func newLifecycle() lifecycle {
	return lifecycle{quit: make(chan struct{}), done: make(chan struct{})}
}

// stop closes quit once and waits until the writer is done.
func (l *lifecycle) stop() {
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.quit)
	}
	l.mu.Unlock()
	<-l.done
}
