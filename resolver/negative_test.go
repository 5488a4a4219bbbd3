package resolver

import (
	"context"
	"errors"
	"testing"

	"github.com/relaykit/relaykit/dnstest"
	"github.com/relaykit/relaykit/dnswire"
)

// TestNegativeShapes: RFC 2308 2.1 and 2.2: each shape of an empty or
// negative response from example.com's servers, and what it means.
func TestNegativeShapes(t *testing.T) {
	soa := func(owner string) dnswire.RR {
		return rrOf(owner, dnswire.TypeSOA, &dnswire.SOA{MName: dnswire.MustName("ns1.example.com."), RName: dnswire.MustName("h.example.com."), Serial: 1, Minimum: 300})
	}
	ns := func(owner, host string) dnswire.RR {
		return rrOf(owner, dnswire.TypeNS, &dnswire.NS{Host: dnswire.MustName(host)})
	}
	tests := []struct {
		name   string
		edit   func(m *dnswire.Msg)
		want   error // ErrNoData, ErrNXDomain, or ErrServFail
		cached bool  // the negative answer is cached
	}{
		{"NODATA type 1: SOA and NS, AA", func(m *dnswire.Msg) {
			m.Authoritative = true
			m.Ns = []dnswire.RR{soa("example.com."), ns("example.com.", "ns1.example.com.")}
		}, ErrNoData, true},
		{"NODATA type 2: SOA, AA", func(m *dnswire.Msg) {
			m.Authoritative = true
			m.Ns = []dnswire.RR{soa("example.com.")}
		}, ErrNoData, true},
		{"NODATA type 2 without AA: SOA", func(m *dnswire.Msg) {
			m.Authoritative = false
			m.Ns = []dnswire.RR{soa("example.com.")}
		}, ErrNoData, true},
		{"NODATA type 3: nothing, AA", func(m *dnswire.Msg) {
			m.Authoritative = true
			m.Ns = nil
		}, ErrNoData, false},
		{"NODATA type 4: NS of the zone, AA", func(m *dnswire.Msg) {
			m.Authoritative = true
			m.Ns = []dnswire.RR{ns("example.com.", "ns1.example.com.")}
		}, ErrNoData, false},
		{"lame: NS of the zone, no AA, no SOA", func(m *dnswire.Msg) {
			m.Authoritative = false
			m.Ns = []dnswire.RR{ns("example.com.", "ns1.example.com.")}
		}, ErrServFail, false},
		{"lame: nothing, no AA", func(m *dnswire.Msg) {
			m.Authoritative = false
			m.Ns = nil
		}, ErrServFail, false},
		{"lame: upward referral to the root", func(m *dnswire.Msg) {
			m.Authoritative = false
			m.Ns = []dnswire.RR{ns(".", "a.root-servers.net.")}
		}, ErrServFail, false},
		{"NODATA: SOA of another zone is not the zone's SOA, AA", func(m *dnswire.Msg) {
			m.Authoritative = true
			m.Ns = []dnswire.RR{soa("example.net.")}
		}, ErrNoData, false},
		{"NXDOMAIN type 2: SOA, AA", func(m *dnswire.Msg) {
			m.Authoritative = true
			m.RCode = dnswire.RCodeNameError
			m.Ns = []dnswire.RR{soa("example.com.")}
		}, ErrNXDomain, true},
		{"NXDOMAIN type 3: nothing", func(m *dnswire.Msg) {
			m.Authoritative = true
			m.RCode = dnswire.RCodeNameError
			m.Ns = nil
		}, ErrNXDomain, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, r := newTest(t, Config{})
			mustResolve(t, r, "www.example.com.", dnswire.TypeA) // learn the delegation
			edit := func(m *dnswire.Msg) {
				if len(m.Question) == 1 && m.Question[0].Name.Equal(dnswire.MustName("www.example.com.")) && m.Question[0].Type == dnswire.TypeTXT {
					m.Answer, m.Extra = nil, nil
					tc.edit(m)
				}
			}
			for _, a := range []string{"127.0.0.5", "127.0.0.6"} {
				h.Server(a).SetFault(dnstest.Fault{Edit: edit})
			}
			res, err := r.Resolve(context.Background(), dnswire.MustName("www.example.com."), dnswire.TypeTXT)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v (%v), want %v", err, res.RCode, tc.want)
			}
			n := h.QueryCount()
			r.Resolve(context.Background(), dnswire.MustName("www.example.com."), dnswire.TypeTXT)
			if cached := h.QueryCount() == n; cached != tc.cached && tc.want != ErrServFail {
				t.Errorf("cached %v, want %v", cached, tc.cached)
			}
		})
	}
}
