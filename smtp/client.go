package smtp

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"
)

// Client timeouts, RFC 5321 4.5.3.2.
const (
	DefaultGreetingTimeout = 5 * time.Minute  // 4.5.3.2.1 initial 220
	DefaultMailTimeout     = 5 * time.Minute  // 4.5.3.2.2-3 MAIL, RCPT and other commands
	DefaultDataInitTimeout = 2 * time.Minute  // 4.5.3.2.4 DATA -> 354
	DefaultDataTermTimeout = 10 * time.Minute // 4.5.3.2.6 "." -> final reply
)

// pipelineWindow bounds the commands a Client sends before reading their
// replies, so neither side's buffers fill up and deadlock (RFC 2920 3.1).
const pipelineWindow = 100

// ClientTimeouts are the Client's RFC 5321 4.5.3.2 timeouts; zero fields
// take the defaults. A ctx deadline that comes sooner wins.
type ClientTimeouts struct {
	Greeting  time.Duration // default 5 min
	Command   time.Duration // MAIL, RCPT and other commands: default 5 min
	DataInit  time.Duration // DATA to its 354: default 2 min
	DataBlock time.Duration // each write of message data: default 3 min
	DataTerm  time.Duration // the end of data to the final reply: default 10 min
}

// ClientConfig configures a Client. The zero value works.
type ClientConfig struct {
	// LocalName is sent with EHLO/HELO/LHLO (default "localhost"); a
	// domain or address literal.
	LocalName string
	// TLSConfig is used by StartTLS when it is given no config. When its
	// ServerName is empty, the host the client dialled is used.
	TLSConfig *tls.Config
	// AllowInsecureAuth lets Auth send credentials without TLS to a host
	// that is not on loopback.
	AllowInsecureAuth bool
	// LMTP makes the client speak LMTP (RFC 2033): LHLO, and one reply
	// per accepted recipient after the data.
	LMTP bool
	// Timeouts are the RFC 5321 4.5.3.2 timeouts.
	Timeouts ClientTimeouts
	// MaxReplyLine bounds reply lines (default DefaultMaxReplyLine).
	MaxReplyLine int
	// Dial makes the connection for Dial (default net.Dialer).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Logger receives protocol events; nil means silent. Credentials are
	// never logged.
	Logger *slog.Logger
}

// Client is an SMTP (RFC 5321) or LMTP client over one connection, which
// carries many messages. A Client is not safe for concurrent use.
type Client struct {
	cfg        ClientConfig
	conn       net.Conn
	serverName string
	br         *bufio.Reader
	bw         *bufio.Writer
	rr         ReplyReader
	dw         DataWriter
	buf        []byte
	ext        map[string]string
	helloDone  bool
	isTLS      bool
	broken     error
	greeting   string
	chunkBuf   []byte
	chunkOut   []byte
	pending    []pendingReply
	wctx       context.Context // set while message data is written
	wblock     time.Duration
}

// clientWriter writes to the current connection; while message data is
// being written each write gets its own RFC 5321 4.5.3.2.5 data block
// deadline.
type clientWriter struct{ c *Client }

func (w clientWriter) Write(p []byte) (int, error) {
	c := w.c
	if c.wblock > 0 {
		if err := c.wctx.Err(); err != nil {
			return 0, err
		}
		c.conn.SetWriteDeadline(deadlineFor(c.wctx, c.wblock))
		if c.wctx.Err() != nil {
			// Cancelled while the deadline was being set: make sure the
			// cancellation is not undone.
			c.conn.SetWriteDeadline(time.Unix(1, 0))
		}
	}
	return c.conn.Write(p)
}

// Dial connects to addr ("host:port") and returns a Client that has read
// the greeting. cfg may be nil.
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
	conn, err := dial(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	host, _, _ := net.SplitHostPort(addr)
	cl, err := newClient(ctx, conn, host, c)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return cl, nil
}

// NewClient returns a Client over conn, reading the server's greeting
// (RFC 5321 3.1). serverName is used for TLS verification; cfg may be nil.
func NewClient(ctx context.Context, conn net.Conn, serverName string, cfg *ClientConfig) (*Client, error) {
	var c ClientConfig
	if cfg != nil {
		c = *cfg
	}
	return newClient(ctx, conn, serverName, c)
}

func newClient(ctx context.Context, conn net.Conn, serverName string, cfg ClientConfig) (*Client, error) {
	if cfg.LocalName == "" {
		cfg.LocalName = "localhost"
	}
	if !validHelloName(cfg.LocalName) {
		return nil, ErrInvalidInput
	}
	c := &Client{cfg: cfg, conn: conn, serverName: serverName}
	_, c.isTLS = conn.(*tls.Conn) // implicit TLS (RFC 8314)
	c.br = bufio.NewReaderSize(conn, 4096)
	c.bw = bufio.NewWriterSize(clientWriter{c}, 8192)
	c.rr = ReplyReader{R: c.br, MaxLineLength: cfg.MaxReplyLine}
	c.dw.Reset(c.bw)
	stop := c.watch(ctx)
	defer stop()
	code, _, text, err := c.read(ctx, c.timeout(cfg.Timeouts.Greeting, DefaultGreetingTimeout))
	if err != nil {
		return nil, c.fail(ctx, err)
	}
	if code != 220 {
		// RFC 5321 3.1: 554 (or 421) instead of 220 refuses the session.
		return nil, c.replyError(code, text)
	}
	c.greeting = string(text)
	return c, nil
}

func validHelloName(s string) bool {
	if len(s) > 0 && s[0] == '[' {
		return checkAddressLiteral(s) == nil
	}
	_, err := checkDomain(s)
	return err == nil && len(s) <= DefaultMaxDomain
}

func (c *Client) timeout(v, def time.Duration) time.Duration {
	if v > 0 {
		return v
	}
	return def
}

// watch makes ctx's cancellation interrupt blocking I/O; call the
// returned func when the operation ends.
func (c *Client) watch(ctx context.Context) func() bool {
	if ctx.Done() == nil {
		return func() bool { return true }
	}
	return context.AfterFunc(ctx, func() { c.conn.SetDeadline(time.Unix(1, 0)) })
}

// deadline sets the connection deadline to now+d or ctx's deadline,
// whichever is first.
func (c *Client) deadline(ctx context.Context, d time.Duration) {
	t := time.Now().Add(d)
	if cd, ok := ctx.Deadline(); ok && cd.Before(t) {
		t = cd
	}
	if ctx.Err() != nil {
		t = time.Unix(1, 0)
	}
	c.conn.SetDeadline(t)
}

// read flushes pending commands and reads one reply.
func (c *Client) read(ctx context.Context, d time.Duration) (int, EnhancedCode, []byte, error) {
	c.deadline(ctx, d)
	if err := c.bw.Flush(); err != nil {
		return 0, EnhancedCode{}, nil, err
	}
	return c.rr.Read()
}

// fail marks the client broken after an I/O or protocol error; the
// connection cannot be trusted to be in sync any more.
func (c *Client) fail(ctx context.Context, err error) error {
	var ne net.Error
	if ctx.Err() != nil {
		err = ctx.Err()
	} else if d, ok := ctx.Deadline(); ok && errors.As(err, &ne) && ne.Timeout() && !time.Now().Before(d) {
		// The connection deadline was ctx's: report it as such even if
		// ctx's own timer has not fired yet.
		err = context.DeadlineExceeded
	}
	if c.broken == nil {
		c.broken = err
		c.conn.Close()
		if c.cfg.Logger != nil {
			c.cfg.Logger.Debug("smtp client connection closed", "remote", c.conn.RemoteAddr(), "err", err)
		}
	}
	return err
}

func (c *Client) usable() error {
	if c.broken != nil {
		return errors.Join(ErrClientClosed, c.broken)
	}
	return nil
}

func (c *Client) replyError(code int, text []byte) *Error {
	return c.replyErrorEnh(code, EnhancedCode{}, text)
}

func (c *Client) replyErrorEnh(code int, enh EnhancedCode, text []byte) *Error {
	return NewError(code, enh, string(text))
}

// cmd sends one command and reads its reply, returning an *Error for 4xx
// and 5xx.
func (c *Client) cmd(ctx context.Context, d time.Duration, line string) (int, []byte, error) {
	if err := c.usable(); err != nil {
		return 0, nil, err
	}
	stop := c.watch(ctx)
	defer stop()
	c.bw.WriteString(line)
	c.bw.WriteString("\r\n")
	code, enh, text, err := c.read(ctx, d)
	if err != nil {
		return 0, nil, c.fail(ctx, err)
	}
	if code == 421 {
		// RFC 5321 3.8: the server is closing the channel.
		return code, text, c.fail(ctx, c.replyErrorEnh(code, enh, text))
	}
	if code >= 400 {
		return code, text, c.replyErrorEnh(code, enh, text)
	}
	return code, text, nil
}

// Greeting returns the text of the server's 220 greeting.
func (c *Client) Greeting() string { return c.greeting }

// Hello sends EHLO (LHLO in LMTP mode), falling back to HELO when the
// server refuses EHLO with a 5xx (RFC 5321 3.2). The Client calls it
// itself before the first command that needs it.
func (c *Client) Hello(ctx context.Context) error {
	verb := "EHLO "
	if c.cfg.LMTP {
		verb = "LHLO "
	}
	code, text, err := c.cmd(ctx, c.timeout(c.cfg.Timeouts.Command, DefaultMailTimeout), verb+c.cfg.LocalName)
	var e *Error
	if err != nil && errors.As(err, &e) && e.Permanent && !c.cfg.LMTP {
		_, _, err = c.cmd(ctx, c.timeout(c.cfg.Timeouts.Command, DefaultMailTimeout), "HELO "+c.cfg.LocalName)
		if err == nil {
			c.ext = map[string]string{}
			c.helloDone = true
		}
		return err
	}
	if err != nil {
		return err
	}
	if code != 250 {
		return c.fail(ctx, ErrReplySyntax)
	}
	// RFC 5321 4.1.1.1: ehlo-line = ehlo-keyword *( SP ehlo-param )
	c.ext = map[string]string{}
	lines := strings.Split(string(text), "\n")
	for _, l := range lines[1:] {
		k, v, _ := strings.Cut(l, " ")
		c.ext[strings.ToUpper(k)] = v
	}
	c.helloDone = true
	return nil
}

func (c *Client) hello(ctx context.Context) error {
	if c.helloDone {
		return nil
	}
	return c.Hello(ctx)
}

// Extension reports whether the server advertised the EHLO keyword ext
// (case-insensitive) and its parameters. It sends EHLO first if needed.
func (c *Client) Extension(ctx context.Context, ext string) (bool, string, error) {
	if err := c.hello(ctx); err != nil {
		return false, "", err
	}
	v, ok := c.ext[strings.ToUpper(ext)]
	return ok, v, nil
}

func (c *Client) has(ext string) bool {
	_, ok := c.ext[ext]
	return ok
}

// StartTLS upgrades the connection (RFC 3207). cfg nil means
// ClientConfig.TLSConfig, or a default config for the dialled host. The
// client then sends EHLO again, as RFC 3207 4.2 requires.
func (c *Client) StartTLS(ctx context.Context, cfg *tls.Config) error {
	if err := c.hello(ctx); err != nil {
		return err
	}
	if c.isTLS {
		return errors.New("smtp: TLS already active")
	}
	if !c.has("STARTTLS") {
		return ErrNotSupported
	}
	if _, _, err := c.cmd(ctx, c.timeout(c.cfg.Timeouts.Command, DefaultMailTimeout), "STARTTLS"); err != nil {
		return err
	}
	if cfg == nil {
		cfg = c.cfg.TLSConfig
	}
	if cfg == nil {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		cfg = cfg.Clone()
		cfg.ServerName = c.serverName
	}
	if c.br.Buffered() > 0 {
		// The server sent bytes after its 220: they cannot be trusted
		// (RFC 3207 6), and a handshake over them would fail anyway.
		return c.fail(ctx, errors.New("smtp: server sent data after STARTTLS reply"))
	}
	tc := tls.Client(c.conn, cfg)
	c.deadline(ctx, c.timeout(c.cfg.Timeouts.Command, DefaultMailTimeout))
	if err := tc.HandshakeContext(ctx); err != nil {
		return c.fail(ctx, err)
	}
	c.conn = tc
	c.br.Reset(tc)
	c.bw.Reset(clientWriter{c})
	c.isTLS = true
	c.helloDone = false
	c.ext = nil
	return c.Hello(ctx)
}

// TLSConnectionState returns the TLS state after StartTLS, or over a
// connection that was a *tls.Conn from the start (implicit TLS).
func (c *Client) TLSConnectionState() (tls.ConnectionState, bool) {
	if tc, ok := c.conn.(*tls.Conn); ok {
		return tc.ConnectionState(), true
	}
	return tls.ConnectionState{}, false
}

// Auth are credentials for Client.Auth.
type Auth struct {
	// Mechanism is "PLAIN" (RFC 4616) or "LOGIN"; "" picks PLAIN if
	// offered, else LOGIN.
	Mechanism string
	// Identity is the PLAIN authorization identity, usually "".
	Identity string
	Username string
	Password string
}

// Auth authenticates (RFC 4954). It refuses (ErrInsecureAuth) to send
// credentials over a connection without TLS unless the server is on
// loopback or ClientConfig.AllowInsecureAuth is set.
func (c *Client) Auth(ctx context.Context, a Auth) error {
	if err := c.hello(ctx); err != nil {
		return err
	}
	if !c.isTLS && !c.cfg.AllowInsecureAuth && !isLoopback(c.conn.RemoteAddr()) {
		return ErrInsecureAuth
	}
	mechs, ok := c.ext["AUTH"]
	if !ok {
		return ErrNotSupported
	}
	offered := func(m string) bool {
		for _, f := range strings.Fields(mechs) {
			if strings.EqualFold(f, m) {
				return true
			}
		}
		return false
	}
	mech := strings.ToUpper(a.Mechanism)
	if mech == "" {
		mech = "LOGIN"
		if offered("PLAIN") {
			mech = "PLAIN"
		}
	}
	if !offered(mech) || (mech != "PLAIN" && mech != "LOGIN") {
		return ErrNotSupported
	}
	for _, s := range []string{a.Identity, a.Username, a.Password} {
		if strings.ContainsRune(s, 0) {
			return ErrInvalidInput
		}
	}
	d := c.timeout(c.cfg.Timeouts.Command, DefaultMailTimeout)
	enc := base64.StdEncoding.EncodeToString
	if mech == "PLAIN" {
		// RFC 4954 4: the initial response rides on the AUTH line.
		_, _, err := c.cmd(ctx, d, "AUTH PLAIN "+enc([]byte(a.Identity+"\x00"+a.Username+"\x00"+a.Password)))
		return err
	}
	code, _, err := c.cmd(ctx, d, "AUTH LOGIN")
	if err != nil {
		return err
	}
	for _, s := range []string{a.Username, a.Password} {
		if code != 334 {
			return c.fail(ctx, ErrReplySyntax)
		}
		if code, _, err = c.cmd(ctx, d, enc([]byte(s))); err != nil {
			return err
		}
	}
	if code != 235 {
		return c.fail(ctx, ErrReplySyntax)
	}
	return nil
}

func isLoopback(a net.Addr) bool {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.IP.IsLoopback()
	}
	return false
}

// Noop sends NOOP (RFC 5321 4.1.1.9), e.g. to check an idle connection.
func (c *Client) Noop(ctx context.Context) error {
	_, _, err := c.cmd(ctx, c.timeout(c.cfg.Timeouts.Command, DefaultMailTimeout), "NOOP")
	return err
}

// Reset sends RSET (RFC 5321 4.1.1.5).
func (c *Client) Reset(ctx context.Context) error {
	_, _, err := c.cmd(ctx, c.timeout(c.cfg.Timeouts.Command, DefaultMailTimeout), "RSET")
	return err
}

// Quit sends QUIT (RFC 5321 4.1.1.10) and closes the connection.
func (c *Client) Quit(ctx context.Context) error {
	_, _, err := c.cmd(ctx, c.timeout(c.cfg.Timeouts.Command, DefaultMailTimeout), "QUIT")
	cerr := c.Close()
	if err != nil {
		return err
	}
	return cerr
}

// Close closes the connection without QUIT.
func (c *Client) Close() error {
	if c.broken == nil {
		c.broken = ErrClientClosed
	}
	err := c.conn.Close()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

var _ io.Closer = (*Client)(nil)
