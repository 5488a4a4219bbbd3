package resolver

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/relaykit/relaykit/dnswire"
)

// LookupCNAME returns the canonical name of host: the end of its CNAME
// chain, or host itself when it has none (as net.LookupCNAME does). A
// missing host gives an error matching ErrNXDomain.
func (r *Resolver) LookupCNAME(ctx context.Context, host string) (string, error) {
	n, err := parseHost(host)
	if err != nil {
		return "", err
	}
	res, err := r.Resolve(ctx, n, dnswire.TypeA)
	if err != nil && !errors.Is(err, ErrNoData) {
		return "", err
	}
	for _, rr := range res.Answer {
		if c, ok := rr.Data.(*dnswire.CNAME); ok && rr.Type == dnswire.TypeCNAME {
			n = c.Target
		}
	}
	return n.String(), nil
}

// LookupAddr returns the names of addr from its PTR records under
// in-addr.arpa or ip6.arpa (RFC 1035 3.5, RFC 3596 2.5), without the
// trailing dot. An address without PTR records gives an error whose
// NotFound method reports true.
func (r *Resolver) LookupAddr(ctx context.Context, addr netip.Addr) ([]string, error) {
	name, err := dnswire.ParseName(reverseName(addr))
	if err != nil {
		return nil, &Error{Kind: ErrServFail, Name: addr.String(), Type: dnswire.TypePTR, Reason: errors.Join(ErrBadName, err)}
	}
	res, err := r.Resolve(ctx, name, dnswire.TypePTR)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, rr := range res.Answer {
		if p, ok := rr.Data.(*dnswire.PTR); ok && rr.Type == dnswire.TypePTR {
			out = append(out, trimDot(p.Target.String()))
		}
	}
	return out, nil
}

// reverseName returns the reverse-mapping name of a.
func reverseName(a netip.Addr) string {
	a = a.Unmap()
	var b strings.Builder
	if a.Is4() {
		v := a.As4()
		for i := 3; i >= 0; i-- {
			b.WriteString(strconv.Itoa(int(v[i])))
			b.WriteByte('.')
		}
		b.WriteString("in-addr.arpa.")
		return b.String()
	}
	const hex = "0123456789abcdef"
	v := a.As16()
	for i := 15; i >= 0; i-- {
		b.WriteByte(hex[v[i]&0xF])
		b.WriteByte('.')
		b.WriteByte(hex[v[i]>>4])
		b.WriteByte('.')
	}
	b.WriteString("ip6.arpa.")
	return b.String()
}

// SRV is one service location (RFC 2782).
type SRV struct {
	Target   string // without the trailing dot
	Port     uint16
	Priority uint16
	Weight   uint16
}

// LookupSRV returns the SRV records of _service._proto.name (or of name
// itself when service and proto are empty) in the order to try them
// (RFC 2782): by priority, and within one priority by the weighted
// random selection the RFC describes. A single record with target "."
// means the service is decidedly not available: the list is empty.
func (r *Resolver) LookupSRV(ctx context.Context, service, proto, name string) ([]SRV, error) {
	if service != "" || proto != "" {
		name = "_" + service + "._" + proto + "." + name
	}
	n, err := parseHost(name)
	if err != nil {
		return nil, err
	}
	res, err := r.Resolve(ctx, n, dnswire.TypeSRV)
	if err != nil {
		return nil, err
	}
	var out []SRV
	for _, rr := range res.Answer {
		if s, ok := rr.Data.(*dnswire.SRV); ok && rr.Type == dnswire.TypeSRV {
			out = append(out, SRV{Target: trimDot(s.Target.String()), Port: s.Port, Priority: s.Priority, Weight: s.Weight})
		}
	}
	if len(out) == 1 && out[0].Target == "." {
		return nil, nil
	}
	slices.SortStableFunc(out, func(a, b SRV) int { return int(a.Priority) - int(b.Priority) })
	for i := 0; i < len(out); {
		j := i
		for j < len(out) && out[j].Priority == out[i].Priority {
			j++
		}
		weightedOrder(out[i:j], rand.IntN)
		i = j
	}
	return out, nil
}

// weightedOrder orders records of one priority as RFC 2782 says: zero
// weights first, then repeatedly pick a record with probability
// proportional to its weight among those left. intn(n) returns a random
// integer in [0, n).
func weightedOrder(s []SRV, intn func(int) int) {
	slices.SortStableFunc(s, func(a, b SRV) int {
		if (a.Weight == 0) != (b.Weight == 0) {
			if a.Weight == 0 {
				return -1
			}
			return 1
		}
		return 0
	})
	for k := range s {
		sum := 0
		for _, x := range s[k:] {
			sum += int(x.Weight)
		}
		pick := intn(sum + 1)
		run := 0
		for i := k; i < len(s); i++ {
			run += int(s[i].Weight)
			if run >= pick {
				s[k], s[i] = s[i], s[k]
				break
			}
		}
	}
}
