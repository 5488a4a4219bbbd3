package resolver

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// ErrNoAnswer: none of the servers a DNSSECQuery was given answered.
const ErrNoAnswer = sentinel("resolver: no server answered the DNSSEC query")

// UpstreamQuery returns a DNSSECQuery that asks servers in turn over tr
// (nil: NetTransport{}) with DO and CD set (RFC 4035 3.2.1, 3.2.2), so
// that a recursive server passes RRSIGs and unvalidated data through
// for the Validator to check itself, and RD set; an authoritative
// server ignores RD. Truncated UDP answers are retried over TCP.
func UpstreamQuery(tr Transport, timeout time.Duration, servers ...netip.AddrPort) DNSSECQuery {
	if tr == nil {
		tr = NetTransport{}
	}
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	return func(ctx context.Context, name dnswire.Name, t dnswire.Type) (*dnswire.Msg, error) {
		id := uint16(rand.Uint32())
		h := dnswire.Header{ID: id, RecursionDesired: true, CheckingDisabled: true}
		b := dnswire.NewBuilder(make([]byte, 0, 64+name.Len()), h, dnswire.BuildOptions{})
		b.Question(&dnswire.Question{Name: name, Type: t, Class: dnswire.ClassINET})
		b.OPT(&dnswire.EDNS{UDPSize: 1232, DO: true})
		q, err := b.Finish()
		if err != nil {
			return nil, err
		}
		last := error(ErrNoAnswer)
		for _, srv := range servers {
			for _, network := range []string{"udp", "tcp"} {
				raw, err := tr.Exchange(ctx, network, srv, q, timeout)
				if err != nil {
					last = err
					break
				}
				m := &dnswire.Msg{}
				if err := m.Unpack(raw); err != nil {
					last = err
					break
				}
				// RFC 5452 9.1: the answer must match the query.
				if m.ID != id || len(m.Question) != 1 || !m.Question[0].Name.Equal(name) || m.Question[0].Type != t {
					last = errors.New("resolver: answer does not match the DNSSEC query")
					break
				}
				if m.Truncated && network == "udp" {
					continue
				}
				if m.RCode != dnswire.RCodeSuccess && m.RCode != dnswire.RCodeNameError {
					last = errors.New("resolver: DNSSEC query answered " + m.RCode.String())
					break
				}
				return m, nil
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
		}
		return nil, last
	}
}

// ValidatedAnswer is a validated resolution's outcome.
type ValidatedAnswer struct {
	// Msg is the response as received.
	Msg *dnswire.Msg
	// Records are the records of the type asked at the name (after any
	// CNAMEs in the answer); none for NXDOMAIN and NODATA.
	Records []RR
	// Security is the verdict; Secure is what a server signals with AD
	// (RFC 4035 3.2.3).
	Security Security
}

// Resolve asks v.Query for name/t and validates the answer. A bogus
// answer returns Bogus with a *BogusError (errors.Is(err, ErrBogus)),
// and no records: bogus data is never handed out.
func (v *Validator) Resolve(ctx context.Context, name dnswire.Name, t dnswire.Type) (ValidatedAnswer, error) {
	m, err := v.Query(ctx, name, t)
	if err != nil {
		return ValidatedAnswer{Security: Indeterminate}, err
	}
	sec, err := v.Validate(ctx, name, t, m)
	if err != nil || sec == Bogus {
		return ValidatedAnswer{Msg: m, Security: Bogus}, err
	}
	a := ValidatedAnswer{Msg: m, Security: sec}
	owner := name
	for _, rr := range m.Answer {
		if rr.Name.Equal(owner) && rr.Type == dnswire.TypeCNAME && t != dnswire.TypeCNAME {
			if c, ok := rr.Data.(*dnswire.CNAME); ok {
				owner = c.Target
			}
		}
	}
	for _, rr := range m.Answer {
		if rr.Name.Equal(owner) && rr.Type == t {
			a.Records = append(a.Records, rr)
		}
	}
	return a, nil
}

// ResolveValidated is Resolve in the shape small consumers (the dane
// package's FromResolver) ask for: the records, whether they (or their
// denial) are secure, and an error for bogus or failed lookups.
func (v *Validator) ResolveValidated(ctx context.Context, name dnswire.Name, t dnswire.Type) ([]RR, bool, error) {
	a, err := v.Resolve(ctx, name, t)
	if err != nil {
		return nil, false, err
	}
	return a.Records, a.Security == Secure, nil
}
