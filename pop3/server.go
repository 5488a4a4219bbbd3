package pop3

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Server defaults, the meaning of the zero Server fields.
const (
	DefaultMaxConnections        = 1000
	DefaultMaxConnectionsPerIP   = 50
	DefaultIdleTimeout           = 10 * time.Minute // RFC 1939 3: at least 10 minutes
	DefaultLoginFailureDelay     = 2 * time.Second
	DefaultMaxLoginFailures      = 3
	DefaultMaxLoginFailuresPerIP = 20
	DefaultLoginFailureWindow    = 15 * time.Minute
	DefaultCommandRate           = 200 // commands per second, per connection
	DefaultMaxErrors             = 20
	maxAuthLine                  = 8192 // RFC 5034 4: SASL lines past 255 octets
)

// Backend opens maildrops for authenticated users.
type Backend interface {
	// Open returns user's maildrop, fixed for the session (RFC 1939:
	// message numbers do not change). It returns ErrInUse if the
	// maildrop is locked elsewhere; other errors are answered
	// [SYS/TEMP].
	Open(ctx context.Context, user string) (Maildrop, error)
}

// BackendFunc adapts a function to a Backend.
type BackendFunc func(ctx context.Context, user string) (Maildrop, error)

// Open calls f.
func (f BackendFunc) Open(ctx context.Context, user string) (Maildrop, error) { return f(ctx, user) }

// Maildrop is one user's messages as a POP3 session sees them, numbered
// 0 to Count()-1 (the protocol's 1 to Count()). It uses only standard
// types, so a store satisfies it without importing this package
// (mailbox.Snapshot does).
type Maildrop interface {
	Count() int
	// Size is message i's size in octets as sent: every line ending
	// CRLF, before byte-stuffing (RFC 1939 5 LIST).
	Size(i int) int64
	// UIDL is message i's unique id: 1 to 70 characters 0x21-0x7E, the
	// same in every session (RFC 1939 7).
	UIDL(i int) string
	// Open returns message i's content (LF or CRLF line endings).
	Open(ctx context.Context, i int) (io.ReadCloser, error)
	// Expunge removes the messages numbered in idx: the UPDATE state,
	// entered only by QUIT.
	Expunge(ctx context.Context, idx []int) error
	// Close releases the maildrop at the end of the session.
	Close() error
}

// Server is a POP3 server. Set the fields before calling Serve; the zero
// value of each works (Backend and Authenticator are required).
type Server struct {
	// Backend opens the maildrop of an authenticated user. Required.
	Backend Backend
	// Authenticator checks passwords for USER/PASS and AUTH PLAIN, and,
	// if it is an APOPAuthenticator, APOP. Required.
	Authenticator Authenticator
	// Hostname goes into the greeting and the APOP timestamp (default
	// "localhost").
	Hostname string
	// TLSConfig enables STLS (RFC 2595) when non-nil. For implicit TLS
	// (port 995) pass Serve a tls.NewListener instead.
	TLSConfig *tls.Config
	// AllowInsecureAuth permits USER/PASS and AUTH PLAIN on connections
	// without TLS. APOP sends no password and is always allowed.
	AllowInsecureAuth bool
	// MaxConnections bounds concurrent connections (default 1000;
	// negative: no limit); MaxConnectionsPerIP bounds them per client
	// address (default 50).
	MaxConnections, MaxConnectionsPerIP int
	// IdleTimeout closes a connection that sends no command for this
	// long (default 10 minutes, the RFC 1939 3 minimum), without
	// entering the UPDATE state.
	IdleTimeout time.Duration
	// LoginFailureDelay is how long the answer to a failed login waits
	// (default 2 s; negative: none).
	LoginFailureDelay time.Duration
	// MaxLoginFailures closes a connection after this many failed logins
	// (default 3; negative: no limit).
	MaxLoginFailures int
	// MaxLoginFailuresPerIP refuses logins from a client address that
	// failed this many times within LoginFailureWindow (defaults 20 and
	// 15 minutes; negative: no limit).
	MaxLoginFailuresPerIP int
	LoginFailureWindow    time.Duration
	// CommandRate bounds commands per second on one connection, with a
	// burst of as many; faster clients are slowed down, not cut off
	// (default 200; negative: no limit).
	CommandRate int
	// MaxErrors closes a connection after this many malformed or unknown
	// commands (default 20; negative: no limit).
	MaxErrors int
	// Now is the clock for login-failure windows and the APOP timestamp
	// (default time.Now).
	Now func() time.Time
	// Logger receives connection events; nil means silent. Passwords and
	// AUTH payloads are never logged.
	Logger *slog.Logger

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	perIP     map[netip.Addr]int
	inUse     map[string]bool // users in TRANSACTION state
	connWG    sync.WaitGroup
	closing   atomic.Bool
	shutdown  atomic.Bool
	fails     failLimiter
	addr      atomic.Value // net.Addr of the first listener
	seq       atomic.Uint64
}

func (s *Server) hostname() string {
	if s.Hostname == "" {
		return "localhost"
	}
	return s.Hostname
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func orDefault[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// limit returns v's limit: default for 0, "none" (a huge value) for
// negative.
func limit(v, def int) int {
	switch {
	case v == 0:
		return def
	case v < 0:
		return int(^uint(0) >> 1)
	}
	return v
}

// Addr returns the address of the first listener Serve was given, or nil
// before Serve: the way to learn the port when listening on ":0".
func (s *Server) Addr() net.Addr {
	a, _ := s.addr.Load().(net.Addr)
	return a
}

// ListenAndServe listens on the TCP address addr and calls Serve.
func (s *Server) ListenAndServe(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(l)
}

// Serve accepts connections on l and serves each in its own goroutine.
// A tls.NewListener gives implicit TLS (RFC 8314). It returns
// ErrServerClosed after Close or Shutdown, or the listener's error, and
// closes l.
func (s *Server) Serve(l net.Listener) error {
	if s.Backend == nil || s.Authenticator == nil {
		return errors.New("pop3: Server.Backend and Server.Authenticator are required")
	}
	s.mu.Lock()
	if s.closing.Load() {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	if s.listeners == nil {
		s.listeners = map[net.Listener]struct{}{}
	}
	s.listeners[l] = struct{}{}
	s.addr.CompareAndSwap(nil, l.Addr())
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
		l.Close()
	}()
	var backoff time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.closing.Load() {
				return ErrServerClosed
			}
			if temporaryAcceptError(err) {
				// Out of file descriptors and the like: back off as
				// net/http does rather than spin or give up.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		if c := s.track(nc); c != nil {
			go c.serve()
		}
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

// ServeConn serves one accepted connection in the calling goroutine.
func (s *Server) ServeConn(nc net.Conn) {
	if c := s.track(nc); c != nil {
		c.serve()
	}
}

func remoteIP(nc net.Conn) netip.Addr {
	if a, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		ip, _ := netip.AddrFromSlice(a.IP)
		return ip.Unmap()
	}
	return netip.Addr{}
}

// track registers a connection under the connection limits; nil means it
// was refused (answered and closed).
func (s *Server) track(nc net.Conn) *conn {
	ip := remoteIP(nc)
	s.mu.Lock()
	if s.conns == nil {
		s.conns = map[*conn]struct{}{}
		s.perIP = map[netip.Addr]int{}
		s.inUse = map[string]bool{}
	}
	refuse := ""
	switch {
	case s.closing.Load():
		refuse = "-ERR [SYS/TEMP] server shutting down\r\n"
	case len(s.conns) >= limit(s.MaxConnections, DefaultMaxConnections):
		refuse = "-ERR [SYS/TEMP] too many connections\r\n"
	case ip.IsValid() && s.perIP[ip] >= limit(s.MaxConnectionsPerIP, DefaultMaxConnectionsPerIP):
		refuse = "-ERR [SYS/TEMP] too many connections from your address\r\n"
	}
	if refuse != "" {
		s.mu.Unlock()
		nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(nc, refuse)
		nc.Close()
		return nil
	}
	c := newConn(s, nc, ip)
	s.conns[c] = struct{}{}
	if ip.IsValid() {
		s.perIP[ip]++
	}
	s.connWG.Add(1)
	s.mu.Unlock()
	return c
}

func (s *Server) release(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	if c.ip.IsValid() {
		if s.perIP[c.ip]--; s.perIP[c.ip] <= 0 {
			delete(s.perIP, c.ip)
		}
	}
	if c.locked != "" {
		delete(s.inUse, c.locked)
	}
	s.mu.Unlock()
	s.log("pop3 connection closed", "remote", c.nc.RemoteAddr())
	s.connWG.Done()
}

// lockUser marks user's maildrop in use; false if it already is.
func (s *Server) lockUser(user string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inUse[user] {
		return false
	}
	s.inUse[user] = true
	return true
}

func (s *Server) unlockUser(user string) {
	s.mu.Lock()
	delete(s.inUse, user)
	s.mu.Unlock()
}

// Close stops the listeners and closes every connection at once. No
// session enters the UPDATE state: messages marked deleted stay.
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

// Shutdown stops the listeners, lets each command in progress finish,
// and then ends every session with "-ERR [SYS/TEMP]" (a session ended
// this way does not enter UPDATE, RFC 1939 6). It waits until every
// connection has ended or ctx is done; then it closes the rest and
// returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutdown.Store(true)
	s.closing.Store(true)
	s.mu.Lock()
	for l := range s.listeners {
		l.Close()
	}
	for c := range s.conns {
		c.wake()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.connWG.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.Close()
		return ctx.Err()
	}
}

func (s *Server) log(msg string, args ...any) {
	if s.Logger != nil {
		s.Logger.Info(msg, args...)
	}
}
