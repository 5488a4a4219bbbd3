// Package postfixtest starts a private Postfix instance on loopback for
// interop tests and load measurements: its own configuration directory,
// queue, data directory, log file and maildirs, all under one directory
// the caller owns (t.TempDir() in tests), and no DNS.
//
// The instance runs as `unshare --pid --fork postfix -c DIR start-fg`, so
// Postfix's master(8) is PID 1 of a new PID namespace (its "init mode",
// master -i): it reaps its own daemons, and when it exits the kernel ends
// and reaps everything else in the namespace. Stop signals the master by
// its PID and returns once every Postfix process is gone, leaving no
// zombies behind and nothing running after a test.
//
// Needs root (Postfix's queue must be root-owned, its daemons drop to the
// postfix user), the postfix user, Debian's postfix package and
// util-linux's unshare. Available says whether all of that is there.
package postfixtest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrUnavailable reports that this machine cannot run a private Postfix
// (not root, or postfix, its user or unshare missing).
var ErrUnavailable = errors.New("postfixtest: postfix unavailable")

// Config describes one private Postfix instance. The zero value, with Dir
// set, runs a Postfix that accepts mail from loopback for the domain
// "postfix.test" and delivers it into maildirs.
type Config struct {
	// Dir holds everything the instance writes: conf/, queue/, data/,
	// mail/ and maillog. Required. Start makes Dir and its ancestors up
	// to the system temp directory searchable by the postfix user.
	Dir string

	// Port is the SMTP port on 127.0.0.1. Zero picks a free port.
	Port int

	// MaildirDomains are delivered by virtual(8) into
	// Dir/mail/<domain>/<local-part>/ (maildir). Default: "postfix.test".
	MaildirDomains []string

	// Relay maps a domain to the "host:port" Postfix relays its mail to
	// over SMTP, with no DNS lookup (transport "smtp:[host]:port").
	Relay map[string]string

	// Hold places every accepted message in the hold queue (an access
	// HOLD action), so mail is accepted and durably queued but never
	// delivered: the "queued" half of a load measurement.
	Hold bool

	// MessageSizeLimit is Postfix's message_size_limit in bytes.
	// Default: Postfix's own (10240000).
	MessageSizeLimit int

	// Main holds extra main.cf lines ("name = value"), written last so
	// they override the generated ones.
	Main []string
}

// Server is a running private Postfix.
type Server struct {
	// Addr is the SMTP listener, "127.0.0.1:port".
	Addr string
	// Dir is Config.Dir; ConfigDir, QueueDir and MailDir are inside it.
	Dir, ConfigDir, QueueDir, MailDir string
	// LogFile is Postfix's maillog_file.
	LogFile string

	cmd    *exec.Cmd
	waited chan struct{}
	wErr   error
}

// Available reports whether a private Postfix can run here; the error
// wraps ErrUnavailable and says what is missing.
func Available() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%w: needs root", ErrUnavailable)
	}
	for _, bin := range []string{"postfix", "unshare"} {
		if _, err := lookPath(bin); err != nil {
			return fmt.Errorf("%w: %s not installed", ErrUnavailable, bin)
		}
	}
	if _, err := user.Lookup("postfix"); err != nil {
		return fmt.Errorf("%w: no postfix user", ErrUnavailable)
	}
	return nil
}

// lookPath finds a program in PATH or in /usr/sbin and /sbin, which a
// root shell has in PATH but a test's environment may not.
func lookPath(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/bin"} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("postfixtest: %s not found", name)
}

// Start writes the configuration and starts Postfix. It returns once the
// SMTP port accepts connections. Call Stop when done.
func Start(cfg Config) (*Server, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	if cfg.Dir == "" {
		return nil, errors.New("postfixtest: Config.Dir is required")
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("postfixtest: %w", err)
	}
	if cfg.Port == 0 {
		if cfg.Port, err = freePort(); err != nil {
			return nil, err
		}
	}
	s := &Server{
		Addr:      net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.Port)),
		Dir:       dir,
		ConfigDir: filepath.Join(dir, "conf"),
		QueueDir:  filepath.Join(dir, "queue"),
		MailDir:   filepath.Join(dir, "mail"),
		LogFile:   filepath.Join(dir, "maillog"),
		waited:    make(chan struct{}),
	}
	if err := s.prepare(cfg); err != nil {
		return nil, err
	}
	postfix, _ := lookPath("postfix")
	unshare, _ := lookPath("unshare")
	// postfix-script execs "master -i" when its PID is 1, so the master is
	// the namespace's init and reaps its daemons. --kill-child ends it if
	// unshare itself is killed (a test binary that dies mid-run).
	s.cmd = exec.Command(unshare, "--pid", "--fork", "--kill-child=SIGTERM",
		postfix, "-c", s.ConfigDir, "start-fg")
	s.cmd.Dir = dir
	var out bytes.Buffer
	s.cmd.Stdout, s.cmd.Stderr = &out, &out
	// Postfix's daemons need the usual sbin directories; a test's PATH may
	// lack them.
	s.cmd.Env = append(os.Environ(), "PATH=/usr/sbin:/usr/bin:/sbin:/bin")
	// Postfix's daemons inherit the output pipe; Wait must not wait for
	// them to close it once unshare itself has exited.
	s.cmd.WaitDelay = 5 * time.Second
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("postfixtest: start: %w", err)
	}
	go func() {
		s.wErr = s.cmd.Wait()
		close(s.waited)
	}()
	if err := s.waitListening(60 * time.Second); err != nil {
		_ = s.Stop()
		return nil, fmt.Errorf("%w\n%s\n%s", err, out.String(), s.LogTail(20))
	}
	return s, nil
}

// waitListening waits until Postfix's master has bound the SMTP port or
// the process has exited. Postfix offers no readiness notification in
// foreground mode, so this polls the port with a short interval: it waits
// on another program's start-up, not on our own goroutines.
func (s *Server) waitListening(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		c, err := net.DialTimeout("tcp", s.Addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-s.waited:
			return fmt.Errorf("postfixtest: postfix exited during start-up: %v", s.wErr)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postfixtest: %s not listening after %v", s.Addr, limit)
		}
	}
}

// MasterPID returns the host PID of Postfix's master process (the parent
// of every Postfix daemon), or 0 if it is not running. CPU accounting of
// the whole instance starts here.
func (s *Server) MasterPID() int {
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	pids, err := ChildPIDs(s.cmd.Process.Pid)
	if err != nil || len(pids) == 0 {
		return 0
	}
	return pids[0]
}

// Stop sends SIGTERM to the master by PID and waits until every Postfix
// process has exited (the PID namespace is torn down with it). Stop is
// safe to call more than once.
func (s *Server) Stop() error {
	if s.cmd == nil || s.cmd.Process == nil {
		return nil
	}
	select {
	case <-s.waited:
		return nil
	default:
	}
	if pid := s.MasterPID(); pid != 0 {
		_ = syscall.Kill(pid, syscall.SIGTERM)
	} else {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
	}
	select {
	case <-s.waited:
	case <-time.After(30 * time.Second):
		// The master ignored SIGTERM: SIGKILL to it (the namespace's
		// init) ends every process in the namespace, and unshare's
		// --kill-child does the rest.
		if pid := s.MasterPID(); pid != 0 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		_ = s.cmd.Process.Kill()
		<-s.waited
	}
	return nil
}

// ChildPIDs lists the PIDs whose parent is pid, from /proc.
func ChildPIDs(pid int) ([]int, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("postfixtest: %w", err)
	}
	var out []int
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := ReadProcStat(p)
		if err != nil {
			continue // exited meanwhile
		}
		if st.PPID == pid {
			out = append(out, p)
		}
	}
	return out, nil
}

// LogTail returns the last n lines of Postfix's log, for error messages.
func (s *Server) LogTail(n int) string {
	b, err := os.ReadFile(s.LogFile)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Log returns Postfix's whole log.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.LogFile)
	return string(b)
}

// QueueCount counts the messages in one of Postfix's queues ("hold",
// "incoming", "active", "deferred", "maildrop").
func (s *Server) QueueCount(queue string) (int, error) {
	n := 0
	err := filepath.WalkDir(filepath.Join(s.QueueDir, queue), func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("postfixtest: %w", err)
	}
	return n, nil
}

// freePort asks the kernel for a free TCP port on 127.0.0.1. Postfix binds
// it moments later; another program taking it in between makes Start fail
// with a clear error rather than talk to the wrong server.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("postfixtest: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Grep returns the log lines containing substr.
func (s *Server) Grep(substr string) []string {
	f, err := os.Open(s.LogFile)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if strings.Contains(sc.Text(), substr) {
			out = append(out, sc.Text())
		}
	}
	return out
}
