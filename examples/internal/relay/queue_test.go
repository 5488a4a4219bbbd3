package relay

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http/httptest"
	"net/netip"
	netsmtp "net/smtp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnstest"
	"github.com/relaykit/relaykit/mailqueue"
	"github.com/relaykit/relaykit/mailqueue/localmail"
)

// TestRelayThroughQueue: relay A accepts mail from a trusted client for
// far.test, looks up far.test's MX in a loopback DNS hierarchy with
// relaykit's resolver, and delivers it to relay B, which serves far.test
// and puts it in the mailbox. B also refuses an unknown user, and A's
// queue bounces that message back to the sender's domain, served by A.
func TestRelayThroughQueue(t *testing.T) {
	// B first, on 127.0.0.21, so its port can be A's remote port.
	bGot := make(chan localmail.Accepted, 4)
	b := startRelay(t, Config{
		Listen: "127.0.0.21:0", Hostname: "mx.far.test",
		Domains: []string{"far.test"}, Mailboxes: []string{"bob@far.test"}, Hold: true,
		OnAccept: func(acc localmail.Accepted) { bGot <- acc },
	})
	_, portText, _ := net.SplitHostPort(b.Addr())
	port, _ := strconv.Atoi(portText)
	h := startTestDNS(t, "far MX 10 mx.far\nmx.far A 127.0.0.21\nnear MX 10 mx.near\nmx.near A 127.0.0.22")
	// A on 127.0.0.22 at the same port: its own MX, for the bounce.
	a := startRelay(t, Config{
		Listen: net.JoinHostPort("127.0.0.22", portText), Hostname: "mx.near.test",
		Domains: []string{"near.test"},
		Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		Roots:   h.RootHints(), RemotePort: port,
	})
	msg := "From: alice@near.test\r\nTo: bob@far.test\r\nSubject: through the queue\r\n\r\nhi\r\n"
	if err := netsmtp.SendMail(a.Addr(), nil, "alice@near.test", []string{"bob@far.test"}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	if err := netsmtp.SendMail(a.Addr(), nil, "alice@near.test", []string{"nobody@far.test"}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	// The queue works in the background: wait for B to take bob's
	// message over SMTP, then for the bounce, which A's queue delivers
	// into A's own maildir (no SMTP, so no accept event: look every few
	// milliseconds, bounded).
	select {
	case <-bGot:
	case <-time.After(30 * time.Second):
		t.Fatal("B got nothing within 30 s")
	}
	var aliceBox [][]byte
	for deadline := time.Now().Add(30 * time.Second); len(aliceBox) == 0 && time.Now().Before(deadline); {
		aliceBox, _ = a.Backend().Mailboxes().Messages("alice@near.test")
		time.Sleep(2 * time.Millisecond)
	}
	bobBox, _ := b.Backend().Mailboxes().Messages("bob@far.test")
	if len(bobBox) != 1 || !bytes.Contains(bobBox[0], []byte("Subject: through the queue")) ||
		!bytes.Contains(bobBox[0], []byte("by mx.near.test (relaykit)")) {
		t.Fatalf("bob's mailbox: %q", bobBox)
	}
	if len(aliceBox) != 1 || !bytes.Contains(aliceBox[0], []byte("Status: 5.1.1")) ||
		!bytes.Contains(aliceBox[0], []byte("Return-Path: <>")) {
		t.Fatalf("alice's mailbox (the bounce): %q", aliceBox)
	}
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The queue removes a finished message just after its last delivery
	// and tells nobody: look again every few milliseconds, bounded.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		out.Reset()
		if err := a.WriteQueue(ctx, &out); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(out.String(), "Mail queue is empty") {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !strings.HasPrefix(out.String(), "Mail queue is empty") {
		t.Errorf("A's queue after delivery:\n%s", out.String())
	}
	// Two messages and the bounce accepted; bob's message and the bounce
	// delivered; nobody's refused.
	c := a.Counters()
	if c.Get(mailqueue.EventAccepted) != 3 || c.Get(mailqueue.EventDelivered) != 2 || c.Get(mailqueue.EventBounced) != 1 {
		t.Errorf("A's counters: %s", c)
	}
}

// startTestDNS serves a root (127.0.0.2) delegating test. to 127.0.0.3,
// whose zone holds records (master-file text, names relative to test.)
// besides its SOA and NS, until the test ends.
func startTestDNS(t *testing.T, records string) *dnstest.Hierarchy {
	t.Helper()
	return dnstest.New(t, dnstest.Config{
		Zones: map[string]string{
			".":     "@ SOA a.root.test. hostmaster.root.test. 1 1800 900 604800 86400\n@ NS a.root.test.\na.root.test. A 127.0.0.2\ntest. NS ns.test.\nns.test. A 127.0.0.3",
			"test.": "@ SOA ns hostmaster 1 3600 600 86400 300\n@ NS ns\nns A 127.0.0.3\n" + records,
		},
	})
}

// TestMetricsHandler: /metrics answers the counters as JSON.
func TestMetricsHandler(t *testing.T) {
	var c mailqueue.Counters
	c.Observe(mailqueue.Event{Kind: mailqueue.EventDeferred})
	rec := httptest.NewRecorder()
	metricsHandler(&c).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	var m map[string]uint64
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil || rec.Code != 200 || m["deferred"] != 1 {
		t.Fatalf("GET /metrics: %d %q %v", rec.Code, rec.Body, err)
	}
}
