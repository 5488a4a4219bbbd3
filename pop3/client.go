package pop3

import (
	"bufio"
	"context"
	"crypto/md5"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// DefaultClientTimeout bounds each exchange when ctx has no deadline.
const DefaultClientTimeout = 5 * time.Minute

// ClientConfig configures a Client. The zero value works.
type ClientConfig struct {
	// AllowInsecureAuth lets Login and Auth send a password over a
	// connection without TLS to a host that is not on loopback.
	AllowInsecureAuth bool
	// Timeout bounds each exchange when ctx has no deadline (default
	// DefaultClientTimeout).
	Timeout time.Duration
	// Dial opens the connection for Dial (default net.Dialer).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Trace, when non-nil, receives the dialogue as the client sees it
	// (inside TLS), one "C: " or "S: " line each: commands, status lines
	// and listings. Passwords and AUTH payloads are written as "****",
	// message text as one "[n octets of message text]" line.
	Trace io.Writer
}

// Client is a POP3 client connection. Methods must not be called
// concurrently.
type Client struct {
	cfg       ClientConfig
	nc        net.Conn
	br        *bufio.Reader
	bw        *bufio.Writer
	greeting  string
	timestamp string // APOP timestamp from the greeting
	tls       bool
	broken    error
}

// MessageInfo describes one message of a listing.
type MessageInfo struct {
	Number int    // 1-based message number in this session
	Size   int64  // octets, as LIST reports them
	UID    string // UIDL, when listed with UIDL
}

// Dial connects to addr and reads the greeting. Give a *tls.Conn to
// NewClient for implicit TLS (port 995).
func Dial(ctx context.Context, addr string, cfg *ClientConfig) (*Client, error) {
	var c ClientConfig
	if cfg != nil {
		c = *cfg
	}
	dial := c.Dial
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	nc, err := dial(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	cl, err := NewClient(ctx, nc, &c)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return cl, nil
}

// NewClient reads the greeting on an open connection.
func NewClient(ctx context.Context, nc net.Conn, cfg *ClientConfig) (*Client, error) {
	c := &Client{nc: nc, br: bufio.NewReaderSize(nc, 32<<10), bw: bufio.NewWriterSize(nc, 4<<10)}
	if cfg != nil {
		c.cfg = *cfg
	}
	_, c.tls = nc.(*tls.Conn)
	defer c.watch(ctx)()
	line, err := c.readResponse()
	if err != nil {
		return nil, err
	}
	c.greeting = line
	if i := strings.IndexByte(line, '<'); i >= 0 {
		if j := strings.IndexByte(line[i:], '>'); j > 0 {
			c.timestamp = line[i : i+j+1]
		}
	}
	return c, nil
}

// Greeting returns the server's greeting text after "+OK ".
func (c *Client) Greeting() string { return c.greeting }

// watch applies ctx's deadline (or the default timeout) to the
// connection and interrupts it if ctx is cancelled; call the returned
// function when the exchange ends.
func (c *Client) watch(ctx context.Context) func() {
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Now().Add(orDefault(c.cfg.Timeout, DefaultClientTimeout))
	}
	c.nc.SetDeadline(dl)
	stop := context.AfterFunc(ctx, func() { c.nc.SetDeadline(time.Unix(1, 0)) })
	return func() { stop() }
}

// trace writes one line of the dialogue to cfg.Trace.
func (c *Client) trace(prefix, line string) {
	if c.cfg.Trace != nil {
		io.WriteString(c.cfg.Trace, prefix+line+"\n")
	}
}

// redact hides the secret in a command line for the trace.
func redact(line string) string {
	upper := strings.ToUpper(line)
	switch {
	case strings.HasPrefix(upper, "PASS "):
		return "PASS ****"
	case strings.HasPrefix(upper, "AUTH "):
		if f := strings.Fields(line); len(f) > 2 {
			return f[0] + " " + f[1] + " ****"
		}
	case strings.HasPrefix(upper, "APOP "):
		if f := strings.Fields(line); len(f) > 2 {
			return f[0] + " " + f[1] + " ****"
		}
	}
	return line
}

// readResponse reads a status line; -ERR becomes *Error.
func (c *Client) readResponse() (string, error) {
	line, err := c.readLine()
	if err != nil {
		return "", err
	}
	c.trace("S: ", line)
	switch {
	case line == "+OK" || strings.HasPrefix(line, "+OK "):
		return strings.TrimPrefix(strings.TrimPrefix(line, "+OK"), " "), nil
	case line == "-ERR" || strings.HasPrefix(line, "-ERR "):
		msg := strings.TrimPrefix(strings.TrimPrefix(line, "-ERR"), " ")
		e := &Error{Message: msg}
		if strings.HasPrefix(msg, "[") {
			if j := strings.IndexByte(msg, ']'); j > 0 {
				e.Code, e.Message = msg[1:j], strings.TrimPrefix(msg[j+1:], " ")
			}
		}
		return "", e
	}
	return "", fmt.Errorf("%w: %q", ErrResponseSyntax, line)
}

// readLine reads one line (up to 8 KiB) without its line ending.
func (c *Client) readLine() (string, error) {
	line, err := c.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull || len(line) > 8192 {
		return "", c.breakConn(ErrLineTooLong)
	}
	if err != nil {
		return "", c.breakConn(err)
	}
	return strings.TrimRight(string(line), "\r\n"), nil
}

func (c *Client) breakConn(err error) error {
	if c.broken == nil {
		c.broken = err
		c.nc.Close()
	}
	return err
}

// cmd sends one command line and reads the status line.
func (c *Client) cmd(ctx context.Context, line string) (string, error) {
	if c.broken != nil {
		return "", fmt.Errorf("%w: %v", ErrClientClosed, c.broken)
	}
	if strings.ContainsAny(line, "\r\n") {
		return "", ErrCommandSyntax
	}
	defer c.watch(ctx)()
	c.trace("C: ", redact(line))
	c.bw.WriteString(line)
	c.bw.WriteString("\r\n")
	if err := c.bw.Flush(); err != nil {
		return "", c.breakConn(err)
	}
	return c.readResponse()
}

// Capabilities sends CAPA (RFC 2449) and returns each capability's
// arguments by upper-case name.
func (c *Client) Capabilities(ctx context.Context) (map[string][]string, error) {
	if _, err := c.cmd(ctx, "CAPA"); err != nil {
		return nil, err
	}
	defer c.watch(ctx)()
	caps := map[string][]string{}
	err := c.readLines(func(line string) {
		f := strings.Fields(line)
		if len(f) > 0 {
			caps[strings.ToUpper(f[0])] = f[1:]
		}
	})
	return caps, err
}

// readLines reads a multi-line response's lines up to ".".
func (c *Client) readLines(fn func(string)) error {
	for {
		line, err := c.readLine()
		if err != nil {
			return err
		}
		c.trace("S: ", line)
		if line == "." {
			return nil
		}
		fn(strings.TrimPrefix(line, "."))
	}
}

// StartTLS sends STLS (RFC 2595) and runs the TLS handshake.
func (c *Client) StartTLS(ctx context.Context, cfg *tls.Config) error {
	if c.tls {
		return errors.New("pop3: TLS already active")
	}
	if _, err := c.cmd(ctx, "STLS"); err != nil {
		return err
	}
	tc := tls.Client(c.nc, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return c.breakConn(err)
	}
	c.nc, c.tls = tc, true
	c.br.Reset(tc)
	c.bw.Reset(tc)
	return nil
}

// TLSConnectionState returns the TLS state, if TLS is active.
func (c *Client) TLSConnectionState() (tls.ConnectionState, bool) {
	if tc, ok := c.nc.(*tls.Conn); ok {
		return tc.ConnectionState(), true
	}
	return tls.ConnectionState{}, false
}

func (c *Client) checkSecure() error {
	if c.tls || c.cfg.AllowInsecureAuth {
		return nil
	}
	if a, ok := c.nc.RemoteAddr().(*net.TCPAddr); ok && a.IP.IsLoopback() {
		return nil
	}
	return ErrInsecureAuth
}

// Login authenticates with USER and PASS (RFC 1939 7).
func (c *Client) Login(ctx context.Context, user, password string) error {
	if err := c.checkSecure(); err != nil {
		return err
	}
	if _, err := c.cmd(ctx, "USER "+user); err != nil {
		return err
	}
	_, err := c.cmd(ctx, "PASS "+password)
	return err
}

// AuthPlain authenticates with SASL PLAIN (RFC 5034, RFC 4616) in one
// round trip (an initial response).
func (c *Client) AuthPlain(ctx context.Context, user, password string) error {
	if err := c.checkSecure(); err != nil {
		return err
	}
	resp := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + password))
	_, err := c.cmd(ctx, "AUTH PLAIN "+resp)
	return err
}

// APOP authenticates with APOP (RFC 1939 7); the server's greeting must
// have offered it.
func (c *Client) APOP(ctx context.Context, user, secret string) error {
	if c.timestamp == "" {
		return ErrNotSupported
	}
	sum := md5.Sum([]byte(c.timestamp + secret))
	_, err := c.cmd(ctx, "APOP "+user+" "+hex.EncodeToString(sum[:]))
	return err
}

// Stat returns the number of messages and their total size.
func (c *Client) Stat(ctx context.Context) (int, int64, error) {
	resp, err := c.cmd(ctx, "STAT")
	if err != nil {
		return 0, 0, err
	}
	f := strings.Fields(resp)
	if len(f) < 2 {
		return 0, 0, fmt.Errorf("%w: STAT %q", ErrResponseSyntax, resp)
	}
	n, err1 := strconv.Atoi(f[0])
	size, err2 := strconv.ParseInt(f[1], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("%w: STAT %q", ErrResponseSyntax, resp)
	}
	return n, size, nil
}

// List returns every message's number and size (LIST) and, when the
// server has UIDL, its unique id.
func (c *Client) List(ctx context.Context) ([]MessageInfo, error) {
	var out []MessageInfo
	if err := c.listing(ctx, "LIST", func(n int, v string) error {
		size, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("%w: LIST size %q", ErrResponseSyntax, v)
		}
		out = append(out, MessageInfo{Number: n, Size: size})
		return nil
	}); err != nil {
		return nil, err
	}
	byNum := make(map[int]int, len(out))
	for i, m := range out {
		byNum[m.Number] = i
	}
	err := c.listing(ctx, "UIDL", func(n int, v string) error {
		if i, ok := byNum[n]; ok {
			out[i].UID = v
		}
		return nil
	})
	var pe *Error
	if errors.As(err, &pe) {
		err = nil // no UIDL: sizes only
	}
	return out, err
}

// UIDL returns every message's number and unique id.
func (c *Client) UIDL(ctx context.Context) ([]MessageInfo, error) {
	var out []MessageInfo
	err := c.listing(ctx, "UIDL", func(n int, v string) error {
		out = append(out, MessageInfo{Number: n, UID: v})
		return nil
	})
	return out, err
}

func (c *Client) listing(ctx context.Context, verb string, fn func(int, string) error) error {
	if _, err := c.cmd(ctx, verb); err != nil {
		return err
	}
	defer c.watch(ctx)()
	var ferr error
	err := c.readLines(func(line string) {
		num, val, ok := strings.Cut(line, " ")
		n, err := strconv.Atoi(num)
		if ferr != nil {
			return
		}
		if !ok || err != nil {
			ferr = fmt.Errorf("%w: %s line %q", ErrResponseSyntax, verb, line)
			return
		}
		ferr = fn(n, strings.TrimSpace(val))
	})
	if err != nil {
		return err
	}
	return ferr
}

// Retr retrieves message n into w, byte-stuffing removed and line
// endings as sent (CRLF), and returns the bytes written.
func (c *Client) Retr(ctx context.Context, n int, w io.Writer) (int64, error) {
	return c.multi(ctx, "RETR "+strconv.Itoa(n), w)
}

// Top retrieves message n's header and its first lines body lines.
func (c *Client) Top(ctx context.Context, n, lines int, w io.Writer) (int64, error) {
	return c.multi(ctx, "TOP "+strconv.Itoa(n)+" "+strconv.Itoa(lines), w)
}

func (c *Client) multi(ctx context.Context, line string, w io.Writer) (int64, error) {
	if _, err := c.cmd(ctx, line); err != nil {
		return 0, err
	}
	defer c.watch(ctx)()
	n, err := io.Copy(w, DotReader(c.br))
	if err != nil {
		// A writer's failure leaves the response half read: the
		// connection cannot be used further.
		return n, c.breakConn(err)
	}
	c.traceBody(n)
	return n, nil
}

func (c *Client) traceBody(n int64) {
	c.trace("S: ", "["+strconv.FormatInt(n, 10)+" octets of message text]")
	c.trace("S: ", ".")
}

// Dele marks message n deleted; the server removes it at Quit.
func (c *Client) Dele(ctx context.Context, n int) error {
	_, err := c.cmd(ctx, "DELE "+strconv.Itoa(n))
	return err
}

// Noop sends NOOP.
func (c *Client) Noop(ctx context.Context) error {
	_, err := c.cmd(ctx, "NOOP")
	return err
}

// Rset unmarks every message marked deleted.
func (c *Client) Rset(ctx context.Context) error {
	_, err := c.cmd(ctx, "RSET")
	return err
}

// Quit ends the session; the server then removes the messages marked
// deleted (an error says it could not). The connection is closed.
func (c *Client) Quit(ctx context.Context) error {
	_, err := c.cmd(ctx, "QUIT")
	c.nc.Close()
	if c.broken == nil {
		c.broken = ErrClientClosed
	}
	return err
}

// Close closes the connection without QUIT: the server removes nothing.
func (c *Client) Close() error {
	if c.broken == nil {
		c.broken = ErrClientClosed
	}
	return c.nc.Close()
}

// FetchNew is the mail fetcher's loop: it lists the maildrop, retrieves
// every message whose UIDL is not in seen (in message order), passing
// each to fn, and returns the UIDLs of every message now in the maildrop,
// to be remembered as the next call's seen. If fn fails, FetchNew stops
// and returns the UIDLs fetched so far plus the ones already seen, so a
// message fn did not take is fetched again next time.
func (c *Client) FetchNew(ctx context.Context, seen map[string]bool, fn func(m MessageInfo, r io.Reader) error) ([]string, error) {
	msgs, err := c.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range msgs {
		if m.UID == "" {
			return nil, fmt.Errorf("%w: UIDL", ErrNotSupported)
		}
		if seen[m.UID] {
			out = append(out, m.UID)
		}
	}
	for _, m := range msgs {
		if seen[m.UID] {
			continue
		}
		if _, err := c.cmd(ctx, "RETR "+strconv.Itoa(m.Number)); err != nil {
			return out, err
		}
		stop := c.watch(ctx)
		r := DotReader(c.br)
		ferr := fn(m, r)
		// Whatever fn left unread is drained, so the session stays in
		// step.
		_, derr := io.Copy(io.Discard, r)
		stop()
		if derr != nil {
			return out, c.breakConn(derr)
		}
		c.traceBody(m.Size)
		if ferr != nil {
			return out, ferr
		}
		out = append(out, m.UID)
	}
	return out, nil
}
