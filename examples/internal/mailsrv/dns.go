package mailsrv

import (
	"context"
	"errors"
	"net/netip"

	"github.com/relaykit/relaykit/mailqueue"
	"github.com/relaykit/relaykit/resolver"
)

// DNS adapts relaykit's *resolver.Resolver to mailqueue.Resolver: the
// queue's routing asks it for MX records and addresses. The two packages
// know nothing of each other (DESIGN.md), so the glue lives with the
// program that uses both.
type DNS struct{ R *resolver.Resolver }

// LookupMX implements mailqueue.Resolver. The queue applies the implicit
// MX rule itself (RFC 5321 5.1) when the list is empty, so the resolver's
// implicit entry becomes an empty list; a null MX (RFC 7505) becomes the
// queue's null MX record, host ".".
func (d DNS) LookupMX(ctx context.Context, domain string) ([]mailqueue.MX, error) {
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
func (d DNS) LookupIP(ctx context.Context, host string) ([]netip.Addr, error) {
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
