package relay

import (
	"crypto/tls"
	"time"

	"github.com/relaykit/relaykit/tlstest"
)

// selfSigned makes a TLS configuration with a fresh self-signed
// certificate for host, valid for 30 days. STARTTLS with it encrypts the
// session; a client cannot authenticate the server, which is what a test
// relay can offer.
func selfSigned(host string) (*tls.Config, error) {
	cert, _, err := tlstest.SelfSigned(host, 30*24*time.Hour)
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}
