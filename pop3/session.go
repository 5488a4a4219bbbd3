package pop3

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Session states (RFC 1939 3).
const (
	stateAuthorization = iota
	stateTransaction
)

// msgReaders recycles the buffered readers RETR and TOP read messages
// through (32 KiB each), so an idle connection holds none.
var msgReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 32<<10) }}

// conn is one POP3 session.
type conn struct {
	s      *Server
	nc     net.Conn
	ip     netip.Addr
	br     *bufio.Reader
	bw     *bufio.Writer
	tls    bool
	ctx    context.Context
	cancel context.CancelFunc

	state     int
	user      string // from USER, waiting for PASS
	timestamp string // APOP timestamp in the greeting, "" without APOP
	drop      Maildrop
	deleted   []bool
	locked    string // user whose maildrop this session holds
	failures  int
	errors    int
	quit      bool

	tokens float64 // command rate bucket
	last   time.Time
}

func newConn(s *Server, nc net.Conn, ip netip.Addr) *conn {
	c := &conn{s: s, nc: nc, ip: ip}
	c.br = bufio.NewReaderSize(nc, 1024)
	c.bw = bufio.NewWriterSize(nc, 8<<10)
	_, c.tls = nc.(*tls.Conn)
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c
}

// wake interrupts a wait for the next command (Shutdown).
func (c *conn) wake() { c.nc.SetReadDeadline(time.Unix(1, 0)) }

func (c *conn) idle() time.Duration { return orDefault(c.s.IdleTimeout, DefaultIdleTimeout) }

func (c *conn) serve() {
	defer c.s.release(c)
	defer c.nc.Close()
	defer c.cancel()
	defer c.end()
	if tc, ok := c.nc.(*tls.Conn); ok {
		tc.SetDeadline(time.Now().Add(c.idle()))
		if err := tc.HandshakeContext(c.ctx); err != nil {
			c.s.log("pop3 tls handshake failed", "remote", c.nc.RemoteAddr(), "err", err)
			return
		}
	}
	greet := "+OK POP3 server ready"
	if _, ok := c.s.Authenticator.(APOPAuthenticator); ok {
		// RFC 1939 7: a timestamp unique to this greeting, in angle
		// brackets, that the APOP digest covers.
		c.timestamp = fmt.Sprintf("<%d.%d.%d@%s>", os.Getpid(), c.s.seq.Add(1), c.s.now().UnixNano(), c.s.hostname())
		greet += " " + c.timestamp
	}
	if !c.reply(greet) {
		return
	}
	for !c.quit {
		if c.s.shutdown.Load() {
			c.reply("-ERR [SYS/TEMP] server shutting down")
			return
		}
		line, err := c.readLine(MaxCommandLine)
		if err != nil {
			if errors.Is(err, ErrLineTooLong) {
				if !c.fail("-ERR line too long") {
					return
				}
				continue
			}
			if c.s.shutdown.Load() {
				c.reply("-ERR [SYS/TEMP] server shutting down")
			}
			return
		}
		c.throttle()
		cmd, err := ParseCommand(line)
		if err != nil {
			if !c.fail("-ERR invalid command") {
				return
			}
			continue
		}
		if !c.dispatch(cmd) {
			return
		}
	}
}

// end releases the maildrop of a session that ends (by QUIT, after the
// UPDATE state, or otherwise, without it).
func (c *conn) end() {
	if c.drop != nil {
		c.drop.Close()
		c.drop = nil
	}
	if c.locked != "" {
		c.s.unlockUser(c.locked)
		c.locked = ""
	}
}

// readLine reads one line of at most max octets (line ending included)
// and returns it without the line ending.
func (c *conn) readLine(max int) ([]byte, error) {
	c.nc.SetReadDeadline(time.Now().Add(c.idle()))
	if c.s.shutdown.Load() {
		return nil, ErrServerClosed
	}
	var long []byte
	for {
		chunk, err := c.br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			if len(long)+len(chunk) > max {
				return nil, c.skipLine()
			}
			long = append(long, chunk...)
			continue
		}
		if err != nil {
			return nil, err
		}
		if long != nil {
			chunk = append(long, chunk...)
		}
		if len(chunk) > max {
			return nil, ErrLineTooLong
		}
		chunk = chunk[:len(chunk)-1]
		if n := len(chunk); n > 0 && chunk[n-1] == '\r' {
			chunk = chunk[:n-1]
		}
		return chunk, nil
	}
}

// skipLine discards input up to the next LF and returns ErrLineTooLong,
// or the read error; it gives up after 64 KiB.
func (c *conn) skipLine() error {
	for n := 0; n < 64<<10; {
		chunk, err := c.br.ReadSlice('\n')
		n += len(chunk)
		if err == nil {
			return ErrLineTooLong
		}
		if err != bufio.ErrBufferFull {
			return err
		}
	}
	return errors.New("pop3: endless line")
}

// throttle holds the command rate to CommandRate per second.
func (c *conn) throttle() {
	rate := c.s.CommandRate
	if rate < 0 {
		return
	}
	if rate == 0 {
		rate = DefaultCommandRate
	}
	now := time.Now()
	if c.last.IsZero() {
		c.tokens = float64(rate)
	} else {
		c.tokens = min(float64(rate), c.tokens+now.Sub(c.last).Seconds()*float64(rate))
	}
	c.last = now
	if c.tokens < 1 {
		wait := time.Duration((1 - c.tokens) / float64(rate) * float64(time.Second))
		c.flush()
		time.Sleep(wait)
		c.last = c.last.Add(wait)
		c.tokens = 1
	}
	c.tokens--
}

// reply writes one response line, flushing unless more commands are
// already waiting (RFC 2449 6.6 PIPELINING). It reports whether the
// connection is still usable.
func (c *conn) reply(line string) bool {
	c.bw.WriteString(line)
	c.bw.WriteString("\r\n")
	return c.flushIfIdle()
}

func (c *conn) flushIfIdle() bool {
	if c.br.Buffered() > 0 {
		return true
	}
	return c.flush()
}

func (c *conn) flush() bool {
	c.nc.SetWriteDeadline(time.Now().Add(c.idle()))
	return c.bw.Flush() == nil
}

// fail answers a bad command and counts it; false once there were too
// many.
func (c *conn) fail(msg string) bool {
	c.errors++
	if c.errors >= limit(c.s.MaxErrors, DefaultMaxErrors) {
		c.reply(msg)
		c.reply("-ERR too many errors")
		return false
	}
	return c.reply(msg)
}

func (c *conn) dispatch(cmd Command) bool {
	nargs := len(cmd.Args)
	argsOK := func(lo, hi int) bool { return nargs >= lo && nargs <= hi }
	if c.state == stateAuthorization {
		switch cmd.Name {
		case "CAPA":
			return c.capa()
		case "QUIT":
			c.quit = true
			return c.reply("+OK bye")
		case "STLS":
			return c.stls(nargs)
		case "USER":
			if !argsOK(1, 1) {
				return c.fail("-ERR usage: USER name")
			}
			if !c.plainAllowed() {
				return c.reply("-ERR [AUTH] plaintext login not allowed before STLS")
			}
			c.user = cmd.Args[0]
			return c.reply("+OK send PASS")
		case "PASS":
			if c.user == "" {
				return c.fail("-ERR USER first")
			}
			if nargs != 1 {
				c.user = ""
				return c.fail("-ERR usage: PASS password")
			}
			user := c.user
			c.user = ""
			if !c.plainAllowed() {
				return c.reply("-ERR [AUTH] plaintext login not allowed before STLS")
			}
			return c.login(user, cmd.Args[0], "")
		case "APOP":
			if !argsOK(2, 2) || c.timestamp == "" {
				return c.fail("-ERR APOP not available")
			}
			return c.login(cmd.Args[0], "", cmd.Args[1])
		case "AUTH":
			return c.auth(cmd.Args)
		}
		return c.fail("-ERR command not valid in AUTHORIZATION state")
	}
	switch cmd.Name {
	case "CAPA":
		return c.capa()
	case "STAT":
		if !argsOK(0, 0) {
			return c.fail("-ERR usage: STAT")
		}
		n, size := 0, int64(0)
		for i := range c.deleted {
			if !c.deleted[i] {
				n++
				size += c.drop.Size(i)
			}
		}
		return c.reply("+OK " + strconv.Itoa(n) + " " + strconv.FormatInt(size, 10))
	case "LIST", "UIDL":
		if !argsOK(0, 1) {
			return c.fail("-ERR usage: " + cmd.Name + " [msg]")
		}
		value := func(i int) string {
			if cmd.Name == "LIST" {
				return strconv.FormatInt(c.drop.Size(i), 10)
			}
			return c.drop.UIDL(i)
		}
		if nargs == 1 {
			i, ok := c.msgNumber(cmd.Args[0])
			if !ok {
				return c.fail("-ERR no such message")
			}
			return c.reply("+OK " + cmd.Args[0] + " " + value(i))
		}
		c.bw.WriteString("+OK\r\n")
		var b []byte
		for i := range c.deleted {
			if c.deleted[i] {
				continue
			}
			b = strconv.AppendInt(b[:0], int64(i+1), 10)
			b = append(b, ' ')
			b = append(b, value(i)...)
			b = append(b, "\r\n"...)
			c.bw.Write(b)
		}
		return c.reply(".")
	case "RETR", "TOP":
		if cmd.Name == "RETR" && !argsOK(1, 1) || cmd.Name == "TOP" && !argsOK(2, 2) {
			return c.fail("-ERR usage: RETR msg | TOP msg n")
		}
		i, ok := c.msgNumber(cmd.Args[0])
		if !ok {
			return c.fail("-ERR no such message")
		}
		lines := -1
		if cmd.Name == "TOP" {
			n, err := strconv.ParseUint(cmd.Args[1], 10, 31)
			if err != nil {
				return c.fail("-ERR invalid line count")
			}
			lines = int(n)
		}
		return c.retr(i, lines)
	case "DELE":
		if !argsOK(1, 1) {
			return c.fail("-ERR usage: DELE msg")
		}
		i, ok := c.msgNumber(cmd.Args[0])
		if !ok {
			return c.fail("-ERR no such message")
		}
		c.deleted[i] = true
		return c.reply("+OK message " + cmd.Args[0] + " deleted")
	case "NOOP":
		return c.reply("+OK")
	case "RSET":
		clear(c.deleted)
		return c.reply("+OK maildrop has " + strconv.Itoa(len(c.deleted)) + " messages")
	case "QUIT":
		return c.update()
	}
	return c.fail("-ERR command not valid in TRANSACTION state")
}

// msgNumber parses a message number that names a message not marked
// deleted (RFC 1939 5), returning its 0-based index.
func (c *conn) msgNumber(s string) (int, bool) {
	n, err := strconv.ParseUint(s, 10, 31)
	if err != nil || n < 1 || int(n) > len(c.deleted) || c.deleted[n-1] {
		return 0, false
	}
	return int(n - 1), true
}

func (c *conn) plainAllowed() bool { return c.tls || c.s.AllowInsecureAuth }

// capa answers CAPA (RFC 2449 5) with what this connection can use now.
func (c *conn) capa() bool {
	var b strings.Builder
	b.WriteString("+OK capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n")
	if c.state == stateAuthorization {
		if c.plainAllowed() {
			b.WriteString("USER\r\nSASL PLAIN\r\n")
		}
		if c.s.TLSConfig != nil && !c.tls {
			b.WriteString("STLS\r\n")
		}
	}
	b.WriteString("IMPLEMENTATION relaykit\r\n.")
	return c.reply(b.String())
}

// stls starts TLS (RFC 2595 4).
func (c *conn) stls(nargs int) bool {
	if c.s.TLSConfig == nil || c.tls || nargs != 0 {
		return c.fail("-ERR STLS not available")
	}
	if !c.reply("+OK begin TLS negotiation") || !c.flush() {
		return false
	}
	// Bytes the client sent after STLS in plaintext could be an
	// injection (RFC 2595 4 and CVE-2011-0411 for SMTP): discard them.
	c.br.Discard(c.br.Buffered())
	tc := tls.Server(c.nc, c.s.TLSConfig)
	tc.SetDeadline(time.Now().Add(c.idle()))
	if err := tc.HandshakeContext(c.ctx); err != nil {
		c.s.log("pop3 stls handshake failed", "remote", c.nc.RemoteAddr(), "err", err)
		return false
	}
	c.s.mu.Lock()
	c.nc = tc
	c.s.mu.Unlock()
	c.br.Reset(tc)
	c.bw.Reset(tc)
	c.tls, c.user = true, ""
	return true
}

// auth runs AUTH (RFC 5034) with PLAIN (RFC 4616).
func (c *conn) auth(args []string) bool {
	if len(args) == 0 {
		// The mechanism list some clients probe with (see package doc).
		if c.plainAllowed() {
			return c.reply("+OK\r\nPLAIN\r\n.")
		}
		return c.reply("+OK\r\n.")
	}
	if len(args) > 2 || !strings.EqualFold(args[0], "PLAIN") {
		return c.fail("-ERR unsupported SASL mechanism")
	}
	if !c.plainAllowed() {
		return c.reply("-ERR [AUTH] plaintext login not allowed before STLS")
	}
	var resp string
	if len(args) == 2 {
		resp = args[1]
		if resp == "=" { // RFC 5034 4: an empty initial response
			resp = ""
		}
	} else {
		if !c.reply("+ ") {
			return false
		}
		line, err := c.readLine(maxAuthLine)
		if err != nil {
			return false
		}
		resp = string(line)
	}
	if resp == "*" {
		return c.reply("-ERR authentication cancelled")
	}
	dec, err := base64.StdEncoding.DecodeString(resp)
	if err != nil {
		return c.fail("-ERR invalid base64")
	}
	parts := bytes.Split(dec, []byte{0})
	if len(parts) != 3 {
		return c.failedLogin()
	}
	authz, user, pass := string(parts[0]), string(parts[1]), string(parts[2])
	if authz != "" && authz != user {
		// No proxy logins: authorize only as oneself.
		return c.failedLogin()
	}
	return c.login(user, pass, "")
}

// login authenticates user by password or, when digest is set, by APOP,
// then locks and opens the maildrop.
func (c *conn) login(user, password, digest string) bool {
	now := c.s.now()
	window := orDefault(c.s.LoginFailureWindow, DefaultLoginFailureWindow)
	if c.s.fails.blocked(c.ip, now, limit(c.s.MaxLoginFailuresPerIP, DefaultMaxLoginFailuresPerIP), window) {
		c.reply("-ERR [AUTH] too many failed logins from your address, try later")
		return false
	}
	var err error
	if digest != "" {
		var secret string
		secret, err = c.s.Authenticator.(APOPAuthenticator).Secret(c.ctx, user)
		if err == nil && !checkAPOP(c.timestamp, secret, digest) {
			err = ErrAuthFailed
		}
	} else {
		err = c.s.Authenticator.Authenticate(c.ctx, user, password)
	}
	if errors.Is(err, ErrAuthFailed) {
		c.s.log("pop3 login failed", "remote", c.nc.RemoteAddr(), "user", user)
		return c.failedLogin()
	}
	if err != nil {
		c.s.log("pop3 authenticator error", "user", user, "err", err)
		return c.reply("-ERR [SYS/TEMP] cannot check credentials now")
	}
	if !c.s.lockUser(user) {
		return c.reply("-ERR [IN-USE] maildrop already locked")
	}
	c.locked = user
	drop, err := c.s.Backend.Open(c.ctx, user)
	if err != nil {
		c.s.unlockUser(user)
		c.locked = ""
		if errors.Is(err, ErrInUse) {
			return c.reply("-ERR [IN-USE] maildrop already locked")
		}
		c.s.log("pop3 maildrop open failed", "user", user, "err", err)
		return c.reply("-ERR [SYS/TEMP] cannot open maildrop")
	}
	c.drop = drop
	c.deleted = make([]bool, drop.Count())
	c.state = stateTransaction
	var size int64
	for i := range c.deleted {
		size += drop.Size(i)
	}
	c.s.log("pop3 login", "remote", c.nc.RemoteAddr(), "user", user, "tls", c.tls)
	return c.reply(fmt.Sprintf("+OK maildrop has %d messages (%d octets)", len(c.deleted), size))
}

// failedLogin delays, counts and answers a failed login; false when the
// connection is to be closed.
func (c *conn) failedLogin() bool {
	c.failures++
	c.s.fails.fail(c.ip, c.s.now(), orDefault(c.s.LoginFailureWindow, DefaultLoginFailureWindow))
	if d := orDefault(c.s.LoginFailureDelay, DefaultLoginFailureDelay); d > 0 {
		c.flush()
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-c.ctx.Done():
			t.Stop()
		}
	}
	if c.failures >= limit(c.s.MaxLoginFailures, DefaultMaxLoginFailures) {
		c.reply("-ERR [AUTH] authentication failed, too many failures")
		return false
	}
	return c.reply("-ERR [AUTH] authentication failed")
}

// retr sends message i (lines < 0) or its header and first lines (TOP).
func (c *conn) retr(i, lines int) bool {
	r, err := c.drop.Open(c.ctx, i)
	if err != nil {
		c.s.log("pop3 message open failed", "user", c.locked, "msg", i+1, "err", err)
		return c.reply("-ERR [SYS/TEMP] cannot read message")
	}
	defer r.Close()
	if lines < 0 {
		c.bw.WriteString("+OK " + strconv.FormatInt(c.drop.Size(i), 10) + " octets\r\n")
	} else {
		c.bw.WriteString("+OK\r\n")
	}
	mr := msgReaders.Get().(*bufio.Reader)
	mr.Reset(r)
	c.nc.SetWriteDeadline(time.Now().Add(c.idle()))
	err = writeMessage(c.bw, mr, lines)
	mr.Reset(nil)
	msgReaders.Put(mr)
	if err != nil {
		// A read error after +OK cannot be reported in the protocol:
		// end the session (without UPDATE, so nothing is lost).
		c.s.log("pop3 message read failed", "user", c.locked, "msg", i+1, "err", err)
		return false
	}
	return c.flushIfIdle()
}

// update is QUIT in the TRANSACTION state: the UPDATE state (RFC 1939 6)
// removes the messages marked deleted.
func (c *conn) update() bool {
	c.quit = true
	var idx []int
	for i, d := range c.deleted {
		if d {
			idx = append(idx, i)
		}
	}
	left := len(c.deleted) - len(idx)
	if len(idx) > 0 {
		if err := c.drop.Expunge(c.ctx, idx); err != nil {
			c.s.log("pop3 update failed", "user", c.locked, "err", err)
			// RFC 1939 6: "-ERR some deleted messages not removed".
			c.end()
			return c.reply("-ERR [SYS/TEMP] some deleted messages not removed")
		}
	}
	// Release the maildrop before answering, so the client's next
	// session never finds it still locked.
	c.end()
	return c.reply(fmt.Sprintf("+OK bye (%d messages left)", left))
}
