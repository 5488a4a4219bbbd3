//go:build interop

package postfixtest

import (
	"fmt"
	"net/smtp"
	"strings"
	"syscall"
	"testing"
	"time"
)

func startPostfix(t *testing.T, cfg Config) *Server {
	t.Helper()
	if err := Available(); err != nil {
		t.Skip(err)
	}
	cfg.Dir = t.TempDir()
	s, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestInteropPostfixHarnessDelivers(t *testing.T) {
	s := startPostfix(t, Config{MaildirDomains: []string{"box.test"}})
	master := s.MasterPID()
	if master == 0 {
		t.Fatal("no master process")
	}
	msg := "From: a@x.test\r\nTo: bob@box.test\r\nSubject: harness\r\n\r\nhello postfix\r\n"
	for i := 0; i < 3; i++ {
		if err := smtp.SendMail(s.Addr, nil, "a@x.test", []string{"bob@box.test"}, []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.WaitDelivered(3, 30*time.Second); err != nil {
		t.Fatalf("%v\n%s", err, strings.Join(s.Grep("bob@box.test"), "\n"))
	}
	got, err := s.Messages("bob@box.test")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || !strings.Contains(string(got[0]), "hello postfix") {
		t.Fatalf("maildir holds %d messages: %q", len(got), got)
	}
	cpu, err := TreeCPU(master)
	if err != nil || cpu <= 0 {
		t.Errorf("TreeCPU(master) = %v, %v", cpu, err)
	}
	// Stop leaves no Postfix process behind.
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(master, 0); err == nil {
		t.Errorf("master %d still exists after Stop", master)
	}
}

func TestInteropPostfixHarnessHold(t *testing.T) {
	s := startPostfix(t, Config{Hold: true})
	for i := 0; i < 5; i++ {
		body := fmt.Sprintf("Subject: %d\r\n\r\nheld\r\n", i)
		if err := smtp.SendMail(s.Addr, nil, "a@x.test", []string{"u@postfix.test"}, []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	// smtpd answers 250 only after cleanup has written and fsynced the
	// queue file, so the hold queue is complete now.
	n, err := s.QueueCount("hold")
	if err != nil || n != 5 {
		t.Fatalf("hold queue has %d messages (%v), want 5", n, err)
	}
	if d, _ := s.Delivered(); d != 0 {
		t.Errorf("%d held messages were delivered", d)
	}
}

func TestInteropPostfixHarnessRefusesSize(t *testing.T) {
	s := startPostfix(t, Config{MessageSizeLimit: 2000})
	err := smtp.SendMail(s.Addr, nil, "a@x.test", []string{"u@postfix.test"}, []byte("Subject: big\r\n\r\n"+strings.Repeat("x", 5000)+"\r\n"))
	if err == nil || !strings.Contains(err.Error(), "552") {
		t.Errorf("oversized message: %v, want 552", err)
	}
}
