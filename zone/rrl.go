package zone

import (
	"net/netip"
	"sync"
	"time"
)

// RateLimit is response rate limiting (RRL) per client network, as BIND
// and NSD do it against reflection attacks: each network (IPv4 /24, IPv6
// /56) has a token bucket of ResponsesPerSecond; beyond it, every Slip'th
// response goes out truncated and empty (so a real client retries over
// TCP) and the rest are dropped. TCP is never limited.
type RateLimit struct {
	// ResponsesPerSecond per client network (default 20).
	ResponsesPerSecond int
	// Slip: one in Slip limited responses is sent truncated; 0 means 2,
	// 1 slips every one, negative drops all.
	Slip int
	// MaxTracked bounds the networks remembered (default 65536); when
	// full the table is cleared.
	MaxTracked int

	mu      sync.Mutex
	buckets map[netip.Prefix]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
	slip   int
}

type rrlAction uint8

const (
	rrlSend rrlAction = iota
	rrlSlip
	rrlDrop
)

func (rl *RateLimit) decide(a netip.Addr, now time.Time) rrlAction {
	bits := 24
	if a.Is6() && !a.Is4In6() {
		bits = 56
	}
	p, _ := a.Unmap().Prefix(bits)
	rate := float64(rl.ResponsesPerSecond)
	if rate <= 0 {
		rate = 20
	}
	rl.mu.Lock()
	defer rl.mu.Unlock()
	if rl.buckets == nil || len(rl.buckets) >= max(rl.MaxTracked, 1) && rl.MaxTracked > 0 || len(rl.buckets) >= 65536 {
		rl.buckets = make(map[netip.Prefix]*bucket)
	}
	b := rl.buckets[p]
	if b == nil {
		b = &bucket{tokens: rate, last: now}
		rl.buckets[p] = b
	}
	b.tokens = min(rate, b.tokens+now.Sub(b.last).Seconds()*rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return rrlSend
	}
	slip := rl.Slip
	if slip == 0 {
		slip = 2
	}
	if slip < 0 {
		return rrlDrop
	}
	b.slip++
	if b.slip >= slip {
		b.slip = 0
		return rrlSlip
	}
	return rrlDrop
}
