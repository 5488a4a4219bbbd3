package mailqueue_test

import (
	"crypto/tls"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/relaykit/mailqueue"
)

func TestAppendReceivedTLS(t *testing.T) {
	r := &mailqueue.Received{
		Helo: "client.example", Addr: netip.MustParseAddr("2001:db8::1"), By: "mx.example.org", ID: "a1",
		TLS:  &tls.ConnectionState{Version: tls.VersionTLS13, CipherSuite: tls.TLS_AES_128_GCM_SHA256},
		Auth: true, Date: time.Date(2026, 11, 26, 17, 0, 0, 0, time.UTC),
	}
	want := "Received: from client.example ([2001:db8::1])\r\n\t(using TLS 1.3 with cipher TLS_AES_128_GCM_SHA256)\r\n" +
		"\tby mx.example.org (relaykit) with ESMTPSA id a1;\r\n\tThu, 26 Nov 2026 17:00:00 +0000\r\n"
	if got := string(mailqueue.AppendReceived(nil, r)); got != want {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
	// Plaintext costs nothing beyond the caller's buffer; TLS costs what
	// crypto/tls's CipherSuiteName allocates to look the name up.
	buf := make([]byte, 0, 512)
	if n := testing.AllocsPerRun(100, func() { buf = mailqueue.AppendReceived(buf[:0], r) }); n > 20 {
		t.Errorf("TLS: %v allocs, budget 20", n)
	}
	r.TLS = nil
	if n := testing.AllocsPerRun(100, func() { buf = mailqueue.AppendReceived(buf[:0], r) }); n > 0 {
		t.Errorf("plaintext: %v allocs, want 0", n)
	}
}

func ExampleAppendReceived() {
	b := mailqueue.AppendReceived(nil, &mailqueue.Received{
		Helo: "alice-laptop", Addr: netip.MustParseAddr("192.0.2.7"), By: "mx.example.org",
		ID: "4f2a", For: "bob@example.com", Date: time.Date(2026, 11, 26, 17, 0, 0, 0, time.UTC),
	})
	fmt.Print(strings.ReplaceAll(string(b), "\r\n", "\n"))
	// Output:
	// Received: from alice-laptop ([192.0.2.7])
	// 	by mx.example.org (relaykit) with ESMTP id 4f2a
	// 	for <bob@example.com>;
	// 	Thu, 26 Nov 2026 17:00:00 +0000
}
