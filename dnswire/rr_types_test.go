package dnswire

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// typedLines are records of every type added after RFC 1035, in the form
// String prints; each must survive text -> RR -> text and RR -> wire -> RR.
var typedLines = []string{
	"old.example.\t300\tIN\tDNAME\tnew.example.",
	"example.\t3600\tIN\tDS\t60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118",
	"example.\t3600\tIN\tCDS\t60485 8 2 D4B7D520E7BB5F0F67674A0CCEB1E3E0614B93C4F9E99B8383F6A1E4469DA50A",
	"example.\t3600\tIN\tDNSKEY\t257 3 8 AwEAAcFcGsaxxdgiuuGmCkVImy4h99CqT7jwY3pexPGcnUFtR2Fh36BponcwtkZ4cAgtvd4Qs8PkxUdp6p/DlUmObdk=",
	"example.\t3600\tIN\tCDNSKEY\t256 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==",
	"example.\t3600\tIN\tRRSIG\tA 8 1 3600 20260101000000 20251201000000 12345 example. dGVzdCBzaWduYXR1cmU=",
	"example.\t0\tANY\tSIG\tTYPE0 8 0 0 20260101000000 20251201000000 12345 example. c2lnMA==",
	"a.example.\t3600\tIN\tNSEC\tb.example. A MX RRSIG NSEC TYPE1234",
	"example.\t3600\tIN\tNSEC\texample. NS SOA",
	"0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.example.\t3600\tIN\tNSEC3\t1 1 12 AABBCCDD 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR NS SOA MX RRSIG DNSKEY NSEC3PARAM",
	"example.\t3600\tIN\tNSEC3\t1 0 0 - 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR",
	"example.\t0\tIN\tNSEC3PARAM\t1 0 0 -",
	"example.\t0\tIN\tNSEC3PARAM\t1 0 10 CAFE",
	"example.\t60\tIN\tHINFO\t\"RFC8482\" \"\"",
	"example.\t60\tIN\tNAPTR\t100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp.example.",
	"example.\t60\tIN\tNAPTR\t100 50 \"u\" \"E2U+sip\" \"!^.*$!sip:info@example.com!\" .",
	"example.\t60\tIN\tSSHFP\t4 2 A6A8A6F8B5D3C3D6E59F57C73C3A8A8C63D8B3E1D2F6E4A0B8C1C9E0F4B2D7C6",
	"_25._tcp.mx.example.\t60\tIN\tTLSA\t3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6",
	"hash._smimecert.example.\t60\tIN\tSMIMEA\t3 0 0 308201",
	"_ftp._tcp.example.\t60\tIN\tURI\t10 1 \"ftp://ftp1.example.com/public\"",
	"key.example.\t0\tANY\tTSIG\thmac-sha256. 1765000000 300 32 3q2+78r+ur6t3q2+78r+ur6t3q2+78r+ur6t3q2+784= 4660 NOERROR 0",
	"key.example.\t0\tANY\tTSIG\thmac-sha256. 1765000000 300 0 4660 18 6 AABkMr8A",
	"gss.example.\t0\tANY\tTKEY\tgss-tsig. 1765000000 1765086400 3 NOERROR 4 YIIBAA== 0",
	"key.example.\t0\tANY\tTKEY\thmac-sha256. 0 0 5 20 0 0",
	"example.\t86400\tIN\tZONEMD\t2018031900 1 1 C68090D90A7AED716BC459F9340E3D7C1370D4D24B7E2FC3A1DDC0B9A87153B9A9713B3C9AE5CC27777F98B8E730044C",
}

func TestTypedRoundTrip(t *testing.T) {
	for _, line := range typedLines {
		rr, err := ParseRR(line)
		if err != nil {
			t.Errorf("%s: %v", line, err)
			continue
		}
		if _, ok := rr.Data.(*Unknown); ok {
			t.Errorf("%s: not typed", line)
		}
		if d := cmp.Diff(line, rr.String()); d != "" {
			t.Errorf("text round trip (-in +out):\n%s", d)
		}
		m := &Msg{Answer: []RR{rr}}
		b, err := m.Pack()
		if err != nil {
			t.Errorf("%s: pack: %v", line, err)
			continue
		}
		var back Msg
		if err := back.Unpack(b); err != nil {
			t.Errorf("%s: unpack: %v", line, err)
			continue
		}
		if d := cmp.Diff(rr, back.Answer[0], cmpOpts...); d != "" {
			t.Errorf("%s: wire round trip (-want +got):\n%s", line, d)
		}
		// The generic form of the same data parses to the same record.
		w, _ := rr.Data.(wireData).appendWire(nil)
		g, err := ParseRR(rr.Name.String() + " " + rr.Class.String() + " " + rr.Type.String() + " " +
			(&Unknown{Data: w}).String())
		if err != nil {
			t.Errorf("%s: generic: %v", line, err)
		} else if d := cmp.Diff(rr.Data, g.Data, cmpOpts...); d != "" {
			t.Errorf("%s: generic form (-want +got):\n%s", line, d)
		}
		// Parser accessor RData, Clone.
		var p Parser
		p.Start(b)
		p.AnswerHeader()
		rd, err := p.RData()
		if err != nil || rd.String() != rr.Data.String() {
			t.Errorf("%s: Parser.RData %v %v", line, rd, err)
		}
		c := CloneRData(back.Answer[0].Data)
		back.Unpack(make([]byte, 12))
		if c.String() != rr.Data.String() {
			t.Errorf("%s: clone %v", line, c)
		}
	}
}

func TestTypedBadWire(t *testing.T) {
	for _, c := range []struct {
		name string
		t    Type
		data []byte
		err  error
	}{
		{"DS short", TypeDS, []byte{1, 2, 3}, ErrBadRDLength},
		{"RRSIG short", TypeRRSIG, make([]byte, 17), ErrBadRDLength},
		{"NSEC bitmap window order", TypeNSEC, []byte{0, 1, 1, 0x40, 0, 1, 0x40}, errBadBitmap},
		{"NSEC bitmap length 0", TypeNSEC, []byte{0, 0, 0}, errBadBitmap},
		{"NSEC bitmap length 33", TypeNSEC, append([]byte{0, 0, 33}, make([]byte, 33)...), errBadBitmap},
		{"NSEC3 empty hash", TypeNSEC3, []byte{1, 0, 0, 0, 0, 0}, ErrBadRData},
		{"NSEC3 salt overruns", TypeNSEC3, []byte{1, 0, 0, 0, 9}, ErrBadRDLength},
		{"NSEC3PARAM trailing", TypeNSEC3PARAM, []byte{1, 0, 0, 0, 0, 1}, ErrBadRDLength},
		{"HINFO one string", TypeHINFO, []byte{1, 'a'}, ErrBadRDLength},
		{"NAPTR no name", TypeNAPTR, []byte{0, 1, 0, 1, 0, 0, 0}, ErrBadRDLength},
		{"TLSA short", TypeTLSA, []byte{3, 1}, ErrBadRDLength},
		{"TKEY key overruns", TypeTKEY, []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 9, 1}, ErrBadRDLength},
		{"TKEY trailing", TypeTKEY, []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 7}, ErrBadRDLength},
		{"TSIG MAC overruns", TypeTSIG, []byte{0, 0, 0, 0, 0, 0, 1, 44, 0, 40, 1}, ErrBadRDLength},
		{"DNAME pointer into header", TypeDNAME, []byte{0xC0, 2}, ErrPointerIntoHeader},
	} {
		msg := cat(hdr(0, 1, 0, 0), wExample, rrTail(c.t, len(c.data), c.data))
		var m Msg
		if err := m.Unpack(msg); !errors.Is(err, c.err) {
			t.Errorf("%s: %v, want %v", c.name, err, c.err)
		}
	}
}

func TestParserTypedAccessors(t *testing.T) {
	rr, _ := ParseRR(typedLines[5]) // RRSIG
	ds, _ := ParseRR(typedLines[1])
	m := &Msg{Answer: []RR{rr, ds}}
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	var p Parser
	p.Start(b)
	p.AnswerHeader()
	if _, err := p.DS(); !errors.Is(err, ErrWrongType) {
		t.Fatalf("DS on RRSIG: %v", err)
	}
	sig, err := p.RRSIG()
	if err != nil || sig.KeyTag != 12345 || sig.SignerName.String() != "example." {
		t.Fatalf("RRSIG %+v %v", sig, err)
	}
	p.AnswerHeader()
	d, err := p.DS()
	if err != nil || d.KeyTag != 60485 || len(d.Digest) != 20 {
		t.Fatalf("DS %+v %v", d, err)
	}
}
