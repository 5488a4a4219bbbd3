package mailqueue

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// callsTo returns the calls whose first recipient is rcpt.
func callsTo(cs []call, rcpt string) []call {
	var out []call
	for _, c := range cs {
		if slices.Contains(c.Rcpts, rcpt) {
			out = append(out, c)
		}
	}
	return out
}

func TestRetrySchedules(t *testing.T) {
	start := newFakeClock().Now()
	d := func(s string) time.Duration { v, _ := time.ParseDuration(s); return v }
	tests := []struct {
		name     string
		sched    Schedule
		life     time.Duration
		attempts int             // total attempts before giving up
		first    []time.Duration // offsets of the first attempts
	}{
		{"default", nil, 0, 5*24*2 + 1, []time.Duration{0, d("30m"), d("60m"), d("90m")}},
		{"exponential", Exponential{}, 0, -1, []time.Duration{0, d("5m"), d("15m"), d("35m"), d("75m"), d("75m") + d("4000s"), d("75m") + 2*d("4000s")}},
		{"list", Intervals{d("1m"), d("10m"), d("1h")}, 4 * time.Hour, 7, []time.Duration{0, d("1m"), d("11m"), d("71m"), d("131m"), d("191m"), d("240m")}},
		{"fixed-short-life", Fixed(time.Hour), 150 * time.Minute, 4, []time.Duration{0, d("1h"), d("2h"), d("150m")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Config{Schedule: tt.sched, Lifetime: tt.life})
			h.dlv.fn = func(t Target, txn *Transaction) ([]Reply, error) {
				if txn.From == "" {
					return replies(len(txn.Recipients), Reply{Code: 250}), nil
				}
				return nil, &DeliveryError{Stage: StageConnect, Err: errors.New("connection refused")}
			}
			h.enqueue("alice@example.org", "bob@example.com")
			runFor(h.q, h.clock, 6*24*time.Hour)
			calls := callsTo(h.dlv.snapshot(), "bob@example.com")
			for i, off := range tt.first {
				if i >= len(calls) || !calls[i].At.Equal(start.Add(off)) {
					t.Fatalf("attempt %d at %v, want +%v (calls %d)", i+1, func() any {
						if i < len(calls) {
							return calls[i].At.Sub(start)
						}
						return "none"
					}(), off, len(calls))
				}
			}
			if tt.attempts > 0 && len(calls) != tt.attempts {
				t.Fatalf("%d attempts, want %d", len(calls), tt.attempts)
			}
			last := calls[len(calls)-1].At.Sub(start)
			life := tt.life
			if life == 0 {
				life = 5 * 24 * time.Hour
			}
			if last != life {
				t.Fatalf("last attempt at +%v, want +%v (the lifetime)", last, life)
			}
			if h.q.Len() != 0 {
				t.Fatalf("queue still holds %d messages", h.q.Len())
			}
			bounces := callsTo(h.dlv.snapshot(), "alice@example.org")
			if len(bounces) != 1 || bounces[0].Txn.From != "" {
				t.Fatalf("bounces: %+v", bounces)
			}
			if !strings.Contains(string(bounces[0].Txn.Body), "Status: 4.4.1") || !strings.Contains(string(bounces[0].Txn.Body), "Action: failed") {
				t.Fatalf("bounce body:\n%s", bounces[0].Txn.Body)
			}
		})
	}
}

func TestRoutingRFC5321(t *testing.T) {
	a := netip.MustParseAddr
	type want struct {
		addrs  []string // addresses tried, in order (prefix match when shuffled)
		status Status
		enh    string
	}
	tests := []struct {
		name   string
		setup  func(r *fakeResolver)
		answer func(t Target) ([]Reply, error)
		want   want
	}{
		{"preference order, every address of a host first",
			func(r *fakeResolver) {
				r.mx["d.test"] = []MX{{"mx2.d.test", 20}, {"mx1.d.test", 10}}
				r.ip["mx1.d.test"] = []netip.Addr{a("192.0.2.11"), a("2001:db8::11")}
				r.ip["mx2.d.test"] = []netip.Addr{a("192.0.2.21")}
			},
			func(t Target) ([]Reply, error) {
				return nil, &DeliveryError{Stage: StageConnect, Err: errors.New("refused")}
			},
			want{[]string{"192.0.2.11", "2001:db8::11", "192.0.2.21"}, StatusPending, "4.4.1"}},
		{"second host answers",
			func(r *fakeResolver) {
				r.mx["d.test"] = []MX{{"mx1.d.test", 10}, {"mx2.d.test", 20}}
				r.ip["mx1.d.test"] = []netip.Addr{a("192.0.2.11")}
				r.ip["mx2.d.test"] = []netip.Addr{a("192.0.2.21")}
			},
			func(t Target) ([]Reply, error) {
				if t.Host == "mx1.d.test" {
					return nil, &DeliveryError{Stage: StageConnect, Reply: Reply{Code: 421, Text: "busy"}}
				}
				return []Reply{{Code: 250}}, nil
			},
			want{[]string{"192.0.2.11", "192.0.2.21"}, StatusDelivered, ""}},
		{"host cap",
			func(r *fakeResolver) {
				for i := range 8 {
					h := fmt.Sprintf("mx%d.d.test", i)
					r.mx["d.test"] = append(r.mx["d.test"], MX{h, uint16(i)})
					r.ip[h] = []netip.Addr{a(fmt.Sprintf("192.0.2.%d", 100+i))}
				}
			},
			func(t Target) ([]Reply, error) { return nil, errors.New("timeout") },
			want{[]string{"192.0.2.100", "192.0.2.101", "192.0.2.102"}, StatusPending, "4.4.1"}},
		{"implicit MX",
			func(r *fakeResolver) { r.ip["d.test"] = []netip.Addr{a("192.0.2.50")} },
			func(t Target) ([]Reply, error) { return []Reply{{Code: 250}}, nil },
			want{[]string{"192.0.2.50"}, StatusDelivered, ""}},
		{"null MX fails at once",
			func(r *fakeResolver) {
				r.mx["d.test"] = []MX{{".", 0}}
				r.ip["d.test"] = []netip.Addr{a("192.0.2.50")}
			},
			nil,
			want{nil, StatusFailed, "5.1.10"}},
		{"no such domain",
			func(r *fakeResolver) {},
			nil,
			want{nil, StatusFailed, "5.1.2"}},
		{"temporary DNS failure defers, no A fallback",
			func(r *fakeResolver) {
				r.mxErr["d.test"] = fmt.Errorf("servfail: %w", ErrDNSTemporary)
				r.ip["d.test"] = []netip.Addr{a("192.0.2.50")}
			},
			nil,
			want{nil, StatusPending, "4.4.3"}},
		{"MX hosts without addresses",
			func(r *fakeResolver) { r.mx["d.test"] = []MX{{"gone.d.test", 10}} },
			nil,
			want{nil, StatusFailed, "5.4.4"}},
		{"MX host lookup temporary failure",
			func(r *fakeResolver) {
				r.mx["d.test"] = []MX{{"mx1.d.test", 10}}
				r.ipErr["mx1.d.test"] = ErrDNSTemporary
			},
			nil,
			want{nil, StatusPending, "4.4.3"}},
		{"5xx at MAIL fails without trying the next host",
			func(r *fakeResolver) {
				r.mx["d.test"] = []MX{{"mx1.d.test", 10}, {"mx2.d.test", 20}}
				r.ip["mx1.d.test"] = []netip.Addr{a("192.0.2.11")}
				r.ip["mx2.d.test"] = []netip.Addr{a("192.0.2.21")}
			},
			func(t Target) ([]Reply, error) {
				return nil, &DeliveryError{Stage: StageMail, Reply: Reply{Code: 550, Enhanced: "5.7.1", Text: "go away"}}
			},
			want{[]string{"192.0.2.11"}, StatusFailed, "5.7.1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Config{MaxHosts: 3})
			h.res.mu.Lock()
			tt.setup(h.res)
			h.res.mu.Unlock()
			var tried []string
			var mu sync.Mutex
			h.dlv.fn = func(tg Target, txn *Transaction) ([]Reply, error) {
				if tg.Domain != "d.test" {
					return replies(len(txn.Recipients), Reply{Code: 250}), nil
				}
				mu.Lock()
				tried = append(tried, tg.Addr.Addr().String())
				mu.Unlock()
				if tg.Addr.Port() != 25 {
					t.Errorf("port %d", tg.Addr.Port())
				}
				if tt.answer == nil {
					t.Errorf("deliverer called for %v", tg)
					return nil, errors.New("unexpected")
				}
				return tt.answer(tg)
			}
			id := h.enqueue("alice@example.org", "bob@d.test")
			h.q.settle()
			if !slices.Equal(tried, tt.want.addrs) {
				t.Fatalf("tried %v, want %v", tried, tt.want.addrs)
			}
			var got *Entry
			h.q.List(context.Background(), func(e Entry) error {
				if e.ID == id {
					got = &e
				}
				return nil
			})
			switch tt.want.status {
			case StatusPending:
				if got == nil || got.Recipients[0].Status != StatusPending || got.Recipients[0].Enhanced != tt.want.enh {
					t.Fatalf("entry %+v, want pending %s", got, tt.want.enh)
				}
			default:
				if got != nil {
					t.Fatalf("message still queued: %+v", got)
				}
			}
			bounces := callsTo(h.dlv.snapshot(), "alice@example.org")
			if (tt.want.status == StatusFailed) != (len(bounces) == 1) {
				t.Fatalf("bounces %d for status %v", len(bounces), tt.want.status)
			}
			if tt.want.status == StatusFailed && !strings.Contains(string(bounces[0].Txn.Body), "Status: "+tt.want.enh) {
				t.Fatalf("bounce lacks Status %s:\n%s", tt.want.enh, bounces[0].Txn.Body)
			}
			if tt.name == "temporary DNS failure defers, no A fallback" && slices.Contains(h.res.ipAsked, "d.test") {
				t.Fatal("fell back to address records after a temporary MX failure")
			}
		})
	}
}

func TestRouteShufflesEqualPreference(t *testing.T) {
	r := newFakeResolver()
	r.mx["d.test"] = []MX{{"a.d.test", 10}, {"b.d.test", 10}, {"c.d.test", 10}, {"z.d.test", 5}}
	seen := map[string]bool{}
	for range 200 {
		rr := route(context.Background(), r, "d.test", 0)
		if rr.hosts[0] != "z.d.test" || len(rr.hosts) != 4 {
			t.Fatalf("order %v", rr.hosts)
		}
		seen[rr.hosts[1]] = true
	}
	if len(seen) != 3 {
		t.Fatalf("equal-preference hosts not shuffled: %v", seen)
	}
}

func TestPerRecipientPartialFailure(t *testing.T) {
	h := newHarness(t, Config{})
	h.dlv.fn = func(tg Target, txn *Transaction) ([]Reply, error) {
		out := make([]Reply, len(txn.Recipients))
		for i, r := range txn.Recipients {
			switch {
			case strings.HasPrefix(r.Addr, "ok") || txn.From == "":
				out[i] = Reply{Code: 250, Enhanced: "2.0.0", Text: "queued"}
			case strings.HasPrefix(r.Addr, "bad"):
				out[i] = Reply{Code: 550, Enhanced: "5.1.1", Text: "no such user"}
			default:
				out[i] = Reply{Code: 450, Enhanced: "4.2.1", Text: "try later"}
			}
		}
		return out, nil
	}
	id := h.enqueue("alice@example.org", "ok@example.com", "bad@example.com", "later@example.com", "ok2@example.org")
	h.q.settle()
	calls := h.dlv.snapshot()
	if len(calls) != 3 { // example.com, example.org, and the bounce to example.org
		t.Fatalf("calls: %+v", calls)
	}
	var e Entry
	h.q.List(context.Background(), func(x Entry) error {
		if x.ID == id {
			e = x
		}
		return nil
	})
	st := []Status{e.Recipients[0].Status, e.Recipients[1].Status, e.Recipients[2].Status, e.Recipients[3].Status}
	if !slices.Equal(st, []Status{StatusDelivered, StatusFailed, StatusPending, StatusDelivered}) {
		t.Fatalf("states %v", st)
	}
	if e.Recipients[1].RemoteMTA != "mx.example.com" || e.Recipients[1].Reply != "550 5.1.1 no such user" {
		t.Fatalf("failed rcpt state %+v", e.Recipients[1])
	}
	// The retry goes only to the pending recipient.
	h.dlv.mu.Lock()
	h.dlv.calls = nil
	h.dlv.mu.Unlock()
	runFor(h.q, h.clock, 31*time.Minute)
	calls = h.dlv.snapshot()
	if len(calls) != 1 || !slices.Equal(calls[0].Rcpts, []string{"later@example.com"}) {
		t.Fatalf("retry calls: %+v", calls)
	}
}

func TestNullSenderNeverBounced(t *testing.T) {
	h := newHarness(t, Config{})
	h.dlv.fn = func(tg Target, txn *Transaction) ([]Reply, error) {
		return replies(len(txn.Recipients), Reply{Code: 550, Enhanced: "5.1.1", Text: "no"}), nil
	}
	h.enqueue("", "bob@example.com")
	h.q.settle()
	if n := len(h.dlv.snapshot()); n != 1 {
		t.Fatalf("%d calls; a null-sender failure must not bounce", n)
	}
	if h.q.Len() != 0 {
		t.Fatal("failed message still queued")
	}
}

func TestNullSenderCopiedToPostmaster(t *testing.T) {
	h := newHarness(t, Config{Postmaster: "postmaster@example.org"})
	h.dlv.fn = func(tg Target, txn *Transaction) ([]Reply, error) {
		if tg.Domain == "example.org" {
			return replies(len(txn.Recipients), Reply{Code: 250}), nil
		}
		return replies(len(txn.Recipients), Reply{Code: 550, Enhanced: "5.1.1", Text: "no"}), nil
	}
	h.enqueue("", "bob@example.com")
	h.q.settle()
	pm := callsTo(h.dlv.snapshot(), "postmaster@example.org")
	if len(pm) != 1 || pm[0].Txn.From != "" {
		t.Fatalf("postmaster copies: %+v", pm)
	}
}

func TestDelayWarning(t *testing.T) {
	h := newHarness(t, Config{DelayWarning: 4 * time.Hour})
	h.dlv.fn = func(tg Target, txn *Transaction) ([]Reply, error) {
		if tg.Domain == "example.org" {
			return replies(len(txn.Recipients), Reply{Code: 250}), nil
		}
		return nil, &DeliveryError{Stage: StageConnect, Reply: Reply{Code: 421, Enhanced: "4.3.2", Text: "shutting down"}}
	}
	h.enqueue("alice@example.org", "bob@example.com")
	runFor(h.q, h.clock, 10*time.Hour)
	w := callsTo(h.dlv.snapshot(), "alice@example.org")
	if len(w) != 1 {
		t.Fatalf("%d warnings, want 1", len(w))
	}
	body := string(w[0].Txn.Body)
	for _, s := range []string{"Action: delayed", "Status: 4.3.2", "Will-Retry-Until:"} {
		if !strings.Contains(body, s) {
			t.Fatalf("warning lacks %q:\n%s", s, body)
		}
	}
	if h.q.Len() != 1 {
		t.Fatal("message left the queue after a warning")
	}
}

func TestRecoveryKeepsSchedule(t *testing.T) {
	h := newHarness(t, Config{})
	h.dlv.fn = func(tg Target, txn *Transaction) ([]Reply, error) {
		return nil, errors.New("refused")
	}
	id := h.enqueue("alice@example.org", "bob@example.com")
	h.q.settle()
	if err := h.q.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Restart ten minutes later: the next attempt stays at +30 min.
	h.clock.set(h.clock.Now().Add(10 * time.Minute))
	h.start()
	h.q.settle()
	if n := len(h.dlv.snapshot()); n != 1 {
		t.Fatalf("%d attempts right after restart, want none beyond the first", n)
	}
	runFor(h.q, h.clock, 21*time.Minute)
	if n := len(h.dlv.snapshot()); n != 2 {
		t.Fatalf("%d attempts after the interval, want 2", n)
	}
	if _, err := h.store.Get(context.Background(), id); err != nil {
		t.Fatal(err)
	}
}

func TestCrashDuringAttemptNoRetryStorm(t *testing.T) {
	// The next attempt is persisted before the attempt: a store reopened
	// while an attempt is in flight says "later", not "now".
	h := newHarness(t, Config{})
	inside := make(chan struct{})
	release := make(chan struct{})
	h.dlv.fn = func(tg Target, txn *Transaction) ([]Reply, error) {
		close(inside)
		<-release
		return nil, errors.New("refused")
	}
	id := h.enqueue("alice@example.org", "bob@example.com")
	<-inside
	var sum Summary
	s2 := openSpool(t, h.store.(*Spool).dir, SpoolConfig{}) // read-only look at disk
	s2.Scan(context.Background(), func(s Summary) error {
		if s.ID == id {
			sum = s
		}
		return nil
	})
	close(release)
	if want := h.clock.Now().Add(30 * time.Minute); !sum.NextAttempt.Equal(want) {
		t.Fatalf("persisted next attempt %v, want %v", sum.NextAttempt, want)
	}
}

func TestOperations(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, Config{})
	h.dlv.fn = func(tg Target, txn *Transaction) ([]Reply, error) { return nil, errors.New("refused") }
	a := h.enqueue("alice@example.org", "a@example.com")
	b := h.enqueue("alice@example.org", "b@example.com")
	c := h.enqueue("alice@example.org", "c@example.com")
	h.q.settle()
	if err := h.q.Hold(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := h.q.Delete(ctx, b); err != nil {
		t.Fatal(err)
	}
	var list []Entry
	h.q.List(ctx, func(e Entry) error { list = append(list, e); return nil })
	if len(list) != 2 {
		t.Fatalf("list %+v", list)
	}
	for _, e := range list {
		if e.ID == a && !e.Held || e.Attempts != 1 || e.From != "alice@example.org" || len(e.Recipients) != 1 {
			t.Fatalf("entry %+v", e)
		}
	}
	h.dlv.mu.Lock()
	h.dlv.calls = nil
	h.dlv.mu.Unlock()
	// Flush retries c at once; held a stays put.
	if err := h.q.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.q.settle()
	if calls := h.dlv.snapshot(); len(calls) != 1 || calls[0].Rcpts[0] != "c@example.com" {
		t.Fatalf("after flush: %+v", calls)
	}
	runFor(h.q, h.clock, 2*time.Hour)
	if n := len(callsTo(h.dlv.snapshot(), "a@example.com")); n != 0 {
		t.Fatalf("held message attempted %d times", n)
	}
	// Hold survives a restart.
	h.q.Shutdown(ctx)
	h.start()
	h.q.settle()
	if n := len(callsTo(h.dlv.snapshot(), "a@example.com")); n != 0 {
		t.Fatal("hold lost at restart")
	}
	if err := h.q.Release(ctx, a); err != nil {
		t.Fatal(err)
	}
	h.q.settle()
	if n := len(callsTo(h.dlv.snapshot(), "a@example.com")); n != 1 {
		t.Fatalf("released message attempted %d times", n)
	}
	if err := h.q.Delete(ctx, b); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delete of deleted = %v", err)
	}
	_ = c
}

func TestConcurrencyLimits(t *testing.T) {
	h := newHarness(t, Config{MaxConcurrency: 4, MaxPerDomain: 2})
	for i := range 6 {
		h.res.simple(fmt.Sprintf("d%d.test", i), fmt.Sprintf("192.0.2.%d", 10+i))
	}
	var mu sync.Mutex
	cur := map[string]int{}
	total, maxTotal := 0, 0
	maxDom := map[string]int{}
	started := make(chan struct{}, 100)
	gate := make(chan struct{})
	h.dlv.fn = func(tg Target, txn *Transaction) ([]Reply, error) {
		mu.Lock()
		cur[tg.Domain]++
		total++
		maxTotal = max(maxTotal, total)
		maxDom[tg.Domain] = max(maxDom[tg.Domain], cur[tg.Domain])
		mu.Unlock()
		started <- struct{}{}
		<-gate
		mu.Lock()
		cur[tg.Domain]--
		total--
		mu.Unlock()
		return replies(len(txn.Recipients), Reply{Code: 250}), nil
	}
	n := 0
	for i := range 6 {
		for range 3 {
			h.enqueue("alice@example.org", fmt.Sprintf("r@d%d.test", i))
			n++
		}
	}
	for range 4 {
		<-started
	}
	close(gate)
	h.q.settle()
	if len(h.dlv.snapshot()) != n || h.q.Len() != 0 {
		t.Fatalf("%d calls, %d left", len(h.dlv.snapshot()), h.q.Len())
	}
	if maxTotal > 4 {
		t.Fatalf("global concurrency reached %d", maxTotal)
	}
	for d, m := range maxDom {
		if m > 2 {
			t.Fatalf("domain %s concurrency reached %d", d, m)
		}
	}
}

func TestShutdownAbandonsSafely(t *testing.T) {
	h := newHarness(t, Config{})
	inside := make(chan struct{})
	h.dlv.fn = func(tg Target, txn *Transaction) ([]Reply, error) {
		close(inside)
		<-make(chan struct{}) // never answers on its own
		return nil, nil
	}
	var ctxDone func() <-chan struct{}
	_ = ctxDone
	h.dlv.fn = nil
	blocking := &blockingDeliverer{inside: inside}
	h.q.Shutdown(context.Background())
	h.cfg.Deliverer = blocking
	h.start()
	id := h.enqueue("alice@example.org", "bob@example.com")
	<-inside
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := h.q.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Shutdown = %v", err)
	}
	if _, err := h.q.Enqueue(context.Background(), Envelope{Recipients: []Recipient{{Addr: "x@example.com"}}}, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Enqueue after Shutdown = %v", err)
	}
	m, err := h.store.Get(context.Background(), id)
	if err != nil || m.State.Rcpts[0].Status != StatusPending {
		t.Fatalf("after forced shutdown: %v %+v", err, m)
	}
}

type blockingDeliverer struct{ inside chan struct{} }

func (b *blockingDeliverer) Deliver(ctx context.Context, t Target, txn *Transaction) ([]Reply, error) {
	close(b.inside)
	<-ctx.Done()
	return nil, &DeliveryError{Stage: StageData, Err: ctx.Err()}
}

func TestEnqueueRejects(t *testing.T) {
	h := newHarness(t, Config{MaxMessageSize: 10})
	ctx := context.Background()
	for _, env := range []Envelope{
		{From: "a@example.org"},
		{From: "a@example.org", Recipients: []Recipient{{Addr: "no-domain"}}},
		{From: "a@exa\r\nmple.org", Recipients: []Recipient{{Addr: "b@example.com"}}},
	} {
		if _, err := h.q.Enqueue(ctx, env, []byte("x")); err == nil {
			t.Fatalf("Enqueue(%+v) succeeded", env)
		}
	}
	if _, err := h.q.Enqueue(ctx, Envelope{Recipients: []Recipient{{Addr: "b@example.com"}}}, make([]byte, 11)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("large: %v", err)
	}
}

func TestEnqueueHeld(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, Config{})
	id, err := h.q.EnqueueHeld(ctx, Envelope{From: "a@example.org", Recipients: []Recipient{{Addr: "b@example.com"}}}, []byte("x\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	runFor(h.q, h.clock, time.Hour)
	if n := len(h.dlv.snapshot()); n != 0 {
		t.Fatalf("held message attempted %d times", n)
	}
	if err := h.q.Release(ctx, id); err != nil {
		t.Fatal(err)
	}
	h.q.settle()
	if n := len(h.dlv.snapshot()); n != 1 || h.q.Len() != 0 {
		t.Fatalf("after release: %d attempts, %d queued", n, h.q.Len())
	}
}

func TestEnqueueDiskFull(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var full atomic.Bool
	s, err := OpenSpool(dir, SpoolConfig{fault: func(op string) error {
		if full.Load() && op != "truncate" {
			return syscall.ENOSPC
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	dlv := &fakeDeliverer{clock: newFakeClock()}
	q, err := New(s, Config{Clock: dlv.clock, Resolver: newFakeResolver(), Deliverer: dlv})
	if err != nil {
		t.Fatal(err)
	}
	full.Store(true)
	env := Envelope{From: "a@example.org", Recipients: []Recipient{{Addr: "b@example.com"}}}
	if _, err := q.Enqueue(ctx, env, []byte("x\r\n")); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Enqueue on a full disk = %v", err)
	}
	if q.Len() != 0 {
		t.Fatal("failed message scheduled")
	}
	q.Shutdown(ctx)
	s.Close()
	s2 := openSpool(t, dir, SpoolConfig{})
	if sums, bad := scanAll(t, s2); len(sums) != 0 || len(bad) != 0 {
		t.Fatalf("after restart: %v %v", sums, bad)
	}
}
