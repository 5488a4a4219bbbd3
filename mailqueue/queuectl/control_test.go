package queuectl

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/relaykit/relaykit/mailqueue"
)

// startServer serves ops on a Unix socket in a temp dir and returns a
// dialer for it.
func startServer(t *testing.T, srv *Server) func() net.Conn {
	t.Helper()
	path := filepath.Join(t.TempDir(), "control.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return func() net.Conn {
		c, err := net.Dial("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
}

func do(t *testing.T, dial func() net.Conn, args ...string) (string, error) {
	t.Helper()
	var b strings.Builder
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := Do(ctx, dial(), args, &b)
	return b.String(), err
}

// TestServerDo: commands over the socket give what Run gives, and errors
// come back with their status.
func TestServerDo(t *testing.T) {
	dial := startServer(t, &Server{Ops: StoreOps{Store: testStore(t), Now: func() time.Time { return t0 }}})
	for _, c := range []struct {
		args []string
		out  string
		err  error
	}{
		{nil, listAll, nil},
		{[]string{"list", "-held"}, listHeld, nil},
		{[]string{"hold", id1, "00000000000000ff"}, id1 + ": held\n",
			&CommandError{1, "queuectl: hold 00000000000000ff: mailqueue: no such message"}},
		{[]string{"hold", "x\ny"}, "", &CommandError{2, `queuectl: hold: bad queue ID "x\ny"`}},
		{[]string{"frob"}, "", &CommandError{2, `queuectl: unknown command "frob" (` + Commands + ")"}},
		{[]string{}, listAll[:strings.Index(listAll, "0000000000000001")] + strings.ReplaceAll(listAll[strings.Index(listAll, "0000000000000001"):], id1+" ", id1+"!"), nil},
		{[]string{"show", id2}, "id: " + id2 + "\nfrom: <>\ncreated: 2026-03-01T09:30:00Z\nattempts: 0\n" +
			"next attempt: 2026-03-01T11:30:00Z\nheld: true\nto: <postmaster@a.test> pending\nsize: 22\n\nSubject: 2\r\n\r\nbody 2\r\n", nil},
	} {
		out, err := do(t, dial, c.args...)
		if diff := cmp.Diff(c.out, out); diff != "" {
			t.Errorf("%q output (-want +got):\n%s", c.args, diff)
		}
		if diff := cmp.Diff(c.err, err); diff != "" {
			t.Errorf("%q error (-want +got):\n%s", c.args, diff)
		}
	}
}

// rawExchange sends req as is and returns the whole answer.
func rawExchange(t *testing.T, dial func() net.Conn, req []byte) string {
	t.Helper()
	c := dial()
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	go func() {
		// The write may fail once the server has answered and closed.
		if _, err := c.Write(req); err == nil {
			c.(*net.UnixConn).CloseWrite()
		}
	}()
	b, _ := io.ReadAll(c)
	return string(b)
}

// TestServerBadRequests: hostile requests get status 2 and the server
// keeps serving.
func TestServerBadRequests(t *testing.T) {
	dial := startServer(t, &Server{Ops: StoreOps{Store: testStore(t)}, MaxRequest: 1000})
	for _, c := range []struct{ req, want string }{
		{"hold 0000000000000001\n", "status 2 queuectl: bad request: not a JSON array\n"},
		{"[1, 2]\n", "status 2 queuectl: bad request: not a JSON array of strings\n"},
		{"[]\n", "status 2 queuectl: bad request: no command\n"},
		{"[\"counts\"", "status 2 queuectl: bad request: not a JSON array of strings\n"},
		{"[\"" + strings.Repeat("a", 2000) + "\"]\n", "status 2 queuectl: request line too long\n"},
		{strings.Repeat("x", 1001), "status 2 queuectl: request line too long\n"},
		// Up to the limit, a last line without its newline counts.
		{`["counts"]`, "messages 3\nheld 1\ndeferred 1\nrunning 0\nunreadable 0\npending-recipients 3\nbytes 66\nstatus 0\n"},
		{`["hold","` + strings.Repeat("z", 5000)[:900] + `"]` + "\n", `status 2 queuectl: hold: bad queue ID "` + strings.Repeat("z", 40) + "...\"\n"},
	} {
		if got := rawExchange(t, dial, []byte(c.req)); got != c.want {
			t.Errorf("%.40q: got %q, want %q", c.req, got, c.want)
		}
	}
	// A client that connects and says nothing times out without harm.
	srv := &Server{Ops: StoreOps{Store: testStore(t)}, Timeout: 50 * time.Millisecond}
	dial2 := startServer(t, srv)
	c := dial2()
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if b, err := io.ReadAll(c); len(b) != 0 || err != nil {
		t.Errorf("silent client: got %q, %v; want the connection closed", b, err)
	}
	if out, err := do(t, dial2, "counts"); err != nil || !strings.HasPrefix(out, "messages 3\n") {
		t.Errorf("after a silent client: %v %q", err, out)
	}
}

// blockOps blocks Entries until release is closed or ctx ends.
type blockOps struct {
	failOps
	started chan struct{}
	release chan struct{}
}

func (o blockOps) Entries(ctx context.Context) ([]mailqueue.Entry, error) {
	close(o.started)
	select {
	case <-o.release:
		return nil, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// TestServerShutdown: Shutdown waits for the command in flight, and
// refuses new connections meanwhile.
func TestServerShutdown(t *testing.T) {
	ops := blockOps{started: make(chan struct{}), release: make(chan struct{})}
	srv := &Server{Ops: ops}
	dial := startServer(t, srv)
	type result struct {
		out string
		err error
	}
	got := make(chan result, 1)
	c := dial()
	go func() {
		var b strings.Builder
		err := Do(context.Background(), c, []string{"counts"}, &b)
		got <- result{b.String(), err}
	}()
	<-ops.started
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(context.Background()) }()
	close(ops.release)
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	r := <-got
	if r.err != nil || !strings.HasPrefix(r.out, "messages 0\n") {
		t.Errorf("command in flight at Shutdown: %v %q", r.err, r.out)
	}
	l, err := net.Listen("unix", filepath.Join(t.TempDir(), "again.sock"))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(l); !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve after Shutdown: %v", err)
	}
}

// TestServerShutdownTimeout: when ctx ends first, the command is
// cancelled and the client learns it failed.
func TestServerShutdownTimeout(t *testing.T) {
	ops := blockOps{started: make(chan struct{}), release: make(chan struct{})}
	srv := &Server{Ops: ops}
	dial := startServer(t, srv)
	got := make(chan error, 1)
	c := dial()
	go func() { got <- Do(context.Background(), c, []string{"list"}, io.Discard) }()
	<-ops.started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := srv.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Shutdown: %v", err)
	}
	if err := <-got; err == nil {
		t.Errorf("Do: no error for a command cut off by Close")
	}
}

// TestDoContext: a cancelled context ends Do even if the server never
// answers.
func TestDoContext(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	go io.Copy(io.Discard, b)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- Do(ctx, a, []string{"list"}, io.Discard) }()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("Do: %v, want context.Canceled", err)
	}
	if err := Do(context.Background(), a, []string{"hold", strings.Repeat("a", DefaultMaxRequest)}, io.Discard); !errors.Is(err, ErrRequestTooLong) {
		t.Errorf("Do of a long request: %v", err)
	}
}

func TestReadAnswer(t *testing.T) {
	long := strings.Repeat("x", 3*maxStatusLine) + "\n"
	for _, c := range []struct {
		answer, out string
		err         error
	}{
		{"status 0\n", "", nil},
		{"a\nb\nstatus 0\n", "a\nb\n", nil},
		{"a\r\nstatus 0\r\n", "a\r\n", nil},
		{long + "status 0\n", long, nil},
		{"status 0\n" + long + "status 1 boom\n", "status 0\n" + long, &CommandError{1, "boom"}},
		{"a\nstatus 2\n", "a\n", &CommandError{Status: 2}},
		{"status 255 x y\n", "", &CommandError{255, "x y"}},
		{"", "", ErrNoStatus},
		{"a\nb\n", "a\nb\n", ErrNoStatus},
		{"a\nstatus 0", "a\nstatus 0", ErrNoStatus},
		{"a\nstatus 256\n", "a\nstatus 256\n", ErrNoStatus},
		{"status x\n", "status x\n", ErrNoStatus},
		{"status \n", "status \n", ErrNoStatus},
		{long[:len(long)-1], long[:len(long)-1], ErrNoStatus},
		{"status 1 " + long, "status 1 " + long, ErrNoStatus},
	} {
		var b strings.Builder
		err := ReadAnswer(strings.NewReader(c.answer), &b)
		if b.String() != c.out {
			t.Errorf("%.30q: output %.30q, want %.30q", c.answer, b.String(), c.out)
		}
		if _, ok := c.err.(*CommandError); ok {
			if diff := cmp.Diff(c.err, err); diff != "" {
				t.Errorf("%.30q: error (-want +got):\n%s", c.answer, diff)
			}
		} else if !errors.Is(err, c.err) || (c.err == nil) != (err == nil) {
			t.Errorf("%.30q: error %v, want %v", c.answer, err, c.err)
		}
	}
}

func TestWriteStatusClips(t *testing.T) {
	var b bytes.Buffer
	writeStatus(&b, 1, errors.New(strings.Repeat("é", maxStatusText)+"\nnext"))
	line := b.String()
	if len(line) > maxStatusLine || strings.Count(line, "\n") != 1 || !strings.HasSuffix(line, "...\n") {
		t.Fatalf("status line of %d bytes: %.60q", len(line), line)
	}
	var out strings.Builder
	var ce *CommandError
	if err := ReadAnswer(&b, &out); !errors.As(err, &ce) || ce.Status != 1 || out.Len() != 0 {
		t.Errorf("ReadAnswer of a clipped status: %v, output %q", err, out.String())
	}
}

// flakyListener fails its first Accepts, as a listener out of file
// descriptors does.
type flakyListener struct {
	net.Listener
	fails int
}

func (l *flakyListener) Accept() (net.Conn, error) {
	if l.fails > 0 {
		l.fails--
		return nil, errors.New("accept: too many open files")
	}
	return l.Listener.Accept()
}

// TestServerAcceptRetry: a failing Accept is retried, logged, and the
// server goes on serving.
func TestServerAcceptRetry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "control.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	var mu sync.Mutex
	srv := &Server{Ops: StoreOps{Store: testStore(t)}, Logger: slog.New(slog.NewTextHandler(&lockedWriter{&mu, &logged}, nil))}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(&flakyListener{Listener: l, fails: 2}) }()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	if err := Do(context.Background(), c, []string{"frob"}, io.Discard); err == nil {
		t.Error("frob: no error")
	}
	srv.Close()
	if err := <-done; !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, want := range []string{"accept failed", "too many open files", "unknown command"} {
		if !strings.Contains(logged.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logged.String())
		}
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (w *lockedWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(b)
}
