package spf

import (
	"context"
	"errors"
	"net"
	"net/netip"
)

// Resolver is the DNS an SPF check needs. *net.Resolver satisfies it.
// LookupNetIP is asked for network "ip4" (A records) or "ip6" (AAAA
// records) only. LookupMX must return the MX records as published
// (no implicit MX, RFC 7208 5.4). An error for which IsNotFound reports
// true means NXDOMAIN or no records of the type; any other error is
// temporary.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupAddr(ctx context.Context, addr string) ([]string, error)
}

// IsNotFound reports whether a lookup error means that the name or the
// records do not exist, rather than a temporary failure: a *net.DNSError
// with IsNotFound, or an error with a method NotFound() bool that
// returns true.
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

// Sentinel errors carried (wrapped) by Outcome.Err.
var (
	// ErrTooManyLookups: more than 10 DNS-querying terms (RFC 7208
	// 4.6.4), or an mx mechanism with more than 10 names.
	ErrTooManyLookups = errors.New("spf: too many DNS lookups")
	// ErrTooManyVoidLookups: more than 2 lookups returned no records.
	ErrTooManyVoidLookups = errors.New("spf: too many void DNS lookups")
	// ErrMultipleRecords: the domain publishes more than one SPF record
	// (RFC 7208 4.5).
	ErrMultipleRecords = errors.New("spf: more than one SPF record")
	// ErrNoRecord: an include or redirect target has no SPF record.
	ErrNoRecord = errors.New("spf: no SPF record at included or redirected domain")
	// ErrInvalidDomain: a target name is not a valid domain name.
	ErrInvalidDomain = errors.New("spf: invalid domain name")
	// ErrTempDNS: a DNS lookup failed temporarily.
	ErrTempDNS = errors.New("spf: temporary DNS failure")
)

// SyntaxError reports an SPF record or macro that does not parse (RFC
// 7208 4.6: any syntax error makes the result permerror).
type SyntaxError struct {
	Term string // the offending term or text
	Msg  string
}

func (e *SyntaxError) Error() string {
	if e.Term != "" {
		return "spf: " + e.Msg + ": " + e.Term
	}
	return "spf: " + e.Msg
}
