package dane

import (
	"context"
	"errors"
	"testing"

	"github.com/relaykit/relaykit/dnswire"
)

type fakeValidating struct {
	rrs    []dnswire.RR
	secure bool
	err    error
	asked  dnswire.Name
}

func (f *fakeValidating) ResolveValidated(_ context.Context, n dnswire.Name, t dnswire.Type) ([]dnswire.RR, bool, error) {
	f.asked = n
	return f.rrs, f.secure, f.err
}

func TestFromResolver(t *testing.T) {
	rec := dnswire.RR{RRHeader: dnswire.RRHeader{Name: dnswire.MustName("_25._tcp.mx.example."), Type: dnswire.TypeTLSA},
		Data: &dnswire.TLSA{Usage: 3, Selector: 1, MatchingType: 1, Data: make([]byte, 32)}}
	cases := []struct {
		name string
		f    fakeValidating
		want Action
	}{
		{"secure", fakeValidating{rrs: []dnswire.RR{rec}, secure: true}, Authenticate},
		{"insecure", fakeValidating{rrs: []dnswire.RR{rec}}, NoDANE},
		{"secure denial", fakeValidating{secure: true}, NoDANE},
		{"bogus", fakeValidating{err: errors.New("bogus")}, Defer},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := FromResolver(&tc.f).LookupTLSA(context.Background(), "_25._tcp.mx.example")
			if got := Decide(res, err); got != tc.want {
				t.Fatalf("action %v, want %v (%+v, %v)", got, tc.want, res, err)
			}
			if tc.f.asked.String() != "_25._tcp.mx.example." {
				t.Fatalf("asked %v", tc.f.asked)
			}
		})
	}
}
