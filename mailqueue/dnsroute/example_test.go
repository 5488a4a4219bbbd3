package dnsroute_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/relaykit/relaykit/dnstest"
	"github.com/relaykit/relaykit/mailqueue"
	"github.com/relaykit/relaykit/mailqueue/dnsroute"
	"github.com/relaykit/relaykit/resolver"
)

// The queue's routing through relaykit's resolver. Here the resolver asks
// a small hierarchy on loopback; a real relay gives it the real root
// servers (resolver.Config's zero value) and passes the adapter as
// mailqueue.Config.Resolver.
func Example() {
	h, err := dnstest.Start(dnstest.Config{Zones: map[string]string{
		".":     "@ SOA a.root.test. h.root.test. 1 3600 600 86400 300\n@ NS a.root.test.\na.root.test. A 127.0.0.2\ntest. NS ns.test.\nns.test. A 127.0.0.3",
		"test.": "@ SOA ns h 1 3600 600 86400 300\n@ NS ns\nns A 127.0.0.3\nexample MX 10 mx.example\nmx.example A 192.0.2.25\nnomail MX 0 .",
	}})
	if err != nil {
		panic(err)
	}
	defer h.Close()
	res := dnsroute.Resolver{R: resolver.New(resolver.Config{
		RootHints: h.RootHints(), GluePort: h.Port(), AllowSpecialAddrs: true,
	})}
	ctx := context.Background()
	mxs, _ := res.LookupMX(ctx, "example.test")
	ips, _ := res.LookupIP(ctx, mxs[0].Host)
	fmt.Println(mxs[0].Pref, mxs[0].Host, ips)
	null, _ := res.LookupMX(ctx, "nomail.test")
	fmt.Printf("null MX: %q\n", null[0].Host)
	_, err = res.LookupMX(ctx, "missing.test")
	fmt.Println("missing.test:", errors.Is(err, mailqueue.ErrNXDomain))
	// Output:
	// 10 mx.example.test [192.0.2.25]
	// null MX: "."
	// missing.test: true
}
