package resolver

import (
	"context"
	"sync"
)

// flight shares one resolution among identical questions in flight: the
// first caller for a key starts it, later callers wait for its result.
// The resolution runs in its own goroutine, so every caller, the first
// included, can give up when its own context ends while the resolution
// goes on (bounded by the resolver's deadline) for the others and for the
// cache.
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
// the result may be shared with other callers (so must be copied before
// it is modified).
func (f *flight) do(ctx context.Context, key string, fn func() (Result, error)) (res Result, err error, shared bool) {
	f.mu.Lock()
	if f.calls == nil {
		f.calls = make(map[string]*call)
	}
	c, ok := f.calls[key]
	if ok {
		c.dups++
	} else {
		c = &call{done: make(chan struct{})}
		f.calls[key] = c
		go func() {
			defer func() {
				f.mu.Lock()
				delete(f.calls, key)
				f.mu.Unlock()
				close(c.done)
			}()
			c.res, c.err = fn()
		}()
	}
	f.mu.Unlock()
	select {
	case <-c.done:
		return c.res, c.err, true
	case <-ctx.Done():
		return Result{RCode: 2}, ctx.Err(), ok
	}
}
