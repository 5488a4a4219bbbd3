package dmarc

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/relaykit/relaykit/dkim"
	"github.com/relaykit/relaykit/rfc5322"
	"github.com/relaykit/relaykit/spf"
)

type fakeDNS map[string][]string

func (f fakeDNS) LookupTXT(_ context.Context, name string) ([]string, error) {
	v, ok := f[name]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
	}
	if v == nil {
		return nil, errors.New("SERVFAIL")
	}
	return v, nil
}

func loadPSL(t testing.TB) *PublicSuffixList {
	f, err := os.Open("testdata/psl.dat")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l, err := LoadPublicSuffixList(f)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestParseRecord(t *testing.T) {
	r, err := ParseRecord("v=DMARC1; p=reject; sp=quarantine; np=reject; pct=50; adkim=s; aspf=r; " +
		"rua=mailto:agg@crepes.fr!10m,mailto:x@y.example; ruf=mailto:f@crepes.fr; fo=1:d; ri=3600; foo=bar")
	if err != nil {
		t.Fatal(err)
	}
	want := &Record{Policy: PolicyReject, SubdomainPolicy: PolicyQuarantine, NonexistentPolicy: PolicyReject,
		Percent: 50, ADKIM: Strict, ASPF: Relaxed,
		RUA:            []URI{{"mailto:agg@crepes.fr", 10 << 20}, {"mailto:x@y.example", 0}},
		RUF:            []URI{{"mailto:f@crepes.fr", 0}},
		FailureOptions: "1:d", ReportFormat: "afrf", ReportInterval: 3600}
	if d := cmp.Diff(want, r); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	r2, err := ParseRecord(r.String())
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(r, r2); d != "" {
		t.Errorf("String round trip %q:\n%s", r.String(), d)
	}
	// Defaults.
	r, _ = ParseRecord("v=DMARC1;p=none")
	if r.SubdomainPolicy != PolicyNone || r.Percent != 100 || r.ADKIM != Relaxed || r.ReportInterval != 86400 {
		t.Errorf("defaults: %+v", r)
	}
	// RFC 7489 6.6.3: bad p= with a valid rua= is p=none.
	r, err = ParseRecord("v=DMARC1; p=bogus; rua=mailto:a@b.example")
	if err != nil || r.Policy != PolicyNone || !r.PolicyDefaulted {
		t.Errorf("bad p with rua: %+v %v", r, err)
	}
	for _, bad := range []string{
		"v=DMARC2; p=none", "p=none; v=DMARC1", "v=DMARC1", "v=DMARC1; p=bogus",
		"v=DMARC1; p=none; pct=101", "v=DMARC1; p=none; adkim=x", "v=DMARC1; p=none; p=none",
		"v=DMARC1; p=none; rua=nocolon", "v=DMARC1; p=none; fo=2", "v=DMARC1; p=none; rua=mailto:a@b!99999999999t",
	} {
		if _, err := ParseRecord(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestPublicSuffixList(t *testing.T) {
	l := loadPSL(t)
	for in, want := range map[string]string{
		"crepes.fr":            "crepes.fr",
		"mail.crepes.fr":       "crepes.fr",
		"a.b.c.hamburger.edu":  "hamburger.edu",
		"www.example.co.uk":    "example.co.uk",
		"example.co.uk":        "example.co.uk",
		"co.uk":                "co.uk",
		"a.b.example.ck":       "b.example.ck", // *.ck: example.ck is a suffix
		"www.ck":               "www.ck",       // !www.ck
		"a.www.ck":             "www.ck",
		"shop.xn--55qx5d.cn":   "shop.xn--55qx5d.cn", // 公司.cn
		"a.shop.xn--55qx5d.cn": "shop.xn--55qx5d.cn",
		"alice.github.io":      "alice.github.io",
		"x.unknown-tld":        "x.unknown-tld", // "*" default rule
		"Mail.Crepes.FR.":      "crepes.fr",
	} {
		if got := l.OrganizationalDomain(in); got != want {
			t.Errorf("OrganizationalDomain(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"bcher-kva": "bücher", "55qx5d": "公司", "-> $1.00 <--": "-> $1.00 <-", "ab!c": "", "zzzzzzzzzzzzzz": ""} {
		got, ok := punyDecode(in)
		if want == "" {
			if ok {
				t.Errorf("punyDecode(%q) = %q, want failure", in, got)
			}
			continue
		}
		if got != want {
			t.Errorf("punyDecode(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDebianPSL checks the organizational domains from the real list
// when Debian's publicsuffix package is installed.
func TestDebianPSL(t *testing.T) {
	f, err := os.Open("/usr/share/publicsuffix/public_suffix_list.dat")
	if err != nil {
		t.Skip("publicsuffix not installed")
	}
	defer f.Close()
	l, err := LoadPublicSuffixList(f)
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"mail.crepes.fr":                "crepes.fr",
		"www.bbc.co.uk":                 "bbc.co.uk",
		"foo.bar.example.com":           "example.com",
		"x.y.appspot.com":               "y.appspot.com",
		"www.xn--85x722f.xn--55qx5d.cn": "xn--85x722f.xn--55qx5d.cn",
	} {
		if got := l.OrganizationalDomain(in); got != want {
			t.Errorf("OrganizationalDomain(%q) = %q, want %q", in, got, want)
		}
	}
}

func dkimPass(d string) dkim.Result {
	return dkim.Result{Status: dkim.Pass, Signature: &dkim.Signature{Domain: d, Selector: "s"}}
}

func TestCheck(t *testing.T) {
	dns := fakeDNS{
		"_dmarc.crepes.fr":       {"v=DMARC1; p=reject; sp=quarantine; adkim=r; aspf=r", "unrelated"},
		"_dmarc.strict.example":  nil, // SERVFAIL
		"_dmarc.hamburger.edu":   {"v=DMARC1; p=quarantine; adkim=s; aspf=s; pct=50"},
		"_dmarc.two.example.com": {"v=DMARC1; p=reject", "v=DMARC1; p=none"},
		"_dmarc.broken.fr":       {"v=DMARC1; p=reject; pct=x"},
	}
	c := &Checker{Resolver: dns, PSL: loadPSL(t), Rand: func() int { return 70 }}
	for _, tc := range []struct {
		name   string
		in     Input
		result Result
		disp   Policy
		where  string
	}{
		{"dkim aligned", Input{FromDomain: "crepes.fr", DKIM: []dkim.Result{dkimPass("crepes.fr")}}, Pass, PolicyNone, "crepes.fr"},
		{"dkim relaxed", Input{FromDomain: "crepes.fr", DKIM: []dkim.Result{dkimPass("mail.crepes.fr")}}, Pass, PolicyNone, "crepes.fr"},
		{"spf relaxed", Input{FromDomain: "crepes.fr", SPF: spf.Pass, MailFromDomain: "bounces.crepes.fr"}, Pass, PolicyNone, "crepes.fr"},
		{"spf not pass", Input{FromDomain: "crepes.fr", SPF: spf.SoftFail, MailFromDomain: "crepes.fr"}, Fail, PolicyReject, "crepes.fr"},
		{"forged", Input{FromDomain: "crepes.fr", SPF: spf.Pass, MailFromDomain: "evil.example", DKIM: []dkim.Result{dkimPass("evil.example")}}, Fail, PolicyReject, "crepes.fr"},
		{"subdomain sp", Input{FromDomain: "news.crepes.fr"}, Fail, PolicyQuarantine, "crepes.fr"},
		{"strict dkim", Input{FromDomain: "hamburger.edu", DKIM: []dkim.Result{dkimPass("mail.hamburger.edu")}}, Fail, PolicyNone, "hamburger.edu"}, // pct=50, sample 70: quarantine -> none
		{"strict spf", Input{FromDomain: "hamburger.edu", SPF: spf.Pass, MailFromDomain: "hamburger.edu"}, Pass, PolicyNone, "hamburger.edu"},
		{"no policy", Input{FromDomain: "nopolicy.com"}, None, PolicyNone, ""},
		{"two records", Input{FromDomain: "two.example.com"}, None, PolicyNone, ""},
		{"temperror", Input{FromDomain: "strict.example"}, TempError, PolicyNone, ""},
		{"permerror", Input{FromDomain: "broken.fr"}, PermError, PolicyNone, ""},
		{"dkim fail", Input{FromDomain: "crepes.fr", DKIM: []dkim.Result{{Status: dkim.Fail, Signature: &dkim.Signature{Domain: "crepes.fr"}}}}, Fail, PolicyReject, "crepes.fr"},
	} {
		out := c.Check(context.Background(), tc.in)
		if out.Result != tc.result || out.Disposition != tc.disp || out.PolicyDomain != tc.where {
			t.Errorf("%s: %s %s at %q (%v), want %s %s at %q", tc.name, out.Result, out.Disposition, out.PolicyDomain, out.Err, tc.result, tc.disp, tc.where)
		}
	}
	// pct sampling inside the sample keeps the policy.
	c.Rand = func() int { return 10 }
	out := c.Check(context.Background(), Input{FromDomain: "hamburger.edu"})
	if out.Disposition != PolicyQuarantine || out.SampledOut {
		t.Errorf("in sample: %+v", out)
	}
	// np= for a non-existent subdomain (RFC 9091).
	dns["_dmarc.crepes.fr"] = []string{"v=DMARC1; p=none; sp=quarantine; np=reject"}
	out = c.Check(context.Background(), Input{FromDomain: "nx.crepes.fr", NonexistentDomain: true})
	if out.Disposition != PolicyReject {
		t.Errorf("np: %+v", out)
	}
}

func TestFromDomain(t *testing.T) {
	for hdr, want := range map[string]string{
		"From: Alice <alice@Crepes.FR>\r\n\r\n":          "crepes.fr",
		"From: a@crepes.fr, b@crepes.fr\r\n\r\n":         "crepes.fr",
		"From: a@crepes.fr, b@evil.example\r\n\r\n":      "",
		"From: a@crepes.fr\r\nFrom: b@crepes.fr\r\n\r\n": "",
		"To: b@x.example\r\n\r\n":                        "",
	} {
		h, _, err := rfc5322.ParseHeader([]byte(hdr))
		if err != nil {
			t.Fatal(err)
		}
		got, err := FromDomain(h)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("%q: %q %v", hdr, got, err)
		}
	}
}

func TestReportXML(t *testing.T) {
	dns := fakeDNS{"_dmarc.crepes.fr": {"v=DMARC1; p=reject; rua=mailto:dmarc@crepes.fr"}}
	c := &Checker{Resolver: dns, PSL: loadPSL(t)}
	in := Input{FromDomain: "crepes.fr", SPF: spf.Fail, MailFromDomain: "evil.example",
		DKIM: []dkim.Result{{Status: dkim.Fail, Err: dkim.ErrBodyHash, Signature: &dkim.Signature{Domain: "crepes.fr", Selector: "2026"}}}}
	out := c.Check(context.Background(), in)
	fb := Feedback{
		ReportMetadata: ReportMetadata{OrgName: "hamburger.edu", Email: "dmarc@hamburger.edu", ReportID: "1",
			DateRange: DateRange{Begin: 1796428800, End: 1796515200}},
		PolicyPublished: out.Record.PolicyPublished(out.PolicyDomain),
		Records:         []ReportRecord{out.ReportRecord(netip.MustParseAddr("203.0.113.9"), in, "hamburger.edu")},
	}
	var b bytes.Buffer
	if _, err := fb.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	golden, err := os.ReadFile("testdata/report.xml")
	if err != nil || !bytes.Equal(golden, b.Bytes()) {
		if os.Getenv("UPDATE_GOLDEN") != "" {
			os.WriteFile("testdata/report.xml", b.Bytes(), 0o644)
		}
		t.Errorf("report differs from testdata/report.xml (UPDATE_GOLDEN=1 rewrites it):\n%s", b.String())
	}
	var back Feedback
	if err := xml.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	back.XMLName = xml.Name{}
	if d := cmp.Diff(fb, back); d != "" {
		t.Errorf("XML round trip:\n%s", d)
	}
	if !strings.Contains(b.String(), "<disposition>reject</disposition>") {
		t.Error("no reject disposition")
	}
}
