package bench

// IMAP against Dovecot 2.3 (dovecot-imapd), same client (relaykit's
// imap.Client) and the same maildir contents (10,000 messages of 4 KiB,
// made with the mailbox package; each server gets its own copy). Our
// server is examples/mailaccess (imap.Server over the mailbox package),
// built and run as its own process, as Dovecot runs as its own:
//
//   - BenchmarkIMAPSelect10k: SELECT INBOX of the 10,000-message folder.
//   - BenchmarkIMAPFetchFlags10k: FETCH 1:* (FLAGS UID RFC822.SIZE).
//   - BenchmarkIMAPFetchBody10k: FETCH 1:* BODY.PEEK[]; msgs/s reported.
//   - BenchmarkIMAPStoreFlags1k: STORE 1:1000 +FLAGS (\Flagged), then
//     -FLAGS, one op being both (each a rename of 1,000 files).
//   - BenchmarkIMAPIdleSessionMemory: 40 sessions logged in with INBOX
//     selected, idle; the server's memory growth per session (PSS).
//   - BenchmarkIMAPFetchEnvelope20k(Cold): FETCH 1:* (FLAGS ENVELOPE) of
//     a 20,000-message INBOX, on servers that have not read the
//     messages yet (Cold) and once they have.
//   - BenchmarkIMAPSearchHeader20k: UID SEARCH SUBJECT over 20,000.
//   - BenchmarkIMAPAppend: streams of 200 4 KiB APPENDs into the
//     10,000-message INBOX, one after the other; msgs/s reported.
//
// Every benchmark warms the server up with one untimed round first (UID
// lists, Dovecot's indexes). Dovecot is started by the benchmark with
// login user dovenull and internal user dovecot, the mail owned by
// nobody (it refuses to serve mail as root); missing Dovecot skips it.
//
// github.com/emersion/go-imap/v2 is not a peer here: the module list of
// this project has it only as v2.0.0-beta.8, not an approved release.

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaykit/relaykit/imap"
	"github.com/relaykit/relaykit/internal/proctest"
	"github.com/relaykit/relaykit/mailbox"
)

const imapBenchMessages = 10000

// imapMailRoot makes root/bob holding n 4 KiB messages and returns root.
func imapMailRoot(tb testing.TB, n int) string {
	tb.Helper()
	root := tb.TempDir()
	m, err := mailbox.Open(filepath.Join(root, "bob"), mailbox.Options{Create: true, Host: "bench.test"})
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
	return root
}

var mailaccessBin struct {
	once sync.Once
	path string
	err  error
}

// startOurIMAP builds examples/mailaccess once and runs it over root
// (users bob and user0..user99, password "secret").
func startOurIMAP(tb testing.TB, root string) (addr string, pid int) {
	tb.Helper()
	mailaccessBin.once.Do(func() {
		dir, err := os.MkdirTemp("", "imapbench-")
		if err != nil {
			mailaccessBin.err = err
			return
		}
		mailaccessBin.path = filepath.Join(dir, "mailaccess")
		out, err := exec.Command("go", "build", "-o", mailaccessBin.path, "github.com/relaykit/relaykit/examples/mailaccess").CombinedOutput()
		if err != nil {
			mailaccessBin.err = fmt.Errorf("%v: %s", err, out)
		}
	})
	if mailaccessBin.err != nil {
		tb.Fatal(mailaccessBin.err)
	}
	hash := exec.Command(mailaccessBin.path, "-hash")
	hash.Stdin = strings.NewReader("secret\n")
	h, err := hash.Output()
	if err != nil {
		tb.Fatal(err)
	}
	var pw strings.Builder
	fmt.Fprintf(&pw, "bob:%s", h)
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&pw, "user%d:%s", i, h)
	}
	pwFile := filepath.Join(tb.TempDir(), "passwords")
	if err := os.WriteFile(pwFile, []byte(pw.String()), 0o600); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(mailaccessBin.path, "-root", root, "-passwords", pwFile, "-imap", "127.0.0.1:0", "-pop3", "")
	out, _ := cmd.StdoutPipe()
	if os.Getenv("IMAP_BENCH_LOG") != "" { // the server's log, to debug a run
		cmd.Stderr = os.Stderr
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		tb.Fatal(err)
	}
	// "mailaccess: IMAP on ADDR, POP3 on ..."
	f := strings.Fields(line)
	if len(f) < 4 {
		tb.Fatalf("mailaccess said %q", line)
	}
	return strings.TrimSuffix(f[3], ","), cmd.Process.Pid
}

// startDovecotIMAP runs Dovecot's IMAP over root/<user> (users bob and
// user0..user99 share bob's maildir, password "secret").
func startDovecotIMAP(tb testing.TB, root string) (addr string, master int) {
	tb.Helper()
	bin, err := exec.LookPath("dovecot")
	if err != nil {
		tb.Skip("dovecot not installed")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil || os.Getuid() != 0 {
		tb.Skip("Dovecot needs root and a nobody user")
	}
	loginUser, internalUser := "dovenull", "dovecot"
	for _, u := range []*string{&loginUser, &internalUser} {
		if _, err := user.Lookup(*u); err != nil {
			*u = "nobody"
		}
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	gid, _ := strconv.Atoi(nobody.Gid)
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil {
			os.Chown(p, uid, gid)
		}
		return nil
	})
	for p := filepath.Dir(root); p != "/"; p = filepath.Dir(p) {
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
	conf := fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
default_process_limit = 500
default_client_limit = 2000
mail_max_userip_connections = 1000
default_internal_user = %[5]s
default_login_user = %[6]s
passdb {
  driver = static
  args = password=secret
}
userdb {
  driver = static
  args = uid=%[3]s gid=%[4]s home=%[2]s/bob mail=maildir:%[2]s/bob
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[7]s
  }
  inet_listener imaps {
    port = 0
  }
}
`, work, root, nobody.Uid, nobody.Gid, internalUser, loginUser, port)
	cf := filepath.Join(work, "dovecot.conf")
	os.WriteFile(cf, []byte(conf), 0o644)
	cmd := exec.Command(bin, "-F", "-c", cf)
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { proctest.Stop(cmd, os.Interrupt, 10*time.Second) })
	addr = "127.0.0.1:" + port
	for deadline := time.Now().Add(20 * time.Second); ; {
		c, err := imap.Dial(context.Background(), addr, nil)
		if err == nil {
			c.Close()
			return addr, cmd.Process.Pid
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(work, "log"))
			tb.Fatalf("dovecot did not start: %v\n%s", err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// imapPeers runs fn against each server over a fresh copy of the
// 10,000-message maildir, with a logged-in session (INBOX selected).
func imapPeers(b *testing.B, fn func(b *testing.B, c *imap.Client)) {
	imapPeersN(b, imapBenchMessages, nil, fn)
}

// imapPeersN is imapPeers over n messages, with warm (if not nil) run
// untimed after the common warm-up.
func imapPeersN(b *testing.B, n int, warm func(b *testing.B, c *imap.Client), fn func(b *testing.B, c *imap.Client)) {
	for _, peer := range []string{"relaykit", "dovecot"} {
		b.Run(peer, func(b *testing.B) {
			root := imapMailRoot(b, n)
			var addr string
			if peer == "relaykit" {
				addr, _ = startOurIMAP(b, root)
			} else {
				addr, _ = startDovecotIMAP(b, root)
			}
			c, err := imap.Dial(context.Background(), addr, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			c.Timeout = 10 * time.Minute
			if err := c.Login("bob", "secret"); err != nil {
				b.Fatal(err)
			}
			sd, err := c.Select("INBOX", false)
			if err != nil {
				b.Fatal(err)
			}
			if sd.Exists != uint32(n) {
				b.Fatalf("SELECT: %d messages", sd.Exists)
			}
			// Warm-up: every message's UID, flags and size, untimed.
			if _, err := c.Fetch(allSeq(uint32(n)), "(FLAGS UID RFC822.SIZE)"); err != nil {
				b.Fatal(err)
			}
			if warm != nil {
				warm(b, c)
			}
			b.ResetTimer()
			fn(b, c)
		})
	}
}

func allSeq(n uint32) imap.SeqSet { return imap.SeqSet{Ranges: []imap.Range{{Start: 1, Stop: n}}} }

func BenchmarkIMAPSelect10k(b *testing.B) {
	imapPeers(b, func(b *testing.B, c *imap.Client) {
		for i := 0; i < b.N; i++ {
			sd, err := c.Select("INBOX", false)
			if err != nil || sd.Exists != imapBenchMessages {
				b.Fatalf("SELECT: %+v %v", sd, err)
			}
		}
	})
}

func BenchmarkIMAPFetchFlags10k(b *testing.B) {
	imapPeers(b, func(b *testing.B, c *imap.Client) {
		for i := 0; i < b.N; i++ {
			fd, err := c.Fetch(allSeq(imapBenchMessages), "(FLAGS UID RFC822.SIZE)")
			if err != nil || len(fd) != imapBenchMessages {
				b.Fatalf("FETCH: %d, %v", len(fd), err)
			}
			if fd[0].Size < 4096 || fd[0].UID == 0 {
				b.Fatalf("FETCH: %+v", fd[0])
			}
		}
	})
}

func BenchmarkIMAPFetchBody10k(b *testing.B) {
	imapPeers(b, func(b *testing.B, c *imap.Client) {
		start := time.Now()
		for i := 0; i < b.N; i++ {
			fd, err := c.Fetch(allSeq(imapBenchMessages), "(BODY.PEEK[])")
			if err != nil || len(fd) != imapBenchMessages {
				b.Fatalf("FETCH: %d, %v", len(fd), err)
			}
			if n := len(fd[imapBenchMessages-1].Sections["BODY[]"]); n < 4096 {
				b.Fatalf("FETCH: body of %d octets", n)
			}
		}
		b.ReportMetric(float64(b.N*imapBenchMessages)/time.Since(start).Seconds(), "msgs/s")
	})
}

func BenchmarkIMAPStoreFlags1k(b *testing.B) {
	imapPeers(b, func(b *testing.B, c *imap.Client) {
		set := allSeq(1000)
		for i := 0; i < b.N; i++ {
			if err := c.Store(set, imap.StoreAdd, []string{`\Flagged`}); err != nil {
				b.Fatal(err)
			}
			if err := c.Store(set, imap.StoreRemove, []string{`\Flagged`}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

const imapBench20k = 20000

// fetchEnvelope20k is the first figure: FETCH 1:* (FLAGS
// ENVELOPE) of a 20,000-message INBOX.
func fetchEnvelope20k(b *testing.B, c *imap.Client) {
	fd, err := c.Fetch(allSeq(imapBench20k), "(FLAGS ENVELOPE)")
	if err != nil || len(fd) != imapBench20k {
		b.Fatalf("FETCH: %d, %v", len(fd), err)
	}
}

// BenchmarkIMAPFetchEnvelope20kCold: the first FETCH 1:* (FLAGS
// ENVELOPE) of a server that has read no message yet (Dovecot's cache
// file and our server's memory cache empty). Run it with -benchtime 1x:
// only the first iteration is cold.
func BenchmarkIMAPFetchEnvelope20kCold(b *testing.B) {
	imapPeersN(b, imapBench20k, nil, func(b *testing.B, c *imap.Client) {
		for range b.N {
			fetchEnvelope20k(b, c)
		}
	})
}

// BenchmarkIMAPFetchEnvelope20k: the same FETCH again, once each server
// has seen it (Dovecot from dovecot.index.cache, ours from memory).
func BenchmarkIMAPFetchEnvelope20k(b *testing.B) {
	imapPeersN(b, imapBench20k, fetchEnvelope20k, func(b *testing.B, c *imap.Client) {
		for range b.N {
			fetchEnvelope20k(b, c)
		}
	})
}

// BenchmarkIMAPSearchHeader20k: UID SEARCH SUBJECT over the 20,000
// messages (one match), after one untimed search.
func BenchmarkIMAPSearchHeader20k(b *testing.B) {
	search := func(b *testing.B, c *imap.Client) {
		uids, err := c.Search(`SUBJECT "message 12345"`)
		if err != nil || len(uids) != 1 {
			b.Fatalf("SEARCH: %v %v", uids, err)
		}
	}
	imapPeersN(b, imapBench20k, search, func(b *testing.B, c *imap.Client) {
		for range b.N {
			search(b, c)
		}
	})
}

// BenchmarkIMAPSearchBody10k: SEARCH BODY over the 10,000 messages,
// found in none: each server reads every message and searches its text.
func BenchmarkIMAPSearchBody10k(b *testing.B) {
	imapPeers(b, func(b *testing.B, c *imap.Client) {
		for range b.N {
			uids, err := c.Search(`BODY "no such words"`)
			if err != nil || len(uids) != 0 {
				b.Fatalf("SEARCH: %v %v", uids, err)
			}
		}
	})
}

// imapAppendStream is how many APPENDs one op of BenchmarkIMAPAppend
// sends.
const imapAppendStream = 200

// BenchmarkIMAPAppend: a stream of 4 KiB APPENDs into the
// 10,000-message INBOX, which the session has selected (as a client
// saving into the folder it shows: each APPEND is also answered with
// EXISTS). One op is 200 APPENDs, each acknowledged (APPENDUID) before
// the next is sent; msgs/s reported.
func BenchmarkIMAPAppend(b *testing.B) {
	msg := []byte(strings.ReplaceAll(string(pop3Message(7)), "\n", "\r\n"))
	imapPeers(b, func(b *testing.B, c *imap.Client) {
		start := time.Now()
		var last uint32
		for range b.N {
			for range imapAppendStream {
				uid, err := c.Append("INBOX", nil, msg)
				if err != nil {
					b.Fatal(err)
				}
				if uid <= last {
					b.Fatalf("APPENDUID %d after %d", uid, last)
				}
				last = uid
			}
		}
		b.ReportMetric(float64(b.N*imapAppendStream)/time.Since(start).Seconds(), "msgs/s")
	})
}

// BenchmarkIMAPIdleSessionMemory: 40 sessions from 10 loopback source
// addresses (our server allows 20 per address by default), each logged
// in with INBOX (20 messages) selected. 40, not more: each of our logins
// checks a PBKDF2 hash, about half a second on the shared machine.
func BenchmarkIMAPIdleSessionMemory(b *testing.B) {
	const conns = 40
	if _, err := os.Stat("/proc/self/smaps_rollup"); err != nil {
		b.Skip("needs Linux /proc smaps_rollup")
	}
	for _, peer := range []string{"relaykit", "dovecot"} {
		b.Run(peer, func(b *testing.B) {
			root := imapMailRoot(b, 20)
			var addr string
			var pid int
			if peer == "relaykit" {
				addr, pid = startOurIMAP(b, root)
			} else {
				addr, pid = startDovecotIMAP(b, root)
			}
			session := func(j int) *imap.Client {
				d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(1+j%10))}}
				nc, err := d.Dial("tcp", addr)
				if err != nil {
					b.Fatal(err)
				}
				c, err := imap.NewClient(nc)
				if err != nil {
					b.Fatal(err)
				}
				if err := c.Login("user"+strconv.Itoa(j), "secret"); err != nil {
					b.Fatal(err)
				}
				if _, err := c.Select("INBOX", false); err != nil {
					b.Fatal(err)
				}
				return c
			}
			var perConn float64
			for i := 0; i < b.N; i++ {
				// One session first so lazily made state (indexes,
				// pools, auth processes) is not charged to the idle ones.
				warm := session(0)
				warm.Logout()
				time.Sleep(200 * time.Millisecond) // let the server settle before the baseline reading
				before := pss(b, pid)
				var cs []*imap.Client
				for j := 0; j < conns; j++ {
					cs = append(cs, session(j))
				}
				time.Sleep(200 * time.Millisecond)
				after := pss(b, pid)
				if i == 0 {
					// Only the first pass: later ones reuse memory the
					// Go runtime kept from the sessions before, so their
					// growth understates a session's cost.
					perConn = float64(after-before) / conns
				}
				for _, c := range cs {
					c.Logout()
				}
			}
			b.ReportMetric(perConn, "B/idle-session")
		})
	}
}
