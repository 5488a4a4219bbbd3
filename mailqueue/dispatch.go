package mailqueue

import "sync"

// dispatcher runs delivery units under a global limit and a limit per
// destination domain. A unit that cannot start waits in its domain's
// FIFO; when a unit ends, waiting domains are served round-robin, so one
// congested domain cannot hold every slot while others wait.
type dispatcher struct {
	mu        sync.Mutex
	global    int
	perDomain int
	running   int
	byDomain  map[string]int
	waiting   map[string][]*unit
	order     []string // domains with waiting units
	closed    bool
}

type unit struct {
	domain  string
	run     func()
	abandon func() // called instead of run when the queue shuts down first
}

func (d *dispatcher) init(global, perDomain int) {
	d.global, d.perDomain = global, perDomain
	d.byDomain = make(map[string]int)
	d.waiting = make(map[string][]*unit)
}

func (d *dispatcher) submit(u *unit) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		u.abandon()
		return
	}
	if d.running < d.global && d.byDomain[u.domain] < d.perDomain && len(d.waiting[u.domain]) == 0 {
		d.running++
		d.byDomain[u.domain]++
		d.mu.Unlock()
		go d.exec(u)
		return
	}
	if len(d.waiting[u.domain]) == 0 {
		d.order = append(d.order, u.domain)
	}
	d.waiting[u.domain] = append(d.waiting[u.domain], u)
	d.mu.Unlock()
}

func (d *dispatcher) exec(u *unit) {
	u.run()
	d.mu.Lock()
	d.running--
	if d.byDomain[u.domain]--; d.byDomain[u.domain] <= 0 {
		delete(d.byDomain, u.domain)
	}
	var start []*unit
	for d.running < d.global && !d.closed {
		i := 0
		for i < len(d.order) && d.byDomain[d.order[i]] >= d.perDomain {
			i++
		}
		if i == len(d.order) {
			break
		}
		dom := d.order[i]
		w := d.waiting[dom]
		next := w[0]
		w[0] = nil
		w = w[1:]
		d.order = append(d.order[:i], d.order[i+1:]...)
		if len(w) == 0 {
			delete(d.waiting, dom)
		} else {
			d.waiting[dom] = w
			d.order = append(d.order, dom) // round-robin
		}
		d.running++
		d.byDomain[dom]++
		start = append(start, next)
	}
	d.mu.Unlock()
	for _, n := range start {
		go d.exec(n)
	}
}

// close abandons every waiting unit; running ones finish.
func (d *dispatcher) close() {
	d.mu.Lock()
	d.closed = true
	var drop []*unit
	for _, w := range d.waiting {
		drop = append(drop, w...)
	}
	d.waiting = map[string][]*unit{}
	d.order = nil
	d.mu.Unlock()
	for _, u := range drop {
		u.abandon()
	}
}
