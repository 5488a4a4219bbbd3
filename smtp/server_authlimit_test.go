package smtp

import (
	"bytes"
	"context"
	"encoding/base64"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// sleepRecorder is an AuthLimits.Sleep that returns at once and records
// each delay asked for.
type sleepRecorder struct {
	mu     sync.Mutex
	delays []time.Duration
}

func (r *sleepRecorder) sleep(_ context.Context, d time.Duration) error {
	r.mu.Lock()
	r.delays = append(r.delays, d)
	r.mu.Unlock()
	return nil
}

func (r *sleepRecorder) got() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Duration(nil), r.delays...)
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// authAttempt runs one AUTH PLAIN with password pw
// and returns the reply.
func authAttempt(lc *lineClient, pw string) string {
	lc.send("AUTH PLAIN " + b64("\x00alice\x00"+pw) + "\r\n")
	return lc.reply()
}

func TestServerAuthFailuresLimited(t *testing.T) {
	rec := &sleepRecorder{}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var logs bytes.Buffer
	s := &Server{
		Backend: &testBackend{}, AllowInsecureAuth: true,
		AuthLimits: AuthLimits{Sleep: rec.sleep, Now: func() time.Time { return now }},
		Logger:     slog.New(slog.NewTextHandler(&logs, nil)),
	}
	open := func() *lineClient {
		lc := newLineClient(t, pipeServer(t, s))
		lc.line()
		lc.send("EHLO c.test\r\n")
		lc.reply()
		return lc
	}
	lc := open()
	for i := range 3 {
		if r := authAttempt(lc, "wrong"); !strings.HasPrefix(r, "535 5.7.8") {
			t.Fatalf("failure %d: %q", i+1, r)
		}
	}
	// The third failure ends the connection.
	if r := lc.line(); !strings.HasPrefix(r, "421 4.7.0") {
		t.Fatalf("after 3 failures: %q", r)
	}
	lc.expectEOF()
	// A new connection from the same address starts its own count but
	// keeps the address's penalty: its first failure waits 8 s.
	lc = open()
	if r := authAttempt(lc, "wrong"); !strings.HasPrefix(r, "535") {
		t.Fatal(r)
	}
	// After the penalty time the address is forgiven.
	now = now.Add(DefaultAuthPenaltyTime + time.Second)
	if r := authAttempt(lc, "wrong"); !strings.HasPrefix(r, "535") {
		t.Fatal(r)
	}
	if r := authAttempt(lc, "secret"); !strings.HasPrefix(r, "235") {
		t.Fatalf("right password after 2 failures: %q", r)
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, time.Second}
	if d := cmp.Diff(want, rec.got()); d != "" {
		t.Errorf("delays (-want +got):\n%s", d)
	}
	if n := strings.Count(logs.String(), `msg="smtp: authentication failed"`); n != 5 {
		t.Errorf("%d failure log lines, want 5:\n%s", n, logs.String())
	}
	if strings.Contains(logs.String(), "wrong") || strings.Contains(logs.String(), "alice") {
		t.Errorf("log holds the credentials:\n%s", logs.String())
	}
}

func TestAuthLimitsDelayCapped(t *testing.T) {
	var l AuthLimits
	if d := l.delay(20); d != DefaultMaxAuthDelay {
		t.Errorf("delay(20) = %v, want %v", d, DefaultMaxAuthDelay)
	}
	l.Delay = -1
	if d := l.delay(3); d != 0 {
		t.Errorf("negative Delay: %v", d)
	}
}

func TestAuthPenaltyTableBounded(t *testing.T) {
	s := &Server{}
	for i := range maxAuthPenaltyEntries + 10 {
		var a [16]byte
		a[12], a[13], a[14], a[15] = byte(i>>24), byte(i>>16), byte(i>>8), byte(i)
		s.noteAuthFailure(netip.AddrFrom16(a))
	}
	if n := len(s.authFails); n > maxAuthPenaltyEntries {
		t.Errorf("%d entries, want at most %d", n, maxAuthPenaltyEntries)
	}
}
