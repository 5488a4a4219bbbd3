package resolver

import (
	"net/netip"
	"testing"

	"github.com/relaykit/relaykit/dnswire"
)

// FuzzServerRespond feeds arbitrary bytes to the server's query handling
// (resolving against the in-process hierarchy). Oracle: no panic; any
// reply parses, is a response, and carries the query's ID.
func FuzzServerRespond(f *testing.F) {
	for _, q := range []struct {
		name string
		t    dnswire.Type
		edns uint16
	}{
		{"www.example.com.", dnswire.TypeA, 1232},
		{"big.example.com.", dnswire.TypeTXT, 0},
		{"nope.example.com.", dnswire.TypeMX, 512},
		{"loop1.example.com.", dnswire.TypeA, 4096},
	} {
		var m dnswire.Msg
		m.ID = 77
		m.SetQuestion(dnswire.MustName(q.name), q.t)
		if q.edns > 0 {
			m.SetEDNS(q.edns, true)
		}
		b, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0xFF})

	h := startHier(f, testZones, testServers)
	r := New(Config{RootHints: h.RootHints(), GluePort: h.Port(), AllowSpecialAddrs: true, Transport: h.Transport(), Now: h.Clock.Now})
	s := NewServer(ServerConfig{Resolver: r})
	lo := netip.MustParseAddr("127.0.0.1")
	f.Fuzz(func(t *testing.T, q []byte) {
		for _, tcp := range []bool{false, true} {
			// The fast path answers only from the cache; the full path
			// must then give the same bytes. (Asked first: a fresh
			// resolution names the records as the server did, a cached
			// answer as the client asked.)
			fast, ok := s.fastRespond(q, lo, tcp, nil)
			out := s.respond(q, lo, tcp)
			if ok && string(fast) != string(out) {
				t.Fatalf("fast path and full path differ:\n%x\n%x", fast, out)
			}
			if out == nil {
				continue
			}
			var m dnswire.Msg
			if err := m.Unpack(out); err != nil {
				t.Fatalf("reply does not parse: %v", err)
			}
			if !m.Response || len(q) < 2 || m.ID != uint16(q[0])<<8|uint16(q[1]) {
				t.Fatalf("reply header %+v", m.Header)
			}
			if !tcp && len(out) > 1232 {
				t.Fatalf("%d-octet UDP reply", len(out))
			}
		}
	})
}
