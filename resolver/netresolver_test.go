package resolver_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dkim"
	"github.com/relaykit/relaykit/dmarc"
	"github.com/relaykit/relaykit/dnstest"
	"github.com/relaykit/relaykit/resolver"
	"github.com/relaykit/relaykit/spf"
)

// authLab serves crepes.fr's SPF record, DKIM key and DMARC policy, and
// a reverse zone, from loopback name servers.
func authLab(t *testing.T, pub ed25519.PublicKey) (resolver.NetResolver, *dnstest.Hierarchy) {
	t.Helper()
	clock := dnstest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	h := dnstest.New(t, dnstest.Config{
		Zones: map[string]string{
			".": `@ SOA a.root.test. hostmaster.root.test. 1 1800 900 604800 86400
@ NS a.root.test.
a.root.test. A 127.0.0.2
fr. NS ns.fr.
ns.fr. A 127.0.0.3
in-addr.arpa. NS ns.fr.`,
			"fr.": `@ SOA ns hostmaster 1 3600 600 86400 300
@ NS ns
ns A 127.0.0.3
crepes TXT "v=spf1 mx ptr:crepes.fr -all"
crepes MX 10 smtp.crepes
smtp.crepes A 127.0.0.25
smtp.crepes AAAA 2001:db8::25
mail._domainkey.crepes TXT "v=DKIM1; k=ed25519; p=` + base64.StdEncoding.EncodeToString(pub) + `"
_dmarc.crepes TXT "v=DMARC1; p=reject"`,
			"in-addr.arpa.": `@ SOA ns.fr. hostmaster.fr. 1 3600 600 86400 300
@ NS ns.fr.
25.0.0.127 PTR smtp.crepes.fr.`,
		},
		Clock: clock,
	})
	return resolver.NetResolver{R: resolver.New(resolver.Config{RootHints: h.RootHints(), AllowSpecialAddrs: true, GluePort: h.Port(), Transport: h.Transport(), Now: clock.Now})}, h
}

func TestNetResolver(t *testing.T) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32))
	d, h := authLab(t, key.Public().(ed25519.PublicKey))
	ctx := context.Background()
	var _ spf.Resolver = d // and so dkim.TXTResolver and dmarc.Resolver
	if txt, err := d.LookupTXT(ctx, "_dmarc.crepes.fr"); err != nil || len(txt) != 1 || txt[0] != "v=DMARC1; p=reject" {
		t.Errorf("LookupTXT = %q, %v", txt, err)
	}
	if _, err := d.LookupTXT(ctx, "_dmarc.missing.fr"); !spf.IsNotFound(err) || !dkim.IsNotFound(err) || !dmarc.IsNotFound(err) {
		t.Errorf("NXDOMAIN: err %v not a not-found", err)
	}
	if _, err := d.LookupTXT(ctx, "smtp.crepes.fr"); !spf.IsNotFound(err) {
		t.Errorf("NODATA: err %v not a not-found", err)
	}
	if a, err := d.LookupNetIP(ctx, "ip4", "smtp.crepes.fr"); err != nil || len(a) != 1 || a[0] != netip.MustParseAddr("127.0.0.25") {
		t.Errorf("ip4 = %v, %v", a, err)
	}
	if a, err := d.LookupNetIP(ctx, "ip6", "smtp.crepes.fr"); err != nil || len(a) != 1 || a[0] != netip.MustParseAddr("2001:db8::25") {
		t.Errorf("ip6 = %v, %v", a, err)
	}
	// As published: no implicit MX for a host without MX records.
	if mx, err := d.LookupMX(ctx, "crepes.fr"); err != nil || len(mx) != 1 || mx[0].Host != "smtp.crepes.fr." || mx[0].Pref != 10 {
		t.Errorf("LookupMX = %v, %v", mx, err)
	}
	if mx, err := d.LookupMX(ctx, "smtp.crepes.fr"); !spf.IsNotFound(err) || len(mx) != 0 {
		t.Errorf("LookupMX(no MX) = %v, %v; want not found", mx, err)
	}
	if p, err := d.LookupAddr(ctx, "127.0.0.25"); err != nil || len(p) != 1 || p[0] != "smtp.crepes.fr." {
		t.Errorf("LookupAddr = %v, %v", p, err)
	}
	if a, err := d.LookupNetIP(ctx, "ip", "smtp.crepes.fr"); err != nil || len(a) != 2 {
		t.Errorf("ip = %v, %v", a, err)
	}
	// A name nobody can publish records at is "no record", not a failure.
	if _, err := d.LookupTXT(ctx, strings.Repeat("a", 64)+".crepes.fr"); !spf.IsNotFound(err) {
		t.Errorf("bad name: err %v not a not-found", err)
	}
	// A server failure is temporary, not "no record".
	for _, s := range h.Servers() {
		s.SetFault(dnstest.Fault{ServFail: true})
	}
	d.R.Flush()
	if _, err := d.LookupTXT(ctx, "_dmarc.crepes.fr"); err == nil || spf.IsNotFound(err) {
		t.Errorf("SERVFAIL: err %v, want a temporary error", err)
	}
	if _, err := d.LookupNetIP(ctx, "ip4", "smtp.crepes.fr"); err == nil || spf.IsNotFound(err) {
		t.Errorf("SERVFAIL ip4: err %v, want a temporary error", err)
	}
}

// TestReceiverOverNetResolver: the whole receiving side of sender
// authentication through the adapter, against published records.
func TestReceiverOverNetResolver(t *testing.T) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32))
	d, _ := authLab(t, key.Public().(ed25519.PublicKey))
	psl, err := dmarc.LoadPublicSuffixList(strings.NewReader("fr\n"))
	if err != nil {
		t.Fatal(err)
	}
	rc := dmarc.NewReceiver("mx.hamburger.edu", d, psl)
	msg := []byte("From: alice@crepes.fr\r\nTo: bob@hamburger.edu\r\nSubject: hi\r\n\r\nbonjour\r\n")
	s, err := dkim.NewSigner(dkim.SignOptions{Domain: "crepes.fr", Selector: "mail", Key: key})
	if err != nil {
		t.Fatal(err)
	}
	s.Write(msg)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	env := dmarc.Envelope{IP: netip.MustParseAddr("127.0.0.25"), Helo: "smtp.crepes.fr", MailFrom: "alice@crepes.fr"}
	v, err := rc.Evaluate(ctx, env, append(s.Fields(), msg...))
	if err != nil {
		t.Fatal(err)
	}
	if v.SPF.Result != spf.Pass || len(v.DKIM) != 1 || v.DKIM[0].Status != dkim.Pass || v.DMARC.Result != dmarc.Pass || v.Reject {
		t.Errorf("Alice: spf %v dkim %+v dmarc %v reject %v", v.SPF, v.DKIM, v.DMARC.Result, v.Reject)
	}
	env = dmarc.Envelope{IP: netip.MustParseAddr("127.0.0.66"), Helo: "evil.example", MailFrom: "alice@crepes.fr"}
	v, err = rc.Evaluate(ctx, env, msg)
	if err != nil {
		t.Fatal(err)
	}
	if v.SPF.Result != spf.Fail || !v.Reject || !strings.Contains(v.Reason, "DMARC policy of crepes.fr is reject") {
		t.Errorf("forgery: spf %v reject %v reason %q", v.SPF, v.Reject, v.Reason)
	}
}
