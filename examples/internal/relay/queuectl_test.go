package relay

import (
	"context"
	"net"
	"net/netip"
	netsmtp "net/smtp"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/relaykit/mailqueue"
)

// relayq runs the relayq command and returns its output and status.
func relayq(t *testing.T, spool string, args ...string) (string, int) {
	t.Helper()
	var out, errOut strings.Builder
	code := QueueMain(append([]string{"-spool", spool}, args...), &out, &errOut)
	return out.String() + errOut.String(), code
}

var queueIDRE = regexp.MustCompile(`(?m)^([0-9a-f]{16})[!* ]`)

func listedIDs(out string) []string {
	var ids []string
	for _, m := range queueIDRE.FindAllStringSubmatch(out, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// TestRelayq: the operator's commands on a running relay, over its
// control socket, then on the same spool with the relay stopped.
func TestRelayq(t *testing.T) {
	// far.test's exchanger refuses connections: released mail is
	// deferred, never delivered, and nothing leaves loopback.
	l, err := net.Listen("tcp", "127.0.0.23:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	p, _ := strconv.Atoi(port)
	h := startTestDNS(t, "far MX 10 mx.far\nmx.far A 127.0.0.23")
	dir := t.TempDir()
	cfg := Config{
		Listen: "127.0.0.1:0", Hostname: "relay.test", Domains: []string{"local.test"},
		Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		Maildir: dir + "/mail", Spool: dir + "/spool", Retry: time.Hour,
		Roots: h.RootHints(), RemotePort: p,
	}
	cfg.Hold = true
	r, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{"r1@far.test", "r2@far.test", "r3@far.test"} {
		if err := netsmtp.SendMail(r.Addr(), nil, "a@local.test", []string{to}, []byte("Subject: q\r\n\r\nbody of "+to+"\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	out, code := relayq(t, cfg.Spool, "list")
	ids := listedIDs(out)
	if code != 0 || len(ids) != 3 || strings.Count(out, "!") != 3 {
		t.Fatalf("list (%d):\n%s", code, out)
	}
	out, _ = relayq(t, cfg.Spool, "list", "-to", "r2@")
	if got := listedIDs(out); len(got) != 1 || !strings.Contains(out, "r2@far.test") {
		t.Fatalf("list -to r2@:\n%s", out)
	}
	r2 := listedIDs(out)[0]
	out, _ = relayq(t, cfg.Spool, "show", r2)
	if !strings.Contains(out, "from: <a@local.test>") || !strings.Contains(out, "to: <r2@far.test> pending") ||
		!strings.Contains(out, "held: true") || !strings.HasSuffix(out, "body of r2@far.test\r\n") {
		t.Fatalf("show:\n%s", out)
	}
	if out, code := relayq(t, cfg.Spool, "counts"); code != 0 || !strings.Contains(out, "messages 3\nheld 3\n") {
		t.Fatalf("counts (%d):\n%s", code, out)
	}
	// A command line the relay refuses exits 2, as flag errors do.
	if out, code := relayq(t, cfg.Spool, "frob"); code != 2 || !strings.Contains(out, `unknown command "frob"`) {
		t.Fatalf("frob (%d): %q", code, out)
	}
	if out, code := relayq(t, cfg.Spool, "delete", ids[0]); code != 0 || out != ids[0]+": deleted\n" {
		t.Fatalf("delete (%d): %q", code, out)
	}
	// Released, r2 is attempted: the exchanger refuses, it is deferred.
	if out, code := relayq(t, cfg.Spool, "release", r2); code != 0 {
		t.Fatalf("release (%d): %q", code, out)
	}
	deferred := false
	for deadline := time.Now().Add(30 * time.Second); !deferred && time.Now().Before(deadline); {
		out, _ = relayq(t, cfg.Spool, "list", "-deferred")
		// Not held, not running: the attempt, in the relay, has ended.
		deferred = len(listedIDs(out)) == 1 && !strings.Contains(out, "!") && !strings.Contains(out, "*")
		time.Sleep(10 * time.Millisecond)
	}
	if !deferred {
		t.Fatalf("released message not attempted:\n%s", out)
	}
	if out, code := relayq(t, cfg.Spool, "hold", r2); code != 0 {
		t.Fatalf("hold (%d): %q", code, out)
	}
	if out, code := relayq(t, cfg.Spool, "show", "0123456789abcdef"); code == 0 || !strings.Contains(out, "no such message") {
		t.Fatalf("show of an unknown ID (%d): %q", code, out)
	}
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	// Stopped: relayq opens the spool itself.
	out, code = relayq(t, cfg.Spool, "list")
	if code != 0 || len(listedIDs(out)) != 2 || strings.Count(out, "!") != 2 {
		t.Fatalf("list on the stopped relay (%d):\n%s", code, out)
	}
	other := listedIDs(out)[0]
	if other == r2 {
		other = listedIDs(out)[1]
	}
	if out, code := relayq(t, cfg.Spool, "requeue", other); code != 0 || out != other+": requeued\n" {
		t.Fatalf("requeue (%d): %q", code, out)
	}
	if out, code := relayq(t, cfg.Spool, "delete", r2); code != 0 {
		t.Fatalf("delete (%d): %q", code, out)
	}
	s, err := mailqueue.OpenSpool(cfg.Spool, mailqueue.SpoolConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	id, _ := mailqueue.ParseID(other)
	m, err := s.Get(context.Background(), id)
	if err != nil || m.State.Held || m.State.NextAttempt.After(time.Now()) || s.Len() != 1 {
		t.Fatalf("spool after requeue and delete: %v held=%v next=%v len=%d", err, m != nil && m.State.Held, m, s.Len())
	}
	// The spool is locked now: relayq says so instead of racing.
	if out, code := relayq(t, cfg.Spool, "list"); code == 0 || !strings.Contains(out, "in use") {
		t.Fatalf("list while the spool is open elsewhere (%d): %q", code, out)
	}
	// A mistyped -spool is an error, not a new empty spool.
	if out, code := relayq(t, dir+"/spoool", "list"); code != 1 || !strings.Contains(out, "there is no spool") {
		t.Errorf("list on a missing spool (%d): %q", code, out)
	}
	if _, err := os.Stat(dir + "/spoool"); err == nil {
		t.Error("relayq made the missing spool")
	}
}
