//go:build interop

package pop3_test

// Interop tests against real POP3 software (fetchmail, getmail6, Python's
// poplib, curl, Dovecot), started by the tests on 127.0.0.1 and skipped
// when missing. The store is the mailbox package (a test-only import:
// pop3 itself does not import it).

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/relaykit/relaykit/internal/proctest"
	"github.com/relaykit/relaykit/mailbox"
	"github.com/relaykit/relaykit/pop3"
)

// interopMessages are the stored messages (LF line endings, as a
// maildir holds them), with the cases that trip codecs: a line that is
// a lone dot, lines starting with dots, a "From " line, a long line, an
// empty body, no final newline.
func interopMessages() []string {
	return []string{
		"Return-Path: <alice@example.org>\nFrom: alice@example.org\nTo: bob@example.net\nSubject: one\n\nHello Bob.\n.\n..two dots\n.x\nFrom the start\n",
		"Return-Path: <alice@example.org>\nFrom: alice@example.org\nSubject: two\n\n" + strings.Repeat("0123456789", 120) + "\nend\n",
		"Return-Path: <alice@example.org>\nFrom: alice@example.org\nSubject: three (empty body)\n\n",
		"Return-Path: <alice@example.org>\nFrom: alice@example.org\nSubject: four\n\n" + strings.Repeat("line of text for a bigger message\n", 3000),
		"Return-Path: <alice@example.org>\nFrom: alice@example.org\nSubject: five\n\nno final newline",
	}
}

// crlf is msg as sent on the wire: CRLF endings, a final CRLF.
func crlf(msg string) string {
	s := strings.ReplaceAll(msg, "\n", "\r\n")
	if !strings.HasSuffix(s, "\r\n") {
		s += "\r\n"
	}
	return s
}

// size is the octet count LIST reports for a stored message: CRLF line
// endings, without the line ending added to a message lacking one.
func size(msg string) int64 { return int64(len(strings.ReplaceAll(msg, "\n", "\r\n"))) }

func makeMaildir(t *testing.T) (*mailbox.Maildir, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "bob")
	m, err := mailbox.Open(dir, mailbox.Options{Create: true, Host: "interop.test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range interopMessages() {
		if _, err := m.Deliver(context.Background(), "", []byte(msg), 0); err != nil {
			t.Fatal(err)
		}
	}
	return m, dir
}

// maildropBackend serves dir's INBOX to user bob.
func maildropBackend(dir string) pop3.Backend {
	return pop3.BackendFunc(func(ctx context.Context, user string) (pop3.Maildrop, error) {
		m, err := mailbox.Open(dir, mailbox.Options{})
		if err != nil {
			return nil, err
		}
		f, err := m.Inbox()
		if err != nil {
			return nil, err
		}
		return f.Snapshot()
	})
}

type tlsFiles struct {
	server, client *tls.Config
	certPEM        string // path
}

func interopTLS(t *testing.T) tlsFiles {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	p := filepath.Join(t.TempDir(), "cert.pem")
	os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	return tlsFiles{
		server:  &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		client:  &tls.Config{RootCAs: pool, ServerName: "localhost"},
		certPEM: p,
	}
}

// startOurs serves dir on 127.0.0.1; implicit wraps the listener in TLS.
func startOurs(t *testing.T, dir string, tf *tlsFiles, implicit bool) string {
	t.Helper()
	s := &pop3.Server{
		Backend:           maildropBackend(dir),
		Authenticator:     pop3.Secrets{"bob": "secret"},
		AllowInsecureAuth: tf == nil,
		LoginFailureDelay: -1,
		CommandRate:       -1,
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if tf != nil {
		if implicit {
			l = tls.NewListener(l, tf.server)
		} else {
			s.TLSConfig = tf.server
		}
	}
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })
	return l.Addr().String()
}

func need(t *testing.T, bin string) string {
	t.Helper()
	p, err := exec.LookPath(bin)
	if err != nil {
		t.Skipf("%s not installed", bin)
	}
	return p
}

func run(t *testing.T, cmd *exec.Cmd) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, cmd.Path, cmd.Args[1:]...)
	c.Env, c.Dir, c.Stdin = cmd.Env, cmd.Dir, cmd.Stdin
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	return out
}

// readDirFiles returns the contents of the files in dir (recursively),
// sorted.
func readDirFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			out = append(out, string(b))
		}
		return nil
	})
	sort.Strings(out)
	return out
}

// wantLF is what an LF-writing fetcher stores: the messages with a
// final newline.
func wantLF() []string {
	var out []string
	for _, m := range interopMessages() {
		if !strings.HasSuffix(m, "\n") {
			m += "\n"
		}
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

func TestInteropFetchmail(t *testing.T) {
	bin := need(t, "fetchmail")
	for _, mode := range []string{"plain", "stls"} {
		t.Run(mode, func(t *testing.T) {
			_, dir := makeMaildir(t)
			var tf *tlsFiles
			if mode == "stls" {
				x := interopTLS(t)
				tf = &x
			}
			host, port, _ := net.SplitHostPort(startOurs(t, dir, tf, false))
			work := t.TempDir()
			out := filepath.Join(work, "out")
			os.Mkdir(out, 0o700)
			tlsOpt := "sslproto ''"
			if tf != nil {
				// sslproto without ssl: STLS is required.
				tlsOpt = "sslproto tls1.2+ sslcertck sslcommonname localhost sslcertfile " + tf.certPEM
			}
			rc := fmt.Sprintf("set no bouncemail\nset invisible\npoll %s port %s protocol pop3 auth password user \"bob\" password \"secret\" %s keep fetchall mda \"/bin/sh -c 'cat > %s/msg.$$'\"\n", host, port, tlsOpt, out)
			rcPath := filepath.Join(work, "fetchmailrc")
			os.WriteFile(rcPath, []byte(rc), 0o600)
			cmd := exec.Command(bin, "-f", rcPath, "-i", filepath.Join(work, "ids"), "--nosyslog", "-N", "-v")
			cmd.Env = append(os.Environ(), "HOME="+work, "FETCHMAILHOME="+work)
			log := run(t, cmd)
			if tf != nil && !bytes.Contains(log, []byte("POP3> STLS")) {
				t.Errorf("fetchmail did not use STLS:\n%s", log)
			}
			if diff := cmp.Diff(wantLF(), readDirFiles(t, out)); diff != "" {
				t.Errorf("fetchmail's messages differ from the maildir (-want +got):\n%s\n%s", diff, log)
			}
		})
	}
}

func TestInteropGetmail(t *testing.T) {
	bin := need(t, "getmail")
	for _, mode := range []string{"plain", "implicit-tls"} {
		t.Run(mode, func(t *testing.T) {
			_, dir := makeMaildir(t)
			var tf *tlsFiles
			retriever := "SimplePOP3Retriever"
			if mode == "implicit-tls" {
				x := interopTLS(t)
				tf = &x
				retriever = "SimplePOP3SSLRetriever"
			}
			host, port, _ := net.SplitHostPort(startOurs(t, dir, tf, true))
			work := t.TempDir()
			out := filepath.Join(work, "out")
			for _, sub := range []string{"cur", "new", "tmp"} {
				os.MkdirAll(filepath.Join(out, sub), 0o700)
			}
			// getmail refuses to deliver as root; it switches to this user.
			extra, rcUser := "", ""
			if os.Getuid() == 0 {
				u, err := user.Lookup("nobody")
				if err != nil {
					t.Skip("running as root and no user nobody for getmail")
				}
				chownTree(t, out, u)
				rcUser = "user = nobody\n"
			}
			if tf != nil {
				extra = "ca_certs = " + tf.certPEM + "\n"
			}
			rc := fmt.Sprintf("[retriever]\ntype = %s\nserver = %s\nport = %s\nusername = bob\npassword = secret\n%s\n[destination]\ntype = Maildir\npath = %s/\n"+rcUser+"\n[options]\nread_all = true\ndelete = false\ndelivered_to = false\nreceived = false\nmessage_log_syslog = false\n",
				retriever, host, port, extra, out)
			os.WriteFile(filepath.Join(work, "getmailrc"), []byte(rc), 0o600)
			log := run(t, exec.Command(bin, "--getmaildir", work, "--rcfile", "getmailrc"))
			if diff := cmp.Diff(wantLF(), readDirFiles(t, out)); diff != "" {
				t.Errorf("getmail's messages differ from the maildir (-want +got):\n%s\n%s", diff, log)
			}
		})
	}
}

const poplibScript = `
import poplib, ssl, sys, json, hashlib
host, port, cafile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
r = {}
p = poplib.POP3(host, port, timeout=30)
r["welcome"] = p.getwelcome().decode()
r["capa_before"] = sorted(p.capa().keys())
ctx = ssl.create_default_context(cafile=cafile)
p.stls(ctx)
r["capa_after"] = sorted(p.capa().keys())
p.user("bob"); p.pass_("secret")
r["stat"] = list(p.stat())
r["list"] = [x.decode() for x in p.list()[1]]
r["list2"] = p.list(2).decode()
r["uidl"] = [x.decode() for x in p.uidl()[1]]
r["uidl1"] = p.uidl(1).decode()
r["retr"] = ["\r\n".join(x.decode() for x in p.retr(i)[1]) for i in range(1, r["stat"][0] + 1)]
r["top"] = "\r\n".join(x.decode() for x in p.top(1, 1)[1])
r["noop"] = p.noop().decode()
r["dele"] = p.dele(1).decode()
try:
    p.retr(1)
    r["retr_deleted"] = "ok"
except poplib.error_proto as e:
    r["retr_deleted"] = str(e)
r["rset"] = p.rset().decode()
r["dele2"] = p.dele(2).decode()
r["quit"] = p.quit().decode()
p = poplib.POP3(host, port, timeout=30)
try:
    p.apop("bob", "secret")
    r["apop"] = "+OK"
except poplib.error_proto as e:
    r["apop"] = str(e)
r["stat_after"] = list(p.stat())
p.quit()
print(json.dumps(r))
`

func TestInteropPoplib(t *testing.T) {
	py := need(t, "python3")
	_, dir := makeMaildir(t)
	tf := interopTLS(t)
	host, port, _ := net.SplitHostPort(startOurs(t, dir, &tf, false))
	script := filepath.Join(t.TempDir(), "p.py")
	os.WriteFile(script, []byte(poplibScript), 0o600)
	out := run(t, exec.Command(py, script, host, port, tf.certPEM))
	var r struct {
		Welcome                string
		CapaBefore             []string `json:"capa_before"`
		CapaAfter              []string `json:"capa_after"`
		Stat                   []int64
		StatAfter              []int64 `json:"stat_after"`
		List, UIDL, Retr       []string
		List2, UIDL1, Top      string
		Noop, Dele, Rset, Quit string
		RetrDeleted            string `json:"retr_deleted"`
		Dele2, APOP            string
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	msgs := interopMessages()
	var total int64
	var list, retr []string
	for i, m := range msgs {
		w := crlf(m)
		total += size(m)
		list = append(list, fmt.Sprintf("%d %d", i+1, size(m)))
		// poplib splits at line ends and we joined with CRLF: no final
		// CRLF, and the stuffed dots removed.
		retr = append(retr, strings.TrimSuffix(w, "\r\n"))
	}
	if diff := cmp.Diff([]string{"AUTH-RESP-CODE", "IMPLEMENTATION", "PIPELINING", "RESP-CODES", "STLS", "TOP", "UIDL"}, r.CapaBefore); diff != "" {
		t.Errorf("CAPA before STLS:\n%s", diff)
	}
	if diff := cmp.Diff([]string{"AUTH-RESP-CODE", "IMPLEMENTATION", "PIPELINING", "RESP-CODES", "SASL", "TOP", "UIDL", "USER"}, r.CapaAfter); diff != "" {
		t.Errorf("CAPA after STLS:\n%s", diff)
	}
	if diff := cmp.Diff([]int64{int64(len(msgs)), total}, r.Stat); diff != "" {
		t.Errorf("STAT:\n%s", diff)
	}
	if diff := cmp.Diff(list, r.List); diff != "" {
		t.Errorf("LIST:\n%s", diff)
	}
	if diff := cmp.Diff(retr, r.Retr); diff != "" {
		t.Errorf("RETR:\n%s", diff)
	}
	if len(r.UIDL) != len(msgs) || !strings.HasPrefix(r.UIDL1, "+OK 1 ") || !strings.HasSuffix(r.UIDL1, strings.Fields(r.UIDL[0])[1]) {
		t.Errorf("UIDL %v / %q", r.UIDL, r.UIDL1)
	}
	if r.Top != "Return-Path: <alice@example.org>\r\nFrom: alice@example.org\r\nTo: bob@example.net\r\nSubject: one\r\n\r\nHello Bob." {
		t.Errorf("TOP 1 1: %q", r.Top)
	}
	if !strings.HasPrefix(r.RetrDeleted, "b'-ERR") || !strings.HasPrefix(r.Quit, "+OK") || !strings.HasPrefix(r.APOP, "+OK") {
		t.Errorf("retr deleted %q, quit %q, apop %q", r.RetrDeleted, r.Quit, r.APOP)
	}
	if len(r.StatAfter) != 2 || r.StatAfter[0] != int64(len(msgs)-1) {
		t.Errorf("after DELE 1, RSET, DELE 2, QUIT: STAT %v", r.StatAfter)
	}
}

func TestInteropCurl(t *testing.T) {
	bin := need(t, "curl")
	_, dir := makeMaildir(t)
	addr := startOurs(t, dir, nil, false)
	base := "pop3://" + addr + "/"
	list := run(t, exec.Command(bin, "-sS", "--user", "bob:secret", base))
	var want strings.Builder
	for i, m := range interopMessages() {
		fmt.Fprintf(&want, "%d %d\r\n", i+1, size(m))
	}
	if string(list) != want.String() {
		t.Errorf("curl list: %q, want %q", list, want.String())
	}
	for i, m := range interopMessages() {
		got := run(t, exec.Command(bin, "-sS", "--user", "bob:secret", base+strconv.Itoa(i+1)))
		if string(got) != crlf(m) {
			t.Errorf("curl retrieve %d: %q, want %q", i+1, got, crlf(m))
		}
	}
}

// dovecot runs Dovecot's POP3 server on 127.0.0.1 over dir, owned by
// the dovecot user (Dovecot refuses to serve mail as root).
type dovecot struct {
	addr string
	cmd  *exec.Cmd
}

func startDovecot(t *testing.T, dir string) *dovecot {
	t.Helper()
	bin := need(t, "dovecot")
	if os.Getuid() != 0 {
		t.Skip("Dovecot's master needs root to switch to the mail user")
	}
	u, err := user.Lookup("dovecot")
	if err != nil {
		t.Skip("no dovecot user")
	}
	chownTree(t, dir, u)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	work := t.TempDir()
	os.Chmod(work, 0o755)
	os.WriteFile(filepath.Join(work, "passwd"), []byte("bob:{PLAIN}secret\n"), 0o644)
	conf := fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/log
protocols = pop3
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
first_valid_uid = 1
pop3_uidl_format = %%08Xu%%08Xv
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
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proctest.Stop(cmd, os.Interrupt, 10*time.Second) })
	d := &dovecot{addr: "127.0.0.1:" + port, cmd: cmd}
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := pop3.Dial(context.Background(), d.addr, nil)
		if err == nil {
			c.Close()
			return d
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(work, "log"))
			t.Fatalf("dovecot did not start: %v\n%s\n%s", err, log.String(), b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func chownTree(t *testing.T, dir string, u *user.User) {
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil {
			os.Chown(p, uid, gid)
		}
		return nil
	})
	// The maildir's parents must be searchable by the dovecot user.
	for p := filepath.Dir(dir); p != "/" && p != "."; p = filepath.Dir(p) {
		if fi, err := os.Stat(p); err == nil {
			os.Chmod(p, fi.Mode().Perm()|0o011)
		}
	}
}

// session lists and retrieves everything from addr with our client and
// returns message content (CRLF) -> (UIDL, size).
type listed struct {
	UIDL string
	Size int64
}

func fetchAll(t *testing.T, addr string) (map[string]listed, []string) {
	t.Helper()
	ctx := context.Background()
	c, err := pop3.Dial(ctx, addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Quit(ctx)
	if err := c.Login(ctx, "bob", "secret"); err != nil {
		t.Fatal(err)
	}
	msgs, err := c.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]listed{}
	var bodies []string
	for _, m := range msgs {
		var b bytes.Buffer
		n, err := c.Retr(ctx, m.Number, &b)
		if err != nil {
			t.Fatal(err)
		}
		// A message without a final line ending is sent with one that
		// LIST does not count (Dovecot does the same).
		if n != m.Size && !(n == m.Size+2 && !strings.HasSuffix(b.String()[:n-2], "\r\n")) {
			t.Errorf("%s: message %d: LIST says %d octets, RETR gave %d", addr, m.Number, m.Size, n)
		}
		out[b.String()] = listed{m.UID, m.Size}
		bodies = append(bodies, b.String())
	}
	sort.Strings(bodies)
	return out, bodies
}

func digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:6])
}

// TestInteropDovecotDifferential serves one maildir from our server and
// from Dovecot: the same messages, sizes and bytes; UIDLs stable across
// sessions and across a delivery in between, on both.
func TestInteropDovecotDifferential(t *testing.T) {
	m, dir := makeMaildir(t)
	dv := startDovecot(t, dir)
	ours := startOurs(t, dir, nil, false)

	o1, ob := fetchAll(t, ours)
	d1, db := fetchAll(t, dv.addr)
	if diff := cmp.Diff(ob, db); diff != "" {
		t.Fatalf("bytes from ours (-) and Dovecot (+) differ:\n%s", diff)
	}
	want := []string{}
	for _, msg := range interopMessages() {
		want = append(want, crlf(msg))
	}
	sort.Strings(want)
	if diff := cmp.Diff(want, ob); diff != "" {
		t.Errorf("our bytes differ from the maildir's:\n%s", diff)
	}
	for body, o := range o1 {
		if d := d1[body]; d.Size != o.Size {
			t.Errorf("message %s: our size %d, Dovecot's %d", digest(body), o.Size, d.Size)
		}
	}

	// A second session on each (after Dovecot moved files to cur/ and
	// renamed them with flags): the same UIDLs.
	o2, _ := fetchAll(t, ours)
	d2, _ := fetchAll(t, dv.addr)
	if diff := cmp.Diff(o1, o2); diff != "" {
		t.Errorf("our UIDLs changed between sessions:\n%s", diff)
	}
	if diff := cmp.Diff(d1, d2); diff != "" {
		t.Errorf("Dovecot's UIDLs changed between sessions:\n%s", diff)
	}

	// A delivery in between: old UIDLs stay, the new message gets a new
	// one on both servers.
	extra := "From: carol@example.com\nSubject: later\n\nA later message.\n"
	if _, err := m.Deliver(context.Background(), "", []byte(extra), 0); err != nil {
		t.Fatal(err)
	}
	u, _ := user.Lookup("dovecot")
	chownTree(t, dir, u)
	o3, _ := fetchAll(t, ours)
	d3, _ := fetchAll(t, dv.addr)
	for body, o := range o1 {
		if o3[body] != o {
			t.Errorf("our UIDL of %s changed after a delivery: %v -> %v", digest(body), o, o3[body])
		}
		if d3[body] != d1[body] {
			t.Errorf("Dovecot's UIDL of %s changed after a delivery: %v -> %v", digest(body), d1[body], d3[body])
		}
	}
	nb := crlf(extra)
	if o3[nb].UIDL == "" || d3[nb].UIDL == "" || o3[nb].Size != d3[nb].Size {
		t.Errorf("new message: ours %v, Dovecot's %v", o3[nb], d3[nb])
	}
	seen := map[string]bool{}
	for _, o := range o1 {
		seen[o.UIDL] = true
	}
	if seen[o3[nb].UIDL] {
		t.Errorf("new message reuses UIDL %s", o3[nb].UIDL)
	}
	t.Logf("UIDLs (ours / Dovecot's, both %%08X uid + %%08X uidvalidity):")
	for _, body := range append(ob, nb) {
		t.Logf("  %s  %s / %s  %d octets", digest(body), o3[body].UIDL, d3[body].UIDL, o3[body].Size)
	}
}

// TestInteropClientAgainstDovecot: our client's FetchNew against
// Dovecot, and a login failure answered with Dovecot's [AUTH] code.
func TestInteropClientAgainstDovecot(t *testing.T) {
	_, dir := makeMaildir(t)
	dv := startDovecot(t, dir)
	ctx := context.Background()
	c, err := pop3.Dial(ctx, dv.addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(ctx, "bob", "wrong"); !errors.Is(err, pop3.ErrAuthFailed) {
		t.Errorf("wrong password at Dovecot: %v", err)
	}
	c.Close()
	c, err = pop3.Dial(ctx, dv.addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Quit(ctx)
	if err := c.AuthPlain(ctx, "bob", "secret"); err != nil {
		t.Fatal(err)
	}
	var got []string
	all, err := c.FetchNew(ctx, nil, func(m pop3.MessageInfo, r io.Reader) error {
		b, err := io.ReadAll(r)
		got = append(got, string(b))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	want := []string{}
	for _, msg := range interopMessages() {
		want = append(want, crlf(msg))
	}
	sort.Strings(want)
	if diff := cmp.Diff(want, got); diff != "" || len(all) != len(want) {
		t.Errorf("FetchNew from Dovecot (%d UIDLs):\n%s", len(all), diff)
	}
}
