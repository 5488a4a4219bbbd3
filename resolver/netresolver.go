package resolver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/relaykit/relaykit/dnswire"
)

// NetResolver gives a Resolver the method shapes of *net.Resolver that
// sender authentication asks for: spf.Resolver (LookupTXT, LookupNetIP,
// LookupMX, LookupAddr), which covers dkim's and dmarc's TXT lookups too.
// Those packages and this one know nothing of each other (DESIGN.md);
// this is the glue, so a program passes NetResolver{R: r} where they want
// a resolver.
//
// Errors are net.Resolver's: a missing name or type (NXDOMAIN, NODATA),
// or a name nobody can publish records at, is a *net.DNSError with
// IsNotFound set, which spf, dkim and dmarc read as "no record"; any other
// failure is the Resolver's *Error, a temporary error to them.
type NetResolver struct{ R *Resolver }

// LookupTXT returns the TXT records of name, each record's strings
// joined (RFC 7208 3.3, RFC 6376 3.6.2.2).
func (n NetResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	txt, err := n.R.LookupTXT(ctx, name)
	return txt, netErr(name, err)
}

// LookupNetIP returns the A records (network "ip4") or AAAA records
// ("ip6") of host; "ip" asks for both, as net.Resolver does.
func (n NetResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	var types []dnswire.Type
	switch network {
	case "ip4":
		types = []dnswire.Type{dnswire.TypeA}
	case "ip6":
		types = []dnswire.Type{dnswire.TypeAAAA}
	case "ip":
		types = []dnswire.Type{dnswire.TypeA, dnswire.TypeAAAA}
	default:
		return nil, fmt.Errorf("resolver: LookupNetIP: network %q", network)
	}
	var out []netip.Addr
	var lastErr error
	for _, t := range types {
		res, err := n.resolve(ctx, host, t)
		if err != nil {
			lastErr = err
			continue
		}
		for _, rr := range res.Answer {
			switch a := rr.Data.(type) {
			case *dnswire.A:
				out = append(out, a.Addr)
			case *dnswire.AAAA:
				out = append(out, a.Addr)
			}
		}
	}
	if len(out) == 0 && lastErr != nil {
		return nil, lastErr
	}
	return out, nil
}

// LookupMX returns the MX records of name as published, in no particular
// order: no implicit MX and no null-MX handling, which Resolver.LookupMX
// applies for delivery but RFC 7208 5.4 forbids for SPF.
func (n NetResolver) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	res, err := n.resolve(ctx, name, dnswire.TypeMX)
	if err != nil {
		return nil, err
	}
	var out []*net.MX
	for _, rr := range res.Answer {
		if mx, ok := rr.Data.(*dnswire.MX); ok && rr.Type == dnswire.TypeMX {
			out = append(out, &net.MX{Host: mx.Host.String(), Pref: mx.Pref})
		}
	}
	return out, nil
}

// LookupAddr returns the PTR names of an address, with their trailing
// dots (for SPF's ptr mechanism and %{p} macro, RFC 7208 5.5, 7.3).
func (n NetResolver) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return nil, &net.DNSError{Err: err.Error(), Name: addr}
	}
	res, err := n.resolve(ctx, reverseName(ip), dnswire.TypePTR)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, rr := range res.Answer {
		if p, ok := rr.Data.(*dnswire.PTR); ok && rr.Type == dnswire.TypePTR {
			out = append(out, p.Target.String())
		}
	}
	return out, nil
}

func (n NetResolver) resolve(ctx context.Context, host string, t dnswire.Type) (Result, error) {
	name, err := parseHost(host)
	if err != nil {
		return Result{}, netErr(host, err)
	}
	res, err := n.R.Resolve(ctx, name, t)
	return res, netErr(host, err)
}

// netErr turns NXDOMAIN, NODATA and a name that cannot exist into a
// *net.DNSError with IsNotFound; other errors stay as they are.
func netErr(name string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrNXDomain) || errors.Is(err, ErrNoData) || errors.Is(err, ErrBadName) {
		return &net.DNSError{Err: err.Error(), Name: name, IsNotFound: true, UnwrapErr: err}
	}
	return err
}
