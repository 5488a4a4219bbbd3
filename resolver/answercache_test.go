package resolver

import (
	"hash/maphash"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// packedQuery is a query with the header bits and EDNS a prepacked
// answer must keep apart.
func packedQuery(t testing.TB, name string, typ dnswire.Type, edns uint16, do, cd, rd bool, id uint16) []byte {
	t.Helper()
	var m dnswire.Msg
	m.SetQuestion(dnswire.MustName(name), typ)
	m.ID = id
	m.RecursionDesired = rd
	m.CheckingDisabled = cd
	if edns > 0 {
		m.SetEDNS(edns, do)
	}
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mixCase flips the case of letters at random, as a 0x20 client does.
func mixCase(rng *rand.Rand, name string) string {
	b := []byte(name)
	for i, c := range b {
		if ('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') && rng.IntN(2) == 0 {
			b[i] = c ^ 0x20
		}
	}
	return string(b)
}

// TestPackedAnswersMatchFastPath: whatever mix of questions, case (0x20),
// EDNS size, DO, CD and RD arrives, and as the clock runs (TTLs count
// down, records expire) and the cache changes, the answer from the table
// of prepacked answers is the one fastRespond builds, octet for octet,
// and neither answers what the other would not.
func TestPackedAnswersMatchFastPath(t *testing.T) {
	h, r := newTest(t, Config{})
	s := NewServer(ServerConfig{Resolver: r})
	lo := netip.MustParseAddr("127.0.0.1")
	names := []struct {
		name string
		t    dnswire.Type
	}{
		{"multi.example.com.", dnswire.TypeA}, {"alias2.example.com.", dnswire.TypeA}, {"nope.example.com.", dnswire.TypeA},
		{"www.example.com.", dnswire.TypeAAAA}, {"www.example.com.", dnswire.TypeA}, {"big.example.com.", dnswire.TypeTXT},
		{"example.com.", dnswire.TypeMX}, {"www.example.org.", dnswire.TypeA},
	}
	fill := func() {
		for _, n := range names {
			s.respond(query(t, n.name, n.t, 0), lo, false)
		}
	}
	fill()
	pk := newPackedAnswers()
	rng := rand.New(rand.NewPCG(1, 2))
	key := func(q []byte) []byte {
		k, _, _ := packedKey(nil, q)
		return k
	}
	hits := 0
	check := func(step string) {
		for range 400 {
			n := names[rng.IntN(len(names))]
			edns := []uint16{0, 512, 1232, 4096}[rng.IntN(4)]
			name := n.name
			switch rng.IntN(4) {
			case 0:
				name = strings.ToUpper(name)
			case 1:
				name = mixCase(rng, name) // a 0x20 client
			}
			q := packedQuery(t, name, n.t, edns, rng.IntN(2) == 0, rng.IntN(2) == 0, rng.IntN(4) != 0, uint16(rng.Uint32()|1))
			want, wok := s.fastRespond(q, lo, false, nil)
			slot := &pk.slots[maphash.Bytes(pk.seed, key(q))%packedSlots]
			before := len(slot.resp) > 0 && string(slot.key) == string(key(q))
			got, gok := s.answerUDP(pk, q, lo, nil)
			if gok != wok || string(got) != string(want) {
				t.Fatalf("%s: %s %v: prepacked (ok %v)\n%x\nfast path (ok %v)\n%x", step, n.name, n.t, gok, got, wok, want)
			}
			if before && gok {
				hits++
			}
		}
	}
	check("first")
	h.Clock.Advance(1500 * time.Millisecond) // TTLs count down
	check("1.5 s later")
	s.cfg.Resolver.cache.flush()
	check("after a flush")
	fill()
	check("refilled")
	h.Clock.Advance(2 * time.Hour) // every record expired
	check("expired")
	fill()
	check("refilled after expiry")
	if hits == 0 {
		t.Fatal("no answer came from the table")
	}
}

// TestPackedAnswersRefuse: a prepacked answer is not given to a client
// that is not allowed, nor by a server with a Validator.
func TestPackedAnswersRefuse(t *testing.T) {
	_, r := newTest(t, Config{})
	s := NewServer(ServerConfig{Resolver: r})
	lo := netip.MustParseAddr("127.0.0.1")
	q := query(t, "www.example.com.", dnswire.TypeA, 1232)
	s.respond(q, lo, false)
	pk := newPackedAnswers()
	for range 2 {
		if _, ok := s.answerUDP(pk, q, lo, nil); !ok {
			t.Fatal("cached answer not given")
		}
	}
	if _, ok := s.answerUDP(pk, q, netip.MustParseAddr("192.0.2.9"), nil); ok {
		t.Fatal("prepacked answer given to a client not allowed")
	}
	s.cfg.Validator = &Validator{}
	if _, ok := s.answerUDP(pk, q, lo, nil); ok {
		t.Fatal("prepacked answer given by a validating server")
	}
}

// TestPackedAnswersSkipMixedCase: a 0x20 client's query (name in mixed
// case) is answered but not kept; the same name in one case is.
func TestPackedAnswersSkipMixedCase(t *testing.T) {
	_, r := newTest(t, Config{})
	s := NewServer(ServerConfig{Resolver: r})
	lo := netip.MustParseAddr("127.0.0.1")
	s.respond(query(t, "www.example.com.", dnswire.TypeA, 0), lo, false)
	pk := newPackedAnswers()
	kept := func() int {
		n := 0
		for i := range pk.slots {
			if len(pk.slots[i].resp) > 0 {
				n++
			}
		}
		return n
	}
	for _, name := range []string{"wWw.example.com.", "www.EXAMPLE.com.", "WwW.eXaMpLe.CoM."} {
		if _, ok := s.answerUDP(pk, query(t, name, dnswire.TypeA, 0), lo, nil); !ok {
			t.Fatalf("%s: not answered", name)
		}
	}
	if n := kept(); n != 0 {
		t.Fatalf("%d answers to mixed-case names kept", n)
	}
	for _, name := range []string{"www.example.com.", "WWW.EXAMPLE.COM."} {
		s.answerUDP(pk, query(t, name, dnswire.TypeA, 0), lo, nil)
	}
	if n := kept(); n != 2 {
		t.Fatalf("%d answers kept for two single-case names, want 2", n)
	}
}

func TestPackedAnswerAllocs(t *testing.T) {
	_, r := newTest(t, Config{})
	s := NewServer(ServerConfig{Resolver: r})
	lo := netip.MustParseAddr("127.0.0.1")
	q := query(t, "alias2.example.com.", dnswire.TypeA, 1232)
	s.respond(q, lo, false)
	pk := newPackedAnswers()
	buf := make([]byte, 0, 1500)
	s.answerUDP(pk, q, lo, buf)
	allocs := testing.AllocsPerRun(200, func() {
		if _, ok := s.answerUDP(pk, q, lo, buf); !ok {
			t.Fatal("miss")
		}
	})
	if allocs > 0 {
		t.Fatalf("prepacked answer: %v allocs", allocs)
	}
}

// BenchmarkServerAnswer compares building a cached answer (fastRespond)
// with copying and patching a prepacked one, for one A record and for a
// two-CNAME chain.
func BenchmarkServerAnswer(b *testing.B) {
	h := startHier(b, testZones, testServers)
	r := New(Config{RootHints: h.RootHints(), GluePort: h.Port(), AllowSpecialAddrs: true, Transport: h.Transport(), Now: h.Clock.Now})
	s := NewServer(ServerConfig{Resolver: r})
	lo := netip.MustParseAddr("127.0.0.1")
	for _, name := range []string{"www.example.com.", "alias2.example.com."} {
		q := packedQuery(b, name, dnswire.TypeA, 1232, false, false, true, 1)
		s.respond(q, lo, false)
		buf := make([]byte, 0, 1500)
		b.Run("q="+name[:len(name)-13]+"/path=build", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := s.fastRespond(q, lo, false, buf); !ok {
					b.Fatal("miss")
				}
			}
		})
		pk := newPackedAnswers()
		b.Run("q="+name[:len(name)-13]+"/path=prepacked", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := s.answerUDP(pk, q, lo, buf); !ok {
					b.Fatal("miss")
				}
			}
		})
	}
}

// FuzzPackedAnswer feeds arbitrary queries to the table of prepacked
// answers. Oracle: no panic, and asked twice (the second time from the
// table when the first was kept) the answer is fastRespond's.
func FuzzPackedAnswer(f *testing.F) {
	for _, q := range []struct {
		name string
		t    dnswire.Type
		edns uint16
	}{
		{"www.example.com.", dnswire.TypeA, 1232},
		{"alias2.example.com.", dnswire.TypeA, 0},
		{"big.example.com.", dnswire.TypeTXT, 512},
		{"nope.example.com.", dnswire.TypeMX, 4096},
	} {
		f.Add(packedQuery(f, q.name, q.t, q.edns, q.edns > 1000, false, true, 77))
	}
	f.Add([]byte{0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1})
	h := startHier(f, testZones, testServers)
	r := New(Config{RootHints: h.RootHints(), GluePort: h.Port(), AllowSpecialAddrs: true, Transport: h.Transport(), Now: h.Clock.Now})
	s := NewServer(ServerConfig{Resolver: r})
	lo := netip.MustParseAddr("127.0.0.1")
	for _, n := range []string{"www.example.com.", "alias2.example.com.", "big.example.com.", "nope.example.com."} {
		for _, t := range []dnswire.Type{dnswire.TypeA, dnswire.TypeTXT, dnswire.TypeMX} {
			s.respond(packedQuery(f, n, t, 0, false, false, true, 9), lo, false)
		}
	}
	pk := newPackedAnswers()
	f.Fuzz(func(t *testing.T, q []byte) {
		for range 2 {
			want, wok := s.fastRespond(q, lo, false, nil)
			got, gok := s.answerUDP(pk, q, lo, nil)
			if gok != wok || string(got) != string(want) {
				t.Fatalf("prepacked (ok %v)\n%x\nfast path (ok %v)\n%x", gok, got, wok, want)
			}
		}
	})
}
