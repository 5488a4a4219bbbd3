package relay

import (
	"net/netip"
	netsmtp "net/smtp"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// lockedBuffer is a strings.Builder safe to read while the relay writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestMailLog: one line per accepted message, local and held, with what
// an operator greps for.
func TestMailLog(t *testing.T) {
	var log lockedBuffer
	r := startRelay(t, Config{
		Domains: []string{"local.test"},
		Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		Hold:    true,
		MailLog: &log,
	})
	if err := netsmtp.SendMail(r.Addr(), nil, "a@outside.test", []string{"bob@local.test"}, []byte(testMsg)); err != nil {
		t.Fatal(err)
	}
	if err := netsmtp.SendMail(r.Addr(), nil, "a@local.test", []string{"x@far.test", "y@far.test"}, []byte(testMsg)); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(log.String(), "\n"), "\n")
	want := []*regexp.Regexp{
		regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z -: from=<a@outside\.test>, to=<bob@local\.test>, size=\d+, client=127\.0\.0\.1, status=delivered$`),
		regexp.MustCompile(`^\S+ [0-9a-f]{16}: from=<a@local\.test>, to=<x@far\.test>,<y@far\.test>, size=\d+, client=127\.0\.0\.1, status=held$`),
	}
	if len(lines) != len(want) {
		t.Fatalf("mail log has %d lines, want %d:\n%s", len(lines), len(want), log.String())
	}
	for i, re := range want {
		if !re.MatchString(lines[i]) {
			t.Errorf("line %d: %q does not match %v", i+1, lines[i], re)
		}
	}
}
