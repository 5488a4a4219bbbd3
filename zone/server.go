package zone

import (
	"context"
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

// Server defaults.
const (
	DefaultUDPSize        = 1232             // RFC 6891 6.2.5, DNS flag day 2020
	DefaultIdleTimeout    = 10 * time.Second // RFC 7766 6.2.3: seconds, not minutes
	DefaultMaxConnections = 512
	DefaultMaxConnsPerIP  = 16
	DefaultTCPQueries     = 10000 // queries answered on one TCP connection
)

// ErrServerClosed is returned by Serve and ServePacket after Shutdown or
// Close.
var ErrServerClosed = errors.New("zone: server closed")

// Server is an authoritative DNS server for any number of zones (RFC
// 1034, 1035) over UDP and TCP (RFC 7766). The zero value serves no zones
// and answers REFUSED; add zones with AddZone at any time. Set the other
// fields before serving.
type Server struct {
	// UDPSize is the EDNS0 payload size advertised and the most a UDP
	// response may hold (default DefaultUDPSize).
	UDPSize uint16
	// IdleTimeout closes a TCP connection that sends no query for this
	// long (default DefaultIdleTimeout).
	IdleTimeout time.Duration
	// MaxConnections bounds open TCP connections (default
	// DefaultMaxConnections); MaxConnsPerIP bounds them per client
	// address (default DefaultMaxConnsPerIP). Connections over a limit
	// are closed at once.
	MaxConnections int
	MaxConnsPerIP  int
	// Rotate, when true, turns the order of every answer RRset with more
	// than one record by one place from answer to answer (round-robin,
	// as BIND's rrset-order cyclic and NSD's round-robin do), so clients
	// that take the first address spread over all of them (load
	// distribution). RFC 2181 5 leaves the order of an RRset free.
	Rotate bool
	// UDPReaders is the number of goroutines ListenAndServe starts to
	// read and answer UDP, each with its own buffers (default
	// GOMAXPROCS). On Linux each gets its own socket on the same port
	// (dnswire.ListenUDP, SO_REUSEPORT), so they do not take turns at one
	// socket; elsewhere they share one. ServePacket may likewise be
	// called several times on one socket. On Linux (amd64, arm64) each
	// reader takes up to 16 waiting datagrams per system call and sends
	// their answers in one more (recvmmsg, sendmmsg; dnswire.PacketBatch).
	// When the server shares its cores with a busy local client, one
	// reader spends less CPU per answer and answers more than one per
	// core: each further busy reader costs thread wake-ups on cores the
	// client needs (bench/results/zone.md).
	UDPReaders int
	// RateLimit, when set, limits responses per client network (RRL).
	RateLimit *RateLimit
	// Keys are the TSIG keys (RFC 8945) the server accepts. Queries may
	// be signed with any of them; UPDATE must be.
	Keys []*dnswire.TSIGKey
	// UpdatePolicy says which key may change what (RFC 3007). UPDATE
	// (RFC 2136) is refused unless signed with a key and allowed here;
	// nil refuses every UPDATE.
	UpdatePolicy []UpdateRule
	// Resign, when set, is given every zone an UPDATE produces and
	// returns it signed (e.g. with Sign and the zone's keys), so a
	// signed zone stays signed: new RRSIGs, NSEC or NSEC3 chain. The
	// journal and IXFR then carry the signed difference. Nil serves the
	// updated zone as the update left it (stale signatures on a signed
	// zone; re-sign it and AddZone it again).
	Resign func(*Zone) (*Zone, error)
	// JournalDir, when set, makes updates durable: each zone added has a
	// journal and snapshot there (see AddZone), and an UPDATE is
	// answered NOERROR only after its journal entry is fsynced. Empty
	// keeps changes in memory only.
	JournalDir string
	// CompactEvery is the number of journal entries after which the
	// zone is written as a snapshot and the journal emptied (default
	// 1000).
	CompactEvery int
	// TransferFrom and TransferKeys allow zone transfers (AXFR, IXFR
	// over TCP) to clients in these networks or signing with these keys
	// (RFC 5936 6). Both empty: no transfers.
	TransferFrom []netip.Prefix
	TransferKeys []dnswire.Name
	// Notify lists the secondaries told of every change by NOTIFY (RFC
	// 1996), for every zone.
	Notify []netip.AddrPort
	// Logger receives debug and error lines; nil is silent.
	Logger *slog.Logger
	// Now is the clock for TSIG times and rate limits (default time.Now);
	// network deadlines always use the wall clock.
	Now func() time.Time

	zones    atomic.Pointer[zoneSet]
	turn     atomic.Uint32 // answers rotated so far (Rotate)
	zmu      sync.Mutex    // serialises zone set changes
	umu      sync.Mutex    // serialises updates
	journals map[dnswire.Name]*journal

	followers map[dnswire.Name]*follower // secondary zones, under mu

	mu        sync.Mutex
	closed    bool
	listeners map[net.Listener]struct{}
	packets   map[net.PacketConn]struct{}
	conns     map[net.Conn]bool // value: busy answering
	perIP     map[netip.Addr]int
	wg        sync.WaitGroup
	done      chan struct{}
	bound     []net.Addr

	pool sync.Pool
	// noBatch makes ServePacket read and write one datagram per system
	// call even where it could batch (tests compare the two).
	noBatch bool
}

// AddZone serves z, replacing any zone with the same origin. Queries in
// flight keep the zone set they started with. With JournalDir set, the
// zone's snapshot there (when its serial is newer than z's) and then its
// journal are applied first, so changes acknowledged before a crash or
// restart are served again; a half-written journal tail is cut off.
func (s *Server) AddZone(z *Zone) error {
	if s.JournalDir != "" {
		nz, j, err := openJournal(s.JournalDir, z)
		if err != nil {
			return err
		}
		s.umu.Lock()
		if s.journals == nil {
			s.journals = make(map[dnswire.Name]*journal)
		}
		if old := s.journals[z.origin.Lower()]; old != nil {
			old.close()
		}
		s.journals[z.origin.Lower()] = j
		s.umu.Unlock()
		z = nz
	}
	s.swapZone(z)
	return nil
}

// swapZone puts z in the zone set.
func (s *Server) swapZone(z *Zone) {
	s.zmu.Lock()
	defer s.zmu.Unlock()
	old := s.zones.Load()
	n := &zoneSet{m: make(map[dnswire.Name]*Zone)}
	if old != nil {
		for k, v := range old.m {
			n.m[k] = v
		}
	}
	n.m[z.origin.Lower()] = z
	s.zones.Store(n)
}

// RemoveZone stops serving the zone at origin.
func (s *Server) RemoveZone(origin dnswire.Name) {
	s.zmu.Lock()
	defer s.zmu.Unlock()
	old := s.zones.Load()
	if old == nil {
		return
	}
	n := &zoneSet{m: make(map[dnswire.Name]*Zone)}
	for k, v := range old.m {
		if !k.Equal(origin) {
			n.m[k] = v
		}
	}
	s.zones.Store(n)
}

// Zone returns the zone served at origin, or nil.
func (s *Server) Zone(origin dnswire.Name) *Zone {
	zs := s.zones.Load()
	if zs == nil {
		return nil
	}
	return zs.m[origin.Lower()]
}

// Handle answers one query message and returns the response appended to
// out, or nil when no response is due (the message was a response, or
// shorter than a header). tcp selects the TCP size limit; the result
// carries no length prefix. It is the whole query path the listeners use,
// exposed for tests and for callers with their own transport.
func (s *Server) Handle(msg []byte, tcp bool, out []byte) []byte {
	r := s.getResponder()
	defer s.pool.Put(r)
	return r.respond(s.zones.Load(), s.limits(), msg, tcp, out)
}

func (s *Server) getResponder() *responder {
	if r, ok := s.pool.Get().(*responder); ok {
		return r
	}
	return newResponder()
}

func (s *Server) limits() limits {
	return limits{udpSize: s.udpSize(), srv: s}
}

func (s *Server) udpSize() uint16 {
	if s.UDPSize < 512 {
		return DefaultUDPSize
	}
	return s.UDPSize
}

func (s *Server) udpReaders() int {
	if s.UDPReaders > 0 {
		return s.UDPReaders
	}
	return runtime.GOMAXPROCS(0)
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Server) idle() time.Duration {
	if s.IdleTimeout > 0 {
		return s.IdleTimeout
	}
	return DefaultIdleTimeout
}

func (s *Server) logDebug(msg string, args ...any) {
	if s.Logger != nil {
		s.Logger.Debug(msg, args...)
	}
}

func (s *Server) init() {
	if s.listeners == nil {
		s.listeners = make(map[net.Listener]struct{})
		s.packets = make(map[net.PacketConn]struct{})
		s.conns = make(map[net.Conn]bool)
		s.perIP = make(map[netip.Addr]int)
		s.done = make(chan struct{})
	}
}

// ListenAndServe listens on addr ("127.0.0.1:0" for any free port) over
// both UDP and TCP on the same port, serves in the background and returns
// once both sockets are bound; Addr then tells where. Stop it with
// Shutdown or Close.
func (s *Server) ListenAndServe(addr string) error {
	for try := 0; ; try++ {
		readers := s.udpReaders()
		pcs, err := dnswire.ListenUDP(addr, readers)
		if err != nil {
			return err
		}
		l, err := net.Listen("tcp", pcs[0].LocalAddr().String())
		if err != nil {
			for _, pc := range pcs {
				pc.Close()
			}
			if _, port, _ := net.SplitHostPort(addr); port == "0" && try < 10 {
				continue // the UDP port was taken for TCP: pick another
			}
			return err
		}
		s.mu.Lock()
		s.init()
		s.bound = append(s.bound, l.Addr())
		s.mu.Unlock()
		go s.Serve(l)
		// One reader per socket; readers left over (no SO_REUSEPORT:
		// ListenUDP gave fewer sockets) share the sockets there are.
		for i := range readers {
			go s.ServePacket(pcs[i%len(pcs)])
		}
		return nil
	}
}

// Addr returns the address bound by the first ListenAndServe (UDP and TCP
// share it), or the zero AddrPort.
func (s *Server) Addr() netip.AddrPort {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.bound) == 0 {
		return netip.AddrPort{}
	}
	if a, ok := s.bound[0].(*net.TCPAddr); ok {
		return a.AddrPort()
	}
	return netip.AddrPort{}
}

// ServePacket answers queries arriving on pc until Shutdown or Close.
// Each datagram gets at most one response (RFC 1035 4.2.1). Several
// goroutines may serve one socket. A *net.UDPConn is served in batches
// (dnswire.PacketBatch: many datagrams per system call on Linux); other
// PacketConns one datagram at a time.
func (s *Server) ServePacket(pc net.PacketConn) error {
	s.mu.Lock()
	s.init()
	if s.closed {
		s.mu.Unlock()
		pc.Close()
		return ErrServerClosed
	}
	s.packets[pc] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	r := newResponder()
	if udp, ok := pc.(*net.UDPConn); ok && !s.noBatch {
		return s.serveBatch(r, udp)
	}
	in := make([]byte, 65535)
	out := make([]byte, 0, 65535)
	// A *net.UDPConn reads and writes with netip.AddrPort, which costs
	// no allocation per datagram (ReadFrom allocates a *net.UDPAddr).
	udp, _ := pc.(*net.UDPConn)
	for {
		var (
			n    int
			ap   netip.AddrPort
			from net.Addr
			err  error
		)
		if udp != nil {
			n, ap, err = udp.ReadFromUDPAddrPort(in)
		} else if n, from, err = pc.ReadFrom(in); err == nil {
			ap, _ = addrOf(from)
		}
		if err != nil {
			if s.isClosed() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		resp := s.answerDatagram(r, in[:n], ap, out[:0])
		if resp == nil {
			continue
		}
		if udp != nil {
			_, err = udp.WriteToUDPAddrPort(resp, ap)
		} else {
			_, err = pc.WriteTo(resp, from)
		}
		if err != nil {
			s.logDebug("zone: udp write", "to", ap, "err", err)
		}
	}
}

// udpBatch is how many datagrams serveBatch reads and answers per
// system call (recvmmsg and sendmmsg on Linux).
const udpBatch = 16

// serveBatch is ServePacket's loop for a *net.UDPConn: it reads the
// datagrams waiting (up to udpBatch) in one system call, answers them
// and sends the answers in one more, where ServePacket's portable loop
// makes two calls per datagram. NSD likewise batches with recvmmsg and
// sendmmsg.
func (s *Server) serveBatch(r *responder, udp *net.UDPConn) error {
	b, err := dnswire.NewPacketBatch(udp, udpBatch)
	if err != nil {
		return err
	}
	in := make([]dnswire.Datagram, b.Size())
	out := make([][]byte, b.Size())
	for i := range in {
		in[i].Buf = make([]byte, 65535)
		out[i] = make([]byte, 0, 65535)
	}
	wr := make([]dnswire.Datagram, 0, b.Size())
	for {
		n, err := b.ReadBatch(in)
		if err != nil {
			if s.isClosed() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		wr = wr[:0]
		for i := range n {
			resp := s.answerDatagram(r, in[i].Buf[:in[i].N], in[i].Addr, out[i][:0])
			if resp != nil {
				wr = append(wr, dnswire.Datagram{Buf: resp, N: len(resp), Addr: in[i].Addr})
			}
		}
		if len(wr) == 0 {
			continue
		}
		if _, err := b.WriteBatch(wr); err != nil {
			s.logDebug("zone: udp write", "err", err)
		}
	}
}

// answerDatagram answers one query that came over UDP from ap into out
// and returns the response, or nil when none is to be sent (RRL drops
// it, or the datagram deserves no answer).
func (s *Server) answerDatagram(r *responder, msg []byte, ap netip.AddrPort, out []byte) []byte {
	var resp []byte
	if isNotify(msg) {
		resp = s.answerNotify(msg, ap.Addr(), out)
	} else {
		resp = r.respond(s.zones.Load(), s.limits(), msg, false, out)
	}
	if resp == nil {
		return nil
	}
	if s.RateLimit != nil && ap.IsValid() {
		switch s.RateLimit.decide(ap.Addr().Unmap(), s.now()) {
		case rrlDrop:
			return nil
		case rrlSlip:
			resp = slip(resp)
		}
	}
	return resp
}

// slip turns a response into an empty truncated one (RRL "slip"): the
// client retries over TCP, which a spoofed source cannot.
func slip(resp []byte) []byte {
	var p dnswire.Parser
	if _, err := p.Start(resp); err != nil {
		return resp
	}
	if _, err := p.Question(); err != nil {
		return resp
	}
	end := p.Offset()
	resp = resp[:end]
	resp[2] |= 0x02 // TC
	for i := 6; i < 12; i++ {
		resp[i] = 0
	}
	return resp
}

func addrOf(a net.Addr) (netip.AddrPort, bool) {
	switch v := a.(type) {
	case *net.UDPAddr:
		return v.AddrPort(), true
	case *net.TCPAddr:
		return v.AddrPort(), true
	}
	ap, err := netip.ParseAddrPort(a.String())
	return ap, err == nil
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Serve accepts TCP connections on l until Shutdown or Close. Each
// connection may carry many pipelined queries (RFC 7766 6.2.1); answers
// go back in order.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	s.init()
	if s.closed {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	s.listeners[l] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	var delay time.Duration
	for {
		c, err := l.Accept()
		if err != nil {
			if s.isClosed() {
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
		if !s.admit(c) {
			c.Close()
			continue
		}
		go s.serveConn(c)
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

// admit counts c against the connection limits.
func (s *Server) admit(c net.Conn) bool {
	ap, _ := addrOf(c.RemoteAddr())
	maxAll := s.MaxConnections
	if maxAll <= 0 {
		maxAll = DefaultMaxConnections
	}
	maxIP := s.MaxConnsPerIP
	if maxIP <= 0 {
		maxIP = DefaultMaxConnsPerIP
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || len(s.conns) >= maxAll || s.perIP[ap.Addr()] >= maxIP {
		return false
	}
	s.conns[c] = false
	s.perIP[ap.Addr()]++
	s.wg.Add(1)
	return true
}

func (s *Server) release(c net.Conn) {
	ap, _ := addrOf(c.RemoteAddr())
	s.mu.Lock()
	delete(s.conns, c)
	if s.perIP[ap.Addr()]--; s.perIP[ap.Addr()] <= 0 {
		delete(s.perIP, ap.Addr())
	}
	s.mu.Unlock()
	c.Close()
	s.wg.Done()
}

// setBusy marks c busy or idle; it reports false when the server is
// shutting down and c should close instead of reading more.
func (s *Server) setBusy(c net.Conn, busy bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed && !busy {
		return false
	}
	s.conns[c] = busy
	return true
}

func (s *Server) serveConn(c net.Conn) {
	defer s.release(c)
	r := newResponder()
	in := make([]byte, 0, 4096)
	out := make([]byte, 2, 4096)
	for n := 0; n < DefaultTCPQueries; n++ {
		if !s.setBusy(c, false) {
			return
		}
		// RFC 7766 6.2.3: close idle connections after a while.
		_ = c.SetReadDeadline(time.Now().Add(s.idle()))
		msg, err := dnswire.ReadTCP(c, in[:0])
		if err != nil {
			if err != io.EOF {
				s.logDebug("zone: tcp read", "from", c.RemoteAddr(), "err", err)
			}
			return
		}
		if !s.setBusy(c, true) {
			return
		}
		if cap(msg) > cap(in) && cap(msg) <= 65537 {
			in = msg[:0]
		}
		if isTransfer(msg) && s.transfer(c, msg) {
			continue
		}
		if isNotify(msg) {
			ap, _ := addrOf(c.RemoteAddr())
			if resp := s.answerNotify(msg, ap.Addr(), nil); resp != nil {
				_ = c.SetWriteDeadline(time.Now().Add(s.idle()))
				if dnswire.WriteTCP(c, resp) != nil {
					return
				}
			}
			continue
		}
		resp := s.respondTCP(r, c, msg, out[:2])
		if resp == nil {
			continue
		}
		_ = c.SetWriteDeadline(time.Now().Add(s.idle()))
		if _, err := c.Write(resp); err != nil {
			return
		}
		if cap(resp) > cap(out) {
			out = resp[:2]
		}
	}
}

// respondTCP answers one TCP query into out (which holds 2 bytes for the
// length prefix) and fills in the prefix.
func (s *Server) respondTCP(r *responder, c net.Conn, msg, out []byte) []byte {
	resp := r.respond(s.zones.Load(), s.limits(), msg, true, out)
	if len(resp) <= 2 {
		return nil
	}
	n := len(resp) - 2
	resp[0], resp[1] = byte(n>>8), byte(n)
	return resp
}

// Close stops the server at once: listeners and connections are closed.
func (s *Server) Close() error {
	s.mu.Lock()
	s.init()
	s.closeLocked()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	s.closeJournals()
	return nil
}

func (s *Server) closeJournals() {
	s.umu.Lock()
	defer s.umu.Unlock()
	for k, j := range s.journals {
		j.close()
		delete(s.journals, k)
	}
}

func (s *Server) closeLocked() {
	if s.closed {
		return
	}
	s.closed = true
	close(s.done)
	for l := range s.listeners {
		l.Close()
	}
	for pc := range s.packets {
		pc.Close()
	}
}

// Shutdown stops accepting queries, closes idle TCP connections, lets
// connections finish the query they are answering, and waits for all of
// that until ctx ends (then it closes what is left and returns ctx's
// error).
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.init()
	s.closeLocked()
	for c, busy := range s.conns {
		if !busy {
			c.Close()
		} else {
			// Unblock the next read once the answer is written.
			_ = c.SetReadDeadline(time.Now())
		}
	}
	s.mu.Unlock()
	waited := make(chan struct{})
	go func() { s.wg.Wait(); close(waited) }()
	select {
	case <-waited:
		s.closeJournals()
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		<-waited
		s.closeJournals()
		return ctx.Err()
	}
}
