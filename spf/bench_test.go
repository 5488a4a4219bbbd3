package spf

import (
	"context"
	"net"
	"net/netip"
	"testing"
)

// cacheDNS is an in-memory answer cache, standing in for a warm
// resolver cache.
type cacheDNS struct {
	txt map[string][]string
	ip  map[string][]netip.Addr
	mx  map[string][]*net.MX
}

func (c *cacheDNS) LookupTXT(_ context.Context, name string) ([]string, error) {
	if v, ok := c.txt[name]; ok {
		return v, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (c *cacheDNS) LookupNetIP(_ context.Context, network, host string) ([]netip.Addr, error) {
	if v, ok := c.ip[network+" "+host]; ok {
		return v, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func (c *cacheDNS) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	if v, ok := c.mx[name]; ok {
		return v, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (c *cacheDNS) LookupAddr(_ context.Context, addr string) ([]string, error) {
	return nil, &net.DNSError{Err: "no such host", Name: addr, IsNotFound: true}
}

// typicalChain is a record chain shaped like a large provider's: a
// domain record with mx and two includes, one of which includes three
// more lists of ip4/ip6 ranges; the client matches in the last one.
func typicalChain() *cacheDNS {
	return &cacheDNS{
		txt: map[string][]string{
			"crepes.fr":                    {"v=spf1 mx include:_spf.mailer.example include:_spf.provider.example ~all", "google-site-verification=abc"},
			"_spf.mailer.example":          {"v=spf1 ip4:198.51.100.0/24 ip4:198.51.101.0/24 -all"},
			"_spf.provider.example":        {"v=spf1 include:_netblocks.provider.example include:_netblocks2.provider.example include:_netblocks3.provider.example ~all"},
			"_netblocks.provider.example":  {"v=spf1 ip4:35.190.247.0/24 ip4:64.233.160.0/19 ip4:66.102.0.0/20 ip4:66.249.80.0/20 ip4:72.14.192.0/18 ip4:74.125.0.0/16 ~all"},
			"_netblocks2.provider.example": {"v=spf1 ip6:2001:4860:4000::/36 ip6:2404:6800:4000::/36 ip6:2607:f8b0:4000::/36 ~all"},
			"_netblocks3.provider.example": {"v=spf1 ip4:172.217.0.0/19 ip4:172.217.32.0/20 ip4:209.85.128.0/17 ~all"},
		},
		mx: map[string][]*net.MX{"crepes.fr": {{Host: "mail.crepes.fr", Pref: 10}}},
		ip: map[string][]netip.Addr{"ip4 mail.crepes.fr": {netip.MustParseAddr("192.0.2.25")}},
	}
}

func BenchmarkCheckTypicalChain(b *testing.B) {
	c := &Checker{Resolver: typicalChain()}
	ip := netip.MustParseAddr("209.85.220.41")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if out := c.Check(ctx, ip, "mail-sor-f41.provider.example", "alice@crepes.fr"); out.Result != Pass {
			b.Fatal(out.Result, out.Err)
		}
	}
}

func TestTypicalChain(t *testing.T) {
	c := &Checker{Resolver: typicalChain()}
	out := c.Check(context.Background(), netip.MustParseAddr("209.85.220.41"), "h.example", "alice@crepes.fr")
	if out.Result != Pass || out.Mechanism != "include:_spf.provider.example" || out.Lookups != 6 {
		t.Errorf("%+v", out)
	}
	out = c.Check(context.Background(), netip.MustParseAddr("192.0.2.25"), "mail.crepes.fr", "alice@crepes.fr")
	if out.Result != Pass || out.Mechanism != "mx" {
		t.Errorf("%+v", out)
	}
}

// TestTypicalChainAllocs: evaluating the typical chain from a warm
// cache stays within its allocation budget (6 records fetched and
// parsed; macro-free domain-specs are not copied).
func TestTypicalChainAllocs(t *testing.T) {
	c := &Checker{Resolver: typicalChain()}
	ip := netip.MustParseAddr("209.85.220.41")
	ctx := context.Background()
	n := testing.AllocsPerRun(50, func() {
		if out := c.Check(ctx, ip, "mail-sor-f41.provider.example", "alice@crepes.fr"); out.Result != Pass {
			t.Fatal(out.Result, out.Err)
		}
	})
	if n > 40 {
		t.Errorf("%.0f allocs per check, budget 40", n)
	}
}
