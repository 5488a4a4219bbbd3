package zone

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

const catalogZone = `
@	0	SOA	invalid. invalid. 1 3600 600 86400 0
@	0	NS	invalid.
version	TXT	"2"
a1.zones	PTR	example.com.
b2.zones	PTR	example.org.
`

func memberZone(t *testing.T, origin string) *Zone {
	t.Helper()
	z, err := parseText(origin, "@ SOA ns hm 1 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.80\n")
	if err != nil {
		t.Fatal(err)
	}
	return z
}

// TestCatalogSecondary: a secondary given a catalog zone (RFC 9432)
// follows its members, and after an UPDATE of the catalog on the primary
// (announced by NOTIFY) drops the member removed and follows the one
// added.
func TestCatalogSecondary(t *testing.T) {
	sec := &Server{Now: func() time.Time { return testNow }}
	startServer(t, sec)
	prim := &Server{Keys: []*dnswire.TSIGKey{admin}, Now: func() time.Time { return testNow },
		UpdatePolicy: []UpdateRule{{Key: admin.Name, Name: dnswire.MustName("catalog.invalid.")}},
		TransferFrom: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		Notify:       []netip.AddrPort{sec.Addr()}}
	cat, err := parseText("catalog.invalid.", catalogZone)
	if err != nil {
		t.Fatal(err)
	}
	prim.AddZone(cat)
	for _, o := range []string{"example.com.", "example.org.", "example.net."} {
		prim.AddZone(memberZone(t, o))
	}
	startServer(t, prim)

	got := make(refreshes, 16)
	catalog := dnswire.MustName("catalog.invalid.")
	if err := sec.AddSecondary(Secondary{Origin: catalog, Primary: prim.Addr(), Catalog: true,
		OnRefresh: func(z *Zone, err error) { got <- refreshed{z, err} }}); err != nil {
		t.Fatal(err)
	}
	// waitFor reads refreshes until every origin in want was served.
	waitFor := func(want ...string) {
		t.Helper()
		left := map[string]bool{}
		for _, w := range want {
			left[w] = true
		}
		for len(left) > 0 {
			r := got.next(t)
			if r.err != nil {
				t.Fatalf("refresh: %v", r.err)
			}
			if r.z != nil {
				delete(left, r.z.Origin().String())
			}
		}
	}
	waitFor("catalog.invalid.", "example.com.", "example.org.")
	if sec.Zone(dnswire.MustName("example.net.")) != nil {
		t.Error("example.net. served before the catalog lists it")
	}
	if _, r := ask(t, sec, query("www.example.org.", dnswire.TypeA)); r.RCode != "NOERROR" || len(r.Answer) != 1 {
		t.Errorf("member not answered: %+v", r)
	}

	u := dnswire.NewUpdate(catalog)
	u.UpdateDelete(rr(t, "b2.zones.catalog.invalid. 0 IN PTR example.org."))
	u.UpdateAdd(rr(t, "c3.zones.catalog.invalid. 0 IN PTR example.net."))
	if m := send(t, prim, u, admin, testNow); m.RCode != dnswire.RCodeSuccess {
		t.Fatal(m.RCode)
	}
	waitFor("catalog.invalid.", "example.net.")
	if sec.Zone(dnswire.MustName("example.org.")) != nil || sec.isSecondary(dnswire.MustName("example.org.")) {
		t.Error("example.org. still served after its removal from the catalog")
	}
	if sec.Zone(dnswire.MustName("example.com.")) == nil || sec.Zone(dnswire.MustName("example.net.")) == nil {
		t.Error("members missing")
	}
	if err := sec.AddSecondary(Secondary{Origin: catalog, Primary: prim.Addr()}); err == nil {
		t.Error("a zone followed twice")
	}
	// Removing the catalog removes its members.
	if err := sec.RemoveSecondary(catalog); err != nil {
		t.Fatal(err)
	}
	for _, o := range []string{"catalog.invalid.", "example.com.", "example.net."} {
		if sec.Zone(dnswire.MustName(o)) != nil {
			t.Errorf("%s served after the catalog was removed", o)
		}
	}
	if err := sec.RemoveSecondary(catalog); err != ErrNoPrimary {
		t.Errorf("second removal: %v", err)
	}
}

func TestCatalogMembers(t *testing.T) {
	for name, tc := range map[string]struct {
		text string
		ok   bool
		want map[string]string
	}{
		"two":        {catalogZone, true, map[string]string{"example.com.": "a1.zones.catalog.invalid.", "example.org.": "b2.zones.catalog.invalid."}},
		"version 1":  {strings.Replace(catalogZone, `"2"`, `"1"`, 1), false, nil},
		"no version": {"@ 0 SOA invalid. invalid. 1 2 3 4 5\n@ NS invalid.\na.zones PTR example.com.\n", false, nil},
		// RFC 9432 4.1: two PTRs at one ID are broken; a zone listed
		// twice counts once (the first ID in canonical order).
		"broken": {"@ 0 SOA invalid. invalid. 1 2 3 4 5\n@ NS invalid.\nversion TXT \"2\"\na.zones PTR x.test.\na.zones PTR y.test.\nb.zones PTR z.test.\nc.zones PTR z.test.\n" +
			"group.b.zones TXT \"not a member\"\n", true, map[string]string{"z.test.": "b.zones.catalog.invalid."}},
	} {
		z, err := parseText("catalog.invalid.", tc.text)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		m, ok := catalogMembers(z)
		if ok != tc.ok || len(m) != len(tc.want) {
			t.Errorf("%s: %v %v", name, m, ok)
			continue
		}
		for k, v := range tc.want {
			if id, have := m[dnswire.MustName(k).Lower()]; !have || !id.Equal(dnswire.MustName(v)) {
				t.Errorf("%s: %s -> %v", name, k, m)
			}
		}
	}
}
