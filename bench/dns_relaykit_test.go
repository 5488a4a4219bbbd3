package bench

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/relaykit/relaykit/bench/fixtures"
	"github.com/relaykit/relaykit/dnswire"
)

// relaykitWalk walks the whole message with dnswire's lazy Parser,
// decoding every record's data (the same work as xnetWalk), and returns
// the number of questions and records decoded.
func relaykitWalk(tb testing.TB, msg []byte) int {
	var p dnswire.Parser
	if _, err := p.Start(msg); err != nil {
		tb.Fatal(err)
	}
	n := 0
	for {
		_, err := p.Question()
		if err == dnswire.ErrSectionDone {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		n++
	}
	for s := dnswire.SectionAnswer; s <= dnswire.SectionAdditional; s++ {
		for {
			h, err := p.RRHeader(s)
			if err == dnswire.ErrSectionDone {
				break
			}
			if err != nil {
				tb.Fatal(err)
			}
			switch h.Type {
			case dnswire.TypeMX:
				_, err = p.MX()
			case dnswire.TypeNS:
				_, err = p.NS()
			case dnswire.TypeA:
				_, err = p.A()
			case dnswire.TypeAAAA:
				_, err = p.AAAA()
			default:
				_, err = p.RawRData()
			}
			if err != nil {
				tb.Fatal(err)
			}
			n++
		}
	}
	return n
}

// relaykitFixture holds the fixture's records as dnswire values, made once
// (as the miekg benchmarks make their Msg once).
type relaykitFixture struct {
	q          dnswire.Question
	an, ns, ar []dnswire.RR
}

func newRelaykitFixture(tb testing.TB) *relaykitFixture {
	name := func(s string) dnswire.Name {
		n, err := dnswire.ParseName(s)
		if err != nil {
			tb.Fatal(err)
		}
		return n
	}
	zone := name("example.com.")
	mx1, mx2, mx3 := name("mx1.example.com."), name("mx2.example.com."), name("mx3.example.com.")
	hdr := func(n dnswire.Name, t dnswire.Type) dnswire.RRHeader {
		return dnswire.RRHeader{Name: n, Type: t, Class: dnswire.ClassINET, TTL: 3600}
	}
	return &relaykitFixture{
		q: dnswire.Question{Name: zone, Type: dnswire.TypeMX, Class: dnswire.ClassINET},
		an: []dnswire.RR{
			{RRHeader: hdr(zone, dnswire.TypeMX), Data: &dnswire.MX{Pref: 10, Host: mx1}},
			{RRHeader: hdr(zone, dnswire.TypeMX), Data: &dnswire.MX{Pref: 20, Host: mx2}},
			{RRHeader: hdr(zone, dnswire.TypeMX), Data: &dnswire.MX{Pref: 30, Host: mx3}},
		},
		ns: []dnswire.RR{
			{RRHeader: hdr(zone, dnswire.TypeNS), Data: &dnswire.NS{Host: name("ns1.example.com.")}},
			{RRHeader: hdr(zone, dnswire.TypeNS), Data: &dnswire.NS{Host: name("ns2.example.com.")}},
		},
		ar: []dnswire.RR{
			{RRHeader: hdr(mx1, dnswire.TypeA), Data: &dnswire.A{Addr: netip.MustParseAddr("192.0.2.1")}},
			{RRHeader: hdr(mx1, dnswire.TypeAAAA), Data: &dnswire.AAAA{Addr: netip.MustParseAddr("2001:db8::1")}},
			{RRHeader: hdr(mx2, dnswire.TypeA), Data: &dnswire.A{Addr: netip.MustParseAddr("192.0.2.2")}},
			{RRHeader: hdr(mx2, dnswire.TypeAAAA), Data: &dnswire.AAAA{Addr: netip.MustParseAddr("2001:db8::2")}},
		},
	}
}

// build packs the fixture with the Builder, compression on.
func (f *relaykitFixture) build(tb testing.TB, b *dnswire.Builder, buf []byte) []byte {
	b.Start(buf, dnswire.Header{ID: 0xbeef, Response: true, Authoritative: true, RecursionDesired: true},
		dnswire.BuildOptions{Compress: true})
	check := func(err error) {
		if err != nil {
			tb.Fatal(err)
		}
	}
	check(b.Question(&f.q))
	for i := range f.an {
		check(b.Answer(&f.an[i]))
	}
	for i := range f.ns {
		check(b.Authority(&f.ns[i]))
	}
	for i := range f.ar {
		check(b.Additional(&f.ar[i]))
	}
	out, err := b.Finish()
	check(err)
	return out
}

// TestRelaykitFixture: dnswire walks the fixture as 10 entries, unpacks it
// into the same sections, and its Builder writes exactly the 213 bytes
// miekg/dns v1 writes (the question name is a compression target).
func TestRelaykitFixture(t *testing.T) {
	if n := relaykitWalk(t, fixtures.DNSResponse); n != 10 {
		t.Errorf("relaykit walk decoded %d records, want 10", n)
	}
	var m dnswire.Msg
	if err := m.Unpack(fixtures.DNSResponse); err != nil {
		t.Fatal(err)
	}
	if len(m.Question) != 1 || len(m.Answer) != 3 || len(m.Ns) != 2 || len(m.Extra) != 4 {
		t.Errorf("sections %d %d %d %d, want 1 3 2 4", len(m.Question), len(m.Answer), len(m.Ns), len(m.Extra))
	}
	var b dnswire.Builder
	out := newRelaykitFixture(t).build(t, &b, nil)
	if !bytes.Equal(out, fixtures.DNSResponse) {
		t.Errorf("Builder output differs from the fixture:\n%x\n%x", out, fixtures.DNSResponse)
	}
	packed, err := m.AppendPack(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(packed, fixtures.DNSResponse) {
		t.Errorf("Msg.AppendPack output differs from the fixture:\n%x\n%x", packed, fixtures.DNSResponse)
	}
}
