package resolver_test

import (
	"context"
	"testing"

	"github.com/relaykit/relaykit/dnstest"
	"github.com/relaykit/relaykit/dnswire"
	"github.com/relaykit/relaykit/resolver"
)

// TestValidatesCNAMEOwner: looking for zone cuts, the validating
// resolver asks DS at every name below a secure zone; at an alias the
// authoritative server answers with the signed CNAME instead of a
// NODATA proof (RFC 1034 4.3.2). A name that owns a CNAME owns nothing
// else (RFC 2181 10.1), so it is no zone cut: the answer is secure, as
// Unbound and BIND judge it, not bogus.
func TestValidatesCNAMEOwner(t *testing.T) {
	h := dnstest.New(t, dnstest.Config{Sign: &dnstest.Signing{}, Zones: map[string]string{
		".": `@ SOA ns.root. h.root. 1 3600 600 86400 300
@ NS ns.root.
ns.root. A 127.0.0.2
test. NS ns.test.
ns.test. A 127.0.0.3`,
		"test.": `@ SOA ns h 1 3600 600 86400 300
@ NS ns
ns A 127.0.0.3
www CNAME web
web A 127.0.1.1
web A 127.0.1.2
elsewhere CNAME www`,
	}})
	r := resolver.New(resolver.Config{RootHints: h.RootHints(), GluePort: h.Port(), AllowSpecialAddrs: true,
		DNSSEC: true, TrustAnchors: h.TrustAnchor()})
	ctx := context.Background()
	for _, name := range []string{"www.test.", "web.test.", "www.test.", "elsewhere.test."} {
		res, err := r.Resolve(ctx, dnswire.MustName(name), dnswire.TypeA)
		if err != nil {
			t.Fatalf("%s A: %v", name, err)
		}
		if res.Security != resolver.Secure {
			t.Errorf("%s A: %v, want secure", name, res.Security)
		}
	}
	res, err := r.Resolve(ctx, dnswire.MustName("www.test."), dnswire.TypeCNAME)
	if err != nil || res.Security != resolver.Secure || len(res.Answer) != 1 {
		t.Errorf("www.test. CNAME: %v %v %v", res.Answer, res.Security, err)
	}
}
