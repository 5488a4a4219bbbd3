package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"
)

// The SMTPServerProc benchmarks run the server under test in a child
// process (this test binary again, with SMTP_BENCH_SERVE set) and the load
// client in the benchmark process, so the server's CPU time and
// allocations per message are measured apart from the client's: the
// child reports its own getrusage and runtime.MemStats on request.

const smtpServeEnv = "SMTP_BENCH_SERVE"

// serveSMTPChild runs when the binary was started as a benchmark server
// (called from TestMain): it serves impl on 127.0.0.1, prints the address,
// then answers each "stats" line on stdin with "cpu-ns mallocs messages"
// and exits when stdin closes.
func serveSMTPChild(impl string) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	var count func() int64
	switch impl {
	case "relaykit":
		be := &rkDiscard{}
		go serveRelaykit(l, be)
		count = be.messages.Load
	case "gosmtp":
		be := &discardBackend{}
		s := gosmtp.NewServer(be)
		s.Domain = "sink.test"
		s.MaxMessageBytes = 1 << 20
		s.MaxRecipients = 100
		go s.Serve(l)
		count = func() int64 {
			be.mu.Lock()
			defer be.mu.Unlock()
			return int64(be.messages)
		}
	default:
		panic("unknown " + smtpServeEnv + " " + impl)
	}
	if f := os.Getenv("SMTP_BENCH_CPUPROFILE"); f != "" {
		// The server's own CPU profile, written when stdin closes.
		out, err := os.Create(f)
		if err != nil {
			panic(err)
		}
		pprof.StartCPUProfile(out)
		defer func() {
			pprof.StopCPUProfile()
			out.Close()
		}()
	}
	fmt.Println(l.Addr())
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Println(cpuTime(), ms.Mallocs, count())
	}
}

// smtpChild is a benchmark server process.
type smtpChild struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Reader
	addr string
}

type smtpChildStats struct{ cpuNs, mallocs, messages int64 }

func startSMTPChild(tb testing.TB, impl string) *smtpChild {
	args := []string{os.Args[0], "-test.run=^$"}
	if w := os.Getenv("SMTP_BENCH_WRAP"); w != "" {
		// For profiling, e.g. SMTP_BENCH_WRAP="strace -f -c -o /tmp/s.txt".
		args = append(strings.Fields(w), args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), smtpServeEnv+"="+impl)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	c := &smtpChild{cmd: cmd, in: in, out: bufio.NewReader(out)}
	tb.Cleanup(func() {
		c.in.Close()
		if err := c.cmd.Wait(); err != nil {
			tb.Error(err)
		}
	})
	line, err := c.out.ReadString('\n')
	if err != nil {
		tb.Fatal(err)
	}
	c.addr = strings.TrimSpace(line)
	return c
}

func (c *smtpChild) stats(tb testing.TB) smtpChildStats {
	if _, err := io.WriteString(c.in, "stats\n"); err != nil {
		tb.Fatal(err)
	}
	line, err := c.out.ReadString('\n')
	if err != nil {
		tb.Fatal(err)
	}
	f := strings.Fields(line)
	if len(f) != 3 {
		tb.Fatalf("child stats %q", line)
	}
	var v [3]int64
	for i := range f {
		if v[i], err = strconv.ParseInt(f[i], 10, 64); err != nil {
			tb.Fatal(err)
		}
	}
	return smtpChildStats{v[0], v[1], v[2]}
}

// smtpLoad is a load client: conns connections, each sending its share of
// n messages; it returns when all are accepted.
type smtpLoad func(tb testing.TB, addr string, conns, n int)

// rawLoad is the allocation-free pipelining load client of
// smtp_bench_test.go (MAIL, RCPT, DATA in one write, then the data).
func rawLoad(tb testing.TB, addr string, conns, n int) {
	lcs := make([]*loadConn, conns)
	for i := range lcs {
		lcs[i] = dialLoad(tb, addr)
	}
	runConns(tb, conns, n, func(i int) error { return lcs[i].send() })
	for _, lc := range lcs {
		lc.c.Close()
	}
}

// goSMTPLoad uses go-smtp's own client (no pipelining: MAIL, RCPT, DATA
// and the data each wait for their reply).
func goSMTPLoad(tb testing.TB, addr string, conns, n int) {
	cs := make([]*gosmtp.Client, conns)
	rs := make([]bytes.Reader, conns)
	to := []string{"bob@hamburger.edu"}
	for i := range cs {
		c, err := gosmtp.Dial(addr)
		if err != nil {
			tb.Fatal(err)
		}
		if err := c.Hello("load.test"); err != nil {
			tb.Fatal(err)
		}
		cs[i] = c
	}
	runConns(tb, conns, n, func(i int) error {
		rs[i].Reset(message4K)
		return cs[i].SendMail("alice@crepes.fr", to, &rs[i])
	})
	for _, c := range cs {
		c.Close()
	}
}

// runConns runs send on conns goroutines until n messages were sent.
func runConns(tb testing.TB, conns, n int, send func(i int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				if err := send(i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		tb.Fatal(err)
	}
}

// BenchmarkSMTPServerProc: server throughput with the server in its own
// process; 4 KiB messages over 8 persistent connections, backends
// discarding the data. One op is one message. Besides ns/op (wall time
// per message, client included) it reports the server process's CPU time
// and heap allocations per message (srv-cpu-ns/msg, srv-allocs/msg) and
// msgs/s. client=raw is the pipelining load client that allocates nothing;
// client=gosmtp is go-smtp's own client.
func BenchmarkSMTPServerProc(b *testing.B) {
	clients := []struct {
		name string
		load smtpLoad
	}{{"raw", rawLoad}, {"gosmtp", goSMTPLoad}}
	for _, cl := range clients {
		for _, impl := range []string{"gosmtp", "relaykit"} {
			b.Run("client="+cl.name+"/impl="+impl, func(b *testing.B) {
				child := startSMTPChild(b, impl)
				cl.load(b, child.addr, 8, 64) // warm up connections and pools
				before := child.stats(b)
				b.SetBytes(int64(len(message4K)))
				b.ResetTimer()
				start := time.Now()
				cl.load(b, child.addr, 8, b.N)
				elapsed := time.Since(start)
				b.StopTimer()
				after := child.stats(b)
				if got := after.messages - before.messages; got != int64(b.N) {
					b.Fatalf("server got %d messages, want %d", got, b.N)
				}
				n := float64(b.N)
				b.ReportMetric(n/elapsed.Seconds(), "msgs/s")
				b.ReportMetric(float64(after.cpuNs-before.cpuNs)/n, "srv-cpu-ns/msg")
				b.ReportMetric(float64(after.mallocs-before.mallocs)/n, "srv-allocs/msg")
			})
		}
	}
}

// TestSMTPServerProc checks the child-process harness: both servers accept
// a few messages from both load clients and report them.
func TestSMTPServerProc(t *testing.T) {
	for _, impl := range []string{"gosmtp", "relaykit"} {
		child := startSMTPChild(t, impl)
		rawLoad(t, child.addr, 2, 5)
		goSMTPLoad(t, child.addr, 2, 5)
		if st := child.stats(t); st.messages != 10 || st.cpuNs <= 0 {
			t.Errorf("%s: stats %+v, want 10 messages and some CPU", impl, st)
		}
	}
}

// serveRelaykit serves the relaykit discard server on l, configured as
// startRelaykit's.
func serveRelaykit(l net.Listener, be *rkDiscard) {
	newRelaykitSink(be).Serve(l)
}
