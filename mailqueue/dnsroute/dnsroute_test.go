package dnsroute

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"github.com/relaykit/relaykit/internal/dnstest"
	"github.com/relaykit/relaykit/mailqueue"
	"github.com/relaykit/relaykit/resolver"
)

func TestDNSAdapter(t *testing.T) {
	h, err := dnstest.New(dnstest.Config{
		Zones: map[string]string{
			".": `@ NS a.root.test.
a.root.test. A 127.0.0.2
test. NS ns.test.
ns.test. A 127.0.0.3`,
			"test.": `@ NS ns
ns A 127.0.0.3
mx MX 10 mail.mx
mail.mx A 127.0.0.25
nomx A 127.0.0.26
nullmx MX 0 .`,
		},
		Servers: map[string][]string{"127.0.0.2": {"."}, "127.0.0.3": {"test."}},
	})
	if err != nil {
		t.Fatal(err)
	}
	d := Resolver{R: resolver.New(resolver.Config{RootHints: h.RootHints(), AllowSpecialAddrs: true, Transport: h.Transport(), Now: h.Clock.Now})}
	ctx := context.Background()
	mxs, err := d.LookupMX(ctx, "mx.test")
	if err != nil || len(mxs) != 1 || mxs[0] != (mailqueue.MX{Host: "mail.mx.test", Pref: 10}) {
		t.Errorf("LookupMX(mx.test) = %v, %v", mxs, err)
	}
	if mxs, err := d.LookupMX(ctx, "nomx.test"); err != nil || len(mxs) != 0 {
		t.Errorf("LookupMX(nomx.test) = %v, %v; want none (implicit MX is the queue's)", mxs, err)
	}
	if mxs, err := d.LookupMX(ctx, "nullmx.test"); err != nil || len(mxs) != 1 || mxs[0].Host != "." {
		t.Errorf("LookupMX(nullmx.test) = %v, %v; want the null MX", mxs, err)
	}
	if _, err := d.LookupMX(ctx, "missing.test"); !errors.Is(err, mailqueue.ErrNXDomain) {
		t.Errorf("LookupMX(missing.test) err = %v, want ErrNXDomain", err)
	}
	ips, err := d.LookupIP(ctx, "mail.mx.test")
	if err != nil || len(ips) != 1 || ips[0] != netip.MustParseAddr("127.0.0.25") {
		t.Errorf("LookupIP = %v, %v", ips, err)
	}
	if _, err := d.LookupIP(ctx, "missing.test"); !errors.Is(err, mailqueue.ErrNXDomain) {
		t.Errorf("LookupIP(missing) err = %v", err)
	}
	for _, s := range h.Servers() {
		s.SetFault(dnstest.Fault{ServFail: true})
	}
	d.R.Flush()
	if _, err := d.LookupMX(ctx, "mx.test"); !errors.Is(err, mailqueue.ErrDNSTemporary) {
		t.Errorf("SERVFAIL: err = %v, want ErrDNSTemporary", err)
	}
}
