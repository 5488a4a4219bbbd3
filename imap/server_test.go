package imap

import (
	"bufio"
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type testServer struct {
	srv    *Server
	be     *memBackend
	addr   string
	mu     sync.Mutex
	sleeps []time.Duration
}

func startServer(t *testing.T, configure func(*Server)) *testServer {
	t.Helper()
	ts := &testServer{be: newMemBackend()}
	ts.srv = &Server{
		Backend:           ts.be,
		AllowInsecureAuth: true,
		IdlePoll:          10 * time.Millisecond,
		Sleep: func(_ context.Context, d time.Duration) {
			ts.mu.Lock()
			ts.sleeps = append(ts.sleeps, d)
			ts.mu.Unlock()
		},
	}
	if configure != nil {
		configure(ts.srv)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.addr = l.Addr().String()
	done := make(chan struct{})
	go func() { ts.srv.Serve(l); close(done) }()
	t.Cleanup(func() {
		ts.srv.Close()
		<-done
	})
	return ts
}

type testClient struct {
	t  *testing.T
	nc net.Conn
	r  *bufio.Reader
}

func (ts *testServer) dial(t *testing.T) (*testClient, string) {
	t.Helper()
	nc, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	c := &testClient{t: t, nc: nc, r: bufio.NewReader(nc)}
	return c, c.line()
}

// inbox delivers msgs to INBOX and returns a client logged in with INBOX
// selected.
func (ts *testServer) inbox(t *testing.T, msgs []string) *testClient {
	t.Helper()
	for _, m := range msgs {
		ts.be.deliver("INBOX", m)
	}
	c, _ := ts.dial(t)
	c.check("a1", "LOGIN bob secret", "a1 OK [CAPABILITY "+caps+"] Logged in")
	c.do("a2", "SELECT INBOX")
	return c
}

func (c *testClient) line() string {
	c.t.Helper()
	l, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("read: %v (got %q)", err, l)
	}
	return strings.TrimSuffix(l, "\r\n")
}

func (c *testClient) send(s string) {
	c.t.Helper()
	if _, err := c.nc.Write([]byte(s + "\r\n")); err != nil {
		c.t.Fatal(err)
	}
}

// do sends a tagged command and returns every line up to and including
// the tagged response.
func (c *testClient) do(tag, cmd string) []string {
	c.t.Helper()
	c.send(tag + " " + cmd)
	var lines []string
	for {
		l := c.line()
		lines = append(lines, l)
		if strings.HasPrefix(l, tag+" ") {
			return lines
		}
	}
}

func (c *testClient) check(tag, cmd string, want ...string) {
	c.t.Helper()
	got := c.do(tag, cmd)
	if diff := cmp.Diff(want, got); diff != "" {
		c.t.Errorf("%s %s: -want +got\n%s", tag, cmd, diff)
	}
}

const caps = "IMAP4rev2 IMAP4rev1 LITERAL+ SASL-IR ENABLE ID IDLE UIDPLUS MOVE NAMESPACE UNSELECT ESEARCH SEARCHRES BINARY LIST-EXTENDED LIST-STATUS SPECIAL-USE CONDSTORE UTF8=ACCEPT STATUS=SIZE"

const msg1 = "From: Alice <alice@crepes.fr>\r\nTo: bob@hamburger.edu\r\nSubject: Hello Bob\r\nDate: Tue, 5 Mar 2024 10:00:00 +0000\r\nMessage-ID: <1@crepes.fr>\r\n\r\nHow are you?\r\n"
const msg2 = "From: carol@example.org\r\nTo: bob@hamburger.edu\r\nSubject: Lunch\r\n\r\nNoon?\r\n"

func TestSession(t *testing.T) {
	ts := startServer(t, nil)
	ts.be.deliver("INBOX", msg1)
	ts.be.deliver("INBOX", msg2, `\Seen`)
	c, greet := ts.dial(t)
	if want := "* OK [CAPABILITY " + caps + " AUTH=PLAIN] localhost IMAP4rev2 server ready"; greet != want {
		t.Fatalf("greeting %q", greet)
	}
	c.check("a1", "LOGIN bob secret", "a1 OK [CAPABILITY "+caps+"] Logged in")
	c.check("a2", `LIST "" *`,
		`* LIST () "/" INBOX`,
		`* LIST (\Sent) "/" Sent`,
		`* LIST (\Trash) "/" Trash`,
		"a2 OK LIST completed")
	c.check("a3", "SELECT inbox",
		"* 2 EXISTS", "* 0 RECENT", "* OK [UNSEEN 1] First unseen",
		"* OK [UIDVALIDITY 7] UIDs valid", "* OK [UIDNEXT 3] Predicted next UID",
		`* FLAGS (\Answered \Flagged \Deleted \Seen \Draft)`,
		`* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted`,
		"a3 OK [READ-WRITE] SELECT completed")
	c.check("a4", "FETCH 1:* (UID FLAGS RFC822.SIZE)",
		"* 1 FETCH (UID 1 FLAGS () RFC822.SIZE 155)",
		`* 2 FETCH (UID 2 FLAGS (\Seen) RFC822.SIZE 73)`,
		"a4 OK FETCH completed")
	c.check("a5", "FETCH 1 ENVELOPE",
		`* 1 FETCH (ENVELOPE ("Tue, 5 Mar 2024 10:00:00 +0000" "Hello Bob" (("Alice" NIL "alice" "crepes.fr")) (("Alice" NIL "alice" "crepes.fr")) (("Alice" NIL "alice" "crepes.fr")) ((NIL NIL "bob" "hamburger.edu")) NIL NIL NIL "<1@crepes.fr>"))`,
		"a5 OK FETCH completed")
	c.check("a6", "FETCH 1 BODY.PEEK[HEADER.FIELDS (subject)]",
		"* 1 FETCH (BODY[HEADER.FIELDS (subject)] {22}", "Subject: Hello Bob", "", ")",
		"a6 OK FETCH completed")
	// BODY[TEXT] without PEEK sets \Seen and reports the flags.
	c.check("a7", "UID FETCH 1 BODY[TEXT]<0.3>",
		"* 1 FETCH (BODY[TEXT]<0> {3}", `How UID 1 FLAGS (\Seen))`,
		"a7 OK FETCH completed")
	c.check("a8", "SEARCH UNSEEN", "* SEARCH", "a8 OK SEARCH completed")
	c.check("a9", `SEARCH FROM carol`, "* SEARCH 2", "a9 OK SEARCH completed")
	c.check("b1", `UID SEARCH RETURN (MIN MAX COUNT) SUBJECT "hello bob"`, `* ESEARCH (TAG "b1") UID MIN 1 MAX 1 COUNT 1`, "b1 OK SEARCH completed")
	c.check("b2", `STORE 2 +FLAGS (\Deleted)`, `* 2 FETCH (FLAGS (\Seen \Deleted))`, "b2 OK STORE completed")
	c.check("b3", "EXPUNGE", "* 2 EXPUNGE", "b3 OK EXPUNGE completed")
	c.check("b4", "UID MOVE 1 Trash", "* OK [COPYUID 9 1 1] Moved", "* 1 EXPUNGE", "b4 OK MOVE completed")
	c.check("b5", "STATUS Trash (MESSAGES UIDNEXT UNSEEN)", "* STATUS Trash (MESSAGES 1 UIDNEXT 2 UNSEEN 0)", "b5 OK STATUS completed")
	c.check("b6", "FETCH 1 FLAGS", "b6 BAD Invalid sequence set")
	c.check("b7", "LOGOUT", "* BYE Logging out", "b7 OK LOGOUT completed")
}

func TestAppendAndIdle(t *testing.T) {
	ts := startServer(t, nil)
	c, _ := ts.dial(t)
	c.check("a1", "LOGIN bob secret", "a1 OK [CAPABILITY "+caps+"] Logged in")
	c.send(`a2 APPEND Sent (\Seen) {` + itoa(len(msg1)) + "}")
	if l := c.line(); l != "+ Ready for literal data" {
		t.Fatalf("continuation: %q", l)
	}
	c.nc.Write([]byte(msg1 + "\r\n"))
	if l := c.line(); l != "a2 OK [APPENDUID 8 1] APPEND completed" {
		t.Fatalf("append: %q", l)
	}
	c.check("a3", "APPEND Nowhere {1+}\r\nx", "a3 NO [TRYCREATE] No such mailbox")
	c.check("a4", "ENABLE IMAP4rev2", "* ENABLED IMAP4rev2", "a4 OK ENABLE completed")
	c.do("a5", "SELECT INBOX")
	c.send("a6 IDLE")
	if l := c.line(); l != "+ idling" {
		t.Fatalf("idle: %q", l)
	}
	ts.be.deliver("INBOX", msg2)
	if l := c.line(); l != "* 1 EXISTS" {
		t.Fatalf("idle update: %q", l)
	}
	c.send("DONE")
	if l := c.line(); l != "a6 OK IDLE terminated" {
		t.Fatalf("idle end: %q", l)
	}
	c.check("a7", "SEARCH ALL", `* ESEARCH (TAG "a7") ALL 1`, "a7 OK SEARCH completed")
}

// TestBadInput: malformed commands get BAD and the session goes on; a
// literal over the limit is refused before the client sends it.
func TestBadInput(t *testing.T) {
	ts := startServer(t, func(s *Server) { s.Limits.MaxAppend = 100 })
	c, _ := ts.dial(t)
	c.check("a1", "FROB", "a1 BAD Unknown command")
	c.check("a2", "LOGIN", "a2 BAD imap: syntax error at octet 8: want SP")
	c.check("a3", "SELECT INBOX", "a3 BAD Log in first")
	c.check("a4", "LOGIN bob secret", "a4 OK [CAPABILITY "+caps+"] Logged in")
	c.check("a5", "APPEND INBOX {1000}", "a5 NO [TOOBIG] Literal too large")
	c.check("a6", "SEARCH "+strings.Repeat("NOT ", 50)+"ALL", "a6 BAD [LIMIT] Command too complex")
	c.do("a7", "SELECT INBOX")
	c.check("a8", "SEARCH "+strings.Repeat("NOT ", 50)+"ALL", "a8 BAD [LIMIT] Command too complex")
	c.check("a9", "NOOP", "a9 OK NOOP completed")
}

// TestAuthFailures: each failed login is delayed (doubling per client
// address) and the third closes the connection.
func TestAuthFailures(t *testing.T) {
	ts := startServer(t, nil)
	c, _ := ts.dial(t)
	c.check("a1", "LOGIN bob wrong", "a1 NO [AUTHENTICATIONFAILED] Invalid credentials")
	c.check("a2", "AUTHENTICATE PLAIN "+"AGJvYgB3cm9uZw==", "a2 NO [AUTHENTICATIONFAILED] Invalid credentials")
	c.check("a3", "LOGIN bob wrong", "a3 NO [AUTHENTICATIONFAILED] Invalid credentials")
	if l := c.line(); l != "* BYE Too many failed logins" {
		t.Errorf("after third failure: %q", l)
	}
	if _, err := c.r.ReadString('\n'); err == nil {
		t.Error("connection still open after three failures")
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}
	if diff := cmp.Diff(want, ts.sleeps); diff != "" {
		t.Errorf("delays -want +got\n%s", diff)
	}
	c2, _ := ts.dial(t)
	c2.check("b1", "AUTHENTICATE PLAIN AGJvYgBzZWNyZXQ=", "b1 OK [CAPABILITY "+caps+"] Logged in")
}

func TestPrivacyRequired(t *testing.T) {
	ts := startServer(t, func(s *Server) { s.AllowInsecureAuth = false })
	c, greet := ts.dial(t)
	if !strings.Contains(greet, "LOGINDISABLED") {
		t.Errorf("greeting %q lacks LOGINDISABLED", greet)
	}
	c.check("a1", "LOGIN bob secret", "a1 NO [PRIVACYREQUIRED] Use STARTTLS first")
}

func TestShutdownSaysBye(t *testing.T) {
	ts := startServer(t, nil)
	c, _ := ts.dial(t)
	c.check("a1", "NOOP", "a1 OK NOOP completed")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if l := c.line(); l != "* BYE Server shutting down" {
		t.Errorf("got %q", l)
	}
}

func TestMatchMailbox(t *testing.T) {
	for _, tt := range []struct {
		p, n string
		want bool
	}{
		{"*", "a/b", true}, {"%", "a/b", false}, {"a/%", "a/b", true}, {"a*", "ab/c", true},
		{"INBOX", "INBOX", true}, {"inbox", "INBOX", true}, {"S%", "Sent", true}, {"x", "y", false},
	} {
		if got := matchMailbox(tt.p, tt.n); got != tt.want {
			t.Errorf("matchMailbox(%q, %q) = %v", tt.p, tt.n, got)
		}
	}
}

// TestExpungeAndArrival: another session expunges a message and a new
// one arrives before this session's NOOP: it is told both, EXPUNGE then
// EXISTS (the count is what it was, but not the count the client has
// after the EXPUNGE).
func TestExpungeAndArrival(t *testing.T) {
	ts := startServer(t, nil)
	ts.be.deliver("INBOX", msg1)
	ts.be.deliver("INBOX", msg2)
	a, _ := ts.dial(t)
	a.do("a1", "LOGIN bob secret")
	a.do("a2", "SELECT INBOX")
	b, _ := ts.dial(t)
	b.do("b1", "LOGIN bob secret")
	b.do("b2", "SELECT INBOX")
	b.check("b3", `STORE 1 +FLAGS.SILENT (\Deleted)`, "b3 OK STORE completed")
	b.check("b4", "EXPUNGE", "* 1 EXPUNGE", "b4 OK EXPUNGE completed")
	ts.be.deliver("INBOX", msg2)
	a.check("a3", "NOOP", "* 1 EXPUNGE", "* 2 EXISTS", "a3 OK NOOP completed")
	a.check("a4", "UID SEARCH ALL", "* SEARCH 2 3", "a4 OK SEARCH completed")
}
