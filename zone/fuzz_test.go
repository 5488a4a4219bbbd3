package zone

import (
	"net/netip"
	"testing"

	"github.com/relaykit/relaykit/dnswire"
)

func netipAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

func mustPack(m *dnswire.Msg) []byte {
	w, err := m.Pack()
	if err != nil {
		panic(err)
	}
	return w
}

// FuzzServer feeds arbitrary packets through the whole query path: it
// must never panic, must answer within the size limit, and any answer
// must parse and carry the query's ID.
func FuzzServer(f *testing.F) {
	for _, n := range []string{"web.example.", "x.dn.example.", "www.sub.example.", "y.x.wild.example.", "chain.example."} {
		q := query(n, dnswire.TypeA)
		f.Add(mustPack(q), false)
		q.SetEDNS(4096, true)
		f.Add(mustPack(q), true)
	}
	u := dnswire.NewUpdate(dnswire.MustName("example."))
	f.Add(mustPack(u), false)
	s := testServer(f)
	f.Fuzz(func(t *testing.T, msg []byte, tcp bool) {
		resp := s.Handle(msg, tcp, nil)
		if resp == nil {
			return
		}
		if !tcp && len(resp) > int(DefaultUDPSize) {
			t.Fatalf("UDP response of %d octets", len(resp))
		}
		var m dnswire.Msg
		if err := m.Unpack(resp); err != nil {
			t.Fatalf("response does not parse: %v", err)
		}
		if m.ID != uint16(msg[0])<<8|uint16(msg[1]) || !m.Response {
			t.Fatalf("bad header %+v", m.Header)
		}
	})
}
