package smtp

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// ehlo sends EHLO and returns the reply.
func (lc *lineClient) ehlo() string {
	lc.send("EHLO c.test\r\n")
	return lc.reply()
}

func TestServerTenThousandRecipients(t *testing.T) {
	be := &testBackend{}
	s := &Server{Backend: be, MaxRecipients: 1000}
	lc := newLineClient(t, pipeServer(t, s))
	lc.line()
	lc.ehlo()
	var b strings.Builder
	b.WriteString("MAIL FROM:<a@example.org>\r\n")
	for i := range 10000 {
		fmt.Fprintf(&b, "RCPT TO:<r%d@example.net>\r\n", i)
	}
	b.WriteString("DATA\r\n")
	lc.send(b.String())
	if r := lc.reply(); !strings.HasPrefix(r, "250 ") {
		t.Fatal(r)
	}
	for i := range 10000 {
		r := lc.reply()
		want := "250 2.1.5"
		if i >= 1000 {
			want = "452 4.5.3"
		}
		if !strings.HasPrefix(r, want) {
			t.Fatalf("RCPT %d: %q, want %s", i, r, want)
		}
	}
	if r := lc.reply(); !strings.HasPrefix(r, "354") {
		t.Fatal(r)
	}
	lc.send("hi\r\n.\r\n")
	if r := lc.reply(); !strings.HasPrefix(r, "250 2.0.0") {
		t.Fatal(r)
	}
	if m := be.messages(); len(m) != 1 || len(m[0].To) != 1000 {
		t.Fatalf("got %d messages", len(m))
	}
}

func TestServerEndlessLine(t *testing.T) {
	s := &Server{Backend: &testBackend{}}
	lc := newLineClient(t, pipeServer(t, s))
	lc.line()
	// A long line is discarded and answered, and the session goes on.
	lc.send("NOOP " + strings.Repeat("x", 40000) + "\r\n")
	if r := lc.reply(); r != "500 5.5.0 Line too long" {
		t.Fatal(r)
	}
	lc.send("NOOP\r\n")
	if r := lc.reply(); r != "250 2.0.0 OK" {
		t.Fatal(r)
	}
	// A line without end is cut off after a bounded amount.
	lc.send(strings.Repeat("y", 100000))
	if r := lc.reply(); r != "500 5.5.0 Line too long, closing connection" {
		t.Fatal(r)
	}
	lc.expectEOF()
}

func TestServerSlowClientTimesOut(t *testing.T) {
	s := &Server{Backend: &testBackend{}, Timeouts: ServerTimeouts{Command: 50 * time.Millisecond, DataBlock: 50 * time.Millisecond}}
	lc := newLineClient(t, pipeServer(t, s))
	lc.line()
	// Say nothing: the command timeout ends the session with 421.
	if r := lc.reply(); !strings.HasPrefix(r, "421 4.4.2") {
		t.Fatal(r)
	}
	lc.expectEOF()

	// Stall in the middle of DATA: the data block timeout ends it.
	be := &testBackend{}
	s2 := &Server{Backend: be, Timeouts: ServerTimeouts{Command: time.Minute, DataBlock: 50 * time.Millisecond}}
	lc2 := newLineClient(t, pipeServer(t, s2))
	lc2.line()
	lc2.ehlo()
	lc2.send("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n")
	lc2.reply()
	lc2.reply()
	lc2.reply()
	lc2.send("partial line")
	if r := lc2.reply(); !strings.HasPrefix(r, "451 4.3.0") {
		t.Fatal(r)
	}
	lc2.expectEOF()
	if len(be.messages()) != 0 {
		t.Fatal("partial message accepted")
	}
}

// TestServerDribbledCommandTimesOut: the command timeout bounds the whole
// wait for a command line, not each read, so a client sending one byte at
// a time cannot hold the connection (the deadline starts with the first
// read of the command and is not moved by the reads that follow).
func TestServerDribbledCommandTimesOut(t *testing.T) {
	s := &Server{Backend: &testBackend{}, Timeouts: ServerTimeouts{Command: 200 * time.Millisecond}}
	c := pipeServer(t, s)
	br := bufio.NewReader(c)
	if _, err := br.ReadString('\n'); err != nil { // greeting
		t.Fatal(err)
	}
	replies := make(chan string, 1)
	go func() {
		l, _ := br.ReadString('\n')
		replies <- l
	}()
	// 100 bytes, one per 20 ms: the line would take 2 s, ten times the
	// timeout, while each pause is far shorter than the timeout.
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	closed := false
	for _, b := range []byte(strings.Repeat("N", 100)) {
		<-tick.C
		c.SetWriteDeadline(time.Now().Add(time.Second))
		if _, err := c.Write([]byte{b}); err != nil {
			closed = true // the server gave up on the line
			break
		}
	}
	if !closed {
		t.Fatal("a dribbled command line kept the connection past its timeout")
	}
	if r := <-replies; !strings.HasPrefix(r, "421 4.4.2") {
		t.Fatalf("reply %q, want 421 4.4.2", r)
	}
}

func TestServerStartTLS(t *testing.T) {
	cert := testCert(t)
	be := &testBackend{}
	s := &Server{Backend: be, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}}
	addr := startServer(t, s)

	// Commands pipelined after STARTTLS in plaintext are discarded, never
	// run inside the TLS session (RFC 3207 6, CVE-2011-0411).
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	lc := newLineClient(t, nc)
	lc.line()
	if r := lc.ehlo(); !strings.Contains(r, "250-STARTTLS") || strings.Contains(r, "AUTH") {
		t.Fatal(r)
	}
	lc.send("MAIL FROM:<a@example.org>\r\n")
	lc.reply()
	lc.send("STARTTLS\r\nRSET\r\nMAIL FROM:<injected@example.org>\r\n")
	if r := lc.reply(); r != "220 2.0.0 Ready to start TLS" {
		t.Fatal(r)
	}
	tc := tls.Client(nc, &tls.Config{InsecureSkipVerify: true})
	if err := tc.Handshake(); err != nil {
		// The injected bytes reached the server before the handshake and
		// were discarded, so the handshake itself works.
		t.Fatal(err)
	}
	tlc := newLineClient(t, tc)
	// State was reset: MAIL needs EHLO again.
	tlc.send("MAIL FROM:<a@example.org>\r\n")
	if r := tlc.reply(); r != "503 5.5.1 Send HELO/EHLO first" {
		t.Fatal(r)
	}
	if r := tlc.ehlo(); strings.Contains(r, "STARTTLS") || !strings.Contains(r, "AUTH PLAIN LOGIN") {
		t.Fatal(r)
	}
	tlc.send("STARTTLS\r\n")
	if r := tlc.reply(); r != "503 5.5.1 TLS already active" {
		t.Fatal(r)
	}

	// Garbage instead of a TLS handshake closes the connection.
	nc2, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc2.Close()
	lc2 := newLineClient(t, nc2)
	lc2.line()
	lc2.send("STARTTLS\r\n")
	lc2.reply()
	lc2.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n" + strings.Repeat("garbage", 1000))
	lc2.expectEOF()
}

func TestServerShutdown(t *testing.T) {
	be := &testBackend{}
	s := &Server{Backend: be}
	addr := startServer(t, s)

	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	li := newLineClient(t, idle)
	li.line()

	busy, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	lb := newLineClient(t, busy)
	lb.line()
	lb.ehlo()
	lb.send("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n")
	lb.reply()
	lb.reply()
	lb.reply()
	lb.send("first part\r\n")

	done := make(chan error, 1)
	go func() { done <- s.Shutdown(context.Background()) }()
	// The idle connection is told at once.
	if r := li.reply(); !strings.HasPrefix(r, "421 4.3.2") {
		t.Fatal(r)
	}
	li.expectEOF()
	// The message in flight completes, then the next command gets 421.
	lb.send("second part\r\n.\r\nNOOP\r\n")
	if r := lb.reply(); !strings.HasPrefix(r, "250 2.0.0") {
		t.Fatal(r)
	}
	if r := lb.reply(); !strings.HasPrefix(r, "421 4.3.2") {
		t.Fatal(r)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if m := be.messages(); len(m) != 1 || string(m[0].Data) != "first part\r\nsecond part\r\n" {
		t.Fatalf("messages %+v", m)
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Fatal("listener still open")
	}
}

func TestServerShutdownDeadline(t *testing.T) {
	s := &Server{Backend: &testBackend{}}
	addr := startServer(t, s)
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	lc := newLineClient(t, nc)
	lc.line()
	lc.ehlo()
	lc.send("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n")
	lc.reply()
	lc.reply()
	lc.reply()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Shutdown: %v", err)
	}
	lc.expectEOF()
}

func TestServerConnectionLimits(t *testing.T) {
	s := &Server{Backend: &testBackend{}, MaxConnectionsPerIP: 2}
	addr := startServer(t, s)
	var conns []*lineClient
	for range 2 {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		lc := newLineClient(t, nc)
		if r := lc.line(); !strings.HasPrefix(r, "220 ") {
			t.Fatal(r)
		}
		conns = append(conns, lc)
	}
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	lc := newLineClient(t, nc)
	if r := lc.line(); !strings.HasPrefix(r, "421 4.7.0") {
		t.Fatal(r)
	}
	lc.expectEOF()
	// Closing one frees a slot.
	conns[0].send("QUIT\r\n")
	conns[0].reply()
	conns[0].expectEOF()
	nc3, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc3.Close()
	if r := newLineClient(t, nc3).line(); !strings.HasPrefix(r, "220 ") {
		t.Fatalf("after a QUIT: %q", r)
	}

	s2 := &Server{Backend: &testBackend{}, MaxConnections: 1}
	addr2 := startServer(t, s2)
	a, _ := net.Dial("tcp", addr2)
	defer a.Close()
	la := newLineClient(t, a)
	la.line()
	b, _ := net.Dial("tcp", addr2)
	defer b.Close()
	lb := newLineClient(t, b)
	if r := lb.line(); !strings.HasPrefix(r, "421 4.7.0") {
		t.Fatal(r)
	}
}

func TestServerPipelinedRepliesInOneWrite(t *testing.T) {
	s := &Server{Backend: &testBackend{}}
	cc := pipeServer(t, s)
	lc := newLineClient(t, cc)
	lc.line()
	lc.ehlo()
	lc.send("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nRCPT TO:<c@example.net>\r\nDATA\r\n")
	// net.Pipe hands over each server write as it is: one Read gets all
	// four replies only if they were written together.
	cc.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4096)
	n, err := lc.br.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	got := string(buf[:n])
	if strings.Count(got, "\r\n") != 4 || !strings.HasPrefix(got, "250 2.1.0") || !strings.Contains(got, "354 ") {
		t.Fatalf("first write %q, want all four replies", got)
	}
}

func TestServerHugeRefusedChunk(t *testing.T) {
	s := &Server{Backend: &testBackend{}, MaxMessageBytes: 1000}
	lc := newLineClient(t, pipeServer(t, s))
	lc.line()
	lc.send("BDAT 999999999999 LAST\r\n")
	if r := lc.reply(); r != "552 5.3.4 Chunk too large, closing connection" {
		t.Fatal(r)
	}
	lc.expectEOF()
}

func TestServerEndlessRefusedData(t *testing.T) {
	// Data past the size limit is read (to stay in sync) only up to a
	// bound, then the connection is closed.
	s := &Server{Backend: &testBackend{}, MaxMessageBytes: 1000}
	lc := newLineClient(t, pipeServer(t, s))
	lc.line()
	lc.ehlo()
	lc.send("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n")
	lc.reply()
	lc.reply()
	lc.reply()
	line := strings.Repeat("x", 98) + "\r\n"
	chunk := strings.Repeat(line, 1000)
	for range 12 { // 1.2 MB > 1 MiB
		lc.send(chunk)
	}
	if r := lc.reply(); r != "552 5.3.4 Message size exceeds fixed maximum message size, closing connection" {
		t.Fatal(r)
	}
	lc.expectEOF()
}

func TestServerTooManyErrors(t *testing.T) {
	s := &Server{Backend: &testBackend{}, MaxErrors: 3}
	lc := newLineClient(t, pipeServer(t, s))
	lc.line()
	// An HTTP request sent to the SMTP port.
	lc.send("GET / HTTP/1.1\r\nHost: mx.test\r\nUser-Agent: x\r\nAccept: */*\r\n\r\n")
	for range 3 {
		if r := lc.reply(); !strings.HasPrefix(r, "500 ") {
			t.Fatal(r)
		}
	}
	if r := lc.reply(); !strings.HasPrefix(r, "421 4.7.0") {
		t.Fatal(r)
	}
	lc.expectEOF()
}
