package resolver

import (
	"context"
	"testing"

	"github.com/relaykit/relaykit/dane"
	"github.com/relaykit/relaykit/dnswire"
)

// TestDANEFromValidatingResolver: the iterative Resolver's own
// validation drives DANE (RFC 7672 2.2): dane.FromResolver over it finds
// the signed lab's TLSA record Secure (authenticate), an unsigned zone's
// answer Insecure (no DANE), and a forged TLSA bogus (defer), with no
// separate Validator.
func TestDANEFromValidatingResolver(t *testing.T) {
	a := newLabAuth(t)
	r := labResolver(t, a)
	ctx := context.Background()
	res, err := dane.FromResolver(r).LookupTLSA(ctx, "_25._tcp.mx.sec.lab")
	if err != nil || res.Verdict != dane.Secure || len(res.Records) != 1 || dane.Decide(res, err) != dane.Authenticate {
		t.Fatalf("signed TLSA: %+v %v", res, err)
	}
	res, err = dane.FromResolver(r).LookupTLSA(ctx, "_25._tcp.www.insec.lab.")
	if got := dane.Decide(res, err); got != dane.NoDANE || res.Verdict != dane.Insecure {
		t.Fatalf("insecure zone: %v %+v %v", got, res, err)
	}

	forged := newLabAuth(t)
	forged.edit = func(q dnswire.Name, ty dnswire.Type, m *dnswire.Msg) {
		if ty != dnswire.TypeTLSA {
			return
		}
		for i := range m.Answer {
			if x, ok := m.Answer[i].Data.(*dnswire.TLSA); ok {
				c := *x
				c.Data = append([]byte{c.Data[0] ^ 0xFF}, c.Data[1:]...)
				m.Answer[i].Data = &c
			}
		}
	}
	r = labResolver(t, forged)
	res, err = dane.FromResolver(r).LookupTLSA(ctx, "_25._tcp.mx.sec.lab.")
	if got := dane.Decide(res, err); got != dane.Defer || err == nil {
		t.Fatalf("forged TLSA: %v %+v %v", got, res, err)
	}
}
