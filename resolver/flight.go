package resolver

import (
	"context"
	"sync"
)

// flight shares one resolution among identical questions in flight: the
// first caller for a key runs it, later callers wait for its result.
type flight struct {
	mu    sync.Mutex
	calls map[string]*call
}

type call struct {
	done chan struct{}
	res  Result
	err  error
	dups int
}

// do runs fn once for key among concurrent callers. shared reports whether
// this caller got another caller's result.
func (f *flight) do(ctx context.Context, key string, fn func() (Result, error)) (res Result, err error, shared bool) {
	f.mu.Lock()
	if f.calls == nil {
		f.calls = make(map[string]*call)
	}
	if c, ok := f.calls[key]; ok {
		c.dups++
		f.mu.Unlock()
		select {
		case <-c.done:
			return c.res, c.err, true
		case <-ctx.Done():
			return Result{}, ctx.Err(), true
		}
	}
	c := &call{done: make(chan struct{})}
	f.calls[key] = c
	f.mu.Unlock()

	defer func() {
		f.mu.Lock()
		delete(f.calls, key)
		f.mu.Unlock()
		close(c.done)
	}()
	c.res, c.err = fn()
	return c.res, c.err, false
}
