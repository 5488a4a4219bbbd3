package resolver

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// ServerConfig configures a Server. Its zero value serves a resolver with
// default Config to loopback clients.
type ServerConfig struct {
	// Resolver answers the queries. Default: New(Config{}).
	Resolver *Resolver
	// Validator, when set, answers the queries instead of Resolver,
	// validated (a validating forwarder, dnssec_server.go): AD on
	// secure data, SERVFAIL with the Extended DNS Error on bogus unless
	// the query set CD.
	Validator *Validator
	// Allowed lists the client networks served; others get REFUSED
	// (with Extended DNS Error 18, Prohibited). Default: 127.0.0.0/8 and
	// ::1/128.
	Allowed []netip.Prefix
	// MaxConcurrent caps the queries being resolved at once, UDP and
	// TCP together; a UDP query beyond it is dropped (the client
	// retries), a TCP connection waits. Default 1024.
	MaxConcurrent int
	// MaxTCPConns caps open TCP connections; more are closed at once.
	// Default 256.
	MaxTCPConns int
	// MaxTCPPipeline caps the queries in flight on one TCP connection
	// (RFC 7766 6.2.1.1 pipelining). Default 16.
	MaxTCPPipeline int
	// IdleTimeout closes a TCP connection with no query for this long
	// (RFC 7766 6.2.3). Default 10 s.
	IdleTimeout time.Duration
	// QueryTimeout bounds the time spent answering one query. Default
	// the resolver's Timeout plus one second.
	QueryTimeout time.Duration
	// UDPSize is the largest UDP response sent to an EDNS client
	// (capped further by the client's advertised size). Default 1232.
	UDPSize uint16
	// Logger receives debug logs; nil is silent.
	Logger *slog.Logger
}

// Server answers DNS queries over UDP and TCP from its Resolver
// (RFC 1035 4.2, RFC 7766). Create it with NewServer; serve with ServeUDP
// and ServeTCP (or ListenAndServe); stop with Shutdown or Close.
//
// A question the cache answers is answered by the goroutine that read it,
// without allocating; others get a goroutine of their own. Over UDP on
// Linux (amd64, arm64) each reader takes up to 32 datagrams per
// recvmmsg(2) and sends the cached answers with one sendmmsg(2)
// (udp_mmsg_linux.go); a datagram over 4096 octets is dropped there
// unanswered (a query is a question and an OPT record). Each reader
// keeps recent UDP answers prepacked (answercache.go).
type Server struct {
	cfg ServerConfig
	sem chan struct{}

	mu       sync.Mutex
	pcs      map[net.PacketConn]bool
	lns      map[net.Listener]bool
	conns    map[net.Conn]bool
	closing  atomic.Bool
	inflight sync.WaitGroup // handlers and connections
	dropped  atomic.Int64
	noBatch  bool // tests: the portable UDP loop even where recvmmsg exists

	// Set by Listen (under mu).
	boundUDP []net.PacketConn
	boundTCP net.Listener
	addr     netip.AddrPort
	ready    chan struct{}
}

// NewServer returns a Server with cfg's zero fields set to defaults.
func NewServer(cfg ServerConfig) *Server {
	if cfg.Resolver == nil {
		cfg.Resolver = New(Config{})
	}
	if cfg.Allowed == nil {
		cfg.Allowed = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	}
	setDefault(&cfg.MaxConcurrent, 1024)
	setDefault(&cfg.MaxTCPConns, 256)
	setDefault(&cfg.MaxTCPPipeline, 16)
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 10 * time.Second
	}
	if cfg.QueryTimeout <= 0 {
		cfg.QueryTimeout = cfg.Resolver.cfg.Timeout + time.Second
	}
	if cfg.UDPSize == 0 {
		cfg.UDPSize = 1232
	}
	cfg.UDPSize = max(cfg.UDPSize, 512)
	return &Server{
		cfg:   cfg,
		sem:   make(chan struct{}, cfg.MaxConcurrent),
		pcs:   make(map[net.PacketConn]bool),
		lns:   make(map[net.Listener]bool),
		conns: make(map[net.Conn]bool),
		ready: make(chan struct{}),
	}
}

// ListenAndServe is Listen then Serve: it listens on addr
// ("127.0.0.1:5353", or port 0 for any free port) over UDP and TCP and
// serves until Shutdown or Close. It returns ErrClosed then. Another
// goroutine learns the bound address from Addr once Ready is closed.
func (s *Server) ListenAndServe(addr string) error {
	if err := s.Listen(addr); err != nil {
		return err
	}
	return s.Serve()
}

// errListening is returned by a second Listen, and errNotListening by
// Serve without Listen.
const (
	errListening    = sentinel("resolver: server already listening")
	errNotListening = sentinel("resolver: Serve called before Listen")
)

// Listen binds addr over UDP (one socket per CPU where SO_REUSEPORT
// allows) and TCP, on the same port: with port 0 the port is chosen
// by the system for UDP and TCP is bound to the same one (another free
// port is tried when TCP's is taken). Once it returns nil, Addr tells
// the address, Ready is closed, and queries sent are queued by the
// kernel until Serve reads them.
func (s *Server) Listen(addr string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.boundUDP != nil {
		return errListening
	}
	if s.closing.Load() {
		return ErrClosed
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	anyPort := port == "0" || port == ""
	for try := 0; ; try++ {
		pcs, err := dnswire.ListenUDP(addr, runtime.GOMAXPROCS(0))
		if err != nil {
			return err
		}
		l, err := net.Listen("tcp", pcs[0].LocalAddr().String())
		if err != nil {
			for _, pc := range pcs {
				pc.Close()
			}
			if anyPort && try < 10 {
				continue
			}
			return err
		}
		s.boundUDP, s.boundTCP = pcs, l
		s.addr, _ = netip.ParseAddrPort(l.Addr().String())
		close(s.ready)
		return nil
	}
}

// Addr returns the address Listen bound (UDP and TCP share it), or the
// zero AddrPort before.
func (s *Server) Addr() netip.AddrPort {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Ready returns a channel closed once Listen has bound its sockets.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Serve answers queries on the sockets Listen bound until Shutdown or
// Close, then returns ErrClosed.
func (s *Server) Serve() error {
	s.mu.Lock()
	pcs, l := s.boundUDP, s.boundTCP
	s.mu.Unlock()
	if pcs == nil {
		return errNotListening
	}
	errc := make(chan error, len(pcs)+1)
	// With one socket per CPU, one reader each drains its socket
	// without contending with another for it.
	readers := 1
	if len(pcs) == 1 {
		readers = max(2, runtime.GOMAXPROCS(0))
	}
	for _, pc := range pcs {
		go func() { errc <- s.serveUDP(pc, readers) }()
	}
	go func() { errc <- s.ServeTCP(l) }()
	var first error
	for range len(pcs) + 1 {
		if err := <-errc; first == nil || errors.Is(first, ErrClosed) {
			first = err
		}
	}
	return first
}

// Dropped reports how many UDP queries were dropped because
// MaxConcurrent queries were already being answered.
func (s *Server) Dropped() int64 { return s.dropped.Load() }

// ServeUDP answers queries arriving on pc until Shutdown or Close, then
// returns ErrClosed. It closes pc when it returns.
func (s *Server) ServeUDP(pc net.PacketConn) error {
	return s.serveUDP(pc, max(2, runtime.GOMAXPROCS(0)))
}

// serveUDP runs readers goroutines reading pc.
func (s *Server) serveUDP(pc net.PacketConn, readers int) error {
	if !track(s, s.pcs, pc) {
		pc.Close()
		return ErrClosed
	}
	defer untrack(s, s.pcs, pc)
	defer pc.Close()
	// Each reader answers cache hits inline and hands misses to a
	// goroutine of their own.
	n := readers
	errc := make(chan error, n)
	for range n {
		go func() { errc <- s.udpLoop(pc) }()
	}
	var first error
	for range n {
		if err := <-errc; first == nil || errors.Is(first, ErrClosed) {
			first = err
		}
	}
	return first
}

func (s *Server) udpLoop(pc net.PacketConn) error {
	uc, _ := pc.(*net.UDPConn)
	if uc != nil && !s.noBatch {
		// Linux: several datagrams per system call (udp_mmsg_linux.go).
		if ok, err := s.udpLoopBatch(uc); ok {
			return err
		}
	}
	buf := make([]byte, 65535)
	out := make([]byte, 0, 1500)
	pk := newPackedAnswers()
	for {
		var (
			n    int
			from net.Addr
			ap   netip.AddrPort
			err  error
		)
		if uc != nil {
			n, ap, err = uc.ReadFromUDPAddrPort(buf)
		} else {
			n, from, err = pc.ReadFrom(buf)
			if err == nil {
				ap, _ = netip.ParseAddrPort(from.String())
			}
		}
		if err != nil {
			if s.closing.Load() || errors.Is(err, net.ErrClosed) {
				return ErrClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			pc.Close() // stop the other readers too
			return err
		}
		client := ap.Addr().Unmap()
		if resp, ok := s.answerUDP(pk, buf[:n], client, out[:0]); ok {
			if uc != nil {
				uc.WriteToUDPAddrPort(resp, ap)
			} else {
				pc.WriteTo(resp, from)
			}
			out = resp[:0]
			continue
		}
		s.udpSlow(pc, buf[:n], ap, from)
	}
}

// udpSlow answers a UDP query that fastRespond could not in a goroutine
// of its own (it may wait for upstream servers), within MaxConcurrent:
// beyond it the query is dropped. It copies query; from may be nil.
func (s *Server) udpSlow(pc net.PacketConn, query []byte, ap netip.AddrPort, from net.Addr) {
	select {
	case s.sem <- struct{}{}:
	default:
		if s.dropped.Add(1)&1023 == 1 && s.cfg.Logger != nil {
			s.cfg.Logger.Warn("resolver: server busy, dropping UDP queries", "dropped", s.dropped.Load())
		}
		return
	}
	if from == nil {
		from = net.UDPAddrFromAddrPort(ap)
	}
	client := ap.Addr().Unmap()
	q := append([]byte(nil), query...)
	s.inflight.Add(1)
	go func() {
		defer s.inflight.Done()
		defer func() { <-s.sem }()
		if resp := s.respond(q, client, false); resp != nil {
			pc.WriteTo(resp, from)
		}
	}()
}

// ServeTCP accepts connections on l until Shutdown or Close, then returns
// ErrClosed. Each connection carries any number of length-prefixed
// queries (RFC 7766 6.2.1), answered possibly out of order.
func (s *Server) ServeTCP(l net.Listener) error {
	if !track(s, s.lns, l) {
		l.Close()
		return ErrClosed
	}
	defer untrack(s, s.lns, l)
	defer l.Close()
	var delay time.Duration
	for {
		c, err := l.Accept()
		if err != nil {
			if s.closing.Load() || errors.Is(err, net.ErrClosed) {
				return ErrClosed
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
		s.mu.Lock()
		full := len(s.conns) >= s.cfg.MaxTCPConns
		s.mu.Unlock()
		if full || !track(s, s.conns, c) {
			c.Close()
			continue
		}
		s.inflight.Add(1)
		go func() {
			defer s.inflight.Done()
			defer untrack(s, s.conns, c)
			defer c.Close()
			s.serveConn(c)
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

func (s *Server) serveConn(c net.Conn) {
	client := addrOf(c.RemoteAddr())
	var wmu sync.Mutex
	pipe := make(chan struct{}, s.cfg.MaxTCPPipeline)
	var wg sync.WaitGroup
	defer wg.Wait()
	var l [2]byte
	out := make([]byte, 2, 1500) // length prefix, then the message
	in := make([]byte, 65535)
	for {
		c.SetReadDeadline(time.Now().Add(s.cfg.IdleTimeout))
		// Checked after setting the deadline: Shutdown sets closing
		// before it moves the deadlines into the past, so either we
		// see closing here or our read is woken.
		if s.closing.Load() {
			return
		}
		if _, err := io.ReadFull(c, l[:]); err != nil {
			return
		}
		// Read into the connection's buffer first and copy only what
		// arrived: never allocate by the length the client claims.
		msg := in[:binary.BigEndian.Uint16(l[:])]
		if _, err := io.ReadFull(c, msg); err != nil {
			return
		}
		q := msg
		if resp, ok := s.fastRespond(q, client, true, out[:2]); ok {
			binary.BigEndian.PutUint16(resp, uint16(len(resp)-2))
			wmu.Lock()
			c.SetWriteDeadline(time.Now().Add(s.cfg.IdleTimeout))
			_, err := c.Write(resp)
			wmu.Unlock()
			if err != nil {
				return
			}
			out = resp[:0]
			continue
		}
		q = append([]byte(nil), msg...)
		pipe <- struct{}{}
		s.sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-s.sem; <-pipe }()
			resp := s.respond(q, client, true)
			if resp == nil {
				return
			}
			w := make([]byte, 2+len(resp))
			binary.BigEndian.PutUint16(w, uint16(len(resp)))
			copy(w[2:], resp)
			wmu.Lock()
			c.SetWriteDeadline(time.Now().Add(s.cfg.IdleTimeout))
			c.Write(w) // RFC 7766 8: prefix and message in one write
			wmu.Unlock()
		}()
	}
}

func addrOf(a net.Addr) netip.Addr {
	switch v := a.(type) {
	case *net.UDPAddr:
		return v.AddrPort().Addr().Unmap()
	case *net.TCPAddr:
		return v.AddrPort().Addr().Unmap()
	}
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

func track[T comparable](s *Server, m map[T]bool, v T) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		return false
	}
	m[v] = true
	return true
}

func untrack[T comparable](s *Server, m map[T]bool, v T) {
	s.mu.Lock()
	delete(m, v)
	s.mu.Unlock()
}

// Shutdown stops accepting queries and connections, lets the queries in
// flight finish (their answers are sent), closes idle TCP connections,
// and returns when all is done or ctx ends (then it closes everything
// and returns ctx's error).
func (s *Server) Shutdown(ctx context.Context) error {
	s.closing.Store(true)
	s.mu.Lock()
	for pc := range s.pcs {
		pc.Close()
	}
	for l := range s.lns {
		l.Close()
	}
	s.closeBound()
	for c := range s.conns {
		// Wake readers blocked waiting for the next query; writers
		// of answers in flight are not affected.
		c.SetReadDeadline(time.Unix(1, 0))
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.inflight.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.Close()
		<-done
		return ctx.Err()
	}
}

// Close stops the server at once, closing every socket.
func (s *Server) Close() error {
	s.closing.Store(true)
	s.mu.Lock()
	for pc := range s.pcs {
		pc.Close()
	}
	for l := range s.lns {
		l.Close()
	}
	s.closeBound()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	return nil
}

// closeBound closes the sockets Listen bound (Serve may never have run).
// s.mu is held.
func (s *Server) closeBound() {
	for _, pc := range s.boundUDP {
		pc.Close()
	}
	if s.boundTCP != nil {
		s.boundTCP.Close()
	}
}
