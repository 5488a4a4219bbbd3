// Package tlstest makes certificates for tests and examples of TLS mail
// and DNS code (STARTTLS, DANE, MTA-STS), as net/http/httptest does for
// HTTPS: certificate authorities and the server certificates they issue
// (CA, Issue), written as PEM for peers such as Postfix, and a lone
// self-signed server certificate (SelfSigned). Keys are ECDSA P-256, made
// with crypto/rand; nothing here is meant for a production server, whose
// certificate comes from a real CA.
package tlstest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"sync/atomic"
	"time"
)

// CA is a certificate authority: a self-signed root, or an intermediate
// when made with CA.Sub.
type CA struct {
	Cert  *x509.Certificate
	Key   crypto.Signer
	chain []*x509.Certificate // Cert and the intermediates above it, root excluded
	next  atomic.Int64
}

// New makes a root CA named name, valid from an hour ago for a day.
func New(name string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	ca := &CA{Cert: cert, Key: key}
	ca.next.Store(1)
	return ca, nil
}

// Pool returns a pool holding the CA's certificate as a root.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// Options adjusts an issued certificate.
type Options struct {
	NotBefore, NotAfter time.Time // default: an hour ago, a day later
	IsCA                bool
}

func (ca *CA) issue(key crypto.Signer, cn string, names []string, o Options) (*x509.Certificate, error) {
	if o.NotBefore.IsZero() {
		o.NotBefore = time.Now().Add(-time.Hour)
	}
	if o.NotAfter.IsZero() {
		o.NotAfter = time.Now().Add(24 * time.Hour)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(ca.next.Add(1)),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    o.NotBefore,
		NotAfter:     o.NotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if o.IsCA {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage |= x509.KeyUsageCertSign
		tmpl.ExtKeyUsage = nil
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

// Sub makes an intermediate CA signed by ca.
func (ca *CA) Sub(name string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	cert, err := ca.issue(key, name, nil, Options{IsCA: true})
	if err != nil {
		return nil, err
	}
	sub := &CA{Cert: cert, Key: key, chain: append([]*x509.Certificate{cert}, ca.chain...)}
	sub.next.Store(1)
	return sub, nil
}

// Leaf is an issued server certificate.
type Leaf struct {
	TLS  tls.Certificate     // leaf, then the intermediates, with the key
	Cert *x509.Certificate   // the leaf
	Key  crypto.Signer       // the leaf's key
	Full []*x509.Certificate // leaf and intermediates, as a server sends them
}

// Issue makes a server certificate for names (DNS names or IP addresses;
// the first is also the common name). The TLS chain holds the
// intermediates between the leaf and the root, not the root.
func (ca *CA) Issue(names []string, o Options) (*Leaf, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	cn := ""
	if len(names) > 0 {
		cn = names[0]
	}
	cert, err := ca.issue(key, cn, names, o)
	if err != nil {
		return nil, err
	}
	l := &Leaf{Cert: cert, Key: key, Full: append([]*x509.Certificate{cert}, ca.chain...)}
	for _, c := range l.Full {
		l.TLS.Certificate = append(l.TLS.Certificate, c.Raw)
	}
	l.TLS.PrivateKey = key
	l.TLS.Leaf = cert
	return l, nil
}

// WritePEM writes the leaf and its intermediates to certFile and the key
// (PKCS #8) to keyFile, as Postfix's smtpd_tls_cert_file and
// smtpd_tls_key_file want them.
func (l *Leaf) WritePEM(certFile, keyFile string) error {
	var cb []byte
	for _, c := range l.Full {
		cb = append(cb, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	kd, err := x509.MarshalPKCS8PrivateKey(l.Key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(certFile, cb, 0o644); err != nil {
		return err
	}
	return os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd}), 0o600)
}

// WritePEM writes the CA certificate to file.
func (ca *CA) WritePEM(file string) error {
	return os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw}), 0o644)
}
