package mailqueue

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strings"
)

// MX is one mail exchanger record.
type MX struct {
	Host string // the exchange, without a trailing dot; "" or "." for a null MX
	Pref uint16
}

// Resolver looks up what routing needs. Package resolver satisfies it
// through a small adapter; NetResolver adapts the standard library's;
// tests use a map. Errors must wrap ErrNXDomain when the name does not
// exist and ErrDNSTemporary when the answer could not be had for now
// (SERVFAIL, timeout): the queue defers on the second and never falls back
// to address records when MX lookup fails (RFC 5321 5.1).
type Resolver interface {
	// LookupMX returns the MX records of domain in any order; an empty
	// list with a nil error means the domain exists and has none.
	LookupMX(ctx context.Context, domain string) ([]MX, error)
	// LookupIP returns the IPv4 and IPv6 addresses of host, an empty list
	// or ErrNXDomain when it has none.
	LookupIP(ctx context.Context, host string) ([]netip.Addr, error)
}

// DNS errors a Resolver wraps.
var (
	ErrNXDomain     = errors.New("mailqueue: domain does not exist")
	ErrDNSTemporary = errors.New("mailqueue: temporary DNS failure")
)

// NetResolver adapts a *net.Resolver (nil: net.DefaultResolver) to
// Resolver. The standard library hides null MX records and some error
// detail, so package resolver's adapter is the better choice where
// available.
type NetResolver struct{ R *net.Resolver }

func (n NetResolver) r() *net.Resolver {
	if n.R != nil {
		return n.R
	}
	return net.DefaultResolver
}

func netErr(err error) error {
	var de *net.DNSError
	if errors.As(err, &de) {
		if de.IsNotFound {
			return errors.Join(ErrNXDomain, err)
		}
	}
	return errors.Join(ErrDNSTemporary, err)
}

// LookupMX implements Resolver.
func (n NetResolver) LookupMX(ctx context.Context, domain string) ([]MX, error) {
	mxs, err := n.r().LookupMX(ctx, domain)
	if err != nil {
		var de *net.DNSError
		if errors.As(err, &de) && de.IsNotFound {
			// net reports NODATA and NXDOMAIN alike; an address lookup
			// tells them apart for the implicit-MX rule.
			if _, aerr := n.r().LookupNetIP(ctx, "ip", domain); aerr == nil {
				return nil, nil
			}
		}
		return nil, netErr(err)
	}
	out := make([]MX, 0, len(mxs))
	for _, m := range mxs {
		out = append(out, MX{Host: strings.TrimSuffix(m.Host, "."), Pref: m.Pref})
	}
	return out, nil
}

// LookupIP implements Resolver.
func (n NetResolver) LookupIP(ctx context.Context, host string) ([]netip.Addr, error) {
	a, err := n.r().LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, netErr(err)
	}
	for i := range a {
		a[i] = a[i].Unmap()
	}
	return a, nil
}

// routeResult is the outcome of MX lookup for one domain.
type routeResult struct {
	hosts []string
	// fail, when set, is the reply for every recipient of the domain;
	// permanent says whether it fails them or defers them.
	fail      *Reply
	permanent bool
}

// route orders the exchangers of domain for one attempt (RFC 5321 5.1):
// by preference, shuffled among equal preferences, at most maxHosts; the
// domain itself when it has no MX records (implicit MX). A null MX (RFC
// 7505) fails at once with 5.1.10; a missing domain with 5.1.2; a
// temporary failure defers, and never falls back to the domain's address.
func route(ctx context.Context, r Resolver, domain string, maxHosts int) routeResult {
	mxs, err := r.LookupMX(ctx, domain)
	switch {
	case errors.Is(err, ErrNXDomain):
		return routeResult{fail: &Reply{Code: 550, Enhanced: "5.1.2", Text: "domain " + domain + " does not exist"}, permanent: true}
	case err != nil:
		return routeResult{fail: &Reply{Code: 451, Enhanced: "4.4.3", Text: "MX lookup for " + domain + " failed: " + err.Error()}}
	}
	// RFC 7505 3: a null MX is a single record with preference 0 and
	// exchange ".". RFC 7505 4.1: the client must not try to deliver and
	// reports 556 with 5.1.10. A "." among other records is ignored.
	if len(mxs) == 1 && isNullMX(mxs[0].Host) {
		return routeResult{fail: &Reply{Code: 556, Enhanced: "5.1.10", Text: "domain " + domain + " does not accept mail (null MX, RFC 7505)"}, permanent: true}
	}
	if len(mxs) == 0 {
		// RFC 5321 5.1: no MX records: the domain is its own implicit MX
		// with preference 0.
		return routeResult{hosts: []string{domain}}
	}
	mxs = slices.DeleteFunc(slices.Clone(mxs), func(m MX) bool { return isNullMX(m.Host) })
	if len(mxs) == 0 {
		return routeResult{fail: &Reply{Code: 556, Enhanced: "5.1.10", Text: "domain " + domain + " does not accept mail (null MX, RFC 7505)"}, permanent: true}
	}
	// RFC 5321 5.1: order by preference, randomize among equals.
	rand.Shuffle(len(mxs), func(i, j int) { mxs[i], mxs[j] = mxs[j], mxs[i] })
	slices.SortStableFunc(mxs, func(a, b MX) int { return int(a.Pref) - int(b.Pref) })
	var hosts []string
	for _, m := range mxs {
		h := strings.ToLower(strings.TrimSuffix(m.Host, "."))
		if !slices.Contains(hosts, h) {
			hosts = append(hosts, h)
		}
	}
	if maxHosts > 0 && len(hosts) > maxHosts {
		hosts = hosts[:maxHosts]
	}
	return routeResult{hosts: hosts}
}

func isNullMX(h string) bool { return h == "" || h == "." }

// StaticResolver answers from maps: fixed routes (a smarthost), or tests.
// A domain absent from both maps does not exist (ErrNXDomain); a domain
// with addresses but no MX entry has an implicit MX.
type StaticResolver struct {
	MX map[string][]MX
	IP map[string][]netip.Addr
}

// LookupMX implements Resolver.
func (s StaticResolver) LookupMX(_ context.Context, domain string) ([]MX, error) {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	if mx, ok := s.MX[domain]; ok {
		return slices.Clone(mx), nil
	}
	if _, ok := s.IP[domain]; ok {
		return nil, nil
	}
	return nil, fmt.Errorf("%w: %s", ErrNXDomain, domain)
}

// LookupIP implements Resolver.
func (s StaticResolver) LookupIP(_ context.Context, host string) ([]netip.Addr, error) {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if a, ok := s.IP[host]; ok {
		return slices.Clone(a), nil
	}
	return nil, fmt.Errorf("%w: %s", ErrNXDomain, host)
}
