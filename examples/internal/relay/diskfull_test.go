package relay

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	netsmtp "net/smtp"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/relaykit/mailqueue"
)

// mountTmpfs mounts a tmpfs of size bytes on a new directory until the
// test ends; the test is skipped where that is not allowed (not root, no
// mount(8), a container without CAP_SYS_ADMIN).
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

func smtpCode(err error) int {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return -1
}

// TestRelaySpoolDiskFull: a spool on a small file system that fills up.
// Once it is full, relayed mail is answered 452 (RFC 5321 4.5.3.1.10)
// and the relay keeps serving; every message answered 250 is in the
// queue, and nothing else: the spool read back after a restart holds
// exactly those, none damaged. When space returns, mail is accepted
// again.
func TestRelaySpoolDiskFull(t *testing.T) {
	fs := mountTmpfs(t, "12m")
	spool := filepath.Join(fs, "spool")
	cfg := Config{
		Listen: "127.0.0.1:0", Hostname: "relay.test", Domains: []string{"local.test"},
		Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		Hold:    true, Maildir: filepath.Join(t.TempDir(), "mail"), Spool: spool, Retry: time.Minute,
	}
	r, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	body := "Subject: fill\r\n\r\n" + strings.Repeat("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\n", 1000) // ~66 KB
	send := func(i int) error {
		return netsmtp.SendMail(r.Addr(), nil, "a@local.test", []string{fmt.Sprintf("r%d@far.test", i)}, []byte(body))
	}
	acked, refused := 0, 0
	for i := 0; i < 200 && refused < 5; i++ {
		err := send(i)
		switch {
		case err == nil:
			acked++
		case smtpCode(err) == 452:
			refused++
		default:
			t.Fatalf("message %d: %v, want 250 or 452", i, err)
		}
	}
	if refused == 0 || acked == 0 {
		t.Fatalf("%d accepted, %d refused with 452: the file system never filled", acked, refused)
	}
	t.Logf("%d messages answered 250, then %d answered 452", acked, refused)
	n := 0
	if err := r.Queue().List(context.Background(), func(e mailqueue.Entry) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != acked {
		t.Fatalf("queue holds %d messages, %d were answered 250", n, acked)
	}
	if err := r.Shutdown(context.Background()); err != nil {
		t.Logf("shutdown on a full disk: %v", err)
	}
	// Read back: exactly the accepted messages, nothing half-written.
	s, err := mailqueue.OpenSpool(spool, mailqueue.SpoolConfig{})
	if err != nil {
		t.Fatal(err)
	}
	good, bad := 0, 0
	s.Scan(context.Background(), func(sm mailqueue.Summary) error {
		if sm.Err != nil {
			bad++
			t.Errorf("spool after the full disk: %v", sm.Err)
		} else {
			good++
		}
		return nil
	})
	s.Close()
	if good != acked || bad != 0 {
		t.Fatalf("spool read back: %d messages, %d damaged; want %d, 0", good, bad, acked)
	}
	// Space returns: the same spool takes mail again.
	if out, err := exec.Command("mount", "-o", "remount,size=40m", fs).CombinedOutput(); err != nil {
		t.Fatalf("remount: %v %s", err, out)
	}
	r, err = Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Shutdown(context.Background())
	for i := range 5 {
		if err := send(1000 + i); err != nil {
			t.Fatalf("after space returned: %v", err)
		}
	}
	if l := r.Queue().Len(); l != acked+5 {
		t.Fatalf("queue holds %d after recovery, want %d", l, acked+5)
	}
}
