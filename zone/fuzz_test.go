package zone

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

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
	// Signed zones (NSEC and NSEC3) exercise the DNSSEC proofs.
	for _, n := range []string{"nope.signed.test.", "x.wild.nsec3.test.", "a.insecure.nsec3.test.", "b.c.signed.test."} {
		q := query(n, dnswire.TypeA)
		q.SetEDNS(1232, true)
		f.Add(mustPack(q), false)
	}
	u := dnswire.NewUpdate(dnswire.MustName("example."))
	f.Add(mustPack(u), false)
	s := testServer(f)
	for origin, n3 := range map[string]*dnswire.NSEC3PARAM{"signed.test.": nil, "nsec3.test.": {HashAlg: 1, Iterations: 1, Salt: []byte{7}}} {
		z, err := parseText(origin, signMe)
		if err != nil {
			f.Fatal(err)
		}
		if z, err = Sign(z, SignConfig{Keys: []SigningKey{testKey(1)}, NSEC3: n3}); err != nil {
			f.Fatal(err)
		}
		s.AddZone(z)
	}
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

// FuzzNotify feeds arbitrary packets to the NOTIFY handler of a
// secondary: no panic, and any reply parses, is a NOTIFY response with
// the request's ID, and never NOERROR from a stranger without the key.
func FuzzNotify(f *testing.F) {
	m := dnswire.Msg{}
	m.Opcode = dnswire.OpcodeNotify
	m.Authoritative = true
	m.Question = []dnswire.Question{{Name: dnswire.MustName("edu."), Type: dnswire.TypeSOA, Class: dnswire.ClassINET}}
	f.Add(mustPack(&m))
	signed, _, _ := dnswire.SignTSIG(mustPack(&m), dnswire.TSIGSign{Key: admin, Time: testNow})
	f.Add(signed)
	s := &Server{Keys: []*dnswire.TSIGKey{admin}, Now: func() time.Time { return testNow }}
	fl := &follower{cfg: Secondary{Origin: dnswire.MustName("edu."), Primary: netip.MustParseAddrPort("127.0.0.2:53"), Key: registrar}, kick: make(chan struct{}, 1)}
	s.followers = map[dnswire.Name]*follower{dnswire.MustName("edu."): fl}
	f.Fuzz(func(t *testing.T, msg []byte) {
		if !isNotify(msg) {
			return
		}
		resp := s.answerNotify(msg, netipAddr("127.0.0.9"), nil)
		if resp == nil {
			return
		}
		var r dnswire.Msg
		if err := r.Unpack(resp); err != nil && !errors.Is(err, dnswire.ErrTrailingBytes) {
			t.Fatalf("reply does not parse: %v", err)
		}
		if !r.Response || r.Opcode != dnswire.OpcodeNotify || r.ID != uint16(msg[0])<<8|uint16(msg[1]) {
			t.Fatalf("bad reply header %+v", r.Header)
		}
		// The zone's key is registrar's; admin is known but not the
		// zone's, and 127.0.0.9 is not the primary.
		if r.RCode == dnswire.RCodeSuccess {
			t.Fatalf("NOTIFY accepted from a stranger: %s", r.String())
		}
	})
}

// FuzzBase32Hex: NSEC3 owner labels decode without panic, and whatever
// decodes encodes back to the same label (in lower case).
func FuzzBase32Hex(f *testing.F) {
	f.Add("0p9mhaveqvm6t7vbl5lop2u3t2rp3tom")
	f.Add("KGQB5F8CKE123Q17PAPOMFBRL1TC0551")
	f.Add("x")
	f.Fuzz(func(t *testing.T, s string) {
		b, ok := decodeBase32Hex(s)
		if !ok {
			return
		}
		if got := string(appendBase32Hex(nil, b)); got != strings.ToLower(s) {
			t.Fatalf("%q -> %x -> %q", s, b, got)
		}
	})
}
