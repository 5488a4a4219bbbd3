package mailqueue

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"strconv"
	"sync"
	"time"
)

// job makes one delivery attempt of one message: it persists the next
// attempt time, delivers to each domain with pending recipients, records
// the outcome per recipient, bounces what failed, and reschedules or
// removes the message.
func (q *Queue) job(id ID) {
	defer q.wg.Done()
	ctx := q.jobContext(id)
	m, err := q.store.Get(ctx, id)
	if err != nil {
		switch {
		case errors.Is(err, ErrNotFound):
			q.endJob(id, time.Time{}, true, false, false)
		case errors.Is(err, ErrCorrupt):
			q.log(slog.LevelError, "mailqueue: unreadable message left alone", "id", id, "err", err)
			q.endJob(id, time.Time{}, false, false, true)
		default:
			q.log(slog.LevelWarn, "mailqueue: cannot load message", "id", id, "err", err)
			q.endJob(id, q.now().Add(q.cfg.Schedule.Delay(1)), false, false, false)
		}
		return
	}
	st := &m.State
	now := q.now()
	q.mu.Lock()
	var fresh bool
	if it := q.items[id]; it != nil {
		fresh = it.pendingOps&opFresh != 0
		it.pendingOps &^= opFresh
	}
	q.mu.Unlock()
	next := st.NextAttempt
	if !fresh || st.Attempts != 1 {
		st.Attempts++
		next = now.Add(q.cfg.Schedule.Delay(st.Attempts))
		if expiry := st.Created.Add(q.cfg.Lifetime); next.After(expiry) {
			next = expiry // one last attempt when the lifetime ends
		}
		st.NextAttempt = next
		// Persist the next attempt before trying, so that a crash during
		// the attempt cannot make the restarted queue retry at once. On
		// a shared store the lease does that: the message stays out of
		// reach until it expires.
		if q.shared == nil {
			if err := q.store.Update(context.Background(), id, st); err != nil {
				q.log(slog.LevelError, "mailqueue: cannot persist attempt; not attempting", "id", id, "err", err)
				q.endJob(id, next, false, false, false)
				return
			}
		}
	}
	q.observe(Event{Kind: EventAttempt, ID: id})
	before := make([]Status, len(st.Rcpts))
	groups := make(map[string][]int)
	var order []string
	for i, r := range st.Rcpts {
		before[i] = r.Status
		if r.Status != StatusPending {
			continue
		}
		d := m.Envelope.Recipients[i].Domain()
		if _, ok := groups[d]; !ok {
			order = append(order, d)
		}
		groups[d] = append(groups[d], i)
	}
	var mu sync.Mutex // guards st.Rcpts while domains deliver in parallel
	var wg sync.WaitGroup
	for _, d := range order {
		wg.Add(1)
		q.disp.submit(&unit{
			domain: d,
			run: func() {
				defer wg.Done()
				q.deliverDomain(ctx, m, d, groups[d], &mu)
			},
			abandon: wg.Done,
		})
	}
	wg.Wait()
	q.finish(m, before, next)
}

// setRcpt records a reply for recipient i.
func (q *Queue) setRcpt(m *Message, mu *sync.Mutex, i int, status Status, r Reply, host string) {
	mu.Lock()
	defer mu.Unlock()
	m.State.Rcpts[i] = RcptState{Status: status, Reply: r.String(), Enhanced: r.Enhanced, RemoteMTA: host, Updated: q.now()}
}

func statusOf(r Reply) Status {
	switch {
	case r.Success():
		return StatusDelivered
	case r.Permanent():
		return StatusFailed
	}
	return StatusPending
}

// deliverDomain tries the exchangers of one domain for the recipients idx
// (RFC 5321 5.1): each address of a host before the next host. A
// transaction that fails as a whole moves on to the next address; one that
// completes settles every recipient it carried (accepted, refused, or
// deferred by a 4xx RCPT reply until the next attempt).
func (q *Queue) deliverDomain(ctx context.Context, m *Message, domain string, idx []int, mu *sync.Mutex) {
	rr := route(ctx, q.cfg.Resolver, domain, q.cfg.MaxHosts)
	if rr.fail != nil {
		status := StatusPending
		if rr.permanent {
			status = StatusFailed
		}
		for _, i := range idx {
			q.setRcpt(m, mu, i, status, *rr.fail, "")
		}
		q.log(slog.LevelInfo, "mailqueue: routing failed", "id", m.ID, "domain", domain, "reply", rr.fail.String(), "permanent", rr.permanent)
		return
	}
	txn := &Transaction{
		ID: m.ID, From: m.Envelope.From, Ret: m.Envelope.Ret, EnvID: m.Envelope.EnvID,
		SMTPUTF8: m.Envelope.SMTPUTF8, EightBitMIME: m.Envelope.EightBitMIME, Body: m.Body,
	}
	for _, i := range idx {
		txn.Recipients = append(txn.Recipients, m.Envelope.Recipients[i])
	}
	last := Reply{Code: 451, Enhanced: "4.4.4", Text: "no usable address for the mail exchangers of " + domain}
	lastHost := ""
	transient := false
	for _, host := range rr.hosts {
		addrs, err := q.cfg.Resolver.LookupIP(ctx, host)
		if err != nil && !errors.Is(err, ErrNXDomain) {
			transient = true
			last = Reply{Code: 451, Enhanced: "4.4.3", Text: "address lookup for " + host + " failed: " + err.Error()}
			continue
		}
		for _, a := range addrs {
			if ctx.Err() != nil {
				last, lastHost, transient = Reply{Code: 451, Enhanced: "4.3.2", Text: errShutdown.Error()}, "", true
				goto deferAll
			}
			t := Target{Domain: domain, Host: host, Addr: netip.AddrPortFrom(a.Unmap(), q.cfg.Port)}
			replies, err := q.cfg.Deliverer.Deliver(ctx, t, txn)
			transient = true
			if err == nil && len(replies) != len(idx) {
				err = &DeliveryError{Stage: StageData, Err: errors.New("mailqueue: deliverer returned " + strconv.Itoa(len(replies)) + " replies for " + strconv.Itoa(len(idx)) + " recipients")}
			}
			if err != nil {
				de := asDeliveryError(err)
				if de.Reply.Permanent() && de.Stage != StageConnect {
					// The exchanger refused the whole transaction for
					// good (MAIL or DATA 5xx): no other exchanger is
					// asked (RFC 5321 4.2.1: 5yz means do not repeat).
					for _, i := range idx {
						q.setRcpt(m, mu, i, StatusFailed, de.Reply, host)
					}
					q.log(slog.LevelInfo, "mailqueue: transaction refused", "id", m.ID, "host", host, "addr", t.Addr, "reply", de.Reply.String())
					return
				}
				last, lastHost = de.Reply, host
				if last.Code == 0 {
					last = Reply{Code: 451, Enhanced: "4.4.1", Text: err.Error()}
				}
				q.log(slog.LevelInfo, "mailqueue: transaction failed; trying next address", "id", m.ID, "host", host, "addr", t.Addr, "err", err)
				continue
			}
			var n [3]int // by Status: pending (deferred), delivered, failed
			var worst Reply
			for k, i := range idx {
				st := statusOf(replies[k])
				q.setRcpt(m, mu, i, st, replies[k], host)
				n[st]++
				if st != StatusDelivered && worst.Code == 0 {
					worst = replies[k]
				}
			}
			q.logTransaction(m.ID, host, t.Addr, n, worst)
			return
		}
	}
	if !transient {
		// Every exchanger name failed to resolve for good: nothing will
		// change by waiting (RFC 5321 5.1: unusable MX is an error).
		last = Reply{Code: 550, Enhanced: "5.4.4", Text: "no address found for any mail exchanger of " + domain}
		for _, i := range idx {
			q.setRcpt(m, mu, i, StatusFailed, last, "")
		}
		return
	}
deferAll:
	for _, i := range idx {
		q.setRcpt(m, mu, i, StatusPending, last, lastHost)
	}
}

// finish settles a message after an attempt.
func (q *Queue) finish(m *Message, before []Status, next time.Time) {
	st := &m.State
	now := q.now()
	expired := !now.Before(st.Created.Add(q.cfg.Lifetime)) && q.ctx.Err() == nil
	var gaveUp []bool // recipients failed by the lifetime, for observeOutcome
	if expired {
		// RFC 5321 4.5.4.1: give up after the lifetime; RFC 3463 4.4.7:
		// delivery time expired.
		gaveUp = make([]bool, len(st.Rcpts))
		for i := range st.Rcpts {
			r := &st.Rcpts[i]
			if r.Status != StatusPending {
				continue
			}
			gaveUp[i] = true
			r.Status = StatusFailed
			if r.Enhanced == "" {
				r.Enhanced = "4.4.7"
			}
			r.Reply = "message expired after " + strconv.Itoa(st.Attempts) + " attempts; last: " + r.Reply
			r.Updated = now
		}
	}
	q.observeOutcome(m, before, gaveUp)
	var failed, delayed []int
	for i, r := range st.Rcpts {
		n := m.Envelope.Recipients[i].Notify
		if r.Status == StatusFailed && before[i] == StatusPending && n.wantsFailure() {
			failed = append(failed, i)
		}
	}
	pending := st.pending()
	if q.cfg.DelayWarning > 0 && !st.Warned && pending > 0 && !now.Before(st.Created.Add(q.cfg.DelayWarning)) {
		for i, r := range st.Rcpts {
			if r.Status == StatusPending && m.Envelope.Recipients[i].Notify.wantsDelay() {
				delayed = append(delayed, i)
			}
		}
		st.Warned = true
	}
	if len(failed) > 0 {
		q.report(m, failed, actionFailed)
	}
	if len(delayed) > 0 {
		q.report(m, delayed, actionDelayed)
	}

	q.mu.Lock()
	var ops uint8
	if it := q.items[m.ID]; it != nil {
		ops = it.pendingOps
	}
	q.mu.Unlock()
	ctx := context.Background() // the outcome is persisted even at shutdown
	for {
		if ops&opHoldAfter != 0 {
			st.Held = true
		}
		if ops&opReleaseAfter != 0 {
			st.Held = false
		}
		if ops&opFlushAfter != 0 && q.shared != nil {
			st.NextAttempt = now // the in-memory schedule does this on one node
		}
		if pending == 0 || ops&opDeleteAfter != 0 {
			if err := q.storeRemove(ctx, m.ID); errors.Is(err, ErrLeaseLost) {
				q.log(slog.LevelWarn, "mailqueue: lease lost before the finished message could be removed; another node may attempt it again", "id", m.ID, "node", q.cfg.Node)
			} else if err != nil {
				q.log(slog.LevelError, "mailqueue: cannot remove finished message", "id", m.ID, "err", err)
				q.endJob(m.ID, next, false, false, false)
				return
			}
			q.log(slog.LevelInfo, "mailqueue: message done", "id", m.ID, "attempts", st.Attempts)
			q.endJob(m.ID, time.Time{}, true, false, false)
			return
		}
		if err := q.storeUpdate(ctx, m.ID, st); errors.Is(err, ErrLeaseLost) {
			q.log(slog.LevelWarn, "mailqueue: lease lost before the attempt's outcome could be stored", "id", m.ID, "node", q.cfg.Node)
		} else if err != nil {
			q.log(slog.LevelError, "mailqueue: cannot persist attempt outcome", "id", m.ID, "err", err)
		}
		// Hold, Release or Delete may have come while the outcome was
		// written: then it is written again with them, or they would be
		// lost when the job ends. (On a shared store the lease is gone
		// by now; the job ends and a late operation is not applied.)
		late := q.endJobUnless(m.ID, next, st.Held, ops)
		if late == 0 {
			q.log(slog.LevelInfo, "mailqueue: deferred", "id", m.ID, "pending", pending, "next", next)
			return
		}
		ops = late
	}
}

// logTransaction logs the outcome of a completed transaction by what its
// recipients' replies said: "delivered" only when every recipient was
// accepted, "deferred" when none was and some got 4xx, "refused" when all
// got 5xx, "partly delivered" otherwise. n counts the recipients by
// Status; worst is the first reply that was not a 2xx.
func (q *Queue) logTransaction(id ID, host string, addr netip.AddrPort, n [3]int, worst Reply) {
	delivered, deferred, failed := n[StatusDelivered], n[StatusPending], n[StatusFailed]
	msg := "mailqueue: partly delivered"
	switch {
	case deferred == 0 && failed == 0:
		msg = "mailqueue: delivered"
	case delivered == 0 && failed == 0:
		msg = "mailqueue: deferred"
	case delivered == 0 && deferred == 0:
		msg = "mailqueue: refused"
	}
	args := []any{"id", id, "host", host, "addr", addr, "rcpts", delivered + deferred + failed}
	if worst.Code != 0 {
		args = append(args, "delivered", delivered, "deferred", deferred, "failed", failed, "reply", worst.String())
	}
	q.log(slog.LevelInfo, msg, args...)
}
