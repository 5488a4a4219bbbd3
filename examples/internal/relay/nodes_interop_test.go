//go:build interop

package relay

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	netsmtp "net/smtp"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/relaykit/relaykit/smtp"
)

// The proof that several relay processes can share one queue: relay
// nodes (examples/relaypg) on one PostgreSQL started here, mail sent to
// all of them at once, one node killed with SIGKILL mid-run and started
// again. Every acknowledged message must reach the sink; none twice
// except those the killed node had claimed when it died; the messages
// the sink defers once are retried and delivered once, and those it
// refuses bounce once.
//
// Sizes: 3,000 messages (600 with -short); RELAY_NODES_MESSAGES sets
// another count (20000 for the full run). RELAY_NODES_BENCH=1
// also measures throughput with 1, 2 and 3 nodes and with the spool
// (bench/results/mailqueue.md), RELAY_NODES_ROUNDS times (default 3);
// RELAY_NODES_LIST picks node counts (e.g. "0,1,3"; 0 is the spool).

func TestInteropRelayNodesOnPostgres(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 600
	}
	if s := os.Getenv("RELAY_NODES_MESSAGES"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	env := startNodesEnv(t, true)
	res := env.run(t, loadConfig{nodes: 3, messages: n, workers: 12, kill: true, faults: true})
	t.Logf("%d messages sent, %d acknowledged, %d delivered without an acknowledgement (cut off by the kill); "+
		"%d claimed by the killed node when it died, %d of them delivered twice; %d deferred once and retried, %d bounced; "+
		"%.0f msg/s accepted, %.0f msg/s delivered end to end",
		res.sent, res.acked, res.unackedDelivered, res.inflight, res.dups, res.retried, res.bounced,
		res.acceptRate, res.deliverRate)
}

func TestInteropRelayNodesThroughput(t *testing.T) {
	if os.Getenv("RELAY_NODES_BENCH") == "" {
		t.Skip("RELAY_NODES_BENCH=1 measures throughput with 1, 2 and 3 nodes and the spool")
	}
	n := 5000
	if s := os.Getenv("RELAY_NODES_MESSAGES"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	rounds := 3
	if s := os.Getenv("RELAY_NODES_ROUNDS"); s != "" {
		rounds, _ = strconv.Atoi(s)
	}
	configs := []int{0, 1, 2, 3} // 0: one relay on its spool
	if s := os.Getenv("RELAY_NODES_LIST"); s != "" {
		configs = nil
		for _, f := range strings.Split(s, ",") {
			v, _ := strconv.Atoi(f)
			configs = append(configs, v)
		}
	}
	for r := range rounds {
		for _, nodes := range configs {
			env := startNodesEnv(t, nodes > 0)
			nn := max(nodes, 1)
			res := env.run(t, loadConfig{nodes: nn, messages: n, workers: 12, spool: nodes == 0})
			name := fmt.Sprintf("postgres, %d node(s)", nodes)
			if nodes == 0 {
				name = "spool, 1 node"
			}
			t.Logf("round %d: %-20s %6d msgs  accepted %6.0f msg/s  delivered %6.0f msg/s  server CPU %.0f us/msg",
				r+1, name, n, res.acceptRate, res.deliverRate, res.cpuPerMsg)
			env.stop()
		}
	}
}

type loadConfig struct {
	nodes, messages, workers int
	kill                     bool // SIGKILL node 1 after a third, then restart it
	faults                   bool // some recipients deferred once, some refused
	spool                    bool // the relay's own spool, no PostgreSQL
}

type loadResult struct {
	sent, acked, unackedDelivered, inflight, dups, retried, bounced int
	acceptRate, deliverRate, cpuPerMsg                              float64
}

// nodesEnv is the world the nodes run in: PostgreSQL, DNS, the sink.
type nodesEnv struct {
	bin, dir, dsn, pgdir string
	roots                string
	sink                 *nodeSink
	stopPG               func()
}

func startNodesEnv(t *testing.T, pg bool) *nodesEnv {
	t.Helper()
	e := &nodesEnv{bin: buildRelayPG(t), dir: t.TempDir()}
	if pg {
		e.dsn, e.pgdir, e.stopPG = startPostgres(t)
	}
	e.sink = startNodeSink(t, "127.0.0.31")
	h := startTestDNS(t, "far MX 10 mx.far\nmx.far A 127.0.0.31")
	var roots []string
	for _, r := range h.RootHints() {
		roots = append(roots, r.String())
	}
	e.roots = strings.Join(roots, ",")
	return e
}

func (e *nodesEnv) stop() {
	e.sink.srv.Close()
	if e.stopPG != nil {
		e.stopPG()
	}
}

// buildRelayPG builds examples/relaypg (its own module) once per test.
func buildRelayPG(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH: cannot build examples/relaypg")
	}
	bin := filepath.Join(t.TempDir(), "relaypg")
	cmd := exec.Command(goBin, "build", "-o", bin, ".")
	cmd.Dir = filepath.Join("..", "..", "relaypg")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build examples/relaypg: %v\n%s", err, out)
	}
	return bin
}

// startPostgres runs a throwaway PostgreSQL (fsync on, as a real one) in
// a temp directory on a Unix socket there, as the postgres user when
// root; skipped when PostgreSQL is not installed. It returns a DSN, the
// socket directory and a stop function (also run at cleanup).
func startPostgres(t *testing.T) (dsn, dir string, stop func()) {
	t.Helper()
	ms, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(ms) == 0 {
		t.Skip("PostgreSQL (Debian's postgresql package) not installed")
	}
	bin := filepath.Dir(ms[len(ms)-1])
	dir, err := os.MkdirTemp("", "relaynodes")
	if err != nil {
		t.Fatal(err)
	}
	run := func(name string, args ...string) *exec.Cmd {
		return exec.Command(filepath.Join(bin, name), args...)
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skip("running as root and there is no postgres user to run PostgreSQL as")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		os.Chmod(dir, 0o755)
		inner := run
		run = func(name string, args ...string) *exec.Cmd {
			c := inner(name, args...)
			c.Args = append([]string{"setpriv", "--reuid=" + u.Uid, "--regid=" + u.Gid, "--clear-groups", c.Path}, args...)
			c.Path, _ = exec.LookPath("setpriv")
			return c
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := run("initdb", "-D", data, "-U", "postgres", "-A", "trust", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	opts := fmt.Sprintf("-c listen_addresses='' -k %s -c max_connections=200", dir)
	if out, err := run("pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "start").CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			run("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop").Run()
			os.RemoveAll(dir)
		})
	}
	t.Cleanup(stop)
	return fmt.Sprintf("host=%s user=postgres dbname=postgres", dir), dir, stop
}

// psql runs one query through psql and returns its unaligned output.
func (e *nodesEnv) psql(t *testing.T, query string) string {
	t.Helper()
	ms, _ := filepath.Glob("/usr/lib/postgresql/*/bin/psql")
	if len(ms) == 0 {
		t.Fatal("psql not found")
	}
	out, err := exec.Command(ms[len(ms)-1], "-h", e.pgdir, "-U", "postgres", "-d", "postgres", "-At", "-c", query).CombinedOutput()
	if err != nil {
		t.Fatalf("psql %q: %v\n%s", query, err, out)
	}
	return strings.TrimSpace(string(out))
}

// node is one relay process.
type node struct {
	name, addr string
	args       []string
	cmd        *exec.Cmd
	exited     chan struct{}
}

func (e *nodesEnv) startNode(t *testing.T, i int, cfg loadConfig) *node {
	t.Helper()
	ip := fmt.Sprintf("127.0.0.%d", 41+i)
	l, err := net.Listen("tcp", ip+":0") // a free port, kept across a restart
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	nd := &node{name: fmt.Sprintf("n%d", i), addr: addr}
	nd.args = []string{"-listen", addr, "-hostname", nd.name + ".relay.test", "-domains", "local.test",
		"-maildir", filepath.Join(e.dir, "mail"), "-spool", filepath.Join(e.dir, "spool-"+nd.name),
		"-trusted", "127.0.0.0/8", "-root", e.roots, "-remote-port", strconv.Itoa(e.sink.port),
		"-retry", "1s", "-max-rcpts", "10"}
	if !cfg.spool {
		nd.args = append(nd.args, "-postgres", e.dsn, "-node", nd.name, "-lease-ttl", "5s")
	}
	nd.start(t, e.bin)
	return nd
}

func (nd *node) start(t *testing.T, bin string) {
	t.Helper()
	cmd := exec.Command(bin, nd.args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	nd.cmd, nd.exited = cmd, make(chan struct{})
	t.Cleanup(func() { cmd.Process.Kill(); <-nd.exited })
	br := bufio.NewReader(stdout)
	line, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "relay: smtp on ") {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("node %s did not start: %q %v\n%s", nd.name, line, err, stderr.String())
	}
	go func() {
		io.Copy(io.Discard, br)
		cmd.Wait()
		close(nd.exited)
	}()
}

// cpu returns the CPU time the node's process has used so far.
func (nd *node) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", nd.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

func (nd *node) stop() {
	nd.cmd.Process.Signal(syscall.SIGTERM)
	<-nd.exited
}

// Seq groups: a message whose seq is 7 mod 50 is deferred (451) once by
// the sink, one whose seq is 13 mod 100 goes to a recipient the sink
// refuses (550) and bounces to its sender.
func deferredOnce(seq int) bool { return seq%50 == 7 }
func refused(seq int) bool      { return seq%100 == 13 }

func (e *nodesEnv) run(t *testing.T, cfg loadConfig) loadResult {
	t.Helper()
	e.sink.faults = cfg.faults
	nodes := make([]*node, cfg.nodes)
	for i := range nodes {
		nodes[i] = e.startNode(t, i, cfg)
	}
	var cpuBefore time.Duration
	for _, nd := range nodes {
		cpuBefore += nd.cpu()
	}
	var (
		next    atomic.Int64
		acked   = make([]atomic.Bool, cfg.messages)
		nacked  atomic.Int64
		addrMu  sync.Mutex
		killed  = make(chan struct{})
		inKill  []int
		wg      sync.WaitGroup
		start   = time.Now()
		lastAck atomic.Int64
	)
	addrOf := func(i int) string {
		addrMu.Lock()
		defer addrMu.Unlock()
		return nodes[i%len(nodes)].addr
	}
	for w := range cfg.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			target := w
			var c *netsmtp.Client
			for {
				seq := int(next.Add(1)) - 1
				if seq >= cfg.messages {
					break
				}
				if c == nil {
					var err error
					for range 2 * len(nodes) { // a dead node: try the next
						if c, err = netsmtp.Dial(addrOf(target)); err == nil {
							break
						}
						target++
					}
					if err != nil {
						t.Errorf("no node answers: %v", err)
						return
					}
				}
				if err := sendSeq(c, seq); err != nil {
					c.Close()
					c = nil
					target++ // the node may be the killed one
					continue
				}
				acked[seq].Store(true)
				lastAck.Store(int64(time.Since(start)))
				if nacked.Add(1) == int64(cfg.messages/3) && cfg.kill {
					go func() {
						defer close(killed)
						victim := nodes[1%len(nodes)]
						victim.cmd.Process.Signal(syscall.SIGKILL)
						<-victim.exited
						// What it had claimed and not finished: in flight.
						out := e.psql(t, `SELECT substring(convert_from(body, 'UTF8') from 'X-Seq: ([0-9]+)')
							FROM mailqueue_messages WHERE lease_owner = '`+victim.name+`' AND lease_expires > now()`)
						for _, f := range strings.Fields(out) {
							v, _ := strconv.Atoi(f)
							inKill = append(inKill, v)
						}
						victim.start(t, e.bin)
					}()
				}
			}
			if c != nil {
				c.Quit()
			}
		}()
	}
	wg.Wait()
	if cfg.kill {
		<-killed
	}
	acceptTime := time.Duration(lastAck.Load())
	res := loadResult{sent: cfg.messages}
	want := func() bool { // e.sink.mu held
		for seq := range cfg.messages {
			if !acked[seq].Load() {
				continue
			}
			if refused(seq) && cfg.faults {
				if e.sink.bounced[seq] == 0 {
					return false
				}
			} else if e.sink.delivered[seq] == 0 {
				return false
			}
		}
		return true
	}
	var timedOut bool
	timer := time.AfterFunc(10*time.Minute, func() {
		e.sink.mu.Lock()
		timedOut = true
		e.sink.cond.Broadcast()
		e.sink.mu.Unlock()
	})
	e.sink.mu.Lock()
	for !want() && !timedOut {
		e.sink.cond.Wait()
	}
	e.sink.mu.Unlock()
	timer.Stop()
	if timedOut {
		t.Fatalf("not every acknowledged message arrived within 10 minutes")
	}
	deliverTime := time.Since(start)
	var cpuAfter time.Duration
	for _, nd := range nodes {
		cpuAfter += nd.cpu()
	}
	inflight := map[int]bool{}
	for _, s := range inKill {
		inflight[s] = true
	}
	e.sink.mu.Lock()
	for seq := range cfg.messages {
		d, b := e.sink.delivered[seq], e.sink.bounced[seq]
		if acked[seq].Load() {
			res.acked++
		} else if d+b > 0 {
			res.unackedDelivered++
		}
		if d > 1 || b > 1 {
			res.dups++
			if !inflight[seq] {
				t.Errorf("message %d delivered %d times, bounced %d times, and it was not in flight at the kill", seq, d, b)
			}
		}
		if cfg.faults && deferredOnce(seq) && d > 0 {
			res.retried++
			if e.sink.deferred[seq] != 1 {
				t.Errorf("message %d deferred %d times, want 1", seq, e.sink.deferred[seq])
			}
		}
		if cfg.faults && refused(seq) && b > 0 {
			res.bounced++
		}
	}
	e.sink.mu.Unlock()
	res.inflight = len(inflight)
	res.acceptRate = float64(res.acked) / acceptTime.Seconds()
	res.deliverRate = float64(res.acked) / deliverTime.Seconds()
	res.cpuPerMsg = float64((cpuAfter-cpuBefore)/time.Microsecond) / float64(res.acked)
	if !cfg.spool {
		// Every message finished: the shared queue is empty.
		for range 100 {
			if e.psql(t, "SELECT count(*) FROM mailqueue_messages") == "0" {
				break
			}
			time.Sleep(100 * time.Millisecond) // the last removals follow the last deliveries
		}
		if got := e.psql(t, "SELECT count(*) FROM mailqueue_messages"); got != "0" {
			t.Errorf("%s messages left in the shared queue", got)
		}
		// relayq reaches each node (the restarted one too) over its
		// control socket and sees the shared queue, empty.
		for _, nd := range nodes {
			var out, errOut strings.Builder
			code := QueueMain([]string{"-spool", filepath.Join(e.dir, "spool-"+nd.name), "counts"}, &out, &errOut)
			if code != 0 || !strings.HasPrefix(out.String(), "messages 0\n") {
				t.Errorf("relayq counts on node %s (%d): %s%s", nd.name, code, out.String(), errOut.String())
			}
		}
	}
	for _, nd := range nodes {
		nd.stop()
	}
	return res
}

// sendSeq sends message seq on c.
func sendSeq(c *netsmtp.Client, seq int) error {
	rcpt := "r" + strconv.Itoa(seq) + "@far.test"
	if refused(seq) {
		rcpt = "nobody" + strconv.Itoa(seq) + "@far.test"
	}
	if err := c.Mail("s" + strconv.Itoa(seq) + "@far.test"); err != nil {
		return err
	}
	if err := c.Rcpt(rcpt); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "From: <s%d@far.test>\r\nTo: <%s>\r\nSubject: load %d\r\nX-Seq: %d\r\n\r\n%s\r\n", seq, rcpt, seq, seq, strings.Repeat("0123456789abcdef", 64))
	return w.Close()
}

// nodeSink is far.test's mail exchanger: it counts deliveries and bounces
// per seq, defers some recipients once and refuses others.
type nodeSink struct {
	srv    *smtp.Server
	port   int
	faults bool

	mu        sync.Mutex
	cond      *sync.Cond
	delivered map[int]int
	deferred  map[int]int
	bounced   map[int]int
}

func startNodeSink(t *testing.T, ip string) *nodeSink {
	t.Helper()
	s := &nodeSink{delivered: map[int]int{}, deferred: map[int]int{}, bounced: map[int]int{}}
	s.cond = sync.NewCond(&s.mu)
	l, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	s.port = l.Addr().(*net.TCPAddr).Port
	s.srv = &smtp.Server{Backend: s, Hostname: "mx.far.test"}
	go s.srv.Serve(l)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

func (s *nodeSink) NewSession(context.Context, *smtp.Conn) (smtp.Session, error) {
	return &sinkSession{s: s}, nil
}

type sinkSession struct {
	s     *nodeSink
	from  string
	rcpts []string
}

var seqDigits = regexp.MustCompile(`[0-9]+`)

func (ss *sinkSession) Mail(_ context.Context, from string, _ *smtp.MailOptions) error {
	ss.from = from
	return nil
}

func (ss *sinkSession) Rcpt(_ context.Context, to string, _ *smtp.RcptOptions) error {
	s := ss.s
	seq, _ := strconv.Atoi(seqDigits.FindString(to))
	if s.faults && ss.from != "" {
		if strings.HasPrefix(to, "nobody") {
			return &smtp.Error{Code: 550, Message: "no such user", Permanent: true}
		}
		if deferredOnce(seq) {
			s.mu.Lock()
			first := s.deferred[seq] == 0 && s.delivered[seq] == 0
			if first {
				s.deferred[seq]++
			}
			s.mu.Unlock()
			if first {
				return &smtp.Error{Code: 451, Message: "try again later"}
			}
		}
	}
	ss.rcpts = append(ss.rcpts, to)
	return nil
}

func (ss *sinkSession) Data(_ context.Context, r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	s := ss.s
	s.mu.Lock()
	for _, to := range ss.rcpts {
		seq, err := strconv.Atoi(seqDigits.FindString(to))
		if err != nil {
			continue
		}
		if ss.from == "" {
			s.bounced[seq]++
		} else {
			s.delivered[seq]++
		}
	}
	s.cond.Broadcast()
	s.mu.Unlock()
	return nil
}

func (ss *sinkSession) Reset(context.Context)        { ss.from, ss.rcpts = "", nil }
func (ss *sinkSession) Logout(context.Context) error { return nil }
