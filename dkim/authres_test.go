package dkim

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAuthResultsRoundTrip(t *testing.T) {
	a := &AuthResults{ServID: "mx.hamburger.edu", Results: []MethodResult{
		{Method: "spf", Result: "pass", Props: []Prop{{"smtp", "mailfrom", "alice@crepes.fr"}}},
		{Method: "dkim", Result: "fail", Reason: "body hash did not verify", Props: []Prop{{"header", "d", "crepes.fr"}, {"header", "b", "a/b+c=="}}},
		{Method: "dmarc", Result: "pass", Props: []Prop{{"header", "from", "crepes.fr"}}},
	}}
	s := a.String()
	got, err := ParseAuthResults(s)
	if err != nil {
		t.Fatalf("%v\n%s", err, s)
	}
	if d := cmp.Diff(a, got); d != "" {
		t.Errorf("round trip (-want +got):\n%s\n%s", d, s)
	}
}

func TestParseAuthResultsRFC8601(t *testing.T) {
	// RFC 8601 Appendix B.4 and B.6, abridged.
	in := "example.com;\r\n spf=pass smtp.mailfrom=example.net (comment here)\r\n" +
		"  ; dkim=pass (good signature) header.d=mail-router.example.net;\r\n" +
		"  auth=pass (cram-md5) smtp.auth=sender@example.net"
	got, err := ParseAuthResults(in)
	if err != nil {
		t.Fatal(err)
	}
	want := &AuthResults{ServID: "example.com", Results: []MethodResult{
		{Method: "spf", Result: "pass", Props: []Prop{{"smtp", "mailfrom", "example.net"}}},
		{Method: "dkim", Result: "pass", Props: []Prop{{"header", "d", "mail-router.example.net"}}},
		{Method: "auth", Result: "pass", Props: []Prop{{"smtp", "auth", "sender@example.net"}}},
	}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if got, err := ParseAuthResults("example.org 1; none"); err != nil || len(got.Results) != 0 || got.Version != 1 {
		t.Errorf("none: %+v %v", got, err)
	}
	for _, bad := range []string{"", "; spf=pass", "x; spf", "x; spf=pass smtp"} {
		if _, err := ParseAuthResults(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
