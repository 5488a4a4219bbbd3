package mailsrv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/relaykit/relaykit/dkim"
	"github.com/relaykit/relaykit/dnswire"
	"github.com/relaykit/relaykit/mailqueue"
	"github.com/relaykit/relaykit/resolver"
)

// AuthDNS adapts relaykit's *resolver.Resolver to spf.Resolver, which
// also covers dkim.TXTResolver and dmarc.Resolver: the sender
// authentication packages and the resolver know nothing of each other
// (DESIGN.md), so the glue lives with the program that uses both.
//
// A missing name or type (NXDOMAIN, NODATA) becomes a *net.DNSError with
// IsNotFound set, which spf, dkim and dmarc read as "no record"; any
// other failure stays as the resolver reported it, a temporary error.
type AuthDNS struct{ R *resolver.Resolver }

// LookupTXT implements the TXT lookup of spf, dkim and dmarc.
func (d AuthDNS) LookupTXT(ctx context.Context, name string) ([]string, error) {
	txt, err := d.R.LookupTXT(ctx, name)
	return txt, authErr(name, err)
}

// LookupNetIP returns the A records (network "ip4") or AAAA records
// ("ip6") of host, as spf.Resolver asks.
func (d AuthDNS) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	t := dnswire.TypeA
	switch network {
	case "ip4":
	case "ip6":
		t = dnswire.TypeAAAA
	default:
		return nil, fmt.Errorf("mailsrv: LookupNetIP: network %q", network)
	}
	res, err := d.resolve(ctx, host, t)
	if err != nil {
		return nil, err
	}
	var out []netip.Addr
	for _, rr := range res.Answer {
		switch a := rr.Data.(type) {
		case *dnswire.A:
			out = append(out, a.Addr)
		case *dnswire.AAAA:
			out = append(out, a.Addr)
		}
	}
	return out, nil
}

// LookupMX returns the MX records of name as published: no implicit MX
// and no null-MX handling, which resolver.LookupMX applies for delivery
// but RFC 7208 5.4 forbids for SPF.
func (d AuthDNS) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	res, err := d.resolve(ctx, name, dnswire.TypeMX)
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

// LookupAddr returns the PTR names of an address (for SPF's ptr
// mechanism and %{p} macro).
func (d AuthDNS) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return nil, fmt.Errorf("mailsrv: LookupAddr: %w", err)
	}
	name := reverseName(ip.Unmap())
	res, err := d.resolve(ctx, name, dnswire.TypePTR)
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

func (d AuthDNS) resolve(ctx context.Context, host string, t dnswire.Type) (resolver.Result, error) {
	fq := host
	if !strings.HasSuffix(fq, ".") {
		fq += "."
	}
	n, err := dnswire.ParseName(fq)
	if err != nil {
		// Not a name anybody can publish records at.
		return resolver.Result{}, &net.DNSError{Err: err.Error(), Name: host, IsNotFound: true, UnwrapErr: err}
	}
	res, err := d.R.Resolve(ctx, n, t)
	return res, authErr(host, err)
}

// authErr marks NXDOMAIN and NODATA as not found.
func authErr(name string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, resolver.ErrNXDomain) || errors.Is(err, resolver.ErrNoData) {
		return &net.DNSError{Err: err.Error(), Name: name, IsNotFound: true, UnwrapErr: err}
	}
	return err
}

// reverseName is the in-addr.arpa or ip6.arpa name of ip (RFC 1035
// 3.5, RFC 3596 2.5).
func reverseName(ip netip.Addr) string {
	var b strings.Builder
	if ip.Is4() {
		a := ip.As4()
		fmt.Fprintf(&b, "%d.%d.%d.%d.in-addr.arpa.", a[3], a[2], a[1], a[0])
		return b.String()
	}
	a := ip.As16()
	const hex = "0123456789abcdef"
	for i := 15; i >= 0; i-- {
		b.WriteByte(hex[a[i]&0xf])
		b.WriteByte('.')
		b.WriteByte(hex[a[i]>>4])
		b.WriteByte('.')
	}
	b.WriteString("ip6.arpa.")
	return b.String()
}

// DKIMKeys is a mailqueue.SignFunc source: the signing options (one, or
// an RSA and an Ed25519 key for dual signing) per sender domain.
type DKIMKeys map[string][]dkim.SignOptions

// Sign implements mailqueue.SignFunc: a *dkim.Signer for a domain with
// keys, nil (send unsigned) for any other.
func (k DKIMKeys) Sign(domain string) (mailqueue.MessageSigner, error) {
	opts, ok := k[strings.ToLower(domain)]
	if !ok || len(opts) == 0 {
		return nil, nil
	}
	return dkim.NewSigner(opts...)
}
