package bench

// POP3 against Dovecot 2.3 (dovecot-pop3d), same client (relaykit's
// pop3.Client) and the same maildir contents:
//
//   - BenchmarkPOP3Retrieve10k: one session logs in, lists (LIST and
//     UIDL) and retrieves 10,000 messages of 4 KiB; msgs/s is reported.
//   - BenchmarkPOP3IdleConnMemory: 100 logged-in idle sessions; the
//     server's memory growth per session (proportional set size of the
//     server's processes, our server run as a separate process too).
//
// Dovecot is started by the benchmark (root is needed for its master to
// switch to the dovecot user); missing Dovecot skips it.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/relaykit/internal/proctest"
	"github.com/relaykit/relaykit/mailbox"
	"github.com/relaykit/relaykit/pop3"
)

// The mailbox package's Snapshot is what the pop3 server serves.
var _ pop3.Maildrop = (*mailbox.Snapshot)(nil)

const pop3BenchMessages = 10000

// pop3Message is a 4 KiB message (LF line endings, as stored).
func pop3Message(i int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Return-Path: <alice@example.org>\nFrom: alice@example.org\nTo: bob@example.net\nSubject: message %d\nMessage-ID: <%d@example.org>\n\n", i, i)
	for b.Len() < 4096-64 {
		b.WriteString("The quick brown fox jumps over the lazy dog, again and again.\n")
	}
	for b.Len() < 4095 {
		b.WriteByte('x')
	}
	b.WriteByte('\n')
	return b.Bytes()
}

// pop3Maildir makes a maildir with n messages.
func pop3Maildir(tb testing.TB, n int) string {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "Maildir")
	m, err := mailbox.Open(dir, mailbox.Options{Create: true, Host: "bench.test"})
	if err != nil {
		tb.Fatal(err)
	}
	for i := 0; i < n; i += 500 {
		var batch []mailbox.Delivery
		for j := i; j < min(i+500, n); j++ {
			batch = append(batch, mailbox.Delivery{Maildir: m, Data: pop3Message(j)})
		}
		if err := mailbox.DeliverBatch(context.Background(), batch); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

func pop3Users(n int) pop3.Secrets {
	s := pop3.Secrets{}
	for i := 0; i < n; i++ {
		s["user"+strconv.Itoa(i)] = "secret"
	}
	return s
}

// pop3Server is the server configuration both benchmarks use: every user
// reads the one maildir.
func pop3Server(dir string, users int) *pop3.Server {
	return &pop3.Server{
		Backend: pop3.BackendFunc(func(ctx context.Context, user string) (pop3.Maildrop, error) {
			m, err := mailbox.Open(dir, mailbox.Options{})
			if err != nil {
				return nil, err
			}
			f, err := m.Inbox()
			if err != nil {
				return nil, err
			}
			return f.Snapshot()
		}),
		Authenticator:       pop3Users(users),
		AllowInsecureAuth:   true,
		CommandRate:         -1,
		MaxConnectionsPerIP: -1,
	}
}

// startOurPOP3 runs our server in this process.
func startOurPOP3(tb testing.TB, dir string) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s := pop3Server(dir, 1)
	go s.Serve(l)
	tb.Cleanup(func() { s.Close() })
	return l.Addr().String()
}

// startDovecotPOP3 runs Dovecot's POP3 over dir for users user0..userN-1.
func startDovecotPOP3(tb testing.TB, dir string, users int) (addr string, master int) {
	tb.Helper()
	bin, err := exec.LookPath("dovecot")
	if err != nil {
		tb.Skip("dovecot not installed")
	}
	u, err := user.Lookup("dovecot")
	if err != nil || os.Getuid() != 0 {
		tb.Skip("Dovecot needs root and a dovecot user")
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil {
			os.Chown(p, uid, gid)
		}
		return nil
	})
	for p := filepath.Dir(dir); p != "/"; p = filepath.Dir(p) {
		if fi, err := os.Stat(p); err == nil {
			os.Chmod(p, fi.Mode().Perm()|0o011)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	work := tb.TempDir()
	os.Chmod(work, 0o755)
	var pw strings.Builder
	for i := 0; i < users; i++ {
		fmt.Fprintf(&pw, "user%d:{PLAIN}secret\n", i)
	}
	os.WriteFile(filepath.Join(work, "passwd"), []byte(pw.String()), 0o644)
	conf := fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/log
protocols = pop3
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
first_valid_uid = 1
default_process_limit = 500
default_client_limit = 2000
mail_max_userip_connections = 1000
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[1]s/passwd
}
userdb {
  driver = static
  args = uid=dovecot gid=dovecot home=%[2]s mail=maildir:%[2]s
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = %[3]s
  }
}
service imap-login {
  inet_listener imap {
    port = 0
  }
}
`, work, dir, port)
	cf := filepath.Join(work, "dovecot.conf")
	os.WriteFile(cf, []byte(conf), 0o644)
	cmd := exec.Command(bin, "-F", "-c", cf)
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { proctest.Stop(cmd, os.Interrupt, 10*time.Second) })
	addr = "127.0.0.1:" + port
	for deadline := time.Now().Add(20 * time.Second); ; {
		c, err := pop3.Dial(context.Background(), addr, nil)
		if err == nil {
			c.Close()
			return addr, cmd.Process.Pid
		}
		if time.Now().After(deadline) {
			tb.Fatalf("dovecot did not start: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// retrieveAll logs in as user0, lists and retrieves every message.
func retrieveAll(tb testing.TB, addr string) int {
	ctx := context.Background()
	c, err := pop3.Dial(ctx, addr, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Quit(ctx)
	if err := c.Login(ctx, "user0", "secret"); err != nil {
		tb.Fatal(err)
	}
	msgs, err := c.List(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	for _, m := range msgs {
		n, err := c.Retr(ctx, m.Number, io.Discard)
		if err != nil {
			tb.Fatal(err)
		}
		if n != m.Size {
			tb.Fatalf("message %d: %d octets, LIST said %d", m.Number, n, m.Size)
		}
	}
	return len(msgs)
}

func BenchmarkPOP3Retrieve10k(b *testing.B) {
	for _, peer := range []string{"relaykit", "dovecot"} {
		b.Run(peer, func(b *testing.B) {
			dir := pop3Maildir(b, pop3BenchMessages)
			var addr string
			if peer == "relaykit" {
				addr = startOurPOP3(b, dir)
			} else {
				addr, _ = startDovecotPOP3(b, dir, 1)
			}
			// Warm-up session: both build their UID lists and indexes,
			// and Dovecot marks the messages seen, before timing.
			if n := retrieveAll(b, addr); n != pop3BenchMessages {
				b.Fatalf("%d messages listed", n)
			}
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				retrieveAll(b, addr)
			}
			b.ReportMetric(float64(b.N*pop3BenchMessages)/time.Since(start).Seconds(), "msgs/s")
		})
	}
}

// TestMain lets the idle-memory benchmark run our server as its own
// process (POP3_BENCH_SERVE=maildir), so its memory is measured as
// Dovecot's is: the server's processes only.
func TestMain(m *testing.M) {
	if impl := os.Getenv(smtpServeEnv); impl != "" {
		serveSMTPChild(impl) // smtp_server_proc_test.go
		return
	}
	if dir := os.Getenv("POP3_BENCH_SERVE"); dir != "" {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			panic(err)
		}
		fmt.Println(l.Addr())
		s := pop3Server(dir, 1000)
		s.Serve(l)
		return
	}
	os.Exit(m.Run())
}

// pss is the proportional set size in bytes of pid and its descendants
// (Linux /proc/PID/smaps_rollup).
func pss(tb testing.TB, root int) int64 {
	children := map[int][]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(f) > 1 {
			ppid, _ := strconv.Atoi(f[1])
			children[ppid] = append(children[ppid], pid)
		}
	}
	var total int64
	var walk func(int)
	walk = func(pid int) {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
		if err == nil {
			for _, line := range strings.Split(string(data), "\n") {
				if f := strings.Fields(line); len(f) >= 2 && f[0] == "Pss:" {
					kb, _ := strconv.ParseInt(f[1], 10, 64)
					total += kb << 10
				}
			}
		}
		for _, c := range children[pid] {
			walk(c)
		}
	}
	walk(root)
	return total
}

func BenchmarkPOP3IdleConnMemory(b *testing.B) {
	const conns = 100
	if _, err := os.Stat("/proc/self/smaps_rollup"); err != nil {
		b.Skip("needs Linux /proc smaps_rollup")
	}
	for _, peer := range []string{"relaykit", "dovecot"} {
		b.Run(peer, func(b *testing.B) {
			dir := pop3Maildir(b, 20)
			var addr string
			var pid int
			if peer == "relaykit" {
				cmd := exec.Command(os.Args[0], "-test.run=^$")
				cmd.Env = append(os.Environ(), "POP3_BENCH_SERVE="+dir)
				out, _ := cmd.StdoutPipe()
				if err := cmd.Start(); err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
				line, err := bufio.NewReader(out).ReadString('\n')
				if err != nil {
					b.Fatal(err)
				}
				addr, pid = strings.TrimSpace(line), cmd.Process.Pid
			} else {
				addr, pid = startDovecotPOP3(b, dir, conns)
			}
			ctx := context.Background()
			var perConn float64
			for i := 0; i < b.N; i++ {
				// One session first so lazily made state (indexes,
				// pools, auth processes) is not charged to the idle ones.
				warm, err := pop3.Dial(ctx, addr, nil)
				if err != nil {
					b.Fatal(err)
				}
				warm.Login(ctx, "user0", "secret")
				warm.Quit(ctx)
				time.Sleep(200 * time.Millisecond) // let the server settle before the baseline reading
				before := pss(b, pid)
				var cs []*pop3.Client
				for j := 0; j < conns; j++ {
					c, err := pop3.Dial(ctx, addr, nil)
					if err != nil {
						b.Fatal(err)
					}
					if err := c.Login(ctx, "user"+strconv.Itoa(j), "secret"); err != nil {
						b.Fatal(err)
					}
					if _, _, err := c.Stat(ctx); err != nil {
						b.Fatal(err)
					}
					cs = append(cs, c)
				}
				time.Sleep(200 * time.Millisecond)
				after := pss(b, pid)
				if i == 0 {
					// Only the first pass: later ones reuse the memory
					// the Go runtime kept from the sessions before
					// (it does not return it to the kernel at once),
					// so their growth understates a session's cost.
					perConn = float64(after-before) / conns
				}
				for _, c := range cs {
					c.Quit(ctx)
				}
			}
			b.ReportMetric(perConn, "B/idle-session")
		})
	}
}
