package pgstore

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/relaykit/relaykit/mailqueue"
	"github.com/relaykit/relaykit/mailqueue/storetest"
)

// pgBin finds PostgreSQL's server programs: on PATH, or where Debian's
// postgresql package puts them.
func pgBin() (string, bool) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		return filepath.Dir(p), true
	}
	ms, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(ms) == 0 {
		return "", false
	}
	return filepath.Dir(ms[len(ms)-1]), true
}

// startPostgres runs a throwaway PostgreSQL in a temp directory that
// listens only on a Unix socket there, and returns a DSN for its
// postgres database. PostgreSQL refuses to run as root: as root, the
// server runs as the postgres user (Debian's package creates it). The
// test is skipped when PostgreSQL is not installed. Tests run it with
// fsync off; benchmarks use startPostgresDurable.
func startPostgres(t testing.TB) string {
	return startPostgresWith(t, false)
}

// startPostgresDurable is startPostgres with fsync on, as a real server
// runs: each commit waits for its WAL flush, which group commit shares.
func startPostgresDurable(t testing.TB) string {
	return startPostgresWith(t, true)
}

func startPostgresWith(t testing.TB, fsync bool) string {
	t.Helper()
	bin, ok := pgBin()
	if !ok {
		t.Skip("PostgreSQL (pg_ctl) not installed")
	}
	dir, err := os.MkdirTemp("", "pgstore")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
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
	fs := "off"
	if fsync {
		fs = "on"
	}
	opts := fmt.Sprintf("-c listen_addresses='' -k %s -c fsync=%s -c max_connections=300", dir, fs)
	if out, err := run("pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "start").CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	t.Cleanup(func() { run("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop").Run() })
	return fmt.Sprintf("host=%s user=postgres dbname=postgres", dir)
}

// TestConformance runs the checks every mailqueue store passes, each on
// a database of its own in one server.
func TestConformance(t *testing.T) {
	dsn := startPostgres(t)
	ctx := context.Background()
	admin, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var n atomic.Int32
	storetest.Run(t, func(t *testing.T) mailqueue.LeaseStore {
		db := fmt.Sprintf("t%d", n.Add(1))
		if _, err := admin.pool.Exec(ctx, "CREATE DATABASE "+db); err != nil {
			t.Fatal(err)
		}
		s, err := Open(ctx, dsn[:len(dsn)-len("postgres")]+db)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		return s
	})
}

// TestMigrateTwice: a second Open on a migrated database keeps its
// messages.
func TestMigrateTwice(t *testing.T) {
	dsn := startPostgres(t)
	ctx := context.Background()
	s, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	m := &mailqueue.Message{ID: 42, Body: []byte("x\r\n")}
	m.Envelope.Recipients = []mailqueue.Recipient{{Addr: "b@example.com"}}
	m.State.Rcpts = make([]mailqueue.RcptState, 1)
	if err := s.Put(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, m); err != ErrDuplicate {
		t.Fatalf("second Put: %v, want ErrDuplicate", err)
	}
	s.Close()
	s2, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if got, err := s2.Get(ctx, 42); err != nil || string(got.Body) != "x\r\n" {
		t.Fatalf("after reopen: %v %v", got, err)
	}
}
