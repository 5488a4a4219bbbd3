package mailqueue

import (
	"crypto/tls"
	"strings"
	"testing"

	"github.com/relaykit/relaykit/dane"
	"github.com/relaykit/relaykit/tlstest"
)

func TestTLSDANE(t *testing.T) {
	root, err := tlstest.New("root")
	if err != nil {
		t.Fatal(err)
	}
	inter, err := root.Sub("intermediate")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := inter.Issue([]string{"mx.example.com"}, tlstest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	other := newTLSWorld(t)
	srv := &tls.Config{Certificates: []tls.Certificate{leaf.TLS}}
	ee := dane.Record(dane.DANEEE, dane.SelectorSPKI, dane.MatchSHA256, leaf.Cert)
	ta := dane.Record(dane.DANETA, dane.SelectorCert, dane.MatchSHA256, inter.Cert)
	wrong := dane.Record(dane.DANEEE, dane.SelectorSPKI, dane.MatchSHA256, other.leaf.Cert)
	pkixEE := dane.Record(dane.PKIXEE, dane.SelectorSPKI, dane.MatchSHA256, leaf.Cert)
	tests := []struct {
		name      string
		res       dane.Result
		srv       *tls.Config
		delivered bool
		applied   TLSLevel
		by        string
		enhanced  string
		failure   string
	}{
		{"ee", dane.Result{Verdict: dane.Secure, Records: []dane.TLSA{ee}}, srv, true, TLSDANE, "dane-ee", "", ""},
		{"ta", dane.Result{Verdict: dane.Secure, Records: []dane.TLSA{ta}}, srv, true, TLSDANE, "dane-ta", "", ""},
		{"mismatch", dane.Result{Verdict: dane.Secure, Records: []dane.TLSA{wrong}}, srv, false, TLSDANE, "", "4.7.5", FailureTLSAInvalid},
		// RFC 7672 2.2: no downgrade to plaintext when TLSA is secure.
		{"no starttls", dane.Result{Verdict: dane.Secure, Records: []dane.TLSA{ee}}, nil, false, TLSDANE, "", "4.7.4", FailureSTARTTLSNotSupported},
		// Insecure TLSA: no DANE, opportunistic TLS (unverified here).
		{"insecure", dane.Result{Verdict: dane.Insecure, Records: []dane.TLSA{wrong}}, srv, true, TLSMay, "", "", ""},
		{"insecure plaintext", dane.Result{Verdict: dane.Insecure, Records: []dane.TLSA{ee}}, nil, true, TLSMay, "", "", ""},
		{"no records", dane.Result{Verdict: dane.Secure}, nil, true, TLSMay, "", "", ""},
		{"bogus", dane.Result{Verdict: dane.Bogus, Records: []dane.TLSA{ee}}, srv, false, TLSDANE, "", "4.7.5", FailureDNSSECInvalid},
		// RFC 7672 3.1.3: only unusable records: encrypt.
		{"pkix only", dane.Result{Verdict: dane.Secure, Records: []dane.TLSA{pkixEE}}, srv, true, TLSEncrypt, "", "", ""},
		{"pkix only plaintext", dane.Result{Verdict: dane.Secure, Records: []dane.TLSA{pkixEE}}, nil, false, TLSEncrypt, "", "4.7.4", FailureSTARTTLSNotSupported},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sk := startTLSSink(t, tc.srv)
			var rep tlsReports
			d := &SMTPDeliverer{OutboundTLS: OutboundTLS{
				Report:   rep.add,
				Policies: StaticTLSPolicies{Default: TLSPolicy{Level: TLSDANE}},
				// TLSA records belong to the port dialled.
				DANE: dane.MapLookup{dane.TLSAName("mx.example.com", sk.addr.Port()): tc.res},
			}}
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
			if last.Requested != TLSDANE || last.Applied != tc.applied || last.VerifiedBy != tc.by || last.Failure != tc.failure {
				t.Fatalf("report %+v", last)
			}
			if tc.delivered {
				return
			}
			rs := rcptState(t, h, id)
			if rs.Status != StatusPending || rs.Enhanced != tc.enhanced {
				t.Fatalf("state %+v", rs)
			}
			if strings.Contains(sk.tap.seen(), "MAIL FROM") {
				t.Fatal("MAIL sent")
			}
		})
	}
}
