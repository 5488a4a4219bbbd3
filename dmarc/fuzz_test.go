package dmarc

import (
	"strings"
	"testing"
)

func FuzzParseRecord(f *testing.F) {
	f.Add("v=DMARC1; p=reject; sp=quarantine; np=reject; pct=50; adkim=s; rua=mailto:a@b!10m; ruf=mailto:c@d; fo=1:d; ri=3600")
	f.Add("v=DMARC1;p=bogus;rua=x:y")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRecord(s)
		if err != nil {
			return
		}
		r2, err := ParseRecord(r.String())
		if err != nil {
			t.Fatalf("%q -> %q: %v", s, r.String(), err)
		}
		if r2.String() != r.String() {
			t.Fatalf("%q -> %q -> %q", s, r.String(), r2.String())
		}
	})
}

func FuzzOrganizationalDomain(f *testing.F) {
	f.Add("a.b.example.ck")
	f.Add("xn--bcher-kva.xn--55qx5d.cn")
	f.Add("xn--" + strings.Repeat("9", 60))
	l := loadPSL(f)
	f.Fuzz(func(t *testing.T, s string) {
		org := l.OrganizationalDomain(s)
		d := strings.ToLower(strings.TrimSuffix(s, "."))
		if org != d && !strings.HasSuffix(d, "."+org) {
			t.Fatalf("%q: organizational domain %q is not a suffix", s, org)
		}
	})
}
