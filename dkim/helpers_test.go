package dkim

import (
	"context"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net"
	"strings"
)

// fakeDNS is a map-backed TXTResolver: a missing name is NXDOMAIN, a name
// mapped to nil is a temporary failure.
type fakeDNS map[string][]string

func (f fakeDNS) LookupTXT(_ context.Context, name string) ([]string, error) {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	v, ok := f[name]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
	}
	if v == nil {
		return nil, errors.New("SERVFAIL")
	}
	return v, nil
}

const (
	rfc8463Ed25519Record = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
	rfc8463RSARecord     = "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWR" +
		"iGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutAC" +
		"DfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3" +
		"Ip3G+2kryOTIKT+l/K4w3QIDAQAB"
	// rfc8463Seed is the Ed25519 private key of RFC 8463 A.1 (the RFC 8032
	// 7.1 test 1 seed).
	rfc8463Seed = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A="
)

func rfc8463Key() ed25519.PrivateKey {
	seed, _ := base64.StdEncoding.DecodeString(rfc8463Seed)
	return ed25519.NewKeyFromSeed(seed)
}

// keyRecord returns the DNS TXT record that publishes pub.
func keyRecord(pub any) string {
	switch k := pub.(type) {
	case ed25519.PublicKey:
		return "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(k)
	case *rsa.PublicKey:
		der, _ := x509.MarshalPKIXPublicKey(k)
		return "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der)
	}
	panic("unknown key")
}
