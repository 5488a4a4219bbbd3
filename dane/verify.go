package dane

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"time"
)

// Verification errors; a *VerifyError wraps one of them.
var (
	// ErrNoUsableRecords: no record is DANE-TA or DANE-EE with a known
	// selector and matching type. RFC 7672 3.1.3: the client then uses
	// TLS without authentication; Verify does not decide that for it.
	ErrNoUsableRecords = errors.New("dane: no usable TLSA records")
	// ErrNoMatch: no usable record matches the server's chain.
	ErrNoMatch = errors.New("dane: no TLSA record matches the server certificate")
	// ErrNoCertificate: the server sent no certificate.
	ErrNoCertificate = errors.New("dane: no server certificate")
)

// VerifyError is a failed verification. Err is one of the sentinels
// above; TAErr, when set, is why a chain to a matching DANE-TA anchor was
// still refused (an x509.HostnameError for a name mismatch, an
// x509.CertificateInvalidError for an expired certificate).
type VerifyError struct {
	Err   error
	TAErr error
}

func (e *VerifyError) Error() string {
	if e.TAErr != nil {
		return e.Err.Error() + ": trust anchor matched but " + e.TAErr.Error()
	}
	return e.Err.Error()
}

// Unwrap returns Err and TAErr.
func (e *VerifyError) Unwrap() []error {
	if e.TAErr != nil {
		return []error{e.Err, e.TAErr}
	}
	return []error{e.Err}
}

// Verifier checks a server's certificate chain against TLSA records.
type Verifier struct {
	// Records are the TLSA records of the server (usually from Lookup).
	Records []TLSA
	// Names are the reference identifiers a certificate must carry when
	// it is authenticated through a DANE-TA record (RFC 7672 3.2.2): the
	// TLSA base domain, which is the MX host name or the name its CNAME
	// chain ends at, and the MX host name. The first is sent as SNI by
	// TLSConfig. DANE-EE records ignore them (RFC 7672 3.1.1).
	Names []string
	// Now is the clock for DANE-TA chains' validity. Nil means time.Now.
	Now func() time.Time
}

// Match says which record authenticated a chain.
type Match struct {
	Record TLSA
	// Depth is the matched certificate's position in the chain the
	// server sent: 0 for the leaf (DANE-EE); for DANE-TA the anchor's
	// position, or -1 for a "2 0 0" anchor taken from the record itself.
	Depth int
	// Name is the reference identifier a DANE-TA chain matched; "" for
	// DANE-EE.
	Name string
}

// Verify checks chain (the leaf first, as tls.ConnectionState
// PeerCertificates holds it) against v.Records.
func (v *Verifier) Verify(chain []*x509.Certificate) (Match, error) {
	if len(chain) == 0 {
		return Match{}, &VerifyError{Err: ErrNoCertificate}
	}
	usable := false
	var taErr error
	// DANE-EE first: it needs neither names nor dates.
	for _, r := range v.Records {
		if !r.Usable() {
			continue
		}
		usable = true
		if r.Usage == DANEEE && matches(r, chain[0]) {
			// RFC 7672 3.1.1: with DANE-EE the certificate's names
			// and validity dates are not checked.
			return Match{Record: r}, nil
		}
	}
	for _, r := range v.Records {
		if !r.Usable() || r.Usage != DANETA {
			continue
		}
		// RFC 7671 5.2.2 and RFC 7672 3.1.2: the anchor is a CA
		// certificate the server includes in its chain, above the leaf.
		for i := 1; i < len(chain); i++ {
			if !matches(r, chain[i]) {
				continue
			}
			name, err := v.verifyTA(chain[:i], chain[i])
			if err == nil {
				return Match{Record: r, Depth: i, Name: name}, nil
			}
			taErr = err
		}
		// A "2 0 0" record carries the whole anchor certificate, so the
		// server need not send it.
		if r.Selector == SelectorCert && r.MatchingType == MatchFull {
			if ta, err := x509.ParseCertificate(r.Data); err == nil {
				name, err := v.verifyTA(chain, ta)
				if err == nil {
					return Match{Record: r, Depth: -1, Name: name}, nil
				}
				taErr = err
			}
		}
	}
	if !usable {
		return Match{}, &VerifyError{Err: ErrNoUsableRecords}
	}
	return Match{}, &VerifyError{Err: ErrNoMatch, TAErr: taErr}
}

// verifyTA builds a chain from chain[0] through the intermediates
// chain[1:] to the anchor ta, checking dates and one of v.Names (RFC 7672
// 3.2.2; RFC 7672 3.2.3: a wildcard only as the whole leftmost label,
// which crypto/x509 enforces).
func (v *Verifier) verifyTA(chain []*x509.Certificate, ta *x509.Certificate) (string, error) {
	roots := x509.NewCertPool()
	roots.AddCert(ta)
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	opts := x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		CurrentTime:   now(),
		// RFC 7672 does not ask for an extended key usage.
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	}
	if len(v.Names) == 0 {
		return "", errors.New("dane: no reference identifiers for DANE-TA")
	}
	var first error
	for _, n := range v.Names {
		opts.DNSName = n
		if _, err := chain[0].Verify(opts); err == nil {
			return n, nil
		} else if first == nil {
			first = err
		}
	}
	return "", first
}

// matches applies r's selector and matching type to c (RFC 6698 2.1.2,
// 2.1.3).
func matches(r TLSA, c *x509.Certificate) bool {
	var sel []byte
	switch r.Selector {
	case SelectorCert:
		sel = c.Raw
	case SelectorSPKI:
		sel = c.RawSubjectPublicKeyInfo
	default:
		return false
	}
	switch r.MatchingType {
	case MatchFull:
		return bytes.Equal(sel, r.Data)
	case MatchSHA256:
		h := sha256.Sum256(sel)
		return bytes.Equal(h[:], r.Data)
	case MatchSHA512:
		h := sha512.Sum512(sel)
		return bytes.Equal(h[:], r.Data)
	}
	return false
}

// Record returns the TLSA record data of usage, selector and matching
// type for certificate c, as a zone would publish it.
func Record(u Usage, s Selector, m MatchingType, c *x509.Certificate) TLSA {
	r := TLSA{Usage: u, Selector: s, MatchingType: m}
	sel := c.Raw
	if s == SelectorSPKI {
		sel = c.RawSubjectPublicKeyInfo
	}
	switch m {
	case MatchSHA256:
		h := sha256.Sum256(sel)
		r.Data = h[:]
	case MatchSHA512:
		h := sha512.Sum512(sel)
		r.Data = h[:]
	default:
		r.Data = append([]byte(nil), sel...)
	}
	return r
}

// VerifyConnection checks the handshake's chain; use it as
// tls.Config.VerifyConnection with InsecureSkipVerify set, as TLSConfig
// does.
func (v *Verifier) VerifyConnection(cs tls.ConnectionState) error {
	_, err := v.Verify(cs.PeerCertificates)
	return err
}

// TLSConfig returns a copy of base (nil: an empty config) that
// authenticates the server by v instead of by the Web PKI: crypto/tls's
// own verification off, VerifyConnection on, and the server name (SNI)
// set to v.Names[0] when base has none (RFC 7672 8.1).
func (v *Verifier) TLSConfig(base *tls.Config) *tls.Config {
	var c *tls.Config
	if base != nil {
		c = base.Clone()
	} else {
		c = &tls.Config{}
	}
	if c.ServerName == "" && len(v.Names) > 0 {
		c.ServerName = v.Names[0]
	}
	c.InsecureSkipVerify = true
	c.VerifyConnection = v.VerifyConnection
	return c
}
