package dnswire

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	fuzz "github.com/google/gofuzz"
)

// Structured round-trip properties: gofuzz fills a Msg, with fill
// functions that keep every value legal, and cmp.Diff shows the field that
// came back different after Pack then Unpack, and after text then parse.

func fuzzBytes(c fuzz.Continue, lo, hi int) []byte {
	b := make([]byte, lo+c.Intn(hi-lo+1))
	c.Read(b)
	return b
}

func fuzzName(c fuzz.Continue) Name {
	n := Root()
	labels := c.Intn(5)
	for range labels {
		l := 1 + c.Intn(12)
		if c.Intn(8) == 0 {
			l = 1 + c.Intn(63)
		}
		lab := make([]byte, l)
		for i := range lab {
			if c.Intn(4) == 0 {
				lab[i] = byte(c.Intn(256)) // anything: escapes carry it in text
			} else {
				lab[i] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"[c.Intn(64)]
			}
		}
		m, err := n.Child(string(lab))
		if err != nil {
			break
		}
		n = m
	}
	return n
}

func fuzzTypes(c fuzz.Continue) []Type {
	n := c.Intn(6)
	ts := make([]Type, 0, n)
	for range n {
		if c.Intn(2) == 0 {
			ts = append(ts, knownTypes()[c.Intn(len(knownTypes()))])
		} else {
			ts = append(ts, Type(c.Intn(65536)))
		}
	}
	return sortTypes(ts)
}

func fuzzSVCB(c fuzz.Continue) SVCB {
	r := SVCB{Priority: uint16(c.Intn(3)), Target: fuzzName(c)}
	for k := SVCMandatory; k <= SVCOHTTP+1; k++ {
		if c.Intn(3) != 0 {
			continue
		}
		var v []byte
		switch k {
		case SVCMandatory:
			v = []byte{0, 3}
		case SVCAlpn:
			v = append([]byte{2}, "h2"...)
			if c.Intn(2) == 0 {
				v = append(v, 4, 'a', ',', '\\', 'b')
			}
		case SVCNoDefaultAlpn, SVCOHTTP:
		case SVCPort:
			v = []byte{byte(c.Intn(256)), byte(c.Intn(256))}
		case SVCIPv4Hint:
			v = fuzzBytes(c, 4, 4)
		case SVCIPv6Hint:
			v = fuzzBytes(c, 16, 16)
		default:
			v = fuzzBytes(c, 0, 20)
		}
		if k == SVCMandatory+SVCOHTTP+1 {
			k = SVCKey(1000 + c.Intn(100))
		}
		r.Params = append(r.Params, SVCParam{Key: k, Value: v})
	}
	// RFC 9460 8: mandatory (which lists port) needs port present.
	if len(r.Params) > 0 && r.Params[0].Key == SVCMandatory &&
		!slices.ContainsFunc(r.Params, func(p SVCParam) bool { return p.Key == SVCPort }) {
		r.Params = append(r.Params, SVCParam{Key: SVCPort, Value: []byte{1, 187}})
		slices.SortFunc(r.Params, func(a, b SVCParam) int { return int(a.Key) - int(b.Key) })
	}
	return r
}

func fuzzRRSIG(c fuzz.Continue) RRSIG {
	return RRSIG{TypeCovered: Type(c.Intn(65536)), Algorithm: uint8(c.Intn(256)), Labels: uint8(c.Intn(256)),
		OrigTTL: c.Uint32(), Expiration: c.Uint32(), Inception: c.Uint32(), KeyTag: uint16(c.Intn(65536)),
		SignerName: fuzzName(c), Signature: fuzzBytes(c, 1, 80)}
}

// fuzzRData returns legal data of a random type.
func fuzzRData(c fuzz.Continue) RData {
	u8 := func() uint8 { return uint8(c.Intn(256)) }
	u16 := func() uint16 { return uint16(c.Intn(65536)) }
	u31 := func() uint32 { return c.Uint32() >> 1 }
	switch c.Intn(32) {
	case 0:
		return &A{Addr: netip.AddrFrom4([4]byte(fuzzBytes(c, 4, 4)))}
	case 1:
		return &AAAA{Addr: netip.AddrFrom16([16]byte(fuzzBytes(c, 16, 16)))}
	case 2:
		return &NS{Host: fuzzName(c)}
	case 3:
		return &CNAME{Target: fuzzName(c)}
	case 4:
		return &PTR{Target: fuzzName(c)}
	case 5:
		return &MX{Pref: u16(), Host: fuzzName(c)}
	case 6:
		return &SOA{MName: fuzzName(c), RName: fuzzName(c), Serial: c.Uint32(), Refresh: u31(), Retry: u31(), Expire: u31(), Minimum: u31()}
	case 7:
		t := &TXT{}
		for range 1 + c.Intn(3) {
			t.Strings = append(t.Strings, fuzzBytes(c, 0, 40))
		}
		return t
	case 8:
		return &SRV{Priority: u16(), Weight: u16(), Port: u16(), Target: fuzzName(c)}
	case 9:
		return &CAA{Flags: u8(), Tag: []byte([]string{"issue", "issuewild", "iodef", "tbs0"}[c.Intn(4)]), Value: fuzzBytes(c, 0, 30)}
	case 10:
		return &Unknown{T: Type(65280 + c.Intn(255)), Data: fuzzBytes(c, 0, 30)}
	case 11:
		return &DNAME{Target: fuzzName(c)}
	case 12:
		return &DS{KeyTag: u16(), Algorithm: u8(), DigestType: u8(), Digest: fuzzBytes(c, 1, 48)}
	case 13:
		return &CDS{DS{KeyTag: u16(), Algorithm: u8(), DigestType: u8(), Digest: fuzzBytes(c, 1, 48)}}
	case 14:
		return &DNSKEY{Flags: u16(), Protocol: 3, Algorithm: u8(), PublicKey: fuzzBytes(c, 1, 70)}
	case 15:
		return &CDNSKEY{DNSKEY{Flags: u16(), Protocol: u8(), Algorithm: u8(), PublicKey: fuzzBytes(c, 1, 70)}}
	case 16:
		r := fuzzRRSIG(c)
		return &r
	case 17:
		return &SIG{fuzzRRSIG(c)}
	case 18:
		return &NSEC{NextDomain: fuzzName(c), Types: fuzzTypes(c)}
	case 19:
		return &NSEC3{HashAlg: u8(), Flags: u8(), Iterations: u16(), Salt: fuzzBytes(c, 0, 8), NextHashed: fuzzBytes(c, 1, 32), Types: fuzzTypes(c)}
	case 20:
		return &NSEC3PARAM{HashAlg: u8(), Flags: u8(), Iterations: u16(), Salt: fuzzBytes(c, 0, 8)}
	case 21:
		return &HINFO{CPU: fuzzBytes(c, 0, 20), OS: fuzzBytes(c, 0, 20)}
	case 22:
		return &NAPTR{Order: u16(), Preference: u16(), Flags: fuzzBytes(c, 0, 3), Services: fuzzBytes(c, 0, 10),
			Regexp: fuzzBytes(c, 0, 20), Replacement: fuzzName(c)}
	case 23:
		return &SSHFP{Algorithm: u8(), FPType: u8(), Fingerprint: fuzzBytes(c, 1, 32)}
	case 24:
		return &TLSA{Usage: u8(), Selector: u8(), MatchingType: u8(), Data: fuzzBytes(c, 1, 32)}
	case 25:
		return &SMIMEA{TLSA{Usage: u8(), Selector: u8(), MatchingType: u8(), Data: fuzzBytes(c, 1, 32)}}
	case 26:
		return &URI{Priority: u16(), Weight: u16(), Target: fuzzBytes(c, 0, 30)}
	case 27:
		return &ZONEMD{Serial: c.Uint32(), Scheme: u8(), HashAlg: u8(), Digest: fuzzBytes(c, 1, 48)}
	case 28:
		r := fuzzSVCB(c)
		return &r
	case 29:
		return &HTTPS{fuzzSVCB(c)}
	case 30:
		return &TSIG{Algorithm: fuzzName(c), TimeSigned: c.Uint64() >> 16, Fudge: u16(), MAC: fuzzBytes(c, 0, 64),
			OriginalID: u16(), Error: RCode(u16()), OtherData: fuzzBytes(c, 0, 6)}
	default:
		return &TKEY{Algorithm: fuzzName(c), Inception: c.Uint32(), Expiration: c.Uint32(), Mode: u16(),
			Error: RCode(u16()), Key: fuzzBytes(c, 0, 64), OtherData: fuzzBytes(c, 0, 6)}
	}
}

func msgFuzzer(seed int64) *fuzz.Fuzzer {
	return fuzz.NewWithSeed(seed).NilChance(0).Funcs(
		func(rr *RR, c fuzz.Continue) {
			rr.Data = fuzzRData(c)
			rr.Name = fuzzName(c)
			rr.Type = rr.Data.Type()
			rr.Class = []Class{ClassINET, ClassCHAOS, Class(c.Intn(250) + 1)}[c.Intn(3)]
			rr.TTL = c.Uint32() >> 1 // RFC 2181 8: 31 bits
		},
		func(q *Question, c fuzz.Continue) {
			*q = Question{Name: fuzzName(c), Type: Type(c.Intn(65536)), Class: Class(c.Intn(65536))}
		},
		func(m *Msg, c fuzz.Continue) {
			c.Fuzz(&m.Header)
			m.Opcode &= 0xF
			m.Truncated = false // the Builder decides TC
			m.Question = make([]Question, c.Intn(2))
			for i := range m.Question {
				c.Fuzz(&m.Question[i])
			}
			for _, s := range []*[]RR{&m.Answer, &m.Ns, &m.Extra} {
				*s = make([]RR, c.Intn(4))
				for i := range *s {
					c.Fuzz(&(*s)[i])
				}
			}
			m.EDNS = nil
			m.RCode &= 0xF
			if c.Intn(2) == 0 {
				e := &EDNS{UDPSize: uint16(c.Intn(65536)), Version: uint8(c.Intn(256)), DO: c.RandBool(), Z: uint16(c.Intn(1 << 15))}
				for range c.Intn(3) {
					e.Options = append(e.Options, EDNSOption{Code: OptionCode(c.Intn(65536)), Data: fuzzBytes(c, 0, 10)})
				}
				m.EDNS = e
				m.RCode = RCode(c.Intn(1 << 12))
			}
		},
	)
}

func TestMsgRoundTripGofuzz(t *testing.T) {
	n := 1000
	if testing.Short() {
		n = 300
	}
	f := msgFuzzer(1)
	var back Msg
	for i := range n {
		var m Msg
		f.Fuzz(&m)
		b, err := m.Pack()
		if err != nil {
			t.Fatalf("#%d: Pack: %v\n%s", i, err, m.String())
		}
		if err := back.Unpack(b); err != nil {
			t.Fatalf("#%d: Unpack: %v\n%s", i, err, m.String())
		}
		if d := cmp.Diff(&m, &back, cmpOpts...); d != "" {
			t.Fatalf("#%d: wire round trip (-packed +unpacked):\n%s", i, d)
		}
		// Text: every record prints as a line that parses back to it.
		for _, rr := range append(append(append([]RR(nil), m.Answer...), m.Ns...), m.Extra...) {
			p, err := ParseRR(rr.String())
			if err != nil {
				t.Fatalf("#%d: ParseRR(%q): %v", i, rr.String(), err)
			}
			if d := cmp.Diff(rr, p, cmpOpts...); d != "" {
				t.Fatalf("#%d: text round trip of %q (-printed +parsed):\n%s", i, rr.String(), d)
			}
		}
	}
}
