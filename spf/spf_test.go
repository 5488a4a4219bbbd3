package spf

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
)

func TestMacroRFC7208Examples(t *testing.T) {
	// RFC 7208 7.4.
	env := &macroEnv{
		sender: "strong-bad@email.example.com", local: "strong-bad", senderD: "email.example.com",
		domain: "email.example.com", ip: netip.MustParseAddr("192.0.2.3"),
	}
	for in, want := range map[string]string{
		"%{s}":                              "strong-bad@email.example.com",
		"%{o}":                              "email.example.com",
		"%{d}":                              "email.example.com",
		"%{d4}":                             "email.example.com",
		"%{d3}":                             "email.example.com",
		"%{d2}":                             "example.com",
		"%{d1}":                             "com",
		"%{dr}":                             "com.example.email",
		"%{d2r}":                            "example.email",
		"%{l}":                              "strong-bad",
		"%{l-}":                             "strong.bad",
		"%{lr}":                             "strong-bad",
		"%{lr-}":                            "bad.strong",
		"%{l1r-}":                           "strong",
		"%{ir}.%{v}._spf.%{d2}":             "3.2.0.192.in-addr._spf.example.com",
		"%{lr-}.lp._spf.%{d2}":              "bad.strong.lp._spf.example.com",
		"%{lr-}.lp.%{ir}.%{v}._spf.%{d2}":   "bad.strong.lp.3.2.0.192.in-addr._spf.example.com",
		"%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}":  "3.2.0.192.in-addr.strong.lp._spf.example.com",
		"%{d2}.trusted-domains.example.net": "example.com.trusted-domains.example.net",
		"%%%_%-":                            "% %20",
		"%{S}":                              "strong-bad%40email.example.com",
	} {
		got, err := expand(in, env, false)
		if err != nil || got != want {
			t.Errorf("%s: %q %v, want %q", in, got, err, want)
		}
	}
	env.ip = netip.MustParseAddr("2001:db8::cb01")
	got, _ := expand("%{ir}.%{v}._spf.%{d2}", env, false)
	if want := "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"; got != want {
		t.Errorf("IPv6: %q", got)
	}
	for _, bad := range []string{"%", "%x", "%{", "%{x}", "%{d0}", "%{d2q}", "%{c}", "%{t}"} {
		if _, err := expand(bad, env, false); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := expand("%{c} %{r} %{t}", env, true); err != nil {
		t.Errorf("exp macros: %v", err)
	}
}

// countingDNS answers every name with a record built by rec and counts
// the questions.
type countingDNS struct {
	rec     func(name string) string
	queries int
}

func (c *countingDNS) LookupTXT(_ context.Context, name string) ([]string, error) {
	c.queries++
	return []string{c.rec(name)}, nil
}

func (c *countingDNS) LookupNetIP(_ context.Context, network, host string) ([]netip.Addr, error) {
	c.queries++
	return nil, &net.DNSError{Err: "no data", Name: host, IsNotFound: true}
}

func (c *countingDNS) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	c.queries++
	var out []*net.MX
	for i := range 50 {
		out = append(out, &net.MX{Host: fmt.Sprintf("mx%d.%s", i, name)})
	}
	return out, nil
}

func (c *countingDNS) LookupAddr(_ context.Context, addr string) ([]string, error) {
	c.queries++
	var out []string
	for i := range 50 {
		out = append(out, fmt.Sprintf("h%d.example.org", i))
	}
	return out, nil
}

// TestHostileRecordLimits: records built to make a checker loop or fan
// out stop at the RFC 7208 4.6.4 limits.
func TestHostileRecordLimits(t *testing.T) {
	ip := netip.MustParseAddr("192.0.2.1")
	for _, tc := range []struct {
		name string
		rec  func(string) string
		err  error
		maxQ int
	}{
		{"include loop", func(string) string { return "v=spf1 include:%{d} -all" }, ErrTooManyLookups, 12},
		{"include fan", func(n string) string { return "v=spf1 include:a." + n + " include:b." + n + " -all" }, ErrTooManyLookups, 12},
		{"redirect chain", func(n string) string { return "v=spf1 redirect=x." + n }, ErrTooManyLookups, 12},
		{"void a", func(string) string { return "v=spf1 a:a.example a:b.example a:c.example a:d.example -all" }, ErrTooManyVoidLookups, 5},
		{"exists void", func(string) string { return "v=spf1 exists:x.example exists:y.example exists:z.example +all" }, ErrTooManyVoidLookups, 5},
		{"many mx", func(string) string { return "v=spf1 mx -all" }, ErrTooManyLookups, 3},
		{"many terms", func(string) string { return "v=spf1" + strings.Repeat(" a:x.example/24", 11) + " -all" }, nil, 30},
		{"ptr fan", func(string) string { return "v=spf1 ptr ptr ptr -all" }, nil, 40},
	} {
		dns := &countingDNS{rec: tc.rec}
		out := (&Checker{Resolver: dns}).Check(context.Background(), ip, "helo.example", "a@example.com")
		if tc.err != nil && (out.Result != PermError || !errors.Is(out.Err, tc.err)) {
			t.Errorf("%s: %s %v", tc.name, out.Result, out.Err)
		}
		if out.Lookups > 11 {
			t.Errorf("%s: %d DNS-querying terms evaluated", tc.name, out.Lookups)
		}
		if dns.queries > tc.maxQ {
			t.Errorf("%s: %d DNS queries, budget %d", tc.name, dns.queries, tc.maxQ)
		}
	}
}

func TestRecordString(t *testing.T) {
	for _, s := range []string{
		"v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx:example.org/24//64 -all",
		"v=spf1 include:_spf.example.com ~all exp=explain.%{d}",
		"v=spf1 ?exists:%{ir}.%{v}._spf.%{d2} redirect=_spf.example.net",
		"v=spf1 ptr:example.org a//64 -ip4:192.0.2.1 moo=cow",
	} {
		r, err := ParseRecord(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if got := r.String(); got != s {
			t.Errorf("String: %q, want %q", got, s)
		}
	}
	for _, bad := range []string{
		"v=spf1 foo", "v=spf1 ip4:1.2.3.4/33", "v=spf1 ip4:::1", "v=spf1 ip6:1.2.3.4",
		"v=spf1 a/024", "v=spf1 include", "v=spf1 redirect=a.com redirect=b.com",
		"v=spf1 a:foo", "v=spf1 all:x", "v=spf1 exists:%{z}.com", "v=spf1 -all\x01",
		"v=spf1 1abc=x", "v=spf1 mx:example.com/", "v=spf10",
	} {
		if _, err := ParseRecord(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
