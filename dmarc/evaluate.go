package dmarc

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"

	"github.com/relaykit/relaykit/dkim"
	"github.com/relaykit/relaykit/rfc5322"
	"github.com/relaykit/relaykit/spf"
)

// Resolver looks up TXT records; relaykit's resolver and *net.Resolver
// satisfy it. An error for which IsNotFound reports true means NXDOMAIN
// or no TXT records; any other error is a temporary failure.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// IsNotFound reports whether a lookup error means that the name or the
// records do not exist (a *net.DNSError with IsNotFound, or an error
// with a method NotFound() bool returning true).
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

// Result is the DMARC result (RFC 7489 11.2 / RFC 8601 2.7.7).
type Result string

// Results.
const (
	None      Result = "none"      // no policy published
	Pass      Result = "pass"      // an aligned identifier passed
	Fail      Result = "fail"      // none did
	TempError Result = "temperror" // policy discovery failed for now
	PermError Result = "permerror" // the published policy is broken
)

// Errors.
var (
	// ErrTempDNS: the policy lookup failed temporarily.
	ErrTempDNS = errors.New("dmarc: temporary DNS failure")
	// ErrFrom: the From field does not give one author domain.
	ErrFrom = errors.New("dmarc: no single author domain in From")
)

// Input is what the receiver knows about a message.
type Input struct {
	// FromDomain is the RFC5322.From domain (see FromDomain).
	FromDomain string
	// SPF is the SPF result for MailFromDomain, the domain checked
	// (the MAIL FROM domain, or the HELO name for an empty
	// reverse-path).
	SPF            spf.Result
	MailFromDomain string
	// DKIM holds the result of every DKIM signature.
	DKIM []dkim.Result
	// NonexistentDomain says the author domain does not exist in DNS
	// (NXDOMAIN), so that np= applies (RFC 9091).
	NonexistentDomain bool
}

// Outcome is the DMARC evaluation of one message.
type Outcome struct {
	Result Result
	// Record is the policy found; nil for none and errors.
	Record *Record
	// PolicyDomain is where the record was found: the author domain or
	// its organizational domain.
	PolicyDomain string
	// Policy is the policy that applies to this message (p=, sp= or
	// np=), before pct= sampling.
	Policy Policy
	// Disposition is what the receiver should do: none, quarantine or
	// reject. It is PolicyNone for a pass.
	Disposition Policy
	// SampledOut is set when pct= lowered the disposition.
	SampledOut bool
	// DKIMAligned and SPFAligned report which identifiers passed and
	// aligned; DKIMDomain is the d= of the first aligned pass.
	DKIMAligned, SPFAligned bool
	DKIMDomain              string
	// Err says why for temperror and permerror.
	Err error
}

// Checker evaluates DMARC. It needs a Resolver and a PublicSuffixList.
type Checker struct {
	Resolver Resolver
	PSL      *PublicSuffixList
	// Rand returns a number in [0, 100) for pct= sampling; nil uses
	// math/rand/v2.
	Rand func() int
}

// FromDomain returns the author domain of a header (RFC 7489 6.6.1): the
// domain of the From field's addresses, which must be exactly one From
// field whose addresses share one domain.
func FromDomain(h *rfc5322.Header) (string, error) {
	if h.Count("From") != 1 {
		return "", ErrFrom
	}
	f, _ := h.Lookup("From")
	addrs, err := rfc5322.ParseAddressList(f.Value())
	if err != nil || len(addrs) == 0 {
		return "", fmt.Errorf("%w: %v", ErrFrom, err)
	}
	d := strings.ToLower(addrs[0].Domain())
	for _, a := range addrs[1:] {
		if !strings.EqualFold(a.Domain(), d) {
			return "", ErrFrom
		}
	}
	if d == "" || strings.HasPrefix(d, "[") {
		return "", ErrFrom
	}
	return strings.TrimSuffix(d, "."), nil
}

// Lookup discovers the policy for an author domain (RFC 7489 6.6.3):
// _dmarc.domain, then _dmarc.<organizational domain>. It returns the
// record and the domain it was found at; a nil record with a nil error
// means no policy.
func (c *Checker) Lookup(ctx context.Context, domain string) (*Record, string, error) {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	rec, err := c.fetch(ctx, domain)
	if rec != nil || err != nil {
		return rec, domain, err
	}
	org := domain
	if c.PSL != nil {
		org = c.PSL.OrganizationalDomain(domain)
	}
	if org == domain {
		return nil, "", nil
	}
	rec, err = c.fetch(ctx, org)
	if rec == nil && err == nil {
		return nil, "", nil
	}
	return rec, org, err
}

func (c *Checker) fetch(ctx context.Context, domain string) (*Record, error) {
	txts, err := c.Resolver.LookupTXT(ctx, "_dmarc."+domain)
	if err != nil {
		if IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("%w: _dmarc.%s: %v", ErrTempDNS, domain, err)
	}
	var found []string
	for _, t := range txts {
		if IsDMARC(t) {
			found = append(found, t)
		}
	}
	// RFC 7489 6.6.3: anything but exactly one record is no policy.
	if len(found) != 1 {
		return nil, nil
	}
	return ParseRecord(found[0])
}

// Aligned reports whether an authenticated domain aligns with the author
// domain in the given mode (RFC 7489 3.1): equal for strict, the same
// organizational domain for relaxed.
func (c *Checker) Aligned(authDomain, fromDomain string, mode Alignment) bool {
	a := strings.ToLower(strings.TrimSuffix(authDomain, "."))
	f := strings.ToLower(strings.TrimSuffix(fromDomain, "."))
	if a == "" || f == "" {
		return false
	}
	if a == f {
		return true
	}
	if mode == Strict || c.PSL == nil {
		return false
	}
	return c.PSL.OrganizationalDomain(a) == c.PSL.OrganizationalDomain(f)
}

// Check evaluates DMARC for a message (RFC 7489 6.6).
func (c *Checker) Check(ctx context.Context, in Input) Outcome {
	var out Outcome
	rec, where, err := c.Lookup(ctx, in.FromDomain)
	if err != nil {
		out.Err = err
		if errors.Is(err, ErrTempDNS) {
			out.Result = TempError
		} else {
			out.Result = PermError
		}
		out.Disposition = PolicyNone
		return out
	}
	if rec == nil {
		out.Result, out.Disposition = None, PolicyNone
		return out
	}
	out.Record, out.PolicyDomain = rec, where
	for _, r := range in.DKIM {
		if r.Status == dkim.Pass && r.Signature != nil && !r.Testing() && c.Aligned(r.Signature.Domain, in.FromDomain, rec.ADKIM) {
			out.DKIMAligned, out.DKIMDomain = true, strings.ToLower(r.Signature.Domain)
			break
		}
	}
	if in.SPF == spf.Pass && c.Aligned(in.MailFromDomain, in.FromDomain, rec.ASPF) {
		out.SPFAligned = true
	}
	// Which policy: p= at the author domain, sp= for a subdomain found
	// through the organizational domain, np= for a non-existent one.
	out.Policy = rec.Policy
	if where != strings.ToLower(strings.TrimSuffix(in.FromDomain, ".")) {
		out.Policy = rec.SubdomainPolicy
		if in.NonexistentDomain {
			out.Policy = rec.NonexistentPolicy
		}
	}
	if out.DKIMAligned || out.SPFAligned {
		out.Result, out.Disposition = Pass, PolicyNone
		return out
	}
	out.Result, out.Disposition = Fail, out.Policy
	if out.Policy != PolicyNone && rec.Percent < 100 {
		// RFC 7489 6.6.4: outside the sample, apply the next lower
		// policy.
		n := 0
		if c.Rand != nil {
			n = c.Rand()
		} else {
			n = rand.IntN(100)
		}
		if n >= rec.Percent {
			out.SampledOut = true
			if out.Policy == PolicyReject {
				out.Disposition = PolicyQuarantine
			} else {
				out.Disposition = PolicyNone
			}
		}
	}
	return out
}

// AuthResult returns the RFC 8601 resinfo for the outcome:
// dmarc=<result> header.from=<domain> policy.dmarc=<policy>.
func (o *Outcome) AuthResult(fromDomain string) dkim.MethodResult {
	m := dkim.MethodResult{Method: "dmarc", Result: string(o.Result)}
	if o.Err != nil {
		m.Reason = o.Err.Error()
	}
	m.Props = append(m.Props, dkim.Prop{Type: "header", Name: "from", Value: fromDomain})
	if o.Record != nil {
		m.Props = append(m.Props, dkim.Prop{Type: "policy", Name: "dmarc", Value: string(o.Disposition)})
	}
	return m
}
