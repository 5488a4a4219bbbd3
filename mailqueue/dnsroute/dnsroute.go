// Package dnsroute joins package resolver to package mailqueue: Resolver
// makes relaykit's DNS resolver the queue's mailqueue.Resolver, so the
// queue routes mail with iterative resolution (and DNSSEC validation,
// when the resolver is configured for it) instead of the system's
// resolver. The two packages know nothing of each other (DESIGN.md:
// mailqueue declares the lookups it needs); this package sits above both.
//
// RFC 5321 5.1 and RFC 7505 are applied as the queue expects them: the
// implicit MX (a domain with addresses and no MX records) is reported as
// no records, for the queue to apply; a null MX is the record with host
// "."; NXDOMAIN is mailqueue.ErrNXDomain (the recipient fails); a name
// without the asked type is no records; anything else is
// mailqueue.ErrDNSTemporary (the attempt is deferred).
package dnsroute

import (
	"context"
	"errors"
	"net/netip"

	"github.com/relaykit/relaykit/mailqueue"
	"github.com/relaykit/relaykit/resolver"
)

var _ mailqueue.Resolver = Resolver{}

// Resolver adapts relaykit's *resolver.Resolver to mailqueue.Resolver:
// the queue's routing asks it for MX records and addresses.
type Resolver struct{ R *resolver.Resolver }

// LookupMX implements mailqueue.Resolver. The queue applies the implicit
// MX rule itself (RFC 5321 5.1) when the list is empty, so the resolver's
// implicit entry becomes an empty list; a null MX (RFC 7505) becomes the
// queue's null MX record, host ".".
func (d Resolver) LookupMX(ctx context.Context, domain string) ([]mailqueue.MX, error) {
	mxs, err := d.R.LookupMX(ctx, domain)
	switch {
	case errors.Is(err, resolver.ErrNullMX):
		return []mailqueue.MX{{Host: "."}}, nil
	case err != nil:
		return nil, mapDNSError(err)
	}
	out := make([]mailqueue.MX, 0, len(mxs))
	for _, mx := range mxs {
		if mx.Implicit {
			return nil, nil
		}
		out = append(out, mailqueue.MX{Host: mx.Host, Pref: mx.Pref})
	}
	return out, nil
}

// LookupIP implements mailqueue.Resolver.
func (d Resolver) LookupIP(ctx context.Context, host string) ([]netip.Addr, error) {
	ips, err := d.R.LookupIP(ctx, host)
	if err != nil {
		return nil, mapDNSError(err)
	}
	return ips, nil
}

// mapDNSError keeps the resolver's error and adds the queue's sentinel:
// NXDOMAIN (and NODATA, for which there is nothing to deliver to either)
// fail the recipient; everything else is temporary and defers.
func mapDNSError(err error) error {
	if errors.Is(err, resolver.ErrNXDomain) {
		return errors.Join(mailqueue.ErrNXDomain, err)
	}
	if errors.Is(err, resolver.ErrNoData) {
		return nil
	}
	return errors.Join(mailqueue.ErrDNSTemporary, err)
}
