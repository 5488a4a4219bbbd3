package smtp

import (
	"context"
	"net/netip"
	"time"
)

// Defaults of the AuthLimits fields.
const (
	DefaultMaxAuthFailures  = 3                // per connection, then 421
	DefaultAuthFailureDelay = time.Second      // the first failure's delay
	DefaultMaxAuthDelay     = 15 * time.Second // Dovecot's auth penalty cap
	DefaultAuthPenaltyTime  = 15 * time.Minute // a quiet address is forgiven
	maxAuthPenaltyEntries   = 1 << 16          // bounds the per-address table
)

// AuthLimits slow and stop password guessing over AUTH (RFC 4954 4 lets a
// server limit attempts; RFC 4954 14 asks it to guard against dictionary
// attacks). Each failed AUTH is answered 535 only after a delay that
// doubles with every recent failure from the same client address (as
// Dovecot's auth penalty does), and a connection that fails MaxFailures
// times gets 421 4.7.0 and is closed (as Postfix's smtpd_hard_error_limit
// does). Each failure is logged at level Warn with the message
// "smtp: authentication failed" and the attributes "remote" (the client
// address), "mechanism", "failures" (on the connection) and
// "address_failures", one line per failure for fail2ban-style tools; the
// user name and password are not logged. The zero value works.
type AuthLimits struct {
	// MaxFailures closes a connection with 421 after this many failed
	// AUTH exchanges (default 3; negative: no limit).
	MaxFailures int
	// Delay is how long the first recent failure from an address waits
	// before its 535 (default 1 s; negative: no delay). Each further one
	// waits twice as long, up to MaxDelay.
	Delay time.Duration
	// MaxDelay caps the delay (default 15 s).
	MaxDelay time.Duration
	// PenaltyTime is how long an address's failures count after its last
	// one (default 15 minutes).
	PenaltyTime time.Duration
	// Now is the clock for PenaltyTime (default time.Now).
	Now func() time.Time
	// Sleep waits for d or until ctx is done (default: a timer). Tests
	// inject one that records the delays.
	Sleep func(ctx context.Context, d time.Duration) error
}

// authPenalty is one client address's recent failures.
type authPenalty struct {
	n    int
	last time.Time
}

func (l *AuthLimits) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

func (l *AuthLimits) penaltyTime() time.Duration {
	if l.PenaltyTime > 0 {
		return l.PenaltyTime
	}
	return DefaultAuthPenaltyTime
}

// delay is the wait before answering the n-th recent failure of an
// address.
func (l *AuthLimits) delay(n int) time.Duration {
	d, m := l.Delay, l.MaxDelay
	switch {
	case d < 0:
		return 0
	case d == 0:
		d = DefaultAuthFailureDelay
	}
	if m <= 0 {
		m = DefaultMaxAuthDelay
	}
	for i := 1; i < n && d < m; i++ {
		d *= 2
	}
	return min(d, m)
}

func (l *AuthLimits) sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	if l.Sleep != nil {
		return l.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// noteAuthFailure counts a failure from ip and returns the address's
// recent failures, this one included.
func (s *Server) noteAuthFailure(ip netip.Addr) int {
	l := &s.AuthLimits
	now := l.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.authFails == nil {
		s.authFails = make(map[netip.Addr]authPenalty)
	}
	p := s.authFails[ip]
	if now.Sub(p.last) > l.penaltyTime() {
		p.n = 0
	}
	p.n++
	p.last = now
	if _, ok := s.authFails[ip]; !ok && len(s.authFails) >= maxAuthPenaltyEntries {
		// Full: forget the addresses whose penalty has run out; if none
		// has, forget one at random (map order) rather than grow.
		for a, q := range s.authFails {
			if now.Sub(q.last) > l.penaltyTime() {
				delete(s.authFails, a)
			}
		}
		for a := range s.authFails {
			if len(s.authFails) < maxAuthPenaltyEntries {
				break
			}
			delete(s.authFails, a)
		}
	}
	s.authFails[ip] = p
	return p.n
}

// authFailed slows, logs and counts a failed AUTH exchange on c and
// writes the 535 (or the error's own reply). It closes the connection
// with 421 once the connection's limit is reached.
func (c *Conn) authFailed(err error, mechanism string) {
	s := c.srv
	l := &s.AuthLimits
	c.authFails++
	n := s.noteAuthFailure(c.ip)
	if s.Logger != nil {
		s.Logger.Warn("smtp: authentication failed", "remote", c.ip.String(), "mechanism", mechanism,
			"failures", c.authFails, "address_failures", n)
	}
	if err := l.sleep(c.ctx, l.delay(n)); err != nil {
		c.quit = true
		return
	}
	c.replyError(err, 535, EnhancedCode{5, 7, 8}, "Authentication credentials invalid")
	if c.authFails >= limitOrDefault(l.MaxFailures, DefaultMaxAuthFailures) {
		c.bw.WriteString("421 4.7.0 " + s.hostname() + " Too many authentication failures, closing connection\r\n")
		c.quit = true
	}
}
