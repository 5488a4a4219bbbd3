package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/relaykit/relaykit/smtp"
)

// message4K is a 4 KiB message with 76-octet CRLF lines, the payload of the
// SMTP throughput benchmarks.
var message4K = func() []byte {
	var b bytes.Buffer
	b.WriteString("From: alice@crepes.fr\r\nTo: bob@hamburger.edu\r\nSubject: benchmark\r\n\r\n")
	line := strings.Repeat("0123456789", 7) + "abcd\r\n"
	for b.Len()+len(line) <= 4096-2 {
		b.WriteString(line)
	}
	for b.Len() < 4094 {
		b.WriteByte('x')
	}
	b.WriteString("\r\n")
	return b.Bytes()
}()

// rkDiscard is the relaykit discard backend: it reads and drops every
// message, counting them.
type rkDiscard struct{ messages atomic.Int64 }

func (b *rkDiscard) NewSession(context.Context, *smtp.Conn) (smtp.Session, error) {
	return &rkSession{b: b}, nil
}

type rkSession struct{ b *rkDiscard }

func (s *rkSession) Mail(context.Context, string, *smtp.MailOptions) error { return nil }
func (s *rkSession) Rcpt(context.Context, string, *smtp.RcptOptions) error { return nil }
func (s *rkSession) Reset(context.Context)                                 {}
func (s *rkSession) Logout(context.Context) error                          { return nil }
func (s *rkSession) Data(_ context.Context, r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	s.b.messages.Add(1)
	return nil
}

// newRelaykitSink is the relaykit discard server of every benchmark.
func newRelaykitSink(be *rkDiscard) *smtp.Server {
	return &smtp.Server{Backend: be, Hostname: "sink.test", MaxMessageBytes: 1 << 20}
}

// startRelaykit serves a relaykit discard server on 127.0.0.1.
func startRelaykit(tb testing.TB, be *rkDiscard) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s := newRelaykitSink(be)
	go s.Serve(l)
	tb.Cleanup(func() { s.Close() })
	return l.Addr().String()
}

// loadConn is the pipelining load client used against both servers: per
// message it writes MAIL, RCPT and DATA together (RFC 2920), reads the
// three replies, writes the data and reads the final reply. It allocates
// nothing per message, so allocs/op measure the server.
type loadConn struct {
	c   net.Conn
	br  *bufio.Reader
	cmd []byte
	dat []byte
}

func dialLoad(tb testing.TB, addr string) *loadConn {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	lc := &loadConn{c: c, br: bufio.NewReaderSize(c, 4096)}
	lc.cmd = []byte("MAIL FROM:<alice@crepes.fr>\r\nRCPT TO:<bob@hamburger.edu>\r\nDATA\r\n")
	// message4K has no line starting with ".", so it needs no stuffing.
	lc.dat = append(append([]byte(nil), message4K...), ".\r\n"...)
	if err := lc.expect('2'); err != nil { // greeting
		tb.Fatal(err)
	}
	if _, err := c.Write([]byte("EHLO load.test\r\n")); err != nil {
		tb.Fatal(err)
	}
	if err := lc.expect('2'); err != nil {
		tb.Fatal(err)
	}
	return lc
}

// expect reads one (possibly multi-line) reply and checks its first digit.
func (lc *loadConn) expect(class byte) error {
	for {
		line, err := lc.br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) < 4 || line[0] != class {
			return errors.New("unexpected reply: " + string(line))
		}
		if line[3] != '-' {
			return nil
		}
	}
}

func (lc *loadConn) send() error {
	if _, err := lc.c.Write(lc.cmd); err != nil {
		return err
	}
	for _, class := range []byte{'2', '2', '3'} {
		if err := lc.expect(class); err != nil {
			return err
		}
	}
	if _, err := lc.c.Write(lc.dat); err != nil {
		return err
	}
	return lc.expect('2')
}

// runServerLoad sends b.N messages over conns persistent connections.
func runServerLoad(b *testing.B, addr string, conns int) {
	lcs := make([]*loadConn, conns)
	for i := range lcs {
		lcs[i] = dialLoad(b, addr)
	}
	defer func() {
		for _, lc := range lcs {
			lc.c.Close()
		}
	}()
	var next atomic.Int64
	b.SetBytes(int64(len(message4K)))
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for _, lc := range lcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if err := lc.send(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// BenchmarkSMTPServer: server throughput, 4 KiB messages over 8 persistent
// connections on loopback, the same pipelining load client for both,
// backends discarding the data. One op is one message.
func BenchmarkSMTPServer(b *testing.B) {
	b.Run("impl=gosmtp", func(b *testing.B) {
		be := &discardBackend{}
		runServerLoad(b, startGoSMTP(b, be), 8)
		if be.messages < b.N {
			b.Fatalf("server got %d messages, want %d", be.messages, b.N)
		}
	})
	b.Run("impl=relaykit", func(b *testing.B) {
		be := &rkDiscard{}
		runServerLoad(b, startRelaykit(b, be), 8)
		if n := be.messages.Load(); n < int64(b.N) {
			b.Fatalf("server got %d messages, want %d", n, b.N)
		}
	})
}

// latencyProxy forwards TCP connections to target, delaying every chunk by
// delay in each direction (so a round trip gains 2*delay).
func latencyProxy(tb testing.TB, target string, delay time.Duration) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { l.Close() })
	go func() {
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			go delayCopy(out, in, delay)
			go delayCopy(in, out, delay)
		}
	}()
	return l.Addr().String()
}

type delayed struct {
	due  time.Time
	data []byte
}

func delayCopy(dst, src net.Conn, delay time.Duration) {
	q := make(chan delayed, 1024)
	go func() {
		defer close(q)
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				q <- delayed{time.Now().Add(delay), buf[:n]}
			}
			if err != nil {
				return
			}
		}
	}()
	for d := range q {
		time.Sleep(time.Until(d.due))
		if _, err := dst.Write(d.data); err != nil {
			break
		}
	}
	dst.Close()
	src.Close()
}

type clientImpl struct {
	name string
	run  func(b *testing.B, addr string)
}

var clientImpls = []clientImpl{
	{"gosmtp", func(b *testing.B, addr string) {
		c, err := gosmtp.Dial(addr)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		if err := c.Hello("client.test"); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for range b.N {
			if err := c.SendMail("alice@crepes.fr", []string{"bob@hamburger.edu"}, bytes.NewReader(message4K)); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
	}},
	{"relaykit", func(b *testing.B, addr string) { runRelaykitClient(b, addr, false) }},
	{"relaykit-bdat", func(b *testing.B, addr string) { runRelaykitClient(b, addr, true) }},
	{"relaykit-batch", runRelaykitBatch},
}

// runRelaykitBatch sends b.N messages with SendBatch, 32 per call: DATA
// with each message's data pipelined with the next one's commands.
func runRelaykitBatch(b *testing.B, addr string) {
	ctx := context.Background()
	c, err := smtp.Dial(ctx, addr, &smtp.ClientConfig{LocalName: "client.test"})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello(ctx); err != nil {
		b.Fatal(err)
	}
	const per = 32
	readers := make([]bytes.Reader, per)
	batch := make([]smtp.Envelope, per)
	to := []string{"bob@hamburger.edu"}
	b.ResetTimer()
	for done := 0; done < b.N; {
		n := min(per, b.N-done)
		for i := range n {
			readers[i].Reset(message4K)
			batch[i] = smtp.Envelope{From: "alice@crepes.fr", To: to, Msg: &readers[i]}
		}
		for _, r := range c.SendBatch(ctx, batch[:n]) {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}
		done += n
	}
	b.StopTimer()
}

func runRelaykitClient(b *testing.B, addr string, chunking bool) {
	ctx := context.Background()
	c, err := smtp.Dial(ctx, addr, &smtp.ClientConfig{LocalName: "client.test"})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello(ctx); err != nil {
		b.Fatal(err)
	}
	opts := &smtp.SendOptions{Chunking: chunking}
	to := []string{"bob@hamburger.edu"}
	r := bytes.NewReader(message4K)
	b.ResetTimer()
	for range b.N {
		r.Reset(message4K)
		if _, err := c.SendMail(ctx, "alice@crepes.fr", to, r, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
}

// BenchmarkSMTPClient: client throughput, one connection, 4 KiB messages,
// against the relaykit discard server as a fast sink. relaykit: SendMail
// with PIPELINING (2 round trips); relaykit-bdat: SendMail with BDAT (1);
// relaykit-batch: SendBatch, DATA pipelined across messages (1).
func BenchmarkSMTPClient(b *testing.B) {
	addr := startRelaykit(b, &rkDiscard{})
	for _, impl := range clientImpls {
		b.Run("impl="+impl.name, func(b *testing.B) {
			b.SetBytes(int64(len(message4K)))
			b.ReportAllocs()
			impl.run(b, addr)
		})
	}
}

// BenchmarkSMTPClientLatency: as BenchmarkSMTPClient with 5 ms added each
// way by a proxy, where round trips per message decide throughput.
func BenchmarkSMTPClientLatency(b *testing.B) {
	addr := latencyProxy(b, startRelaykit(b, &rkDiscard{}), 5*time.Millisecond)
	for _, impl := range clientImpls {
		b.Run("impl="+impl.name, func(b *testing.B) {
			b.SetBytes(int64(len(message4K)))
			b.ReportAllocs()
			impl.run(b, addr)
		})
	}
}

var commandLines = [][]byte{
	[]byte("MAIL FROM:<alice@crepes.fr> SIZE=4096 BODY=8BITMIME"),
	[]byte("RCPT TO:<bob@hamburger.edu> NOTIFY=SUCCESS,FAILURE"),
	[]byte("DATA"),
	[]byte("EHLO client.example.org"),
}

// BenchmarkSMTPCommandParse: one op parses the four lines (verb, path,
// parameters). go-smtp's parser is unexported, so there is no peer row.
func BenchmarkSMTPCommandParse(b *testing.B) {
	b.Run("impl=relaykit", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			for _, l := range commandLines {
				c, err := smtp.ParseCommand(l)
				if err != nil {
					b.Fatal(err)
				}
				it := c.ParamIter()
				for it.Next() {
				}
			}
		}
	})
}

// TestSMTPHarness checks the load client and both servers agree on the
// protocol, so the benchmarks measure what they claim.
func TestSMTPHarness(t *testing.T) {
	rk := &rkDiscard{}
	gs := &discardBackend{}
	for _, addr := range []string{startRelaykit(t, rk), startGoSMTP(t, gs)} {
		lc := dialLoad(t, addr)
		for range 3 {
			if err := lc.send(); err != nil {
				t.Fatal(err)
			}
		}
		lc.c.Close()
	}
	gs.mu.Lock()
	defer gs.mu.Unlock()
	if rk.messages.Load() != 3 || gs.messages != 3 {
		t.Fatalf("relaykit got %d, go-smtp %d, want 3 each", rk.messages.Load(), gs.messages)
	}
	// The relaykit client delivers to go-smtp's server too.
	c, err := smtp.Dial(context.Background(), startGoSMTP(t, &discardBackend{}), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.SendMail(context.Background(), "a@crepes.fr", []string{"b@hamburger.edu"}, bytes.NewReader(message4K), nil); err != nil {
		t.Fatal(err)
	}
}
