package resolver

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"

	"github.com/relaykit/relaykit/dnswire"
)

// ErrNullMX reports a domain that publishes a null MX (RFC 7505: one MX
// record, preference 0, exchange "."): it accepts no mail.
const ErrNullMX = sentinel("resolver: domain accepts no mail (null MX, RFC 7505)")

// MX is one mail exchanger of a domain.
type MX struct {
	// Host is the exchange's name without the trailing dot.
	Host string
	// Pref is the preference; lower is tried first.
	Pref uint16
	// Implicit marks the implicit MX of a domain without MX records
	// (RFC 5321 5.1): the domain itself, preference 0.
	Implicit bool
}

// parseHost turns "example.com" or "example.com." into an absolute name.
func parseHost(s string) (dnswire.Name, error) {
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	n, err := dnswire.ParseName(s)
	if err != nil {
		return n, &Error{Kind: ErrServFail, Name: s, Reason: errors.Join(ErrBadName, err)}
	}
	return n, nil
}

// LookupMX returns the mail exchangers of domain in the order to try
// them (RFC 5321 5.1): by preference, shuffled among equal preferences.
// A domain that exists without MX records gets its implicit MX (the
// domain itself, Implicit set). A null MX (RFC 7505) gives ErrNullMX; a
// null MX among other records is ignored (RFC 7505 3). A missing domain
// gives an error matching ErrNXDomain; a failure one matching
// ErrServFail.
func (r *Resolver) LookupMX(ctx context.Context, domain string) ([]MX, error) {
	mx, _, err := r.lookupMX(ctx, domain)
	return mx, err
}

// LookupMXValidated is LookupMX that also returns the DNSSEC verdict on
// the MX RRset, or on the proof that there is none (Config.DNSSEC;
// Indeterminate without it). RFC 7672 2.2.1: an SMTP client uses the
// TLSA records of an MX host (DANE) only when the MX lookup was Secure.
func (r *Resolver) LookupMXValidated(ctx context.Context, domain string) ([]MX, Security, error) {
	return r.lookupMX(ctx, domain)
}

func (r *Resolver) lookupMX(ctx context.Context, domain string) ([]MX, Security, error) {
	n, err := parseHost(domain)
	if err != nil {
		return nil, Indeterminate, err
	}
	res, err := r.Resolve(ctx, n, dnswire.TypeMX)
	sec := res.Security
	// RFC 5321 5.1: without MX records the domain itself is the
	// exchanger; for an alias, its canonical name (the end of the
	// CNAME chain).
	for _, rr := range res.Answer {
		if c, ok := rr.Data.(*dnswire.CNAME); ok && rr.Type == dnswire.TypeCNAME {
			n = c.Target
		}
	}
	if errors.Is(err, ErrNoData) {
		return []MX{{Host: trimDot(n.String()), Implicit: true}}, sec, nil
	}
	if err != nil {
		return nil, sec, err
	}
	var out []MX
	null := false
	for _, rr := range res.Answer {
		mx, ok := rr.Data.(*dnswire.MX)
		if !ok || rr.Type != dnswire.TypeMX {
			continue
		}
		if mx.Host.IsRoot() {
			null = true
			continue
		}
		out = append(out, MX{Host: trimDot(mx.Host.String()), Pref: mx.Pref})
	}
	if len(out) == 0 {
		if null {
			return nil, sec, ErrNullMX
		}
		return []MX{{Host: trimDot(n.String()), Implicit: true}}, sec, nil
	}
	rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	slices.SortStableFunc(out, func(a, b MX) int { return int(a.Pref) - int(b.Pref) })
	return out, sec, nil
}

func trimDot(s string) string {
	if len(s) > 1 {
		return strings.TrimSuffix(s, ".")
	}
	return s
}

// LookupIP returns the IPv4 and IPv6 addresses of host (A then AAAA
// records, following CNAMEs). A host that exists without addresses gives
// an empty list and no error; a missing one an error matching
// ErrNXDomain.
func (r *Resolver) LookupIP(ctx context.Context, host string) ([]netip.Addr, error) {
	n, err := parseHost(host)
	if err != nil {
		return nil, err
	}
	var out []netip.Addr
	var firstErr error
	for _, t := range [2]dnswire.Type{dnswire.TypeA, dnswire.TypeAAAA} {
		res, err := r.Resolve(ctx, n, t)
		if errors.Is(err, ErrNXDomain) {
			return nil, err
		}
		if err != nil && !errors.Is(err, ErrNoData) {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		for _, rr := range res.Answer {
			switch d := rr.Data.(type) {
			case *dnswire.A:
				out = append(out, d.Addr)
			case *dnswire.AAAA:
				out = append(out, d.Addr)
			}
		}
	}
	if len(out) == 0 && firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

// LookupTXT returns the TXT records of name, each record's strings
// joined (as net.LookupTXT does).
func (r *Resolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	n, err := parseHost(name)
	if err != nil {
		return nil, err
	}
	res, err := r.Resolve(ctx, n, dnswire.TypeTXT)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, rr := range res.Answer {
		if txt, ok := rr.Data.(*dnswire.TXT); ok && rr.Type == dnswire.TypeTXT {
			var b strings.Builder
			for _, s := range txt.Strings {
				b.Write(s)
			}
			out = append(out, b.String())
		}
	}
	return out, nil
}
