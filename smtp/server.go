package smtp

import (
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

// Server limits and timeouts, the defaults of the Server fields.
const (
	DefaultMaxMessageBytes      = 32 << 20 // 32 MiB
	DefaultMaxRecipients        = 100      // RFC 5321 4.5.3.1.8 minimum
	DefaultMaxCommandLine       = 512      // RFC 5321 4.5.3.1.4, CRLF included
	DefaultMaxConnections       = 1000
	DefaultMaxConnectionsPerIP  = 50
	DefaultMaxConnectionsPerNet = 100
	DefaultStressTimeout        = 10 * time.Second // Postfix's smtpd_timeout under stress
	DefaultMaxErrors            = 100
	DefaultCommandTimeout       = 5 * time.Minute // RFC 5321 4.5.3.2.7
	DefaultDataBlockTimeout     = 3 * time.Minute // RFC 5321 4.5.3.2.5, server and client
	defaultReadBufferSize       = 16 << 10
	defaultWriteBufferSize      = 4 << 10
	maxAuthLine                 = 12288 // RFC 4954 4
	mailRcptExtensionAllowance  = 1024  // RFC 1870 6, RFC 3461 5, RFC 4954 5
	maxDiscardedCommandLineSize = 64 << 10
)

// ServerTimeouts are the Server's RFC 5321 4.5.3.2 timeouts. Zero fields
// take the defaults.
type ServerTimeouts struct {
	// Command bounds the wait for each command line and each reply write
	// (default 5 minutes, RFC 5321 4.5.3.2.7).
	Command time.Duration
	// DataBlock bounds each read of message data: the client must keep
	// sending (default 3 minutes, RFC 5321 4.5.3.2.5).
	DataBlock time.Duration
	// Stress replaces Command while the server holds at least 80% of
	// MaxConnections (default 10 s, as Postfix's stress mode), and cuts
	// short the wait of connections already idle then, so idle clients
	// cannot hold every slot.
	Stress time.Duration
}

// Server is an SMTP (RFC 5321) or LMTP (RFC 2033) server. Set the fields
// before calling Serve; the zero value of each field works (Backend is
// required). Methods may be called from any goroutine.
type Server struct {
	// Backend makes the Session for each connection. Required.
	Backend Backend
	// Hostname is sent in the greeting and EHLO reply (default
	// "localhost").
	Hostname string
	// TLSConfig enables STARTTLS (RFC 3207) when non-nil.
	TLSConfig *tls.Config
	// AllowInsecureAuth offers AUTH on connections without TLS.
	AllowInsecureAuth bool
	// LMTP makes the server speak LMTP (RFC 2033): LHLO instead of
	// HELO/EHLO and one reply per recipient after the data.
	LMTP bool
	// MaxMessageBytes bounds a message (default DefaultMaxMessageBytes;
	// negative: no limit), advertised with SIZE (RFC 1870).
	MaxMessageBytes int64
	// MaxRecipients bounds RCPTs per transaction; past it the reply is
	// 452 4.5.3 (RFC 5321 4.5.3.1.10). Default 100; negative: no limit.
	MaxRecipients int
	// MaxCommandLine bounds a command line, CRLF included (default 512,
	// RFC 5321 4.5.3.1.4; only raising it is useful). MAIL and RCPT get
	// 1024 more for the parameters that extensions add, AUTH exchanges
	// up to 12288 (RFC 4954 4).
	MaxCommandLine int
	// MaxDataLine bounds a line of message data, CRLF included (default
	// 1000, RFC 5321 4.5.3.1.6; negative: no limit).
	MaxDataLine int
	// MaxConnections bounds concurrent connections (default 1000;
	// negative: no limit). Connections past it get 421 and are closed.
	MaxConnections int
	// MaxConnectionsPerIP bounds concurrent connections from one IP
	// address (default 50; negative: no limit).
	MaxConnectionsPerIP int
	// MaxConnectionsPerNetwork bounds concurrent connections from one
	// network: the client's IPv4 /24 or IPv6 /64 (default 100; negative:
	// no limit). With the per-address limit it keeps a few clients from
	// taking every connection, as Postfix's anvil does per address.
	MaxConnectionsPerNetwork int
	// MaxErrors closes a connection with 421 after this many unrecognised
	// or malformed command lines (default 100; negative: no limit).
	MaxErrors int
	// AuthLimits slow and limit failed AUTH exchanges.
	AuthLimits AuthLimits
	// PathLimits raises the RFC 5321 4.5.3.1 path limits.
	PathLimits PathLimits
	// Timeouts are the RFC 5321 4.5.3.2 timeouts.
	Timeouts ServerTimeouts
	// Logger receives connection-level events; nil means silent. AUTH
	// payloads are never logged.
	Logger *slog.Logger

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*Conn]struct{}
	perIP     map[netip.Addr]int
	perNet    map[netip.Prefix]int
	stressed  atomic.Bool // at least 80% of MaxConnections in use
	authFails map[netip.Addr]authPenalty
	connWG    sync.WaitGroup
	closing   atomic.Bool // Close or Shutdown called
	shutdown  atomic.Bool // Shutdown called: answer 421 to new commands
	// bufPool recycles the per-connection read and write buffers (20 KiB)
	// between connections.
	bufPool sync.Pool
}

func (s *Server) hostname() string {
	if s.Hostname == "" {
		return "localhost"
	}
	return s.Hostname
}

func (s *Server) maxMessage() int64 {
	switch {
	case s.MaxMessageBytes == 0:
		return DefaultMaxMessageBytes
	case s.MaxMessageBytes < 0:
		return 0
	}
	return s.MaxMessageBytes
}

// abandonLimit is how much refused message data the server reads (to stay
// in sync) before it closes the connection instead: twice the size limit,
// at least 1 MiB; 0 when messages are unlimited.
func (s *Server) abandonLimit() int64 {
	if m := s.maxMessage(); m > 0 {
		return max(2*m, 1<<20)
	}
	return 0
}

func (s *Server) maxRecipients() int {
	switch {
	case s.MaxRecipients == 0:
		return DefaultMaxRecipients
	case s.MaxRecipients < 0:
		return int(^uint(0) >> 1)
	}
	return s.MaxRecipients
}

func (s *Server) maxCommandLine() int { return max(s.MaxCommandLine, DefaultMaxCommandLine) }

func (s *Server) commandTimeout() time.Duration {
	t := DefaultCommandTimeout
	if s.Timeouts.Command > 0 {
		t = s.Timeouts.Command
	}
	if s.stressed.Load() {
		t = min(t, s.stressTimeout())
	}
	return t
}

func (s *Server) stressTimeout() time.Duration {
	if s.Timeouts.Stress > 0 {
		return s.Timeouts.Stress
	}
	return DefaultStressTimeout
}

// clientNet is the network a client address counts against: its IPv4 /24
// or IPv6 /64.
func clientNet(ip netip.Addr) netip.Prefix {
	bits := 64
	if ip.Is4() {
		bits = 24
	}
	p, _ := ip.Prefix(bits)
	return p
}

// updateStress enters or leaves stress mode after the connection count
// changed (s.mu held). Entering it cuts short the wait of the connections
// idle at that moment.
func (s *Server) updateStress() {
	max := s.MaxConnections
	if max == 0 {
		max = DefaultMaxConnections
	}
	on := max > 0 && len(s.conns)*10 >= max*8
	if on == s.stressed.Load() {
		return
	}
	s.stressed.Store(on)
	if on {
		at := time.Now().Add(s.stressTimeout())
		for c := range s.conns {
			c.shorten(at)
		}
	}
}

func (s *Server) dataTimeout() time.Duration {
	if s.Timeouts.DataBlock > 0 {
		return s.Timeouts.DataBlock
	}
	return DefaultDataBlockTimeout
}

func limitOrDefault(v, def int) int {
	switch {
	case v == 0:
		return def
	case v < 0:
		return int(^uint(0) >> 1)
	}
	return v
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
// It returns ErrServerClosed after Close or Shutdown, or the listener's
// error. Serve closes l when it returns.
func (s *Server) Serve(l net.Listener) error {
	if s.Backend == nil {
		return errors.New("smtp: Server.Backend is nil")
	}
	s.mu.Lock()
	if s.closing.Load() {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	if s.listeners == nil {
		s.listeners = make(map[net.Listener]struct{})
	}
	s.listeners[l] = struct{}{}
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
		c := s.track(nc)
		if c == nil {
			continue
		}
		go c.serve()
	}
}

// temporaryAcceptError reports an accept error worth retrying: a timeout,
// or one that reports itself Temporary (EMFILE, ENFILE, ECONNABORTED).
func temporaryAcceptError(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// track registers a new connection, enforcing the connection limits. It
// returns nil if the connection was refused (it has been answered and
// closed).
func (s *Server) track(nc net.Conn) *Conn {
	ip := remoteIP(nc)
	s.mu.Lock()
	if s.conns == nil {
		s.conns = make(map[*Conn]struct{})
		s.perIP = make(map[netip.Addr]int)
		s.perNet = make(map[netip.Prefix]int)
	}
	refuse := ""
	switch {
	case s.closing.Load():
		refuse = "421 4.3.2 " + s.hostname() + " Service shutting down\r\n"
	case len(s.conns) >= limitOrDefault(s.MaxConnections, DefaultMaxConnections):
		refuse = "421 4.7.0 " + s.hostname() + " Too many connections, try again later\r\n"
	case ip.IsValid() && s.perIP[ip] >= limitOrDefault(s.MaxConnectionsPerIP, DefaultMaxConnectionsPerIP):
		refuse = "421 4.7.0 " + s.hostname() + " Too many connections from your address\r\n"
	case ip.IsValid() && s.perNet[clientNet(ip)] >= limitOrDefault(s.MaxConnectionsPerNetwork, DefaultMaxConnectionsPerNet):
		refuse = "421 4.7.0 " + s.hostname() + " Too many connections from your network\r\n"
	}
	if refuse != "" {
		s.mu.Unlock()
		s.logDebug("connection refused", "remote", nc.RemoteAddr(), "reason", refuse[10:len(refuse)-2])
		nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
		nc.Write([]byte(refuse))
		nc.Close()
		return nil
	}
	c := newConn(s, nc)
	c.ip = ip
	s.conns[c] = struct{}{}
	if ip.IsValid() {
		s.perIP[ip]++
		s.perNet[clientNet(ip)]++
	}
	s.updateStress()
	s.connWG.Add(1)
	s.mu.Unlock()
	return c
}

// release removes a connection from the limits' accounting; the
// connection calls connWG.Done itself once its sockets are closed.
func (s *Server) release(c *Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	if c.ip.IsValid() {
		if s.perIP[c.ip]--; s.perIP[c.ip] <= 0 {
			delete(s.perIP, c.ip)
		}
		n := clientNet(c.ip)
		if s.perNet[n]--; s.perNet[n] <= 0 {
			delete(s.perNet, n)
		}
	}
	s.updateStress()
	s.mu.Unlock()
}

func remoteIP(nc net.Conn) netip.Addr {
	if a, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		ip, _ := netip.AddrFromSlice(a.IP)
		return ip.Unmap()
	}
	return netip.Addr{}
}

// ServeConn serves one already-accepted connection in the calling
// goroutine, under the same limits as Serve, and returns when it ends.
func (s *Server) ServeConn(nc net.Conn) {
	if c := s.track(nc); c != nil {
		c.serve()
	}
}

// Close stops the listeners and closes every connection at once.
func (s *Server) Close() error {
	s.closing.Store(true)
	s.mu.Lock()
	for l := range s.listeners {
		l.Close()
	}
	for c := range s.conns {
		c.raw.Close()
		c.cancel()
	}
	s.mu.Unlock()
	return nil
}

// Shutdown stops the listeners and answers 421 4.3.2 to the next command
// on every connection, letting message data already being received finish
// (RFC 5321 3.8). It waits until every connection has ended or ctx is done;
// in the latter case it closes the remaining connections (cancelling their
// Sessions' contexts) and returns ctx's error at once.
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
		// Close the rest; a Session that ignores its ctx may still be
		// running when Shutdown returns.
		s.Close()
		return ctx.Err()
	}
}

func (s *Server) logDebug(msg string, args ...any) {
	if s.Logger != nil {
		s.Logger.Debug(msg, args...)
	}
}
