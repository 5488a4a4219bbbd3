package imap

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Server defaults.
const (
	DefaultMaxConnections      = 1000
	DefaultMaxConnectionsPerIP = 20
	// DefaultIdleTimeout is RFC 9051 5.4's minimum autologout timer.
	DefaultIdleTimeout = 30 * time.Minute
	// DefaultAuthFailures closes a connection after this many failed
	// logins on it.
	DefaultAuthFailures = 3
	// DefaultAuthDelay is the first failed login's delay for a client
	// address; each further failure from it doubles it, up to
	// maxAuthDelay.
	DefaultAuthDelay = time.Second
	maxAuthDelay     = 15 * time.Second
	// DefaultIdlePoll is how often a session in IDLE looks for changes.
	DefaultIdlePoll = time.Second
	defaultHostname = "localhost"
)

// Server is an IMAP4rev2/IMAP4rev1 server. Set the fields before Serve;
// the zero value of each works except Backend, which is required.
type Server struct {
	// Backend authenticates users and provides their mailboxes.
	Backend Backend
	// Hostname appears in the greeting (default "localhost").
	Hostname string
	// TLSConfig enables STARTTLS (RFC 9051 6.2.1) when non-nil. For
	// implicit TLS on port 993, pass a tls.Listener to Serve and set
	// ImplicitTLS.
	TLSConfig   *tls.Config
	ImplicitTLS bool
	// AllowInsecureAuth allows LOGIN and AUTHENTICATE without TLS;
	// otherwise LOGINDISABLED is advertised (RFC 9051 6.2.3).
	AllowInsecureAuth bool
	// Limits bound each command.
	Limits Limits
	// MaxConnections and MaxConnectionsPerIP bound concurrent
	// connections (defaults 1000 and 20; negative: no limit). A
	// connection past them gets "* BYE" and is closed.
	MaxConnections      int
	MaxConnectionsPerIP int
	// IdleTimeout closes a connection that sends nothing (default 30
	// minutes, RFC 9051 5.4); IDLE is bounded by it too.
	IdleTimeout time.Duration
	// AuthFailures closes a connection after this many failed logins on
	// it (default 3); AuthDelay is the first failure's delay per client
	// address, doubled for each further one within an hour.
	AuthFailures int
	AuthDelay    time.Duration
	// IdlePoll is how often an IDLE session takes a new snapshot
	// (default 1 s).
	IdlePoll time.Duration
	// Logger receives connection events and failed logins (with the
	// client address, for fail2ban-style tools); nil means silent.
	// Passwords are never logged.
	Logger *slog.Logger
	// Now and Sleep are the clock (defaults time.Now, and a sleep that
	// ends early when the connection's context ends).
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration)
	// CacheSize bounds, in bytes, the parsed message headers and
	// ENVELOPEs the server keeps across sessions, so FETCH ENVELOPE and
	// SEARCH by header read a message's file once (default
	// DefaultCacheSize, 64 MiB; negative: no cache). Entries are keyed
	// by user name, mailbox name, UIDVALIDITY and UID, and checked
	// against the message's size and internal date: a store must not
	// give a UID to other octets without a new UIDVALIDITY (RFC 9051
	// 2.3.1.1), or should run with no cache.
	CacheSize int64

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	perIP     map[netip.Addr]int
	failures  map[netip.Addr]authRecord
	wg        sync.WaitGroup
	closing   atomic.Bool
	cacheOnce sync.Once
	msgCache  *msgCache
}

type authRecord struct {
	n    int
	last time.Time
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Server) sleep(ctx context.Context, d time.Duration) {
	if s.Sleep != nil {
		s.Sleep(ctx, d)
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

func orInt(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func orDur(v, def time.Duration) time.Duration {
	if v <= 0 {
		return def
	}
	return v
}

// Serve accepts connections on l until Close or Shutdown, serving each
// in its own goroutine. It returns ErrServerClosed after those.
func (s *Server) Serve(l net.Listener) error {
	if s.Backend == nil {
		return errors.New("imap: Server.Backend is nil")
	}
	s.mu.Lock()
	if s.closing.Load() {
		s.mu.Unlock()
		return ErrServerClosed
	}
	if s.listeners == nil {
		s.listeners = map[net.Listener]struct{}{}
		s.conns = map[*conn]struct{}{}
		s.perIP = map[netip.Addr]int{}
		s.failures = map[netip.Addr]authRecord{}
	}
	s.listeners[l] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
	}()
	var delay time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.closing.Load() {
				return ErrServerClosed
			}
			if temporaryAcceptError(err) {
				// Out of file descriptors and the like: back off as
				// net/http does rather than spin or give up.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		c := s.newConn(nc)
		if c == nil {
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer s.dropConn(c)
			c.serve()
		}()
	}
}

// temporaryAcceptError reports an accept error worth retrying: a timeout,
// or one that reports itself Temporary (EMFILE, ENFILE: out of file
// descriptors, which must not stop the server for good).
func temporaryAcceptError(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// newConn registers a connection, or refuses it with BYE when a limit is
// reached.
func (s *Server) newConn(nc net.Conn) *conn {
	ip := remoteAddr(nc).Addr()
	s.mu.Lock()
	max, maxIP := orInt(s.MaxConnections, DefaultMaxConnections), orInt(s.MaxConnectionsPerIP, DefaultMaxConnectionsPerIP)
	if s.closing.Load() || (max > 0 && len(s.conns) >= max) || (maxIP > 0 && s.perIP[ip] >= maxIP) {
		s.mu.Unlock()
		nc.SetWriteDeadline(time.Now().Add(time.Second))
		nc.Write([]byte("* BYE [UNAVAILABLE] Too many connections\r\n"))
		nc.Close()
		return nil
	}
	c := &conn{srv: s, nc: nc}
	s.conns[c] = struct{}{}
	s.perIP[ip]++
	s.mu.Unlock()
	return c
}

func (s *Server) dropConn(c *conn) {
	ip := remoteAddr(c.nc).Addr()
	s.mu.Lock()
	delete(s.conns, c)
	if s.perIP[ip]--; s.perIP[ip] <= 0 {
		delete(s.perIP, ip)
	}
	s.mu.Unlock()
}

func remoteAddr(nc net.Conn) netip.AddrPort {
	if a, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		return a.AddrPort()
	}
	return netip.AddrPort{}
}

// authFailed records a failed login from ip and returns the delay to
// apply before answering.
func (s *Server) authFailed(ip netip.Addr) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	r := s.failures[ip]
	if now.Sub(r.last) > time.Hour {
		r.n = 0
	}
	r.n++
	r.last = now
	s.failures[ip] = r
	d := orDur(s.AuthDelay, DefaultAuthDelay)
	for i := 1; i < r.n && d < maxAuthDelay; i++ {
		d *= 2
	}
	return min(d, maxAuthDelay)
}

// Close closes the listeners and every connection at once.
func (s *Server) Close() error {
	s.closing.Store(true)
	s.mu.Lock()
	for l := range s.listeners {
		l.Close()
	}
	for c := range s.conns {
		c.nc.Close()
	}
	s.mu.Unlock()
	return nil
}

// Shutdown stops accepting, tells every client "* BYE" (RFC 9051 7.1.5)
// and closes its connection once the command it is running ends, then
// waits for the sessions to finish or ctx to end.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closing.Store(true)
	s.mu.Lock()
	for l := range s.listeners {
		l.Close()
	}
	for c := range s.conns {
		c.shutdown()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.Close()
		return ctx.Err()
	}
}

// conn is one client connection.
type conn struct {
	srv *Server
	nc  net.Conn

	wmu  sync.Mutex // guards w and the connection's writes
	w    *bufio.Writer
	busy bool // a command is running; shutdown waits for its end
	bye  bool // shutdown asked: say BYE after the command
}

// shutdown says BYE now if the session is waiting for a command, or
// marks it to do so after the running command.
func (c *conn) shutdown() {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.bye = true
	if !c.busy && c.w != nil {
		c.w.WriteString("* BYE Server shutting down\r\n")
		c.w.Flush()
		c.nc.Close()
	}
}
