package bench

import (
	"bytes"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/relaykit/relaykit/dnswire"
)

// Differential test of the record types added in issue 15 against
// miekg/dns v1, wire and text: each record's uncompressed wire form must
// decode in miekg to the same wire form, and miekg's text for it must
// parse in dnswire to the same wire form (and dnswire's text in miekg).
var typedDiffLines = []string{
	"old.example. 300 IN DNAME new.example.",
	"example. 3600 IN DS 60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118",
	"example. 3600 IN CDS 60485 8 2 D4B7D520E7BB5F0F67674A0CCEB1E3E0614B93C4F9E99B8383F6A1E4469DA50A",
	"example. 3600 IN DNSKEY 257 3 8 AwEAAcFcGsaxxdgiuuGmCkVImy4h99CqT7jwY3pexPGcnUFtR2Fh36BponcwtkZ4cAgtvd4Qs8PkxUdp6p/DlUmObdk=",
	"example. 3600 IN CDNSKEY 256 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==",
	"example. 3600 IN RRSIG A 8 1 3600 20260101000000 20251201000000 12345 example. dGVzdCBzaWduYXR1cmU=",
	"a.example. 3600 IN NSEC b.example. A MX RRSIG NSEC TYPE1234",
	"0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.example. 3600 IN NSEC3 1 1 12 AABBCCDD 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR NS SOA MX RRSIG DNSKEY NSEC3PARAM",
	"example. 0 IN NSEC3PARAM 1 0 10 CAFE",
	"example. 60 IN HINFO \"RFC8482\" \"\"",
	"example. 60 IN NAPTR 100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp.example.",
	"example. 60 IN SSHFP 4 2 A6A8A6F8B5D3C3D6E59F57C73C3A8A8C63D8B3E1D2F6E4A0B8C1C9E0F4B2D7C6",
	"_25._tcp.mx.example. 60 IN TLSA 3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6",
	"hash._smimecert.example. 60 IN SMIMEA 3 0 0 308201",
	"_ftp._tcp.example. 60 IN URI 10 1 \"ftp://ftp1.example.com/public\"",
	"example. 86400 IN ZONEMD 2018031900 1 1 C68090D90A7AED716BC459F9340E3D7C1370D4D24B7E2FC3A1DDC0B9A87153B9A9713B3C9AE5CC27777F98B8E730044C",
	"_dns.example. 300 IN SVCB 1 dns.example. alpn=\"dot,h2\" port=853 dohpath=\"/dns-query{?dns}\"",
	"example. 300 IN HTTPS 1 . mandatory=alpn,ipv4hint alpn=\"h3,h2\" no-default-alpn ipv4hint=192.0.2.1,192.0.2.2 ech=AEP+DQA/ ipv6hint=2001:db8::1",
}

func TestDNSTypesDiffMiekg(t *testing.T) {
	for _, line := range typedDiffLines {
		ours, err := dnswire.ParseRR(line)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		w, err := recordWire(&ours)
		if err != nil {
			t.Fatal(err)
		}
		// Wire: miekg decodes our bytes and writes the same.
		rr, _, err := dns.UnpackRR(w, 0)
		if err != nil {
			t.Errorf("%s: miekg unpack: %v", line, err)
			continue
		}
		mw, err := miekgWire(rr)
		if err != nil || !bytes.Equal(mw, w) {
			t.Errorf("%s: miekg wire differs: %v\n% x\n% x", line, err, mw, w)
		}
		// Text: miekg's presentation parses here to the same record.
		mt := rr.String()
		back, err := dnswire.ParseRR(strings.TrimPrefix(mt, ";"))
		if err != nil {
			t.Errorf("miekg text %q: %v", mt, err)
			continue
		}
		if bw, _ := recordWire(&back); !bytes.Equal(bw, w) {
			t.Errorf("miekg text %q parses to other data", mt)
		}
		// And ours in miekg.
		mrr, err := dns.NewRR(ours.String())
		if err != nil {
			t.Errorf("our text %q in miekg: %v", ours.String(), err)
			continue
		}
		if mw2, _ := miekgWire(mrr); !bytes.Equal(mw2, w) {
			t.Errorf("our text %q means other data to miekg", ours.String())
		}
	}
}
