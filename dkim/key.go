package dkim

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net"
	"strings"
)

// TXTResolver looks up the TXT records of a name, each record's strings
// joined. relaykit's resolver.Resolver satisfies it. An error for which
// IsNotFound reports true (a *net.DNSError with IsNotFound, or any error
// with a method NotFound() bool returning true) means NXDOMAIN or no
// TXT records; any other error is a temporary failure.
type TXTResolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// IsNotFound reports whether a lookup error means that the name or the
// records do not exist, rather than a temporary failure.
func IsNotFound(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return dnsErr.IsNotFound
	}
	var nf interface{ NotFound() bool }
	if errors.As(err, &nf) {
		return nf.NotFound()
	}
	return false
}

// KeyRecord is a parsed DKIM key record (RFC 6376 3.6.1).
type KeyRecord struct {
	KeyType  string   // k=; "rsa" when absent
	Hashes   []string // h=; nil means any
	Services []string // s=; nil means "*"
	Testing  bool     // t=y: the domain is testing DKIM
	Strict   bool     // t=s: i= must use d= exactly, no subdomain
	Notes    string   // n=
	Revoked  bool     // p= empty
	Key      crypto.PublicKey
}

// ParseKeyRecord parses a key record as published in DNS.
func ParseKeyRecord(txt string) (*KeyRecord, error) {
	var arr [8]tag
	tags, err := parseTagList(arr[:0], txt, maxSigTags)
	if err != nil {
		return nil, err
	}
	k := &KeyRecord{KeyType: "rsa"}
	var p string
	hasP := false
	for i, t := range tags {
		switch t.name {
		case "v":
			// RFC 6376 3.6.1: if v= is present it MUST be first and
			// "DKIM1".
			if i != 0 || t.value != "DKIM1" {
				return nil, &SyntaxError{Msg: "bad key record version", Tag: "v=" + t.value}
			}
		case "h":
			for _, h := range strings.Split(t.value, ":") {
				k.Hashes = append(k.Hashes, strings.ToLower(trimFWS(h)))
			}
		case "k":
			k.KeyType = strings.ToLower(t.value)
		case "n":
			k.Notes = t.value
		case "p":
			hasP, p = true, removeFWS(t.value)
		case "s":
			for _, s := range strings.Split(t.value, ":") {
				k.Services = append(k.Services, strings.ToLower(trimFWS(s)))
			}
		case "t":
			for _, f := range strings.Split(t.value, ":") {
				switch strings.ToLower(trimFWS(f)) {
				case "y":
					k.Testing = true
				case "s":
					k.Strict = true
				}
			}
		}
	}
	if !hasP {
		return nil, &SyntaxError{Msg: "key record without p="}
	}
	if p == "" {
		k.Revoked = true
		return k, nil
	}
	der, err := base64.StdEncoding.DecodeString(p)
	if err != nil {
		return nil, &SyntaxError{Msg: "bad base64 in p="}
	}
	switch k.KeyType {
	case "rsa":
		pub, err := x509.ParsePKIXPublicKey(der)
		if err != nil {
			// Some publishers put a bare RSAPublicKey in p=.
			rk, err2 := x509.ParsePKCS1PublicKey(der)
			if err2 != nil {
				return nil, &SyntaxError{Msg: "bad RSA public key"}
			}
			pub = rk
		}
		rk, ok := pub.(*rsa.PublicKey)
		if !ok {
			return nil, &SyntaxError{Msg: "p= is not an RSA key"}
		}
		k.Key = rk
	case "ed25519":
		// RFC 8463 4: the raw 32-byte public key, base64.
		if len(der) != ed25519.PublicKeySize {
			return nil, &SyntaxError{Msg: "bad Ed25519 public key size"}
		}
		k.Key = ed25519.PublicKey(der)
	default:
		return nil, &SyntaxError{Msg: "unknown key type", Tag: "k=" + k.KeyType}
	}
	return k, nil
}

// fitsHash reports whether the record allows hash alg (h=).
func (k *KeyRecord) fitsHash(alg string) bool {
	if k.Hashes == nil {
		return true
	}
	for _, h := range k.Hashes {
		if h == alg {
			return true
		}
	}
	return false
}

// forEmail reports whether s= allows email ("*" or "email").
func (k *KeyRecord) forEmail() bool {
	if k.Services == nil {
		return true
	}
	for _, s := range k.Services {
		if s == "*" || s == "email" {
			return true
		}
	}
	return false
}
