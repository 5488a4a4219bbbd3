package imapstore

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaykit/relaykit/imap"
	"github.com/relaykit/relaykit/mailbox"
)

// benchMessage is a 4 KiB message with LF line ends, as the bench/
// comparison with Dovecot uses.
func benchMessage(i int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Return-Path: <alice@example.org>\nFrom: Alice <alice@example.org>\nTo: bob@example.net\nSubject: message %d\nDate: Tue, 5 Mar 2024 10:00:00 +0000\nMessage-ID: <%d@example.org>\n\n", i, i)
	for b.Len() < 4096-64 {
		b.WriteString("The quick brown fox jumps over the lazy dog, again and again.\n")
	}
	for b.Len() < 4095 {
		b.WriteByte('x')
	}
	b.WriteByte('\n')
	return b.Bytes()
}

// benchRoot holds the benchmarks' maildirs, made once per process and
// removed by TestMain.
var (
	benchRoot     string
	benchMaildirs sync.Map // n -> dir
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "imapstore-bench-")
	if err != nil {
		panic(err)
	}
	benchRoot = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// benchMaildir returns a maildir holding n messages in INBOX, made once
// per process.
func benchMaildir(b *testing.B, n int) *mailbox.Maildir {
	b.Helper()
	if dir, ok := benchMaildirs.Load(n); ok {
		md, err := mailbox.Open(dir.(string), mailbox.Options{})
		if err != nil {
			b.Fatal(err)
		}
		return md
	}
	dir := filepath.Join(benchRoot, fmt.Sprintf("bob%d", n))
	md, err := mailbox.Open(dir, mailbox.Options{Create: true, Host: "bench.test"})
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < n; i += 1000 {
		var batch []mailbox.Delivery
		for j := i; j < min(i+1000, n); j++ {
			batch = append(batch, mailbox.Delivery{Maildir: md, Data: benchMessage(j)})
		}
		if err := mailbox.DeliverBatch(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
	if n > 0 {
		benchMaildirs.Store(n, dir)
	}
	return md
}

type benchBackend struct{ md *mailbox.Maildir }

func (be benchBackend) Login(context.Context, imap.ConnInfo, string, string) (imap.User, error) {
	return NewUser(be.md), nil
}

// rawConn is a client that sends commands and reads the answer up to
// the tagged line, counting lines, without parsing (so a profile shows
// the server).
type rawConn struct {
	c net.Conn
	r *bufio.Reader
	n int
}

func (rc *rawConn) do(b *testing.B, cmd string) int {
	rc.n++
	tag := fmt.Sprintf("t%d ", rc.n)
	if _, err := rc.c.Write([]byte(tag + cmd + "\r\n")); err != nil {
		b.Fatal(err)
	}
	lines := 0
	for {
		l, err := rc.r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			b.Fatal(err)
		}
		if bytes.HasPrefix(l, []byte(tag)) {
			if !bytes.HasPrefix(l[len(tag):], []byte("OK")) {
				b.Fatalf("%s: %s", cmd, l)
			}
			return lines
		}
		lines++
	}
}

// benchSession serves md in-process and returns a logged-in client
// with INBOX selected.
func benchSession(b *testing.B, md *mailbox.Maildir) *rawConn {
	b.Helper()
	srv := &imap.Server{Backend: benchBackend{md}, AllowInsecureAuth: true}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(l)
	b.Cleanup(func() { srv.Close() })
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Minute))
	rc := &rawConn{c: c, r: bufio.NewReaderSize(c, 64<<10)}
	if _, err := rc.r.ReadString('\n'); err != nil {
		b.Fatal(err)
	}
	rc.do(b, "LOGIN bob secret")
	rc.do(b, "SELECT INBOX")
	return rc
}

const benchMessages = 20000

// reportCPU reports the CPU time per op since start (server and the
// raw client together): on a shared, loaded machine wall time says more
// about the neighbours than about the code.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e6, "cpu-ms/op")
}

// BenchmarkFetchEnvelope: FETCH 1:* (FLAGS ENVELOPE) on a 20,000-message
// INBOX, one session; the first figure.
func BenchmarkFetchEnvelope(b *testing.B) {
	rc := benchSession(b, benchMaildir(b, benchMessages))
	b.ResetTimer()
	c0 := cpuTime()
	defer reportCPU(b, c0)
	for range b.N {
		if n := rc.do(b, "FETCH 1:* (FLAGS ENVELOPE)"); n != benchMessages {
			b.Fatalf("%d FETCH lines", n)
		}
	}
}

// BenchmarkFetchEnvelopeCold: the same FETCH in a new server each time
// (no cache: every file read).
func BenchmarkFetchEnvelopeCold(b *testing.B) {
	md := benchMaildir(b, benchMessages)
	var cpu time.Duration
	defer func() { b.ReportMetric(float64(cpu)/float64(b.N)/1e6, "cpu-ms/op") }()
	for range b.N {
		b.StopTimer()
		rc := benchSession(b, md)
		b.StartTimer()
		c0 := cpuTime()
		if n := rc.do(b, "FETCH 1:* (FLAGS ENVELOPE)"); n != benchMessages {
			b.Fatalf("%d FETCH lines", n)
		}
		cpu += cpuTime() - c0
		rc.c.Close()
	}
}

// BenchmarkFetchBody: FETCH 1:* BODY.PEEK[] of the 20,000 messages.
func BenchmarkFetchBody(b *testing.B) {
	rc := benchSession(b, benchMaildir(b, benchMessages))
	b.ResetTimer()
	c0 := cpuTime()
	defer reportCPU(b, c0)
	for range b.N {
		if n := rc.do(b, "FETCH 1:* BODY.PEEK[]"); n < benchMessages {
			b.Fatalf("%d lines", n)
		}
	}
}

// BenchmarkSearchHeader: SEARCH by header text over 20,000 messages.
func BenchmarkSearchHeader(b *testing.B) {
	rc := benchSession(b, benchMaildir(b, benchMessages))
	b.ResetTimer()
	c0 := cpuTime()
	defer reportCPU(b, c0)
	for range b.N {
		rc.do(b, `UID SEARCH SUBJECT "message 1999"`)
	}
}

// BenchmarkSearchBody: SEARCH BODY over 20,000 messages, found in none
// (every message read, its MIME structure parsed and its text searched).
func BenchmarkSearchBody(b *testing.B) {
	rc := benchSession(b, benchMaildir(b, benchMessages))
	b.ResetTimer()
	c0 := cpuTime()
	defer reportCPU(b, c0)
	for range b.N {
		rc.do(b, `UID SEARCH BODY "no such words"`)
	}
}

// BenchmarkSelect: SELECT of the 20,000-message INBOX.
func BenchmarkSelect(b *testing.B) {
	rc := benchSession(b, benchMaildir(b, benchMessages))
	b.ResetTimer()
	c0 := cpuTime()
	defer reportCPU(b, c0)
	for range b.N {
		rc.do(b, "SELECT INBOX")
	}
}

// BenchmarkAppend: a stream of 4 KiB APPENDs with LITERAL+.
func BenchmarkAppend(b *testing.B) {
	md, err := mailbox.Open(b.TempDir(), mailbox.Options{Create: true, Host: "bench.test"})
	if err != nil {
		b.Fatal(err)
	}
	appendStream(b, md)
}

// BenchmarkAppend10k: the same stream into a 10,000-message INBOX that
// the session has selected (each APPEND also answered with EXISTS), as
// bench/'s comparison with Dovecot runs it. A fresh maildir each run:
// the appends grow it.
func BenchmarkAppend10k(b *testing.B) {
	md, err := mailbox.Open(b.TempDir(), mailbox.Options{Create: true, Host: "bench.test"})
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 10000; i += 1000 {
		var batch []mailbox.Delivery
		for j := i; j < i+1000; j++ {
			batch = append(batch, mailbox.Delivery{Maildir: md, Data: benchMessage(j)})
		}
		if err := mailbox.DeliverBatch(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
	appendStream(b, md)
}

// appendStream runs b.N APPENDs of a 4 KiB message with LITERAL+ on a
// session over md, reporting CPU time.
func appendStream(b *testing.B, md *mailbox.Maildir) {
	rc := benchSession(b, md)
	msg := strings.ReplaceAll(string(benchMessage(1)), "\n", "\r\n")
	b.SetBytes(int64(len(msg)))
	b.ResetTimer()
	c0 := cpuTime()
	defer reportCPU(b, c0)
	for range b.N {
		rc.do(b, fmt.Sprintf("APPEND INBOX {%d+}\r\n%s", len(msg), msg))
	}
}

// BenchmarkFetchEnvelopeLargeCold: FETCH 1:* (FLAGS ENVELOPE) of 500
// messages of 256 KiB in a new server each time: only the headers are
// needed.
func BenchmarkFetchEnvelopeLargeCold(b *testing.B) {
	md, err := mailbox.Open(b.TempDir(), mailbox.Options{Create: true, Host: "bench.test"})
	if err != nil {
		b.Fatal(err)
	}
	const n = 500
	body := bytes.Repeat([]byte("The quick brown fox jumps over the lazy dog, again and again.\n"), 256<<10/62)
	var batch []mailbox.Delivery
	for i := range n {
		msg := benchMessage(i)
		batch = append(batch, mailbox.Delivery{Maildir: md, Data: append(msg[:len(msg):len(msg)], body...)})
	}
	if err := mailbox.DeliverBatch(context.Background(), batch); err != nil {
		b.Fatal(err)
	}
	var cpu time.Duration
	defer func() { b.ReportMetric(float64(cpu)/float64(b.N)/1e6, "cpu-ms/op") }()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		rc := benchSession(b, md)
		b.StartTimer()
		c0 := cpuTime()
		if got := rc.do(b, "FETCH 1:* (FLAGS ENVELOPE)"); got != n {
			b.Fatalf("%d FETCH lines", got)
		}
		cpu += cpuTime() - c0
		rc.c.Close()
	}
}

// BenchmarkNoop20k: NOOP with the 20,000-message INBOX selected and
// nothing changed (what each IDLE poll does too).
func BenchmarkNoop20k(b *testing.B) {
	rc := benchSession(b, benchMaildir(b, benchMessages))
	b.ResetTimer()
	c0 := cpuTime()
	defer reportCPU(b, c0)
	for range b.N {
		rc.do(b, "NOOP")
	}
}

// BenchmarkStoreFlags: STORE 1:1000 +FLAGS (\Flagged) then -FLAGS on the
// 20,000-message INBOX (bench/'s comparison with Dovecot runs it on
// 10,000). Each STORE renames 1,000 files, so the folder is always
// within the two seconds in which every Sync scans it.
func BenchmarkStoreFlags(b *testing.B) {
	rc := benchSession(b, benchMaildir(b, benchMessages))
	b.ResetTimer()
	c0 := cpuTime()
	defer reportCPU(b, c0)
	for range b.N {
		rc.do(b, `STORE 1:1000 +FLAGS.SILENT (\Flagged)`)
		rc.do(b, `STORE 1:1000 -FLAGS.SILENT (\Flagged)`)
	}
}
