package tlstest_test

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"time"

	"github.com/relaykit/relaykit/tlstest"
)

// A client that trusts the pool verifies a server that presents the
// self-signed certificate.
func ExampleSelfSigned() {
	cert, pool, err := tlstest.SelfSigned("mail.example.test", time.Hour)
	if err != nil {
		panic(err)
	}
	a, b := net.Pipe()
	go func() {
		s := tls.Server(a, &tls.Config{Certificates: []tls.Certificate{cert}})
		s.Handshake()
		a.Close()
	}()
	c := tls.Client(b, &tls.Config{ServerName: "mail.example.test", RootCAs: pool})
	fmt.Println(c.Handshake() == nil, c.ConnectionState().PeerCertificates[0].Subject.CommonName)
	b.Close()
	// Output: true mail.example.test
}

// A root CA issues a server certificate; a client with the CA's pool
// verifies it.
func ExampleCA_Issue() {
	ca, err := tlstest.New("Example Root")
	if err != nil {
		panic(err)
	}
	leaf, err := ca.Issue([]string{"mx.example.test", "127.0.0.1"}, tlstest.Options{})
	if err != nil {
		panic(err)
	}
	_, err = leaf.Cert.Verify(x509.VerifyOptions{Roots: ca.Pool(), DNSName: "mx.example.test"})
	fmt.Println(err == nil, leaf.Cert.Issuer.CommonName)
	// Output: true Example Root
}
