package spf_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	"github.com/relaykit/relaykit/spf"
)

// zone is a tiny map-backed spf.Resolver.
type zone struct {
	txt map[string][]string
	a   map[string][]netip.Addr
}

func notFound(name string) error {
	return &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (z zone) LookupTXT(_ context.Context, name string) ([]string, error) {
	if v, ok := z.txt[name]; ok {
		return v, nil
	}
	return nil, notFound(name)
}

func (z zone) LookupNetIP(_ context.Context, network, host string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, a := range z.a[host] {
		if a.Is4() == (network == "ip4") {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, notFound(host)
	}
	return out, nil
}

func (z zone) LookupMX(_ context.Context, name string) ([]*net.MX, error) { return nil, notFound(name) }
func (z zone) LookupAddr(_ context.Context, addr string) ([]string, error) {
	return nil, notFound(addr)
}

func Example() {
	dns := zone{
		txt: map[string][]string{
			"crepes.fr":     {"v=spf1 a:mail.crepes.fr -all exp=why.crepes.fr"},
			"why.crepes.fr": {"%{i} is not one of %{d}'s mail servers"},
		},
		a: map[string][]netip.Addr{"mail.crepes.fr": {netip.MustParseAddr("192.0.2.25")}},
	}
	c := &spf.Checker{Resolver: dns}
	ctx := context.Background()

	out := c.Check(ctx, netip.MustParseAddr("192.0.2.25"), "mail.crepes.fr", "alice@crepes.fr")
	fmt.Println(out.Result, out.Mechanism)

	out = c.Check(ctx, netip.MustParseAddr("203.0.113.9"), "evil.example", "alice@crepes.fr")
	fmt.Println(out.Result, out.Mechanism)
	fmt.Println(out.Explanation)
	// Output:
	// pass a:mail.crepes.fr
	// fail -all
	// 203.0.113.9 is not one of crepes.fr's mail servers
}
