package bench

import (
	"os"
	"testing"

	"github.com/miekg/dns"
	"golang.org/x/net/dns/dnsmessage"

	"github.com/relaykit/relaykit/dnswire"
)

// A DNSSEC response for the Unpack/Pack benchmarks: the answer, authority
// and additional records of a signed zone (SOA, NS, DNSKEY, RRSIGs,
// NSEC3s, DS), built from dnswire's BIND-signed fixture, compressed.
func dnssecResponse(tb testing.TB) []byte {
	f, err := os.Open("../dnswire/testdata/zone/signed/bind-nsec3.signed")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	rrs, err := dnswire.ReadZone(f, dnswire.ZoneConfig{})
	if err != nil {
		tb.Fatal(err)
	}
	m := &dnswire.Msg{}
	m.ID = 1
	m.Response = true
	m.SetQuestion(dnswire.MustName("example."), dnswire.TypeDNSKEY)
	m.SetEDNS(1232, true)
	for _, rr := range rrs {
		switch rr.Type {
		case dnswire.TypeDNSKEY, dnswire.TypeSOA:
			m.Answer = append(m.Answer, rr)
		case dnswire.TypeRRSIG:
			if c := rr.Data.(*dnswire.RRSIG).TypeCovered; c == dnswire.TypeDNSKEY || c == dnswire.TypeNSEC3 {
				m.Answer = append(m.Answer, rr)
			}
		case dnswire.TypeNSEC3, dnswire.TypeDS, dnswire.TypeNSEC3PARAM:
			m.Ns = append(m.Ns, rr)
		}
	}
	b, err := m.Pack()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestDNSSECResponseAgree(t *testing.T) {
	msg := dnssecResponse(t)
	var m dnswire.Msg
	if err := m.Unpack(msg); err != nil {
		t.Fatal(err)
	}
	var mm dns.Msg
	if err := mm.Unpack(msg); err != nil {
		t.Fatal(err)
	}
	if len(mm.Answer) != len(m.Answer) || len(mm.Ns) != len(m.Ns) || len(m.Answer)+len(m.Ns) < 20 {
		t.Fatalf("counts %d/%d vs %d/%d", len(m.Answer), len(m.Ns), len(mm.Answer), len(mm.Ns))
	}
	if d := compareDecoded(&mm, &m); d != "" {
		t.Fatal(d)
	}
	if n := testing.AllocsPerRun(50, func() { m.Unpack(msg) }); n != 0 {
		t.Fatalf("warm Unpack of a DNSSEC response: %v allocs", n)
	}
	buf := make([]byte, 0, 8192)
	if n := testing.AllocsPerRun(50, func() { m.AppendPack(buf[:0]) }); n != 0 {
		t.Fatalf("AppendPack of a DNSSEC response: %v allocs", n)
	}
}

func BenchmarkDNSSECUnpack(b *testing.B) {
	msg := dnssecResponse(b)
	b.Run("impl=relaykit", func(b *testing.B) {
		var m dnswire.Msg
		b.ReportAllocs()
		defer reportCPU(b)()
		b.SetBytes(int64(len(msg)))
		for b.Loop() {
			if err := m.Unpack(msg); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=xnet", func(b *testing.B) {
		// x/net keeps the DNSSEC types as UnknownResource (raw data).
		b.ReportAllocs()
		defer reportCPU(b)()
		b.SetBytes(int64(len(msg)))
		var m dnsmessage.Message
		for b.Loop() {
			if err := m.Unpack(msg); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=miekgv1", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		b.SetBytes(int64(len(msg)))
		for b.Loop() {
			var m dns.Msg
			if err := m.Unpack(msg); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkDNSSECPack(b *testing.B) {
	msg := dnssecResponse(b)
	var m dnswire.Msg
	if err := m.Unpack(msg); err != nil {
		b.Fatal(err)
	}
	var mm dns.Msg
	if err := mm.Unpack(msg); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 8192)
	b.Run("impl=relaykit", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			if _, err := m.AppendPack(buf[:0]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=miekgv1", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			if _, err := mm.PackBuffer(buf); err != nil {
				b.Fatal(err)
			}
		}
	})
}
