package spf

import (
	"context"
	"net/netip"
	"testing"
)

func FuzzParseRecord(f *testing.F) {
	f.Add("v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx:example.org/24//64 -all")
	f.Add("v=spf1 include:_spf.example.com ~all exp=explain.%{d} redirect=%{d2}.x.com moo=cow")
	f.Add("v=spf1 ?exists:%{ir}.%{v}._spf.%{d2} ptr:x.org a//64")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRecord(s)
		if err != nil {
			return
		}
		// The canonical form parses to the same canonical form.
		s2 := r.String()
		r2, err := ParseRecord(s2)
		if err != nil {
			t.Fatalf("%q -> %q: %v", s, s2, err)
		}
		if r2.String() != s2 {
			t.Fatalf("%q -> %q -> %q", s, s2, r2.String())
		}
	})
}

func FuzzExpand(f *testing.F) {
	f.Add("%{ir}.%{v}._spf.%{d2}", true)
	f.Add("%{l1r-+}.%{S}%%%_%-%{c}%{t}", true)
	f.Add("%{d999999999999r}", false)
	env := &macroEnv{sender: "a-b@c.d.example", local: "a-b", senderD: "c.d.example", domain: "c.d.example",
		ip: netip.MustParseAddr("2001:db8::1"), helo: "h.example"}
	f.Fuzz(func(t *testing.T, s string, exp bool) {
		out, err := expand(s, env, exp)
		if err != nil {
			return
		}
		if err := checkMacroString(s, exp); err != nil {
			t.Fatalf("expands but does not check: %q", s)
		}
		if len(out) > 8192+200 {
			t.Fatalf("expansion of %d bytes", len(out))
		}
	})
}

// FuzzCheck evaluates fuzzed records through a DNS that answers every
// name with them; the lookup limits must hold.
func FuzzCheck(f *testing.F) {
	f.Add("v=spf1 include:%{d} -all")
	f.Add("v=spf1 mx ptr a exists:%{i}.x.example redirect=y.%{d}")
	f.Fuzz(func(t *testing.T, rec string) {
		dns := &countingDNS{rec: func(string) string { return rec }}
		out := (&Checker{Resolver: dns}).Check(context.Background(), netip.MustParseAddr("192.0.2.1"), "h.example", "a@example.com")
		if out.Lookups > 11 || out.VoidLookups > 3 {
			t.Fatalf("%q: %d lookups, %d void", rec, out.Lookups, out.VoidLookups)
		}
		// Each term costs at most one query plus 10 names (mx, ptr);
		// 11 terms, the record fetches and an exp= lookup bound it.
		if dns.queries > 11*12+2 {
			t.Fatalf("%q: %d queries", rec, dns.queries)
		}
	})
}
