//go:build interop

package mailqueue

import (
	"context"
	"net/netip"
	"os/exec"
	"strconv"
	"testing"

	"github.com/relaykit/relaykit/internal/postfixtest"
)

// TestInteropDeliverToSmtpSink runs the queue with the default SMTP
// deliverer against Postfix's smtp-sink on loopback: every message is
// delivered, over a few reused connections.
func TestInteropDeliverToSmtpSink(t *testing.T) {
	if _, err := exec.LookPath("smtp-sink"); err != nil {
		t.Skip("smtp-sink not installed")
	}
	sink, err := postfixtest.StartSink(50)
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Stop()
	port := sink.Port()

	d := &SMTPDeliverer{}
	s := openSpool(t, t.TempDir(), SpoolConfig{})
	q, err := New(s, Config{
		Resolver:  StaticResolver{IP: map[string][]netip.Addr{"example.net": {netip.MustParseAddr("127.0.0.1")}}},
		Port:      port,
		Deliverer: d,
		Hostname:  "mq.test",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Shutdown(context.Background())
	const n = 20
	for i := range n {
		env := Envelope{From: "alice@example.org", Recipients: []Recipient{{Addr: "bob@example.net"}, {Addr: "carol@example.net", Notify: NotifyFailure}}, Ret: RetHdrs, EnvID: "env" + strconv.Itoa(i)}
		if _, err := q.Enqueue(context.Background(), env, []byte("Subject: "+strconv.Itoa(i)+"\r\n\r\n.dot line\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	q.settle()
	if q.Len() != 0 {
		q.List(context.Background(), func(e Entry) error { t.Logf("left: %+v", e); return nil })
		t.Fatalf("%d messages left", q.Len())
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dials+d.reuses != n || d.dials >= n {
		t.Fatalf("dials %d reuses %d", d.dials, d.reuses)
	}
	t.Logf("%d messages over %d connections", n, d.dials)
}
