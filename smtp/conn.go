package smtp

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Conn is one server-side connection, given to Backend.NewSession. Its
// methods may be called from the Session's methods.
type Conn struct {
	srv    *Server
	raw    net.Conn // the accepted connection; deadlines and Close go here
	nc     net.Conn // raw, or the *tls.Conn after STARTTLS
	ip     netip.Addr
	ctx    context.Context
	cancel context.CancelFunc
	br     *bufio.Reader
	bw     *bufio.Writer
	rd     connReader
	wr     connWriter
	sess   Session
	parser CommandParser

	tlsState  *tls.ConnectionState
	helo      string
	esmtp     bool
	authed    bool
	quit      bool
	errs      int // unrecognised or malformed commands so far
	authFails int // failed AUTH exchanges so far
	ehloCache string

	// transaction state
	inTx         bool
	utf8         bool
	rcpts        int
	rcptAttempts int
	bdatFailed   bool // a BDAT failed: discard chunks until LAST or RSET
	mailOpts     MailOptions
	rcptOpts     RcptOptions
	dr           DataReader
	bd           bdatReader
	lmtpResults  []error

	lastFrom  string
	rcptCache [8]string
	rcptNext  int
	scratch   []byte
	pending   []byte // a command that arrived in place of a BDAT chunk

	mu       sync.Mutex // guards inData, woken and stressBy against Shutdown and stress
	inData   bool
	woken    bool
	stressBy time.Time // when set: the current command wait ends by then (stress)
}

// RemoteAddr returns the client's address.
func (c *Conn) RemoteAddr() net.Addr { return c.raw.RemoteAddr() }

// LocalAddr returns the server's address of the connection.
func (c *Conn) LocalAddr() net.Addr { return c.raw.LocalAddr() }

// TLS returns the TLS state: after STARTTLS, or from the start when the
// Server was given a TLS listener (implicit TLS, RFC 8314); nil otherwise.
func (c *Conn) TLS() *tls.ConnectionState { return c.tlsState }

// Hello returns the argument of the client's HELO, EHLO or LHLO, "" before.
func (c *Conn) Hello() string { return c.helo }

// Server returns the Server serving the connection.
func (c *Conn) Server() *Server { return c.srv }

type connBufs struct {
	br *bufio.Reader
	bw *bufio.Writer
}

func newConn(s *Server, nc net.Conn) *Conn {
	c := &Conn{srv: s, raw: nc, nc: nc}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.rd.c, c.wr.c = c, c
	if b, ok := s.bufPool.Get().(*connBufs); ok {
		b.br.Reset(&c.rd)
		b.bw.Reset(&c.wr)
		c.br, c.bw = b.br, b.bw
	} else {
		c.br = bufio.NewReaderSize(&c.rd, defaultReadBufferSize)
		c.bw = bufio.NewWriterSize(&c.wr, defaultWriteBufferSize)
	}
	c.parser.Limits = s.PathLimits
	c.dr.MaxSize = s.maxMessage()
	c.dr.MaxLineLength = s.MaxDataLine
	c.dr.abandonAt = s.abandonLimit()
	c.scratch = make([]byte, 0, 256)
	return c
}

// connReader reads from the connection with the current deadline, and
// flushes pending replies first: bufio.Reader only calls it when it has to
// wait for the client, which is exactly when RFC 2920 3.2 says the server
// must send the replies of the commands received so far. A pipelined
// group's replies therefore leave in one write.
//
// The clock is read once per network read, not per command or reply:
// on virtual machines time.Now costs about half a microsecond, and a
// pipelined message would otherwise read it seven times (see
// bench/results/smtp.md).
type connReader struct {
	c *Conn
	// deadline ends the wait for the current command; zero means the
	// wait has not begun, and the first network read sets it to now plus
	// the command timeout, so a command that was already buffered costs
	// no clock read, and a command dribbled over several reads still has
	// one deadline (no slowloris).
	deadline time.Time
	set      time.Time     // deadline last set on the connection
	rolling  time.Duration // when > 0: each read gets now+rolling (data)
}

var errShutdown = sentinel("smtp: server shutting down")

// startCommand begins the wait for a command: its deadline starts with
// the first read that has to wait for the network.
func (r *connReader) startCommand() { r.deadline = time.Time{} }

func (r *connReader) Read(p []byte) (int, error) {
	c := r.c
	now := time.Now()
	if c.bw.Buffered() > 0 {
		c.wr.now = now
		err := c.bw.Flush()
		c.wr.now = time.Time{}
		if err != nil {
			return 0, err
		}
	}
	timeout := c.srv.commandTimeout()
	c.mu.Lock()
	if c.woken && !c.inData {
		c.mu.Unlock()
		return 0, errShutdown
	}
	var err error
	if r.rolling > 0 {
		// RFC 5321 4.5.3.2.5: each read of data gets the data block
		// timeout; moves by less than 1/16 of it are skipped, as below.
		if d := now.Add(r.rolling).Sub(r.set); d > r.rolling/16 || d < 0 {
			r.set = now.Add(r.rolling)
			err = c.raw.SetReadDeadline(r.set)
		}
	} else {
		if r.deadline.IsZero() {
			r.deadline = now.Add(timeout)
		}
		deadline := r.deadline
		if !c.stressBy.IsZero() && c.stressBy.Before(deadline) {
			deadline = c.stressBy
		}
		if d := deadline.Sub(r.set); d > timeout/16 || d < 0 {
			// Moving the deadline costs a syscall-ish lock; skip moves
			// that change it by less than 1/16 of the timeout.
			err = c.raw.SetReadDeadline(deadline)
			r.set = deadline
		}
	}
	c.mu.Unlock()
	if err != nil {
		return 0, err
	}
	return c.nc.Read(p)
}

// connWriter writes to the connection under the command timeout.
type connWriter struct {
	c   *Conn
	set time.Time // the write deadline last set
	now time.Time // when non-zero: the clock read by the flushing Read
}

func (w *connWriter) Write(p []byte) (int, error) {
	c := w.c
	now := w.now
	if now.IsZero() {
		now = time.Now()
	}
	timeout := c.srv.commandTimeout()
	if w.set.Sub(now) < timeout-timeout/16 {
		w.set = now.Add(timeout)
		if err := c.raw.SetWriteDeadline(w.set); err != nil {
			return 0, err
		}
	}
	return c.nc.Write(p)
}

// wake makes a connection waiting for a command give up its read, so it
// can answer 421 (Shutdown). A connection receiving message data is left
// alone.
func (c *Conn) wake() {
	c.mu.Lock()
	c.woken = true
	if !c.inData {
		c.raw.SetReadDeadline(time.Unix(1, 0))
	}
	c.mu.Unlock()
}

// shorten makes the connection's current wait for a command end by at
// (stress mode); message data being received is left alone.
func (c *Conn) shorten(at time.Time) {
	c.mu.Lock()
	c.stressBy = at
	if !c.inData {
		c.raw.SetReadDeadline(at)
	}
	c.mu.Unlock()
}

func (c *Conn) setInData(v bool) {
	c.mu.Lock()
	c.inData = v
	c.mu.Unlock()
	if v {
		c.rd.rolling = c.srv.dataTimeout()
	} else {
		c.rd.rolling = 0
	}
}

func (c *Conn) close() {
	c.bw.Flush()
	if c.sess != nil {
		c.sess.Logout(c.ctx)
		c.sess = nil
	}
	c.cancel()
	// Free the connection's slot before the client can see the close, so
	// a client that reconnects after EOF is never refused for it.
	c.srv.release(c)
	c.nc.Close()
	c.raw.Close()
	c.br.Reset(nil)
	c.bw.Reset(nil)
	c.srv.bufPool.Put(&connBufs{br: c.br, bw: c.bw})
	c.srv.connWG.Done()
}

func (c *Conn) serve() {
	defer c.close()
	s := c.srv
	if tc, ok := c.raw.(*tls.Conn); ok {
		// Implicit TLS (RFC 8314 3.3, a listener from tls.NewListener):
		// finish the handshake first, so the Session sees the TLS state.
		c.raw.SetDeadline(time.Now().Add(s.commandTimeout()))
		if err := tc.HandshakeContext(c.ctx); err != nil {
			s.logDebug("TLS handshake failed", "remote", c.raw.RemoteAddr(), "err", err)
			return
		}
		c.raw.SetDeadline(time.Time{})
		st := tc.ConnectionState()
		c.tlsState = &st
	}
	sess, err := s.Backend.NewSession(c.ctx, c)
	if err != nil {
		c.replyError(err, 421, EnhancedCode{4, 3, 2}, "Service not available, closing transmission channel")
		return
	}
	c.sess = sess
	c.rd.startCommand()
	proto := " ESMTP"
	if s.LMTP {
		proto = " LMTP"
	}
	// RFC 5321 4.2 / 4.3.1: the greeting is 220 with the server's name.
	c.bw.WriteString("220 " + s.hostname() + proto + " Service ready\r\n")
	for !c.quit {
		if s.shutdown.Load() {
			c.bw.WriteString("421 4.3.2 " + s.hostname() + " Service shutting down, closing transmission channel\r\n")
			return
		}
		c.rd.startCommand()
		c.mu.Lock()
		c.stressBy = time.Time{} // the wait it cut short is over
		c.mu.Unlock()
		var line []byte
		if c.pending != nil {
			line, c.pending, err = c.pending, nil, nil
		} else {
			line, err = c.readCommand(maxAuthLine + 2)
		}
		if err != nil {
			if !c.handleReadError(err) {
				return
			}
			continue
		}
		c.handle(line)
		if c.errs >= limitOrDefault(s.MaxErrors, DefaultMaxErrors) {
			// Something that does not speak SMTP (or fuzzes it): stop
			// answering, like Postfix's smtpd_hard_error_limit.
			c.bw.WriteString("421 4.7.0 " + s.hostname() + " Too many errors, closing connection\r\n")
			return
		}
	}
}

// handleReadError answers a failed command read and reports whether the
// session goes on.
func (c *Conn) handleReadError(err error) bool {
	s := c.srv
	var ne net.Error
	switch {
	case errors.Is(err, ErrLineTooLong):
		// RFC 5321 4.5.3.1.10: "500 Line too long."
		c.bw.WriteString("500 5.5.0 Line too long\r\n")
		c.errs++
		return true
	case errors.Is(err, ErrBareLineEnding):
		// RFC 5321 2.3.8: lines end with CRLF; a bare LF ends nothing.
		c.bw.WriteString("500 5.5.2 Command line must end with CRLF\r\n")
		c.errs++
		return true
	case errors.Is(err, errEndlessLine):
		c.bw.WriteString("500 5.5.0 Line too long, closing connection\r\n")
	case errors.Is(err, errShutdown) || s.shutdown.Load() && errors.As(err, &ne) && ne.Timeout():
		c.bw.WriteString("421 4.3.2 " + s.hostname() + " Service shutting down, closing transmission channel\r\n")
	case errors.As(err, &ne) && ne.Timeout():
		// RFC 5321 4.5.3.2.7: the server may close after its timeout.
		c.bw.WriteString("421 4.4.2 " + s.hostname() + " Timeout waiting for command, closing connection\r\n")
	default:
		s.logDebug("connection ended", "remote", c.raw.RemoteAddr(), "err", err)
	}
	return false
}

const errEndlessLine = sentinel("smtp: endless command line")

// readCommand reads one CRLF-terminated line, returning it without CRLF.
// A line longer than the buffer is discarded up to its LF (and reported as
// ErrLineTooLong), or, if it goes on past maxDiscardedCommandLineSize, as
// errEndlessLine; memory stays bounded by the buffer.
func (c *Conn) readCommand(max int) ([]byte, error) {
	line, err := c.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		discarded := len(line)
		for err == bufio.ErrBufferFull {
			line, err = c.br.ReadSlice('\n')
			discarded += len(line)
			if discarded > maxDiscardedCommandLineSize {
				return nil, errEndlessLine
			}
		}
		if err != nil {
			return nil, err
		}
		return nil, ErrLineTooLong
	}
	if err != nil {
		return nil, err
	}
	n := len(line)
	if n < 2 || line[n-2] != '\r' {
		return nil, ErrBareLineEnding
	}
	if n > max {
		return nil, ErrLineTooLong
	}
	return line[:n-2], nil
}

// replyError writes the reply for err: an *Error's own code and text, or
// the default given.
func (c *Conn) replyError(err error, code int, enh EnhancedCode, text string) {
	var e *Error
	if errors.As(err, &e) && e.Code >= 400 && e.Code <= 599 {
		code, enh, text = e.Code, e.Enhanced, e.Message
		if !enh.IsZero() && int(enh.Class) != code/100 {
			enh = EnhancedCode{}
		}
	}
	c.scratch = AppendReply(c.scratch[:0], code, enh, text)
	c.bw.Write(c.scratch)
}

// handle runs one command line.
func (c *Conn) handle(line []byte) {
	cmd, err := c.parser.Parse(line)
	limit := c.srv.maxCommandLine() - 2
	switch cmd.Verb {
	case VerbMAIL, VerbRCPT:
		limit += mailRcptExtensionAllowance
	case VerbAUTH:
		limit = maxAuthLine - 2
	}
	if len(line) > limit {
		c.bw.WriteString("500 5.5.0 Line too long\r\n")
		return
	}
	if err != nil {
		c.replySyntax(cmd.Verb, err)
		return
	}
	switch cmd.Verb {
	case VerbHELO, VerbEHLO, VerbLHLO:
		c.handleHello(cmd)
	case VerbMAIL:
		c.handleMail(&cmd)
	case VerbRCPT:
		c.handleRcpt(&cmd)
	case VerbDATA:
		c.handleData()
	case VerbBDAT:
		c.handleBDAT(cmd.Arg)
	case VerbRSET:
		// RFC 5321 4.1.1.5
		c.resetTx()
		c.bw.WriteString("250 2.0.0 OK\r\n")
	case VerbNOOP:
		// RFC 5321 4.1.1.9: the argument is ignored.
		c.bw.WriteString("250 2.0.0 OK\r\n")
	case VerbVRFY:
		// RFC 5321 3.5.3: 252 when the server will not verify.
		if len(cmd.Arg) == 0 {
			c.bw.WriteString("501 5.5.4 Syntax: VRFY <address>\r\n")
			return
		}
		c.bw.WriteString("252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery\r\n")
	case VerbEXPN:
		// RFC 5321 7.3: EXPN may be disabled.
		c.bw.WriteString("502 5.5.1 EXPN not implemented\r\n")
	case VerbHELP:
		c.bw.WriteString("214 2.0.0 Commands: HELO EHLO MAIL RCPT DATA BDAT RSET NOOP VRFY HELP QUIT STARTTLS AUTH\r\n")
	case VerbQUIT:
		// RFC 5321 4.1.1.10
		c.bw.WriteString("221 2.0.0 " + c.srv.hostname() + " Service closing transmission channel\r\n")
		c.quit = true
	case VerbSTARTTLS:
		c.handleStartTLS()
	case VerbAUTH:
		c.handleAuth(cmd.Arg)
	default:
		c.bw.WriteString("500 5.5.1 Command not recognized\r\n")
		c.errs++
	}
}

func (c *Conn) replySyntax(v Verb, err error) {
	c.errs++
	switch {
	case errors.Is(err, ErrBareLineEnding):
		c.bw.WriteString("500 5.5.2 Bare CR or LF in command line\r\n")
	case errors.Is(err, ErrPathTooLong) && v == VerbMAIL:
		c.bw.WriteString("501 5.1.7 Path too long\r\n")
	case errors.Is(err, ErrPathTooLong):
		c.bw.WriteString("501 5.1.3 Path too long\r\n")
	case errors.Is(err, ErrPathSyntax) && v == VerbMAIL:
		c.bw.WriteString("501 5.1.7 Bad sender address syntax\r\n")
	case errors.Is(err, ErrPathSyntax):
		c.bw.WriteString("501 5.1.3 Bad recipient address syntax\r\n")
	case v == VerbMAIL:
		c.bw.WriteString("501 5.5.4 Syntax: MAIL FROM:<address> [parameters]\r\n")
	case v == VerbRCPT:
		c.bw.WriteString("501 5.5.4 Syntax: RCPT TO:<address> [parameters]\r\n")
	default:
		c.bw.WriteString("501 5.5.4 Syntax error in parameters or arguments\r\n")
	}
}

// resetTx ends the current transaction, if any.
func (c *Conn) resetTx() {
	if c.inTx || c.rcptAttempts > 0 || c.bdatFailed {
		c.sess.Reset(c.ctx)
	}
	c.inTx, c.utf8, c.bdatFailed = false, false, false
	c.rcpts, c.rcptAttempts = 0, 0
}

func (c *Conn) handleHello(cmd Command) {
	s := c.srv
	if s.LMTP != (cmd.Verb == VerbLHLO) {
		// RFC 2033 4.1: LMTP uses LHLO, and only LHLO.
		c.bw.WriteString("500 5.5.1 Command not recognized\r\n")
		return
	}
	// RFC 5321 4.1.4: EHLO/HELO after a transaction started resets it.
	c.resetTx()
	if string(cmd.Arg) != c.helo {
		c.helo = string(cmd.Arg)
	}
	if cmd.Verb == VerbHELO {
		c.esmtp = false
		c.bw.WriteString("250 " + s.hostname() + "\r\n")
		return
	}
	c.esmtp = true
	if c.ehloCache == "" {
		c.ehloCache = c.buildEHLO()
	}
	c.bw.WriteString(c.ehloCache)
}

func (c *Conn) authOffered() bool {
	_, ok := c.sess.(Authenticator)
	return ok && (c.tlsState != nil || c.srv.AllowInsecureAuth)
}

func (c *Conn) buildEHLO() string {
	s := c.srv
	b := make([]byte, 0, 256)
	b = append(b, "250-"+s.hostname()+"\r\n"...)
	b = append(b, "250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-ENHANCEDSTATUSCODES\r\n250-CHUNKING\r\n250-DSN\r\n"...)
	if m := s.maxMessage(); m > 0 {
		b = append(b, "250-SIZE "...)
		b = appendInt(b, m)
		b = append(b, "\r\n"...)
	} else {
		b = append(b, "250-SIZE\r\n"...)
	}
	if s.TLSConfig != nil && c.tlsState == nil {
		b = append(b, "250-STARTTLS\r\n"...)
	}
	if c.authOffered() {
		b = append(b, "250-AUTH PLAIN LOGIN\r\n"...)
	}
	b = append(b, "250 HELP\r\n"...)
	return string(b)
}

func appendInt(b []byte, n int64) []byte {
	var tmp [20]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return append(b, tmp[i:]...)
}

// internFrom returns b as a string, reusing the previous sender's string
// when it is the same (a persistent connection often carries one sender).
func (c *Conn) internFrom(b []byte) string {
	if string(b) != c.lastFrom {
		c.lastFrom = string(b)
	}
	return c.lastFrom
}

// internRcpt returns b as a string, reusing one of the last 8 recipients'
// strings when it matches.
func (c *Conn) internRcpt(b []byte) string {
	for _, s := range c.rcptCache {
		if s == string(b) {
			return s
		}
	}
	s := string(b)
	c.rcptCache[c.rcptNext%len(c.rcptCache)] = s
	c.rcptNext++
	return s
}
