package mtasts

import (
	"encoding/json"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseReportRecord(t *testing.T) {
	r, err := ParseReportRecord("v=TLSRPTv1; rua=mailto:tlsrpt@example.com, https://reports.example.com/v1;")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"mailto:tlsrpt@example.com", "https://reports.example.com/v1"}, r.RUA); d != "" {
		t.Fatal(d)
	}
	for _, bad := range []string{"", "v=TLSRPTv1", "v=TLSRPTv1; x=y", "v=TLSRPTv1; rua=http://x", "v=TLSRPTv1; rua=mailto:", "v=TLSRPTv1; rua=mailto:a@b; rua=mailto:c@d", "rua=mailto:a@b; v=TLSRPTv1"} {
		if _, err := ParseReportRecord(bad); !errors.Is(err, ErrReportSyntax) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if _, err := FindReportRecord([]string{"v=TLSRPTv1; rua=mailto:a@b", "v=TLSRPTv1; rua=mailto:c@d"}); !errors.Is(err, ErrReportSyntax) {
		t.Fatal(err)
	}
	if _, err := FindReportRecord([]string{"v=spf1"}); !errors.Is(err, ErrNoReportRecord) {
		t.Fatal(err)
	}
}

func TestAggregateReport(t *testing.T) {
	var a Aggregate
	sts := PolicyDesc{Type: PolicySTS, String: []string{"version: STSv1", "mode: enforce", "mx: mx.example.com", "max_age: 86400"}, Domain: "example.com", MXHost: []string{"mx.example.com"}}
	for range 3 {
		a.Add(Session{Policy: sts})
	}
	fail := Session{Policy: sts, Result: ResultCertificateExpired, SendingIP: netip.MustParseAddr("192.0.2.1"), ReceivingIP: netip.MustParseAddr("192.0.2.25"), MXHost: "mx.example.com"}
	a.Add(fail)
	a.Add(fail)
	a.Add(Session{Policy: PolicyDesc{Type: PolicyTLSA, Domain: "other.example", String: []string{"3 1 1 AB"}}, Result: ResultTLSAInvalid, MXHost: "mx.other.example"})
	start := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	r := a.Report("example.com", Report{OrganizationName: "crepes.fr", DateRange: DateRange{start, start.Add(24 * time.Hour)}, ContactInfo: "postmaster@crepes.fr", ReportID: "2026-12-04T00:00:00Z_example.com"})
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"organization-name":"crepes.fr","date-range":{"start-datetime":"2026-12-04T00:00:00Z","end-datetime":"2026-12-05T00:00:00Z"},"contact-info":"postmaster@crepes.fr","report-id":"2026-12-04T00:00:00Z_example.com","policies":[{"policy":{"policy-type":"sts","policy-string":["version: STSv1","mode: enforce","mx: mx.example.com","max_age: 86400"],"policy-domain":"example.com","mx-host":["mx.example.com"]},"summary":{"total-successful-session-count":3,"total-failure-session-count":2},"failure-details":[{"result-type":"certificate-expired","sending-mta-ip":"192.0.2.1","receiving-mx-hostname":"mx.example.com","receiving-ip":"192.0.2.25","failed-session-count":2}]}]}`
	if d := cmp.Diff(want, string(b)); d != "" {
		t.Fatal(d)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil || !back.DateRange.Start.Equal(start) || back.Policies[0].Summary.Failed != 2 {
		t.Fatal(back, err)
	}
	// Reported sessions are forgotten; the other domain's remain.
	if r := a.Report("example.com", Report{}); len(r.Policies) != 0 {
		t.Fatal(r)
	}
	if r := a.Report("", Report{}); len(r.Policies) != 1 || r.Policies[0].FailureDetails[0].ResultType != ResultTLSAInvalid {
		t.Fatal(r)
	}
}
