package dnsroute

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnstest"
	"github.com/relaykit/relaykit/mailqueue"
	"github.com/relaykit/relaykit/resolver"
)

func TestDNSAdapter(t *testing.T) {
	clock := dnstest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	h := dnstest.New(t, dnstest.Config{
		Zones: map[string]string{
			".": `@ SOA a.root.test. hostmaster.root.test. 1 1800 900 604800 86400
@ NS a.root.test.
a.root.test. A 127.0.0.2
test. NS ns.test.
ns.test. A 127.0.0.3`,
			"test.": `@ SOA ns hostmaster 1 3600 600 86400 300
@ NS ns
ns A 127.0.0.3
mx MX 10 mail.mx
mail.mx A 127.0.0.25
nomx A 127.0.0.26
nullmx MX 0 .`,
		},
		Clock: clock,
	})
	d := Resolver{R: resolver.New(resolver.Config{RootHints: h.RootHints(), GluePort: h.Port(), AllowSpecialAddrs: true, Transport: h.Transport(), Now: clock.Now})}
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
