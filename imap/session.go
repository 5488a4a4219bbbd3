package imap

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/relaykit/relaykit/mime"
)

type state uint8

const (
	stateNotAuth state = iota
	stateAuth
	stateSelected
	stateLogout
)

// maxBadCommands closes a connection after this many commands in a row
// that could not be parsed.
const maxBadCommands = 20

// session is the protocol state of one connection.
type session struct {
	c    *conn
	ctx  context.Context
	br   *bufio.Reader
	d    *Decoder
	out  []byte // response being built
	body []byte // the buffer load reads messages into, reused
	text []byte // the buffer SEARCH decodes text parts into, reused

	walker    *mime.Walker // parseMIME's, reused
	msgReader bytes.Reader // what walker reads
	state     state
	tls       bool
	remote    netip.AddrPort

	user      User
	userName  string   // as given at login: the message cache's key
	quotaRes  []string // resources of the user's quota (RFC 9208), nil: none
	mbox      Mailbox
	mboxName  string
	readOnly  bool
	snap      Snapshot
	rev2      bool
	utf8      bool
	condstore bool
	saved     []uint32 // SEARCH RETURN (SAVE) result, as UIDs (RFC 5182)

	authFails int
	bad       int
}

func (c *conn) serve() {
	s := c.srv
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ss := &session{c: c, ctx: ctx, remote: remoteAddr(c.nc)}
	_, ss.tls = c.nc.(*tls.Conn)
	ss.tls = ss.tls || s.ImplicitTLS
	ss.br = bufio.NewReaderSize(c.nc, 16<<10)
	ss.d = NewDecoder(ss.br)
	ss.d.Limits = s.Limits
	ss.d.Continue = ss.continueLiteral
	c.wmu.Lock()
	c.w = bufio.NewWriterSize(c.nc, 16<<10)
	c.wmu.Unlock()
	defer func() {
		if ss.mbox != nil {
			ss.mbox.Close(ctx)
		}
		if ss.user != nil {
			ss.user.Logout(ctx)
		}
		c.nc.Close()
	}()
	ss.out = append(ss.out[:0], "* OK [CAPABILITY "...)
	ss.out = ss.appendCaps(ss.out)
	ss.out = append(ss.out, "] "...)
	ss.out = append(ss.out, s.hostnameOr()...)
	ss.out = append(ss.out, " IMAP4rev2 server ready\r\n"...)
	if !ss.flush() {
		return
	}
	idle := orDur(s.IdleTimeout, DefaultIdleTimeout)
	for ss.state != stateLogout {
		c.nc.SetReadDeadline(time.Now().Add(idle))
		cmd, err := ss.d.ReadCommand()
		c.wmu.Lock()
		if c.bye {
			c.wmu.Unlock()
			return
		}
		c.busy = true
		c.wmu.Unlock()
		if err != nil {
			if !ss.commandError(cmd, err) {
				return
			}
		} else {
			ss.bad = 0
			ss.dispatch(cmd)
		}
		if !ss.flush() {
			return
		}
		c.wmu.Lock()
		c.busy = false
		bye := c.bye
		c.wmu.Unlock()
		if bye {
			ss.out = append(ss.out, "* BYE Server shutting down\r\n"...)
			ss.flush()
			return
		}
	}
}

func (s *Server) hostnameOr() string {
	if s.Hostname == "" {
		return defaultHostname
	}
	return s.Hostname
}

// flush writes the pending responses; false means the connection broke.
func (ss *session) flush() bool {
	c := ss.c
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.nc.SetWriteDeadline(time.Now().Add(orDur(c.srv.IdleTimeout, DefaultIdleTimeout)))
	_, err := c.w.Write(ss.out)
	ss.out = ss.out[:0]
	if err == nil {
		err = c.w.Flush()
	}
	return err == nil
}

// continueLiteral is the Decoder's hook: ask for a synchronizing literal.
func (ss *session) continueLiteral(int64) error {
	ss.out = append(ss.out, "+ Ready for literal data\r\n"...)
	if !ss.flush() {
		return io.ErrClosedPipe
	}
	return nil
}

// commandError answers a command that could not be read and resyncs;
// false means close the connection.
func (ss *session) commandError(cmd *Command, err error) bool {
	var se *SyntaxError
	if !errors.As(err, &se) {
		return false // I/O error or timeout
	}
	tag := "*"
	if cmd != nil && cmd.Tag != "" {
		tag = cmd.Tag
	}
	switch {
	case errors.Is(err, ErrLiteralTooLarge):
		ss.tagged(tag, "NO [TOOBIG] Literal too large")
	case errors.Is(err, ErrUnknownCommand):
		ss.tagged(tag, "BAD Unknown command")
	case errors.Is(err, ErrTooComplex):
		ss.tagged(tag, "BAD [LIMIT] Command too complex")
	case errors.Is(err, ErrLineTooLong):
		ss.tagged(tag, "BAD [TOOBIG] Line too long")
	default:
		ss.tagged(tag, "BAD "+se.Error())
	}
	ss.bad++
	if ss.bad >= maxBadCommands {
		ss.out = append(ss.out, "* BYE Too many invalid commands\r\n"...)
		return false
	}
	if err := ss.d.SkipCommand(); err != nil {
		ss.out = append(ss.out, "* BYE Cannot resynchronise\r\n"...)
		ss.flush()
		return false
	}
	return true
}

func (ss *session) tagged(tag, text string) {
	ss.out = append(ss.out, tag...)
	ss.out = append(ss.out, ' ')
	ss.out = append(ss.out, text...)
	ss.out = append(ss.out, "\r\n"...)
}

func (ss *session) untagged(text string) {
	ss.out = append(ss.out, "* "...)
	ss.out = append(ss.out, text...)
	ss.out = append(ss.out, "\r\n"...)
}

// appendCaps appends the capabilities for the session's state
// (RFC 9051 7.2.2).
func (ss *session) appendCaps(dst []byte) []byte {
	s := ss.c.srv
	dst = append(dst, "IMAP4rev2 IMAP4rev1 LITERAL+ SASL-IR ENABLE ID IDLE UIDPLUS MOVE NAMESPACE UNSELECT ESEARCH SEARCHRES BINARY LIST-EXTENDED LIST-STATUS SPECIAL-USE CONDSTORE UTF8=ACCEPT STATUS=SIZE"...)
	if ss.quotaRes != nil {
		// RFC 9208 3.1: QUOTA, and the resources it counts.
		dst = append(dst, " QUOTA"...)
		for _, r := range ss.quotaRes {
			dst = append(dst, " QUOTA=RES-"...)
			dst = append(dst, r...)
		}
	}
	if ss.state == stateNotAuth {
		if s.TLSConfig != nil && !ss.tls {
			dst = append(dst, " STARTTLS"...)
		}
		if ss.tls || s.AllowInsecureAuth {
			dst = append(dst, " AUTH=PLAIN"...)
		} else {
			dst = append(dst, " LOGINDISABLED"...)
		}
	}
	return dst
}

func (ss *session) dispatch(cmd *Command) {
	t := cmd.Tag
	// Commands valid in every state (RFC 9051 6.1).
	switch cmd.Name {
	case "CAPABILITY":
		ss.out = append(ss.out, "* CAPABILITY "...)
		ss.out = ss.appendCaps(ss.out)
		ss.out = append(ss.out, "\r\n"...)
		ss.tagged(t, "OK CAPABILITY completed")
		return
	case "NOOP":
		ss.refresh(true)
		ss.tagged(t, "OK NOOP completed")
		return
	case "LOGOUT":
		ss.untagged("BYE Logging out")
		ss.tagged(t, "OK LOGOUT completed")
		ss.state = stateLogout
		return
	case "ID":
		ss.untagged(`ID ("name" "relaykit")`)
		ss.tagged(t, "OK ID completed")
		return
	}
	switch ss.state {
	case stateNotAuth:
		switch cmd.Name {
		case "STARTTLS":
			ss.startTLS(t)
		case "LOGIN":
			ss.login(t, cmd.User, cmd.Password)
		case "AUTHENTICATE":
			ss.authenticate(cmd)
		case "APPEND":
			ss.drainAppend(cmd)
			ss.tagged(t, "BAD Log in first")
		default:
			ss.tagged(t, "BAD Log in first")
		}
		return
	case stateAuth, stateSelected:
		if !ss.utf8 && !decodeNames(cmd) {
			// RFC 3501 5.1.3: an IMAP4rev1 client names mailboxes in
			// modified UTF-7.
			if cmd.Name == "APPEND" {
				ss.drainAppend(cmd)
			}
			ss.tagged(t, "NO Mailbox name is not valid modified UTF-7")
			return
		}
		if ss.authCommand(cmd) {
			return
		}
		if ss.state == stateSelected && ss.selectedCommand(cmd) {
			return
		}
		if cmd.Name == "APPEND" {
			ss.drainAppend(cmd)
		}
		switch cmd.Name {
		case "STARTTLS", "LOGIN", "AUTHENTICATE":
			ss.tagged(t, "BAD Already authenticated")
		default:
			ss.tagged(t, "BAD No mailbox selected")
		}
	}
}

func (ss *session) startTLS(tag string) {
	srv := ss.c.srv
	if srv.TLSConfig == nil || ss.tls {
		ss.tagged(tag, "BAD STARTTLS not available")
		return
	}
	ss.tagged(tag, "OK Begin TLS negotiation now")
	if !ss.flush() {
		ss.state = stateLogout
		return
	}
	tc := tls.Server(ss.c.nc, srv.TLSConfig)
	tc.SetDeadline(time.Now().Add(time.Minute))
	if err := tc.HandshakeContext(ss.ctx); err != nil {
		ss.state = stateLogout
		return
	}
	tc.SetDeadline(time.Time{})
	// RFC 9051 6.2.1 (and the STARTTLS command injection class of bugs):
	// anything the client sent before the handshake is discarded.
	ss.c.wmu.Lock()
	ss.c.nc = tc
	ss.c.w.Reset(tc)
	ss.c.wmu.Unlock()
	ss.br = bufio.NewReaderSize(tc, 16<<10)
	ss.d.Reset(ss.br)
	ss.tls = true
}

func (ss *session) insecure(tag string) bool {
	if ss.tls || ss.c.srv.AllowInsecureAuth {
		return false
	}
	ss.tagged(tag, "NO [PRIVACYREQUIRED] Use STARTTLS first")
	return true
}

func (ss *session) login(tag, user, pass string) {
	if ss.insecure(tag) {
		return
	}
	u, err := ss.c.srv.Backend.Login(ss.ctx, ConnInfo{Remote: ss.remote, TLS: ss.tls}, user, pass)
	if err != nil {
		ss.loginFailed(tag, user, err)
		return
	}
	ss.user, ss.userName = u, user
	ss.state = stateAuth
	if qu, ok := u.(QuotaUser); ok {
		if res, ok, err := qu.Quota(ss.ctx); err == nil && ok {
			for _, r := range res {
				ss.quotaRes = append(ss.quotaRes, r.Name)
			}
		}
	}
	ss.out = append(ss.out, tag...)
	ss.out = append(ss.out, " OK [CAPABILITY "...)
	ss.out = ss.appendCaps(ss.out)
	ss.out = append(ss.out, "] Logged in\r\n"...)
}

// loginFailed slows and counts a failed login (Dovecot's auth penalty),
// and closes the connection after Server.AuthFailures of them.
func (ss *session) loginFailed(tag, user string, err error) {
	srv := ss.c.srv
	if !errors.Is(err, ErrAuthFailed) {
		ss.tagged(tag, "NO [UNAVAILABLE] Authentication temporarily unavailable")
		return
	}
	delay := srv.authFailed(ss.remote.Addr())
	if srv.Logger != nil {
		srv.Logger.Warn("imap: authentication failed", "remote", ss.remote.String(), "user", user, "delay", delay)
	}
	srv.sleep(ss.ctx, delay)
	ss.tagged(tag, "NO [AUTHENTICATIONFAILED] Invalid credentials")
	ss.authFails++
	if ss.authFails >= orInt(srv.AuthFailures, DefaultAuthFailures) {
		ss.untagged("BYE Too many failed logins")
		ss.state = stateLogout
	}
}

// authenticate runs SASL PLAIN (RFC 4616), with SASL-IR (RFC 4959).
func (ss *session) authenticate(cmd *Command) {
	t := cmd.Tag
	if cmd.Mechanism != "PLAIN" {
		ss.tagged(t, "NO [CANNOT] Unsupported mechanism")
		return
	}
	if ss.insecure(t) {
		return
	}
	resp := cmd.InitialResponse
	if !cmd.HasInitial {
		ss.out = append(ss.out, "+ \r\n"...)
		if !ss.flush() {
			ss.state = stateLogout
			return
		}
		line, err := readLine(ss.br, 8192)
		if err != nil {
			ss.state = stateLogout
			return
		}
		resp = line
	}
	if resp == "*" {
		ss.tagged(t, "BAD Authentication cancelled")
		return
	}
	if resp == "=" {
		resp = ""
	}
	raw, err := base64.StdEncoding.DecodeString(resp)
	if err != nil {
		ss.tagged(t, "BAD Invalid base64")
		return
	}
	parts := strings.Split(string(raw), "\x00")
	if len(parts) != 3 || (parts[0] != "" && parts[0] != parts[1]) {
		ss.loginFailed(t, "", ErrAuthFailed)
		return
	}
	ss.login(t, parts[1], parts[2])
}

// readLine reads one CRLF-terminated line of at most max octets.
func readLine(br *bufio.Reader, max int) (string, error) {
	var b []byte
	for {
		frag, err := br.ReadSlice('\n')
		b = append(b, frag...)
		if len(b) > max {
			return "", ErrLineTooLong
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return "", err
		}
		break
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// drainAppend reads and drops an APPEND literal that will not be stored,
// so the connection stays in step.
func (ss *session) drainAppend(cmd *Command) {
	if cmd.Literal != nil {
		io.Copy(io.Discard, cmd.Literal)
		ss.d.EndAppend()
	}
}

// decodeNames turns the mailbox names of an IMAP4rev1 client's command
// from modified UTF-7 (RFC 3501 5.1.3) into UTF-8, what backends see;
// false if one is not valid.
func decodeNames(cmd *Command) bool {
	ok := true
	dec := func(s *string) {
		if *s == "" || !ok {
			return
		}
		d, err := DecodeMailboxUTF7(*s)
		if err != nil {
			ok = false
			return
		}
		*s = d
	}
	dec(&cmd.Mailbox)
	dec(&cmd.NewName)
	dec(&cmd.Reference)
	for i := range cmd.Patterns {
		dec(&cmd.Patterns[i])
	}
	return ok
}

// appendMailbox appends a mailbox name: UTF-8 for an IMAP4rev2 or
// UTF8=ACCEPT client, modified UTF-7 for an IMAP4rev1 one (RFC 3501
// 5.1.3).
func (ss *session) appendMailbox(dst []byte, name string) []byte {
	if !ss.utf8 {
		name = EncodeMailboxUTF7(name)
	}
	return AppendAstring(dst, name, ss.utf8)
}
