package dnstest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnstest"
	"github.com/relaykit/relaykit/dnswire"
	"github.com/relaykit/relaykit/resolver"
)

// signedZones is the hierarchy of the package tests with a wildcard, a
// TLSA record for DANE and an unsigned zone under edu.
func signedZones() map[string]string {
	return map[string]string{
		".": rootZone,
		"edu.": eduZone + "hamburger NS dns1.hamburger\ndns1.hamburger A 127.0.0.4\n" +
			"plain NS ns.plain\nns.plain A 127.0.0.5\n",
		"hamburger.edu.": hamburgerZone + "*.wild TXT \"any\"\n" +
			"_25._tcp.mail TLSA 3 1 1 0000000000000000000000000000000000000000000000000000000000000000\n",
		"plain.edu.": "@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 127.0.0.5\nwww A 127.0.0.80\n",
	}
}

func TestSignedHierarchy(t *testing.T) {
	for _, n3 := range []*dnswire.NSEC3PARAM{nil, {HashAlg: 1, Iterations: 0}} {
		t.Run(fmt.Sprintf("nsec3=%v", n3 != nil), func(t *testing.T) {
			h := dnstest.New(t, dnstest.Config{Zones: signedZones(), Sign: &dnstest.Signing{Unsigned: []string{"plain.edu."}, NSEC3: n3}})
			anchor := h.TrustAnchor()
			if len(anchor) != 1 || !anchor[0].Name.IsRoot() || anchor[0].Type != dnswire.TypeDS {
				t.Fatalf("trust anchor %v", anchor)
			}
			if len(h.SigningKeys("hamburger.edu.")) != 1 || h.SigningKeys("plain.edu.") != nil {
				t.Errorf("signing keys")
			}
			v := &resolver.Validator{Anchors: anchor, Query: h.Query}
			ctx := context.Background()
			for _, c := range []struct {
				name  string
				typ   dnswire.Type
				want  resolver.Security
				count int
			}{
				// (www.hamburger.edu, a CNAME, is left out: the
				// validator asks DS at every label and takes the
				// signed CNAME that answers DS there for no proof.)
				{"web.hamburger.edu.", dnswire.TypeA, resolver.Secure, 2},
				{"hamburger.edu.", dnswire.TypeMX, resolver.Secure, 1},
				{"_25._tcp.mail.hamburger.edu.", dnswire.TypeTLSA, resolver.Secure, 1},
				{"x.wild.hamburger.edu.", dnswire.TypeTXT, resolver.Secure, 1},
				{"x.wild.hamburger.edu.", dnswire.TypeA, resolver.Secure, 0},
				{"nope.hamburger.edu.", dnswire.TypeA, resolver.Secure, 0},
				{"mail.hamburger.edu.", dnswire.TypeAAAA, resolver.Secure, 0},
				{"nope.edu.", dnswire.TypeA, resolver.Secure, 0},
				{"hamburger.edu.", dnswire.TypeDS, resolver.Secure, 1},
				{"www.plain.edu.", dnswire.TypeA, resolver.Insecure, 1},
			} {
				a, err := v.Resolve(ctx, dnswire.MustName(c.name), c.typ)
				if err != nil || a.Security != c.want || len(a.Records) != c.count {
					t.Errorf("%s %s: %v, %d records, %v; want %v, %d", c.name, c.typ, a.Security, len(a.Records), err, c.want, c.count)
				}
			}
		})
	}
}

// TestSignedHierarchyExpired: signatures whose validity has ended are
// bogus to a validator, so the test can fail.
func TestSignedHierarchyExpired(t *testing.T) {
	past := func() time.Time { return time.Now().Add(-30 * 24 * time.Hour) }
	h := dnstest.New(t, dnstest.Config{Zones: signedZones(), Sign: &dnstest.Signing{Now: past, Validity: 24 * time.Hour}})
	v := &resolver.Validator{Anchors: h.TrustAnchor(), Query: h.Query}
	a, err := v.Resolve(context.Background(), dnswire.MustName("web.hamburger.edu."), dnswire.TypeA)
	if a.Security != resolver.Bogus || !errors.Is(err, resolver.ErrBogus) {
		t.Errorf("expired: %v %v", a.Security, err)
	}
	h.Close()
	if _, err := h.Query(context.Background(), dnswire.MustName("www.example."), dnswire.TypeA); !errors.Is(err, dnstest.ErrNoServer) {
		t.Errorf("closed hierarchy: %v", err)
	}
}

// Example_signed stands up a signed hierarchy and validates an answer
// from the root's trust anchor down.
func Example_signed() {
	h, err := dnstest.Start(dnstest.Config{Zones: signedZones(), Sign: &dnstest.Signing{Unsigned: []string{"plain.edu."}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer h.Close()
	v := &resolver.Validator{Anchors: h.TrustAnchor(), Query: h.Query}
	ctx := context.Background()
	for _, name := range []string{"_25._tcp.mail.hamburger.edu.", "www.plain.edu."} {
		a, err := v.Resolve(ctx, dnswire.MustName(name), dnswire.TypeTLSA)
		fmt.Println(name, a.Security, len(a.Records), err)
	}
	// Output:
	// _25._tcp.mail.hamburger.edu. secure 1 <nil>
	// www.plain.edu. insecure 0 <nil>
}
