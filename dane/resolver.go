package dane

import (
	"context"

	"github.com/relaykit/relaykit/dnswire"
)

// ValidatingResolver is what FromResolver needs from a DNSSEC-validating
// resolver (a *resolver.Resolver with Config.DNSSEC set satisfies it, as
// does a resolver.Validator): the RRset of a type at a
// name, whether the answer (or its proof of nonexistence) was secure,
// and an error for a bogus answer or a failed lookup.
type ValidatingResolver interface {
	ResolveValidated(ctx context.Context, name dnswire.Name, t dnswire.Type) ([]dnswire.RR, bool, error)
}

// FromResolver makes a Lookup from a validating resolver: TLSA records
// come back Secure only when the resolver validated them; an unsigned
// answer is Insecure (no DANE, RFC 7672 2.2) and a bogus one an error
// (Defer).
func FromResolver(r ValidatingResolver) Lookup { return resolverLookup{r} }

type resolverLookup struct{ r ValidatingResolver }

// LookupTLSA implements Lookup.
func (l resolverLookup) LookupTLSA(ctx context.Context, name string) (Result, error) {
	n, err := dnswire.ParseName(name)
	if err != nil {
		return Result{}, err
	}
	if !n.IsAbsolute() {
		if n, err = n.Absolute(dnswire.MustName(".")); err != nil {
			return Result{}, err
		}
	}
	rrs, secure, err := l.r.ResolveValidated(ctx, n, dnswire.TypeTLSA)
	if err != nil {
		return Result{Verdict: Bogus}, err
	}
	res := Result{Verdict: Insecure}
	if secure {
		res.Verdict = Secure
	}
	for _, rr := range rrs {
		if t, ok := rr.Data.(*dnswire.TLSA); ok {
			res.Records = append(res.Records, TLSA{Usage: Usage(t.Usage), Selector: Selector(t.Selector), MatchingType: MatchingType(t.MatchingType), Data: t.Data})
		}
	}
	return res, nil
}
