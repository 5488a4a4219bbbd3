package mailqueue

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/relaykit/relaykit/dane"
	"github.com/relaykit/relaykit/mtasts"
)

// stsMap is an MTASTSPolicies over a map; a domain missing is
// mtasts.ErrNoPolicy.
type stsMap map[string]stsAnswer

type stsAnswer struct {
	p   *mtasts.Policy
	err error
}

func (m stsMap) Policy(ctx context.Context, domain string) (*mtasts.Policy, error) {
	a, ok := m[domain]
	if !ok {
		return nil, mtasts.ErrNoPolicy
	}
	return a.p, a.err
}

func TestTLSMTASTS(t *testing.T) {
	w := newTLSWorld(t)
	untrusted := newTLSWorld(t)
	enforce := &mtasts.Policy{Mode: mtasts.ModeEnforce, MX: []string{"*.example.com"}, MaxAge: 86400}
	testingPol := &mtasts.Policy{Mode: mtasts.ModeTesting, MX: []string{"*.example.com"}, MaxAge: 86400}
	elsewhere := &mtasts.Policy{Mode: mtasts.ModeEnforce, MX: []string{"mx.example.net"}, MaxAge: 86400}
	none := &mtasts.Policy{Mode: mtasts.ModeNone, MaxAge: 86400}
	fetchErr := &mtasts.FetchError{Domain: "example.com", ResultType: mtasts.ResultSTSWebPKIInvalid, Err: errors.New("x509")}
	tests := []struct {
		name      string
		ans       *stsAnswer // nil: no policy
		srv       *tls.Config
		tlsa      *dane.Result
		delivered bool
		applied   TLSLevel
		by        string
		enhanced  string
		failure   string
	}{
		{"enforce ok", &stsAnswer{p: enforce}, w.server(), nil, true, TLSMTASTS, "pkix", "", ""},
		{"enforce untrusted", &stsAnswer{p: enforce}, untrusted.server(), nil, false, TLSMTASTS, "", "4.7.5", FailureCertificateNotTrusted},
		{"enforce no starttls", &stsAnswer{p: enforce}, nil, nil, false, TLSMTASTS, "", "4.7.4", FailureSTARTTLSNotSupported},
		{"enforce mx not listed", &stsAnswer{p: elsewhere}, w.server(), nil, false, TLSMTASTS, "", "4.7.5", FailureValidation},
		{"testing untrusted", &stsAnswer{p: testingPol}, untrusted.server(), nil, true, TLSMTASTS, "", "", FailureCertificateNotTrusted},
		{"testing no starttls", &stsAnswer{p: testingPol}, nil, nil, true, TLSMTASTS, "", "", FailureSTARTTLSNotSupported},
		{"mode none", &stsAnswer{p: none}, nil, nil, true, TLSMay, "", "", ""},
		{"no policy", nil, nil, nil, true, TLSMay, "", "", ""},
		// RFC 8461 5.1: a policy that cannot be fetched is no policy,
		// but the failure is reported.
		{"fetch error", &stsAnswer{err: fetchErr}, nil, nil, true, TLSMay, "", "", FailureSTSWebPKIInvalid},
		// RFC 8461 2: secure TLSA records win over the policy.
		{"dane wins", &stsAnswer{p: elsewhere}, untrusted.server(), &dane.Result{Verdict: dane.Secure, Records: []dane.TLSA{dane.Record(dane.DANEEE, dane.SelectorSPKI, dane.MatchSHA256, untrusted.leaf.Cert)}}, true, TLSDANE, "dane-ee", "", ""},
		{"insecure tlsa", &stsAnswer{p: enforce}, untrusted.server(), &dane.Result{Verdict: dane.Insecure, Records: []dane.TLSA{dane.Record(dane.DANEEE, dane.SelectorSPKI, dane.MatchSHA256, untrusted.leaf.Cert)}}, false, TLSMTASTS, "", "4.7.5", FailureCertificateNotTrusted},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sk := startTLSSink(t, tc.srv)
			var rep tlsReports
			m := stsMap{}
			if tc.ans != nil {
				m["example.com"] = *tc.ans
			}
			d := &SMTPDeliverer{TLS: &tls.Config{RootCAs: w.ca.Pool()}, OutboundTLS: OutboundTLS{
				Report:   rep.add,
				Policies: StaticTLSPolicies{Default: TLSPolicy{Level: TLSMTASTS}},
				MTASTS:   m,
				DANE:     dane.MapLookup{},
			}}
			if tc.tlsa != nil {
				d.OutboundTLS.DANE = dane.MapLookup{dane.TLSAName("mx.example.com", sk.addr.Port()): *tc.tlsa}
			}
			h, _ := smtpHarness(t, sk.addr.Port(), d)
			defer d.Close()
			id := h.enqueue("alice@example.org", "bob@example.com")
			h.q.settle()
			if got := len(sk.received()); (got == 1) != tc.delivered {
				t.Fatalf("delivered %d", got)
			}
			r := rep.all()
			if len(r) == 0 {
				t.Fatal("no report")
			}
			last := r[len(r)-1]
			if last.Requested != TLSMTASTS || last.Applied != tc.applied || last.VerifiedBy != tc.by || last.Failure != tc.failure {
				t.Fatalf("report %+v", last)
			}
			if tc.applied == TLSMTASTS && last.STSPolicy == nil {
				t.Fatal("no policy in the report")
			}
			if tc.delivered {
				return
			}
			if rs := rcptState(t, h, id); rs.Status != StatusPending || rs.Enhanced != tc.enhanced {
				t.Fatalf("state %+v", rs)
			}
			if strings.Contains(sk.tap.seen(), "MAIL FROM") {
				t.Fatal("MAIL sent")
			}
		})
	}
}

type txtMap map[string][]string

func (m txtMap) LookupTXT(ctx context.Context, name string) ([]string, error) { return m[name], nil }

// TestTLSMTASTSWithCache runs the whole path: the _mta-sts record, the
// policy served over HTTPS by a local server, and the delivery it governs.
func TestTLSMTASTSWithCache(t *testing.T) {
	w := newTLSWorld(t, "mx.example.com", "mta-sts.example.com")
	hs := httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Host != "mta-sts.example.com" || r.URL.Path != "/.well-known/mta-sts.txt" {
			http.NotFound(rw, r)
			return
		}
		rw.Header().Set("Content-Type", "text/plain")
		rw.Write([]byte("version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 86400\n"))
	}))
	hs.TLS = w.server()
	hs.StartTLS()
	defer hs.Close()
	cache := &mtasts.Cache{
		TXT: txtMap{"_mta-sts.example.com": {"v=STSv1; id=1"}},
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: w.ca.Pool()},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, hs.Listener.Addr().String())
			},
		},
	}
	sk := startTLSSink(t, w.server())
	var rep tlsReports
	d := &SMTPDeliverer{TLS: &tls.Config{RootCAs: w.ca.Pool()}, OutboundTLS: OutboundTLS{
		Report:   rep.add,
		Policies: StaticTLSPolicies{Default: TLSPolicy{Level: TLSMTASTS}},
		MTASTS:   cache,
	}}
	h, _ := smtpHarness(t, sk.addr.Port(), d)
	defer d.Close()
	h.enqueue("alice@example.org", "bob@example.com")
	h.q.settle()
	r := rep.all()
	if len(sk.received()) != 1 || len(r) != 1 || r[0].Applied != TLSMTASTS || !r[0].Verified || r[0].STSPolicy.ID != "1" {
		t.Fatalf("reports %+v", r)
	}
}
