package queuectl

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultMaxRequest is the default bound on a request line (Server's
// MaxRequest), and the most Do sends.
const DefaultMaxRequest = 64 << 10

// maxStatusLine bounds the answer's status line: Server clips the error
// it carries to fit, and Do takes a longer last line for output.
const (
	maxStatusLine = 4096
	maxStatusText = 2048
)

var (
	// ErrBadRequest is wrapped by the errors ParseRequest returns.
	ErrBadRequest = errors.New("queuectl: bad request")
	// ErrRequestTooLong reports a request line over the limit.
	ErrRequestTooLong = errors.New("queuectl: request line too long")
	// ErrNoStatus reports an answer that ended without its status line
	// (the server stopped, or the peer is not a queuectl Server).
	ErrNoStatus = errors.New("queuectl: answer ended without a status line")
	// ErrServerClosed is returned by Serve after Close or Shutdown.
	ErrServerClosed = errors.New("queuectl: server closed")
)

// CommandError is what Do returns when the server answered with a
// non-zero status: Run's error on the relay's side, or the server's
// refusal of the request.
type CommandError struct {
	// Status is the answer's status (1: the operation failed, 2: the
	// command line or the request was refused).
	Status int
	// Message is the error the server sent, on one line.
	Message string
}

func (e *CommandError) Error() string {
	if e.Message == "" {
		return "queuectl: command failed with status " + strconv.Itoa(e.Status)
	}
	return e.Message
}

// ParseRequest decodes a request line (without or with its line ending):
// a JSON array of one or more strings, the command and its arguments; an
// empty line is ["list"]. Errors wrap ErrBadRequest.
func ParseRequest(line []byte) ([]string, error) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return []string{"list"}, nil
	}
	if line[0] != '[' {
		return nil, badRequest("not a JSON array")
	}
	var args []string
	if err := json.Unmarshal(line, &args); err != nil {
		return nil, badRequest("not a JSON array of strings")
	}
	if len(args) == 0 {
		return nil, badRequest("no command")
	}
	return args, nil
}

func badRequest(why string) error {
	return &requestError{why}
}

type requestError struct{ why string }

func (e *requestError) Error() string { return "queuectl: bad request: " + e.why }
func (e *requestError) Unwrap() error { return ErrBadRequest }

// AppendRequest appends the request line for args (ending in "\n") to
// dst.
func AppendRequest(dst []byte, args []string) []byte {
	if args == nil {
		args = []string{}
	}
	b, _ := json.Marshal(args) // a []string always marshals
	if len(args) == 0 {
		b = nil // the empty line: "list"
	}
	dst = append(dst, b...)
	return append(dst, '\n')
}

// Server answers commands on a control socket, one per connection (see
// the package doc for the protocol), by running them with Run against
// Ops. Its zero value with Ops set works.
type Server struct {
	// Ops is what the commands act on. Required.
	Ops Ops
	// Timeout bounds one connection: reading the request, running the
	// command and writing its answer. Default 30 s.
	Timeout time.Duration
	// MaxRequest bounds the request line in bytes. Default
	// DefaultMaxRequest.
	MaxRequest int
	// Logger receives each command run and each refused request. Nil is
	// silent.
	Logger *slog.Logger

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[net.Conn]struct{}
	closed    bool
	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
}

func (s *Server) init() {
	if s.ctx == nil {
		s.ctx, s.cancel = context.WithCancel(context.Background())
		s.listeners = map[net.Listener]struct{}{}
		s.conns = map[net.Conn]struct{}{}
	}
}

// Serve accepts connections on l and answers each in its own goroutine,
// until Close or Shutdown (then it returns ErrServerClosed) or until l
// fails for good. Serve closes l when it returns.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	s.init()
	if s.closed {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
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
		c, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return ErrServerClosed
			}
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			// Out of file descriptors, say: wait and try again, as
			// net/http does.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.logf(slog.LevelWarn, "queuectl: accept failed", "err", err, "retry_in", backoff)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return ErrServerClosed
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			s.ServeConn(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

// ServeConn answers the one command that c carries and closes c. Serve
// calls it for each connection; call it directly to serve a connection
// accepted elsewhere.
func (s *Server) ServeConn(c net.Conn) {
	defer c.Close()
	s.mu.Lock()
	s.init()
	base := s.ctx
	s.mu.Unlock()
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	maxReq := s.MaxRequest
	if maxReq <= 0 {
		maxReq = DefaultMaxRequest
	}
	c.SetDeadline(time.Now().Add(timeout))
	ctx, cancel := context.WithTimeout(base, timeout)
	defer cancel()

	line, err := readRequest(c, maxReq)
	if line == nil && err != nil && !errors.Is(err, ErrRequestTooLong) {
		return // closed or timed out before a request: nothing to answer
	}
	w := bufio.NewWriter(c)
	defer w.Flush()
	var args []string
	if err == nil {
		args, err = ParseRequest(line)
	}
	if err != nil {
		s.logf(slog.LevelWarn, "queuectl: refused request", "err", err)
		writeStatus(w, 2, err)
		return
	}
	err = Run(ctx, s.Ops, args, w)
	s.logf(slog.LevelInfo, "queuectl: command", "command", args[0], "args", len(args)-1, "err", err)
	writeStatus(w, Status(err), err)
}

// readRequest reads one line of at most max bytes (a last line without
// its newline, cut by the client's half-close, counts). It returns
// ErrRequestTooLong for a longer one, and the connection's error for
// none at all.
func readRequest(c io.Reader, max int) ([]byte, error) {
	br := bufio.NewReaderSize(io.LimitReader(c, int64(max)+1), 4096)
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > max {
			return nil, ErrRequestTooLong
		}
		switch {
		case err == nil:
			return line, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(line) > 0:
			return line, nil
		default:
			return nil, err
		}
	}
}

// writeStatus ends an answer: "status N", and for a non-zero status the
// error on one line, clipped.
func writeStatus(w io.Writer, status int, err error) {
	if status == 0 || err == nil {
		io.WriteString(w, "status "+strconv.Itoa(status)+"\n")
		return
	}
	msg := strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, err.Error())
	if len(msg) > maxStatusText {
		msg = strings.ToValidUTF8(msg[:maxStatusText], "") + "..."
	}
	io.WriteString(w, "status "+strconv.Itoa(status)+" "+msg+"\n")
}

// Close stops the server at once: it closes the listeners and the
// connections in flight, and cancels their commands.
func (s *Server) Close() error {
	s.mu.Lock()
	s.init()
	s.closed = true
	s.cancel()
	var errs []error
	for l := range s.listeners {
		errs = append(errs, l.Close())
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	return errors.Join(errs...)
}

// Shutdown stops accepting and waits for the commands in flight to
// finish, until ctx ends; then it closes what is left (Close) and
// returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.init()
	s.closed = true
	var errs []error
	for l := range s.listeners {
		errs = append(errs, l.Close())
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return errors.Join(errs...)
	case <-ctx.Done():
		s.Close()
		return ctx.Err()
	}
}

func (s *Server) logf(level slog.Level, msg string, args ...any) {
	if s.Logger != nil {
		s.Logger.Log(context.Background(), level, msg, args...)
	}
}

// Do sends one command (args: the name and its arguments; nil asks for
// "list") over c, a new connection to a Server, copies the command's
// output to w as it arrives, and closes c. It returns nil when the
// command succeeded, a *CommandError carrying the server's status and
// error when it did not, ErrNoStatus (wrapped) when the answer ended
// early, or the connection's error. ctx bounds the whole exchange.
func Do(ctx context.Context, c net.Conn, args []string, w io.Writer) error {
	defer c.Close()
	req := AppendRequest(nil, args)
	if len(req) > DefaultMaxRequest {
		return ErrRequestTooLong
	}
	if d, ok := ctx.Deadline(); ok {
		c.SetDeadline(d)
	}
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := c.Write(req); err != nil {
		return ctxErr(ctx, err)
	}
	return ctxErr(ctx, ReadAnswer(c, w))
}

func ctxErr(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// ReadAnswer reads a server's answer from r (Do calls it after sending
// the request): it copies the output to w as it arrives, holding back
// only the last line, and returns what the status line says (nil, or a
// *CommandError). An answer without a status line is ErrNoStatus. It
// holds at most a few kilobytes, whatever the answer's length.
func ReadAnswer(r io.Reader, w io.Writer) error {
	br := bufio.NewReaderSize(r, maxStatusLine)
	var last []byte // the last complete line, not yet written
	inLong := false // in a line too long to be the status line
	var werr error  // the first error writing to w
	write := func(b []byte) {
		if werr == nil && len(b) > 0 {
			_, werr = w.Write(b)
		}
	}
	for {
		line, err := br.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			write(last)
			last = last[:0]
			write(line)
			inLong = true
			continue
		case err == nil && inLong:
			write(line)
			inLong = false
			continue
		case err == nil:
			write(last)
			last = append(last[:0], line...)
			continue
		}
		// The answer has ended: after its status line, if the server
		// closed the connection when it should have.
		if !errors.Is(err, io.EOF) || len(line) > 0 || inLong {
			write(last)
			write(line)
			if !errors.Is(err, io.EOF) {
				return err
			}
			return ErrNoStatus
		}
		break
	}
	status, msg, ok := parseStatus(last)
	if !ok {
		write(last)
		return ErrNoStatus
	}
	if werr != nil {
		return werr
	}
	if status != 0 {
		return &CommandError{Status: status, Message: msg}
	}
	return nil
}

// parseStatus reads a status line: "status N" or "status N message",
// with N from 0 to 255 in decimal without leading zeros, as writeStatus
// writes it. Any other line is not a status line: "status 01" would
// otherwise read as a failure while it starts like a success.
func parseStatus(line []byte) (status int, msg string, ok bool) {
	rest, ok := bytes.CutPrefix(line, []byte("status "))
	if !ok {
		return 0, "", false
	}
	rest, ok = bytes.CutSuffix(rest, []byte("\n"))
	if !ok {
		return 0, "", false
	}
	rest = bytes.TrimSuffix(rest, []byte("\r"))
	num, text, _ := bytes.Cut(rest, []byte(" "))
	if len(num) == 0 || len(num) > 3 || (len(num) > 1 && num[0] == '0') {
		return 0, "", false
	}
	for _, c := range num {
		if c < '0' || c > '9' {
			return 0, "", false
		}
		status = status*10 + int(c-'0')
	}
	if status > 255 {
		return 0, "", false
	}
	return status, string(text), true
}
