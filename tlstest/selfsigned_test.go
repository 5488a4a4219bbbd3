package tlstest_test

import (
	"crypto/x509"
	"testing"
	"time"

	"github.com/relaykit/relaykit/tlstest"
)

// TestSelfSigned: the pool verifies the certificate for its host, as
// Alice's user agent does in examples/alice-to-bob.
func TestSelfSigned(t *testing.T) {
	cert, pool, err := tlstest.SelfSigned("mx.test", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cert.Leaf.Verify(x509.VerifyOptions{DNSName: "mx.test", Roots: pool}); err != nil {
		t.Errorf("Verify: %v", err)
	}
	if _, err := cert.Leaf.Verify(x509.VerifyOptions{DNSName: "other.test", Roots: pool}); err == nil {
		t.Error("verified for another host")
	}
}
