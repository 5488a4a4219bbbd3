package postfixtest

import (
	"strings"
	"testing"
	"time"
)

func TestParseProcStat(t *testing.T) {
	// The command name may hold spaces and parentheses (proc(5)).
	line := "4242 (smtpd (x) y) S 17 4242 4242 0 -1 4194560 100 0 0 0 31 7 5 2 20 0 1 0 123 4000 100\n"
	st, err := parseProcStat([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	want := ProcStat{PID: 4242, PPID: 17, UTime: 31, STime: 7, CUTime: 5, CSTime: 2}
	if st != want {
		t.Errorf("got %+v, want %+v", st, want)
	}
	for _, bad := range []string{"", "x", "12 (a", "12 (a) S 1 2", "x (a) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15"} {
		if _, err := parseProcStat([]byte(bad)); err == nil {
			t.Errorf("parseProcStat(%q): no error", bad)
		}
	}
}

func TestTreeCPUSelf(t *testing.T) {
	// Burn a little CPU so the process has at least one tick.
	end := time.Now().Add(30 * time.Millisecond)
	for time.Now().Before(end) {
	}
	d, err := TreeCPU(ownPID())
	if err != nil {
		t.Fatal(err)
	}
	if d <= 0 {
		t.Errorf("TreeCPU(self) = %v, want > 0", d)
	}
	if _, err := TreeCPU(-5); err == nil {
		t.Error("TreeCPU(-5): no error")
	}
}

func TestMainCF(t *testing.T) {
	s := &Server{Dir: "/tmp/x", ConfigDir: "/tmp/x/conf", QueueDir: "/tmp/x/queue", MailDir: "/tmp/x/mail", LogFile: "/tmp/x/maillog"}
	cf := MainCF(s, Config{
		MaildirDomains:   []string{"a.test", "b.test"},
		Relay:            map[string]string{"z.test": "127.0.0.1:2525", "y.test": "127.0.0.2:25"},
		Hold:             true,
		MessageSizeLimit: 1000,
		Main:             []string{"smtpd_banner = hi"},
	}, 65534, 65534)
	for _, want := range []string{
		"queue_directory = /tmp/x/queue\n",
		"virtual_mailbox_domains = a.test, b.test\n",
		"relay_domains = y.test, z.test\n",
		"transport_maps = inline:{ y.test=smtp:[127.0.0.2]:25, z.test=smtp:[127.0.0.1]:2525 }\n",
		"smtpd_client_restrictions = check_client_access static:HOLD\n",
		"message_size_limit = 1000\n",
		"disable_dns_lookups = yes\n",
		"inet_interfaces = 127.0.0.1\n",
	} {
		if !strings.Contains(cf, want) {
			t.Errorf("main.cf lacks %q", want)
		}
	}
	if !strings.HasSuffix(cf, "smtpd_banner = hi\n") {
		t.Error("extra main.cf lines are not last")
	}
	if cf := MainCF(s, Config{}, 1, 1); !strings.Contains(cf, "virtual_mailbox_domains = postfix.test\n") || strings.Contains(cf, "HOLD") || strings.Contains(cf, "relay_domains") {
		t.Errorf("zero Config main.cf:\n%s", cf)
	}
	if m := MasterCF("127.0.0.1:2600"); !strings.HasPrefix(m, "127.0.0.1:2600 inet n - n - - smtpd\n") {
		t.Errorf("master.cf starts %q", m[:40])
	}
}

func TestDeliveredTo(t *testing.T) {
	msg := []byte("Return-Path: <a@x>\nDelivered-To: Bob@box.test\nSubject: x\n\nDelivered-To: carol@box.test\n")
	if !deliveredTo(msg, "delivered-to: bob@box.test\n") {
		t.Error("Bob not found")
	}
	if deliveredTo(msg, "delivered-to: carol@box.test\n") {
		t.Error("a body line counted as a header field")
	}
	if deliveredTo([]byte("Delivered-To: bob@box.test"), "delivered-to: bob@box.test\n") {
		t.Error("unterminated line matched")
	}
}

func TestCountMaildirsMissing(t *testing.T) {
	n, err := CountMaildirs(t.TempDir() + "/none")
	if err != nil || n != 0 {
		t.Errorf("CountMaildirs(missing) = %d, %v", n, err)
	}
}

func TestParseSystemCPU(t *testing.T) {
	got, err := parseSystemCPU([]byte("cpu  100 5 40 9000 70 3 2 1 0 0\ncpu0 50 2 20 4500 35 1 1 0 0 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	// user+nice+system+irq+softirq+steal, not idle or iowait.
	if want := 151 * clockTick; got != want {
		t.Errorf("parseSystemCPU = %v, want %v", got, want)
	}
	if _, err := parseSystemCPU([]byte("intr 1 2 3\n")); err == nil {
		t.Error("no error for a line that is not the cpu line")
	}
	if _, err := SystemCPU(); err != nil {
		t.Errorf("SystemCPU on this machine: %v", err)
	}
}
