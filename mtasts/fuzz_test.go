package mtasts

import (
	"strings"
	"testing"
)

func FuzzParsePolicy(f *testing.F) {
	f.Add([]byte(enforcePolicy))
	f.Add([]byte("version: STSv1\nmode: none\nmax_age: 0"))
	f.Add([]byte("version: STSv1\nmode: testing\nmx: *.example.net\nmx: a.example\nmax_age: 31557600\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePolicy(b)
		if err != nil {
			return
		}
		if p.MaxAge < 0 || p.MaxAge > MaxMaxAge || (p.Mode != ModeNone && len(p.MX) == 0) {
			t.Fatalf("accepted %+v", p)
		}
		// Rewriting the parsed policy gives the same policy back.
		var sb strings.Builder
		sb.WriteString("version: STSv1\nmode: " + p.Mode.String() + "\n")
		for _, m := range p.MX {
			sb.WriteString("mx: " + m + "\n")
			if !p.Match(strings.Replace(m, "*", "x", 1)) {
				t.Fatalf("pattern %q does not match itself", m)
			}
		}
		sb.WriteString("max_age: " + itoa(p.MaxAge) + "\n")
		q, err := ParsePolicy([]byte(sb.String()))
		if err != nil || q.Mode != p.Mode || q.MaxAge != p.MaxAge || strings.Join(q.MX, ",") != strings.Join(p.MX, ",") {
			t.Fatalf("%q -> %q: %v", b, sb.String(), err)
		}
	})
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func FuzzParseRecord(f *testing.F) {
	f.Add("v=STSv1; id=20160831085700Z;")
	f.Add("v=STSv1;id=1;x=y")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRecord(s)
		if err != nil {
			return
		}
		back, err := ParseRecord("v=STSv1; id=" + r.ID + "; " + strings.Join(r.Extensions, "; "))
		if len(r.Extensions) == 0 {
			back, err = ParseRecord("v=STSv1; id=" + r.ID)
		}
		if err != nil || back.ID != r.ID || len(back.Extensions) != len(r.Extensions) {
			t.Fatalf("%q: %+v %+v %v", s, r, back, err)
		}
	})
}

func FuzzParseReportRecord(f *testing.F) {
	f.Add("v=TLSRPTv1; rua=mailto:tlsrpt@example.com,https://r.example/x")
	f.Add("v=TLSRPTv1;rua=https://r.example;")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseReportRecord(s)
		if err != nil {
			return
		}
		back, err := ParseReportRecord("v=TLSRPTv1; rua=" + strings.Join(r.RUA, ","))
		if err != nil || strings.Join(back.RUA, ",") != strings.Join(r.RUA, ",") {
			t.Fatalf("%q: %v %v", s, r, err)
		}
	})
}
