package mailqueue

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"strings"
	"time"

	"github.com/relaykit/relaykit/dane"
	"github.com/relaykit/relaykit/mtasts"
	"github.com/relaykit/relaykit/smtp"
)

// TLSLevel is an outbound TLS security level, named as Postfix names the
// values of smtp_tls_security_level.
type TLSLevel uint8

const (
	// TLSMay is opportunistic TLS, the default: STARTTLS when the server
	// offers it, the certificate checked and the outcome recorded but not
	// enforced, plaintext when STARTTLS is not offered or fails (RFC 3207
	// 4: a publicly referenced server cannot require TLS).
	TLSMay TLSLevel = iota
	// TLSNone never sends STARTTLS.
	TLSNone
	// TLSEncrypt requires TLS but not an authenticated certificate.
	TLSEncrypt
	// TLSVerify requires TLS and a certificate that chains to a trusted
	// root and names the MX host.
	TLSVerify
	// TLSDANE is opportunistic DANE (RFC 7672): with secure usable TLSA
	// records for the MX host TLS is required and the certificate must
	// match them; with insecure or no TLSA records it is TLSMay.
	TLSDANE
	// TLSMTASTS applies the recipient domain's MTA-STS policy (RFC 8461);
	// a secure TLSA record for the MX host takes precedence (RFC 8461 2).
	TLSMTASTS
)

var tlsLevelNames = [...]string{"may", "none", "encrypt", "verify", "dane", "mta-sts"}

// String returns the Postfix name of the level ("may", "verify"...).
func (l TLSLevel) String() string {
	if int(l) < len(tlsLevelNames) {
		return tlsLevelNames[l]
	}
	return "unknown"
}

// ParseTLSLevel parses a Postfix level name.
func ParseTLSLevel(s string) (TLSLevel, error) {
	for i, n := range tlsLevelNames {
		if strings.EqualFold(s, n) {
			return TLSLevel(i), nil
		}
	}
	return 0, errors.New("mailqueue: unknown TLS level " + s)
}

// TLSPolicy is the outbound TLS policy for one destination domain.
type TLSPolicy struct {
	Level TLSLevel
}

// TLSPolicies gives the outbound TLS policy for a recipient domain.
type TLSPolicies interface {
	TLSPolicy(ctx context.Context, domain string) (TLSPolicy, error)
}

// StaticTLSPolicies is a map of domain (lower case, no trailing dot) to
// policy, like Postfix's smtp_tls_policy_maps; other domains get Default.
type StaticTLSPolicies struct {
	Default TLSPolicy
	Domains map[string]TLSPolicy
}

// TLSPolicy implements TLSPolicies.
func (s StaticTLSPolicies) TLSPolicy(ctx context.Context, domain string) (TLSPolicy, error) {
	if p, ok := s.Domains[strings.TrimSuffix(strings.ToLower(domain), ".")]; ok {
		return p, nil
	}
	return s.Default, nil
}

// MTASTSPolicies gives a domain's MTA-STS policy in force: mtasts.ErrNoPolicy
// when it has none, a *mtasts.FetchError when it announces one that
// cannot be fetched. *mtasts.Cache satisfies it.
type MTASTSPolicies interface {
	Policy(ctx context.Context, domain string) (*mtasts.Policy, error)
}

// OutboundTLS configures the TLS an SMTPDeliverer uses. The zero value is
// opportunistic TLS (TLSMay) for every destination.
type OutboundTLS struct {
	// Policies gives each destination's policy; nil means TLSMay for all.
	Policies TLSPolicies
	// DANE looks up validated TLSA records for TLSDANE and TLSMTASTS
	// (RFC 7672, RFC 8461 2). Nil makes TLSDANE act as TLSMay, as
	// Postfix's dane level does without a DNSSEC-validating resolver.
	//
	// TLSA records are looked up for every MX host, whether or not the
	// MX RRset itself was secure: RFC 7672 2.2.1 lets a client use DANE
	// with MX hosts from an insecure MX RRset (an unsigned hosted domain
	// still gains from its signed provider's TLSA records). A stricter
	// caller can check resolver.Resolver.LookupMXValidated itself and
	// give a Lookup that answers Insecure for domains whose MX records
	// were not secure.
	DANE dane.Lookup
	// MTASTS gives recipient domains' MTA-STS policies for TLSMTASTS
	// (*mtasts.Cache satisfies it). Nil makes TLSMTASTS act as TLSDANE
	// (and so as TLSMay without DANE).
	MTASTS MTASTSPolicies
	// Report, when set, receives the TLS record of every delivery
	// attempt: once the session's TLS is settled and before the
	// transaction starts, or when the policy refused the session. It is
	// called from the delivering goroutine and must not block for long.
	Report func(Target, TLSResult)
}

// RFC 8460 4.3 result types a TLSResult.Failure may hold (they are the
// names TLS-RPT reports use).
const (
	FailureSTARTTLSNotSupported  = "starttls-not-supported"
	FailureCertificateHost       = "certificate-host-mismatch"
	FailureCertificateExpired    = "certificate-expired"
	FailureCertificateNotTrusted = "certificate-not-trusted"
	FailureValidation            = "validation-failure"
	FailureTLSAInvalid           = "tlsa-invalid"
	FailureDNSSECInvalid         = "dnssec-invalid"
	FailureDANERequired          = "dane-required"
	FailureSTSPolicyFetch        = "sts-policy-fetch-error"
	FailureSTSPolicyInvalid      = "sts-policy-invalid"
	FailureSTSWebPKIInvalid      = "sts-webpki-invalid"
)

// TLSResult records what one delivery used.
type TLSResult struct {
	// Requested is the destination's configured level; Applied is the
	// level that was enforced after DANE and MTA-STS lookups (TLSDANE
	// without secure TLSA records applies TLSMay, for instance).
	Requested, Applied TLSLevel
	// TLS reports that the session ran over TLS.
	TLS bool
	// Version and CipherSuite are the negotiated values (tls.VersionTLS13,
	// tls.TLS_AES_128_GCM_SHA256...), when TLS.
	Version, CipherSuite uint16
	// ServerName is the name the certificate was checked against.
	ServerName string
	// PeerCertificates is the chain the server sent.
	PeerCertificates []*x509.Certificate
	// Verified reports that the certificate was authenticated, and
	// VerifiedBy says how: "pkix" (a trusted CA), "dane-ee" or "dane-ta".
	Verified   bool
	VerifiedBy string
	// VerifyError is why the certificate was not authenticated, when it
	// was checked and was not.
	VerifyError error
	// Fallback reports a plaintext retry after a failed handshake (only
	// at TLSMay).
	Fallback bool
	// Failure is the RFC 8460 result type when the policy failed or, in
	// MTA-STS testing mode, would have; "" otherwise.
	Failure string
	// Reused reports a cached connection: the values describe the
	// handshake made when it was opened.
	Reused bool
	// TLSA are the secure TLSA records DANE applied, for TLS-RPT's
	// policy-string.
	TLSA []dane.TLSA
	// STSPolicy is the MTA-STS policy that applied (testing or enforce).
	STSPolicy *mtasts.Policy
}

// Version names a TLS version ("TLS 1.3"), or "none".
func (r TLSResult) VersionName() string {
	if !r.TLS {
		return "none"
	}
	return tls.VersionName(r.Version)
}

// TLSError is a delivery refused by the TLS policy; the deliverer returns
// it inside a DeliveryError with a 4xx reply, so the queue tries the next
// address and then defers, never sending in clear.
type TLSError struct {
	Result TLSResult
	Err    error
}

func (e *TLSError) Error() string {
	s := "mailqueue: TLS policy " + e.Result.Applied.String() + " failed"
	if e.Result.Failure != "" {
		s += " (" + e.Result.Failure + ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *TLSError) Unwrap() error { return e.Err }

// tlsPlan is the policy resolved for one target.
type tlsPlan struct {
	requested, applied TLSLevel
	serverName         string // the name to check a certificate against
	mandatory          bool   // plaintext is refused
	authenticate       bool   // an unauthenticated certificate is refused
	testing            bool   // MTA-STS testing: failures recorded, not enforced
	note               string // a failure found while planning, reported but not enforced
	tlsa               []dane.TLSA
	sts                *mtasts.Policy
	verifyFn           func(cs tls.ConnectionState, res *TLSResult) error
}

// plan resolves the policy of t's domain.
func (d *SMTPDeliverer) plan(ctx context.Context, t Target) (tlsPlan, error) {
	pol := TLSPolicy{}
	if d.OutboundTLS.Policies != nil {
		p, err := d.OutboundTLS.Policies.TLSPolicy(ctx, t.Domain)
		if err != nil {
			return tlsPlan{}, d.tlsFail(t, TLSResult{}, "", 451, "4.7.5", "TLS policy lookup failed", err)
		}
		pol = p
	}
	p := tlsPlan{requested: pol.Level, applied: pol.Level, serverName: strings.TrimSuffix(t.Host, ".")}
	switch pol.Level {
	case TLSMay, TLSNone:
	case TLSEncrypt:
		p.mandatory = true
	case TLSVerify:
		p.mandatory, p.authenticate = true, true
	case TLSDANE, TLSMTASTS:
		p.applied = TLSMay
		if d.OutboundTLS.DANE != nil {
			if err := d.planDANE(ctx, t, &p); err != nil {
				return p, err
			}
		}
		// RFC 8461 2: where secure TLSA records exist DANE takes
		// precedence over MTA-STS.
		if pol.Level == TLSMTASTS && p.applied == TLSMay && d.OutboundTLS.MTASTS != nil {
			if err := d.planMTASTS(ctx, t, &p); err != nil {
				return p, err
			}
		}
	default:
		p.applied = TLSMay
	}
	return p, nil
}

// planDANE applies RFC 7672 2.2 to t's TLSA records.
func (d *SMTPDeliverer) planDANE(ctx context.Context, t Target, p *tlsPlan) error {
	res, err := d.OutboundTLS.DANE.LookupTLSA(ctx, dane.TLSAName(p.serverName, t.Addr.Port()))
	switch dane.Decide(res, err) {
	case dane.NoDANE:
		return nil
	case dane.EncryptOnly:
		// RFC 7672 3.1.3: only unusable records: TLS is still
		// required, without authentication.
		p.applied, p.mandatory = TLSEncrypt, true
		return nil
	case dane.Defer:
		// RFC 7672 2.2: a bogus or failed TLSA lookup: do not deliver
		// to this host.
		tr := TLSResult{Requested: p.requested, Applied: TLSDANE, ServerName: p.serverName}
		if err == nil {
			err = errors.New("mailqueue: TLSA answer for " + p.serverName + " is " + res.Verdict.String())
		}
		return d.tlsFail(t, tr, FailureDNSSECInvalid, 451, "4.7.5", "TLSA lookup failed", err)
	}
	p.applied, p.mandatory, p.authenticate, p.tlsa = TLSDANE, true, true, res.Records
	// RFC 7672 3.2.2: DANE-TA names are the TLSA base domain (the CNAME
	// target, when the MX host is an alias) and the MX host name.
	names := []string{p.serverName}
	if res.Base != "" && !strings.EqualFold(res.Base, p.serverName) {
		names = []string{strings.TrimSuffix(res.Base, "."), p.serverName}
	}
	v := &dane.Verifier{Records: res.Records, Names: names, Now: d.tlsNow()}
	p.verifyFn = func(cs tls.ConnectionState, r *TLSResult) error {
		m, err := v.Verify(cs.PeerCertificates)
		if err != nil {
			r.VerifyError = err
			r.Failure = FailureTLSAInvalid
			var hn x509.HostnameError
			var ci x509.CertificateInvalidError
			if errors.As(err, &hn) {
				r.Failure = FailureCertificateHost
			} else if errors.As(err, &ci) && ci.Reason == x509.Expired {
				r.Failure = FailureCertificateExpired
			}
			return err
		}
		r.Verified, r.VerifiedBy = true, "dane-ee"
		if m.Record.Usage == dane.DANETA {
			r.VerifiedBy = "dane-ta"
		}
		return nil
	}
	return nil
}

// planMTASTS applies the domain's MTA-STS policy (RFC 8461 5).
func (d *SMTPDeliverer) planMTASTS(ctx context.Context, t Target, p *tlsPlan) error {
	pol, err := d.OutboundTLS.MTASTS.Policy(ctx, t.Domain)
	if err != nil {
		// RFC 8461 5.1: no policy, or one that cannot be fetched with
		// nothing cached: deliver as if the domain had none (the fetch
		// failure is still reported, for TLS-RPT).
		var fe *mtasts.FetchError
		if errors.As(err, &fe) {
			p.note = string(fe.ResultType)
		} else if !errors.Is(err, mtasts.ErrNoPolicy) {
			p.note = FailureSTSPolicyFetch
		}
		return nil
	}
	switch pol.Mode {
	case mtasts.ModeTesting:
		// RFC 8461 5: testing mode delivers whatever happens and
		// reports what enforce would have refused.
		p.applied, p.testing, p.sts = TLSMTASTS, true, pol
		if !pol.Match(p.serverName) {
			p.note = FailureValidation
		}
	case mtasts.ModeEnforce:
		p.applied, p.mandatory, p.authenticate, p.sts = TLSMTASTS, true, true, pol
		if !pol.Match(p.serverName) {
			// RFC 8461 4.1: an MX host the policy does not list is
			// not a valid candidate.
			tr := TLSResult{Requested: p.requested, Applied: TLSMTASTS, ServerName: p.serverName, STSPolicy: pol}
			return d.tlsFail(t, tr, FailureValidation, 451, "4.7.5", "MX host not listed in the MTA-STS policy", errors.New("mailqueue: "+p.serverName+" does not match the MTA-STS policy of "+t.Domain))
		}
	}
	return nil
}

// tlsNow is the clock certificates are checked with: the base config's
// Time, or time.Now.
func (d *SMTPDeliverer) tlsNow() func() time.Time {
	if d.TLS != nil && d.TLS.Time != nil {
		return d.TLS.Time
	}
	return time.Now
}

// satisfies reports whether a cached connection made under res may carry
// a message that needs plan p: same or stronger protection, checked
// against the same name.
func (p tlsPlan) satisfies(res TLSResult) bool {
	switch {
	case !p.mandatory:
		return true
	case !p.authenticate:
		return res.TLS
	}
	return res.TLS && res.Verified && res.Applied == p.applied && strings.EqualFold(res.ServerName, p.serverName)
}

// tlsFail reports and returns a policy failure as a deferral.
func (d *SMTPDeliverer) tlsFail(t Target, res TLSResult, failure string, code int, enh, text string, err error) error {
	res.Failure = failure
	d.reportTLS(t, res)
	te := &TLSError{Result: res, Err: err}
	// RFC 3463: X.7.4 security features not supported, X.7.5
	// cryptographic failure. 4xx: the queue defers and retries; the
	// message never goes in clear.
	return &DeliveryError{Stage: StageConnect, Err: te, Reply: Reply{Code: code, Enhanced: enh, Text: text + ": " + te.Error()}}
}

func (d *SMTPDeliverer) reportTLS(t Target, res TLSResult) {
	if d.OutboundTLS.Report != nil {
		d.OutboundTLS.Report(t, res)
	}
}

// pkixVerify checks the chain against roots (nil: the system's) for name,
// as crypto/tls would, and classifies a failure as RFC 8460 does.
func pkixVerify(certs []*x509.Certificate, roots *x509.CertPool, name string, now time.Time) (string, error) {
	if len(certs) == 0 {
		return FailureValidation, errors.New("mailqueue: no server certificate")
	}
	opts := x509.VerifyOptions{Roots: roots, DNSName: name, Intermediates: x509.NewCertPool(), CurrentTime: now}
	for _, c := range certs[1:] {
		opts.Intermediates.AddCert(c)
	}
	_, err := certs[0].Verify(opts)
	if err == nil {
		return "", nil
	}
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	switch {
	case errors.As(err, &hn):
		return FailureCertificateHost, err
	case errors.As(err, &ci) && ci.Reason == x509.Expired:
		return FailureCertificateExpired, err
	case errors.As(err, new(x509.UnknownAuthorityError)):
		return FailureCertificateNotTrusted, err
	}
	return FailureValidation, err
}

// tlsConfig returns the handshake config for plan p. Verification is done
// by VerifyConnection rather than by crypto/tls so that an unverified
// certificate can still be used at TLSMay and TLSEncrypt, and so that
// the outcome is recorded in res.
func (d *SMTPDeliverer) tlsConfig(p tlsPlan, res *TLSResult) *tls.Config {
	var cfg *tls.Config
	if d.TLS != nil {
		cfg = d.TLS.Clone()
	} else {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		cfg.ServerName = p.serverName // SNI: the MX host (RFC 7672 8.1)
	}
	roots := cfg.RootCAs
	now := d.tlsNow()
	cfg.InsecureSkipVerify = true
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		res.TLS = true
		res.Version, res.CipherSuite = cs.Version, cs.CipherSuite
		res.PeerCertificates = cs.PeerCertificates
		res.ServerName = cfg.ServerName
		if p.verifyFn != nil {
			return p.verifyFn(cs, res)
		}
		failure, err := pkixVerify(cs.PeerCertificates, roots, cfg.ServerName, now())
		if err == nil {
			res.Verified, res.VerifiedBy = true, "pkix"
			return nil
		}
		res.VerifyError = err
		if p.authenticate {
			res.Failure = failure
			return err
		}
		if p.testing && res.Failure == "" {
			res.Failure = failure
		}
		return nil
	}
	return cfg
}

// negotiate applies plan p to a client that has said EHLO. It returns
// errPlainRetry when the handshake failed at TLSMay and the delivery
// should be retried on a new connection without STARTTLS.
func (d *SMTPDeliverer) negotiate(ctx context.Context, c *smtp.Client, t Target, p tlsPlan, noTLS bool) (TLSResult, error) {
	res := TLSResult{Requested: p.requested, Applied: p.applied, ServerName: p.serverName, Fallback: noTLS, Failure: p.note, TLSA: p.tlsa, STSPolicy: p.sts}
	if p.applied == TLSNone {
		return res, nil
	}
	if noTLS {
		if p.testing && res.Failure == "" {
			res.Failure = FailureValidation // the handshake failed
		}
		return res, nil
	}
	offered, _, err := c.Extension(ctx, "STARTTLS")
	if err != nil {
		return res, connectError(err)
	}
	if !offered {
		// RFC 3207 4: never send STARTTLS to a server that did not
		// advertise it.
		if p.mandatory {
			// RFC 7672 2.2: with secure TLSA records a missing
			// STARTTLS is a downgrade attack until proved otherwise.
			c.Close()
			return res, d.tlsFail(t, res, FailureSTARTTLSNotSupported, 450, "4.7.4", "STARTTLS not offered", nil)
		}
		if p.testing && res.Failure == "" {
			res.Failure = FailureSTARTTLSNotSupported
		}
		return res, nil
	}
	err = c.StartTLS(ctx, d.tlsConfig(p, &res))
	if err == nil {
		return res, nil
	}
	c.Close()
	if !p.mandatory {
		return res, errPlainRetry
	}
	failure := res.Failure
	if failure == "" {
		failure = FailureValidation
	}
	res.TLS = false
	return res, d.tlsFail(t, res, failure, 451, "4.7.5", "TLS negotiation failed", err)
}

var errPlainRetry = errors.New("mailqueue: TLS handshake failed; retrying in plaintext")
