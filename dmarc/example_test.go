package dmarc_test

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/relaykit/relaykit/dkim"
	"github.com/relaykit/relaykit/dmarc"
	"github.com/relaykit/relaykit/spf"
)

type txt map[string][]string

func (m txt) LookupTXT(_ context.Context, name string) ([]string, error) {
	if v, ok := m[name]; ok {
		return v, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func Example() {
	// In production: os.Open("/usr/share/publicsuffix/public_suffix_list.dat").
	psl, _ := dmarc.LoadPublicSuffixList(strings.NewReader("fr\nedu\n"))
	c := &dmarc.Checker{
		Resolver: txt{"_dmarc.crepes.fr": {"v=DMARC1; p=reject; rua=mailto:dmarc@crepes.fr"}},
		PSL:      psl,
	}
	ctx := context.Background()

	// Alice's message: SPF passed for crepes.fr's server, DKIM for crepes.fr.
	good := c.Check(ctx, dmarc.Input{
		FromDomain: "crepes.fr", SPF: spf.Pass, MailFromDomain: "crepes.fr",
		DKIM: []dkim.Result{{Status: dkim.Pass, Signature: &dkim.Signature{Domain: "crepes.fr"}}},
	})
	fmt.Println(good.Result, good.Disposition)

	// A forgery: From says crepes.fr, but only evil.example authenticated.
	bad := c.Check(ctx, dmarc.Input{FromDomain: "crepes.fr", SPF: spf.Pass, MailFromDomain: "evil.example"})
	fmt.Println(bad.Result, bad.Disposition)
	// Output:
	// pass none
	// fail reject
}
