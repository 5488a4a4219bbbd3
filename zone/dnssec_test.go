package zone

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

const signMe = `
@	3600 SOA ns1 hostmaster 1 7200 3600 1209600 300
@	NS	ns1
ns1	A	192.0.2.1
www	CNAME	web
web	A	192.0.2.80
	A	192.0.2.81
mail	A	192.0.2.25
@	MX	10 mail
*.wild	TXT	"wildcard"
a.b.c	TXT	"below an empty non-terminal"
secure	NS	ns.secure
ns.secure	A	192.0.2.53
secure	DS	12345 13 2 0000000000000000000000000000000000000000000000000000000000000000
insecure	NS	ns.insecure
ns.insecure	A	192.0.2.54
old	DNAME	example.net.
`

var signNow = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

func testKey(seed byte) SigningKey {
	s := make([]byte, ed25519.SeedSize)
	s[0] = seed
	return SigningKey{Signer: ed25519.NewKeyFromSeed(s)}
}

func p256Key(t testing.TB, flags uint16) SigningKey {
	t.Helper()
	// A fixed key (deterministic tests).
	d := sha256.Sum256([]byte("relaykit zone test key"))
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d[:])
	if err != nil {
		t.Fatal(err)
	}
	return SigningKey{Signer: k, Flags: flags}
}

func signedZone(t testing.TB, cfg SignConfig) *Zone {
	t.Helper()
	z, err := parseText("example.", signMe)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return signNow }
	}
	sz, err := Sign(z, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return sz
}

// verifyRRSIG checks sig over set with key (RFC 4034 3.1.8.1).
func verifyRRSIG(sig *dnswire.RRSIG, set []dnswire.RR, key *dnswire.DNSKEY) bool {
	data, err := dnswire.SignedData(sig, set)
	if err != nil {
		return false
	}
	switch key.Algorithm {
	case AlgED25519:
		return ed25519.Verify(ed25519.PublicKey(key.PublicKey), data, sig.Signature)
	case AlgECDSAP256SHA256:
		h := sha256.Sum256(data)
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append([]byte{4}, key.PublicKey...))
		if err != nil {
			return false
		}
		return ecdsa.Verify(pub, h[:], new(big.Int).SetBytes(sig.Signature[:32]), new(big.Int).SetBytes(sig.Signature[32:]))
	}
	return false
}

// checkSigned verifies every RRSIG of z with z's DNSKEYs and checks that
// exactly the authoritative RRsets are signed, each by wantSigs keys.
func checkSigned(t *testing.T, z *Zone, sigsFor func(dnswire.Type) int) {
	t.Helper()
	keys := map[uint16]*dnswire.DNSKEY{}
	for _, rr := range z.set(z.origin, dnswire.TypeDNSKEY) {
		k := rr.Data.(*dnswire.DNSKEY)
		keys[k.KeyTag()] = k
	}
	for _, nd := range z.nodes {
		occluded := z.occluded(nd.name)
		cut := !nd.name.Equal(z.origin) && nd.get(dnswire.TypeNS) != nil
		for _, s := range nd.sets {
			if s.typ == dnswire.TypeRRSIG {
				continue
			}
			g := nd.sig(s.typ)
			n := 0
			if g != nil {
				n = len(g.rrs)
			}
			want := sigsFor(s.typ)
			if occluded || cut && s.typ != dnswire.TypeDS && s.typ != dnswire.TypeNSEC {
				want = 0 // RFC 4035 2.2: glue and delegation NS unsigned
			}
			if n != want {
				t.Errorf("%s %s: %d signatures, want %d", nd.name, s.typ, n, want)
			}
			if g == nil {
				continue
			}
			for _, rr := range g.rrs {
				sig := rr.Data.(*dnswire.RRSIG)
				k := keys[sig.KeyTag]
				if k == nil || !verifyRRSIG(sig, s.rrs, k) {
					t.Errorf("%s %s: signature by %d does not verify", nd.name, s.typ, sig.KeyTag)
				}
				if sig.Inception != uint32(signNow.Add(-time.Hour).Unix()) || sig.Expiration != uint32(signNow.Add(14*24*time.Hour).Unix()) {
					t.Errorf("%s %s: validity %d-%d", nd.name, s.typ, sig.Inception, sig.Expiration)
				}
			}
		}
	}
}

func TestSignCSK(t *testing.T) {
	z := signedZone(t, SignConfig{Keys: []SigningKey{testKey(1)}})
	checkSigned(t, z, func(dnswire.Type) int { return 1 })
	// RFC 4035 2.3: the NSEC chain visits every authoritative name that
	// owns data, in canonical order, and closes at the apex.
	var chain []string
	n := z.node(z.origin)
	for {
		chain = append(chain, n.name.String())
		next := n.get(dnswire.TypeNSEC).rrs[0].Data.(*dnswire.NSEC).NextDomain
		if next.Equal(z.origin) {
			break
		}
		n = z.node(next)
		if n == nil || len(chain) > 50 {
			t.Fatalf("chain broken after %v", chain)
		}
	}
	want := []string{"example.", "a.b.c.example.", "insecure.example.", "mail.example.", "ns1.example.",
		"old.example.", "secure.example.", "web.example.", "*.wild.example.", "www.example."}
	if !slices.Equal(chain, want) {
		t.Errorf("NSEC chain %v\nwant %v", chain, want)
	}
	types := func(name string) string {
		return z.set(dnswire.MustName(name), dnswire.TypeNSEC)[0].Data.(*dnswire.NSEC).String()
	}
	for name, want := range map[string]string{
		"secure.example.":   "web.example. NS DS RRSIG NSEC",
		"insecure.example.": "mail.example. NS RRSIG NSEC",
		"example.":          "a.b.c.example. NS SOA MX RRSIG NSEC DNSKEY",
	} {
		if got := types(name); got != want {
			t.Errorf("NSEC at %s: %s, want %s", name, got, want)
		}
	}
	// The wildcard's RRSIG does not count the "*" label (RFC 4034 3.1.3).
	if l := z.node(dnswire.MustName("*.wild.example.")).sig(dnswire.TypeTXT).rrs[0].Data.(*dnswire.RRSIG).Labels; l != 2 {
		t.Errorf("wildcard RRSIG labels %d", l)
	}
	// Signing again replaces, not adds.
	again, err := Sign(z, SignConfig{Keys: []SigningKey{testKey(1)}, Now: func() time.Time { return signNow }})
	if err != nil || again.Len() != z.Len() {
		t.Errorf("re-signing: %v, %d records, want %d", err, again.Len(), z.Len())
	}
}

func TestSignKSKZSK(t *testing.T) {
	ksk := testKey(1)
	zsk := testKey(2)
	zsk.Flags = dnswire.DNSKEYZone
	z := signedZone(t, SignConfig{Keys: []SigningKey{ksk, zsk}})
	checkSigned(t, z, func(dnswire.Type) int { return 1 })
	kskPub, _ := ksk.DNSKEY()
	for _, rr := range z.node(z.origin).sig(dnswire.TypeDNSKEY).rrs {
		if rr.Data.(*dnswire.RRSIG).KeyTag != kskPub.KeyTag() {
			t.Errorf("DNSKEY signed by the ZSK")
		}
	}
	ds, err := ksk.DS(z.origin)
	if err != nil || ds.KeyTag != kskPub.KeyTag() || ds.Algorithm != AlgED25519 || len(ds.Digest) != 32 {
		t.Errorf("DS %v %v", ds, err)
	}
	// Two algorithms: each signs every RRset (RFC 4035 2.2), the P-256
	// key being the only one of its algorithm.
	z = signedZone(t, SignConfig{Keys: []SigningKey{ksk, zsk, p256Key(t, 0)}})
	checkSigned(t, z, func(dnswire.Type) int { return 2 })
}

func TestSignNSEC3(t *testing.T) {
	z := signedZone(t, SignConfig{Keys: []SigningKey{testKey(1)}, NSEC3: &dnswire.NSEC3PARAM{HashAlg: 1, Salt: []byte{0xab}, Iterations: 2}})
	checkSigned(t, z, func(dnswire.Type) int { return 1 })
	if z.n3 == nil || z.nsec != nil {
		t.Fatalf("NSEC3 chain not indexed")
	}
	// RFC 5155 7.1: one NSEC3 per authoritative name, empty
	// non-terminals (b.c, c) included, glue excluded.
	if len(z.nsec3) != 13 {
		t.Errorf("%d NSEC3 records, want 13", len(z.nsec3))
	}
	// RFC 5155 Appendix A: the hash of "example" with salt aabbccdd and
	// 12 iterations is 0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.
	h := nsec3Hash(nil, dnswire.MustName("example."), []byte{0xaa, 0xbb, 0xcc, 0xdd}, 12)
	if got := string(appendBase32Hex(nil, h)); got != "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom" {
		t.Errorf("hash %s", got)
	}
	if b, ok := decodeBase32Hex("0p9mhaveqvm6t7vbl5lop2u3t2rp3tom"); !ok || string(b) != string(h) {
		t.Errorf("decode %x %v", b, ok)
	}
}

func TestSignErrors(t *testing.T) {
	z, _ := parseText("example.", signMe)
	if _, err := Sign(z, SignConfig{}); err != ErrNoKeys {
		t.Errorf("no keys: %v", err)
	}
	if _, err := (SigningKey{}).DNSKEY(); err != ErrKeyType {
		t.Errorf("nil signer: %v", err)
	}
}

// dnssecAsk asks name/type with DO (and EDNS) set or not.
func dnssecAsk(t *testing.T, s *Server, name string, typ dnswire.Type, do bool) result {
	t.Helper()
	q := query(name, typ)
	q.SetEDNS(4096, do)
	_, r := ask(t, s, q)
	return r
}

// summary keeps each record's owner, type and, for RRSIGs, the type
// covered; for NSEC the next name.
func summary(rrs []string) []string {
	var out []string
	for _, s := range rrs {
		f := strings.Split(s, "\t")
		w := f[0] + " " + f[3]
		switch f[3] {
		case "RRSIG", "NSEC":
			w += " " + strings.Fields(f[4])[0]
		}
		out = append(out, w)
	}
	return out
}

func TestServeSigned(t *testing.T) {
	s := &Server{}
	s.AddZone(signedZone(t, SignConfig{Keys: []SigningKey{testKey(1)}}))
	tests := []struct {
		name   string
		typ    dnswire.Type
		rcode  string
		answer []string
		ns     []string
	}{
		{"web.example.", dnswire.TypeA, "NOERROR", []string{"web.example. A", "web.example. A", "web.example. RRSIG A"}, nil},
		{"www.example.", dnswire.TypeA, "NOERROR", []string{"www.example. CNAME", "www.example. RRSIG CNAME",
			"web.example. A", "web.example. A", "web.example. RRSIG A"}, nil},
		// RFC 4035 3.1.3.1: NODATA with the name's NSEC.
		{"mail.example.", dnswire.TypeAAAA, "NOERROR", nil, []string{"example. SOA", "example. RRSIG SOA",
			"mail.example. NSEC ns1.example.", "mail.example. RRSIG NSEC"}},
		// An empty non-terminal: the NSEC covering it.
		{"b.c.example.", dnswire.TypeA, "NOERROR", nil, []string{"example. SOA", "example. RRSIG SOA",
			"example. NSEC a.b.c.example.", "example. RRSIG NSEC"}},
		// RFC 4035 3.1.3.2: NXDOMAIN with the NSEC covering the name and
		// the one covering the wildcard.
		{"nope.example.", dnswire.TypeA, "NXDOMAIN", nil, []string{"example. SOA", "example. RRSIG SOA",
			"mail.example. NSEC ns1.example.", "mail.example. RRSIG NSEC",
			"example. NSEC a.b.c.example.", "example. RRSIG NSEC"}},
		// RFC 4035 3.1.3.3: a wildcard answer, its RRSIG with the
		// query's owner, and the NSEC proving the name itself absent.
		{"x.wild.example.", dnswire.TypeTXT, "NOERROR", []string{"x.wild.example. TXT", "x.wild.example. RRSIG TXT"},
			[]string{"*.wild.example. NSEC www.example.", "*.wild.example. RRSIG NSEC"}},
		// RFC 4035 3.1.3.4: wildcard NODATA (here one NSEC both covers
		// the name, which sorts after "*", and shows the wildcard's
		// types).
		{"x.wild.example.", dnswire.TypeA, "NOERROR", nil, []string{"example. SOA", "example. RRSIG SOA",
			"*.wild.example. NSEC www.example.", "*.wild.example. RRSIG NSEC"}},
		// RFC 4035 3.1.4: referrals with the signed DS, or the NSEC
		// proving there is none.
		{"host.secure.example.", dnswire.TypeA, "NOERROR", nil, []string{"secure.example. NS",
			"secure.example. DS", "secure.example. RRSIG DS"}},
		{"host.insecure.example.", dnswire.TypeA, "NOERROR", nil, []string{"insecure.example. NS",
			"insecure.example. NSEC mail.example.", "insecure.example. RRSIG NSEC"}},
		// RFC 4035 3.1.4.1: DS is answered by the parent.
		{"secure.example.", dnswire.TypeDS, "NOERROR", []string{"secure.example. DS", "secure.example. RRSIG DS"}, nil},
		{"insecure.example.", dnswire.TypeDS, "NOERROR", nil, []string{"example. SOA", "example. RRSIG SOA",
			"insecure.example. NSEC mail.example.", "insecure.example. RRSIG NSEC"}},
		{"example.", dnswire.TypeDNSKEY, "NOERROR", []string{"example. DNSKEY", "example. RRSIG DNSKEY"}, nil},
		// RFC 6672 5.3.1: the DNAME signed, the CNAME made from it not.
		{"x.old.example.", dnswire.TypeA, "NOERROR", []string{"old.example. DNAME", "old.example. RRSIG DNAME", "x.old.example. CNAME"}, nil},
	}
	for _, tt := range tests {
		r := dnssecAsk(t, s, tt.name, tt.typ, true)
		if r.RCode != tt.rcode || !slices.Equal(summary(r.Answer), tt.answer) || !slices.Equal(summary(r.Ns), tt.ns) {
			t.Errorf("%s %s:\n got %s %q %q\nwant %s %q %q", tt.name, tt.typ, r.RCode, summary(r.Answer), summary(r.Ns), tt.rcode, tt.answer, tt.ns)
		}
		// Without DO (RFC 4035 3.1: DNSSEC records only when asked
		// for by type).
		r = dnssecAsk(t, s, tt.name, tt.typ, false)
		for _, rr := range append(append(r.Answer, r.Ns...), r.Extra...) {
			f := strings.Split(rr, "\t")
			if f[3] == "RRSIG" || f[3] == "NSEC" || f[3] == "NSEC3" {
				t.Errorf("%s %s without DO: %s", tt.name, tt.typ, rr)
			}
		}
	}
	// Additional addresses come with their RRSIGs; glue has none.
	r := dnssecAsk(t, s, "example.", dnswire.TypeMX, true)
	if want := []string{"mail.example. A", "mail.example. RRSIG A"}; !slices.Equal(summary(r.Extra[:2]), want) {
		t.Errorf("additional %q", summary(r.Extra))
	}
}

func TestServeSignedNSEC3(t *testing.T) {
	s := &Server{}
	z := signedZone(t, SignConfig{Keys: []SigningKey{testKey(1)}, NSEC3: &dnswire.NSEC3PARAM{HashAlg: 1}})
	s.AddZone(z)
	hashOf := func(name string) string {
		return string(appendBase32Hex(nil, nsec3Hash(nil, dnswire.MustName(name), nil, 0))) + ".example."
	}
	count := func(rrs []string, typ string) int {
		n := 0
		for _, w := range rrs {
			f := strings.Split(w, "\t")
			if f[3] == typ || f[3] == "RRSIG" && strings.HasPrefix(f[4], typ+" ") {
				n++
			}
		}
		return n
	}
	// NXDOMAIN: closest encloser proof and wildcard (RFC 5155 7.2.2).
	r := dnssecAsk(t, s, "nope.example.", dnswire.TypeA, true)
	// (Three proofs, two when one record covers two hashes; the
	// resolver's validator checks them in dnstest's tests.)
	if n := count(r.Ns, "NSEC3"); r.RCode != "NXDOMAIN" || n != 4 && n != 6 {
		t.Errorf("NXDOMAIN %q", summary(r.Ns))
	}
	// NODATA: the matching NSEC3 (RFC 5155 7.2.3).
	r = dnssecAsk(t, s, "mail.example.", dnswire.TypeAAAA, true)
	if count(r.Ns, "NSEC3") != 2 || !strings.HasPrefix(r.Ns[2], hashOf("mail.example.")) {
		t.Errorf("NODATA %q", r.Ns)
	}
	// An empty non-terminal has its own NSEC3 (RFC 5155 7.1).
	r = dnssecAsk(t, s, "b.c.example.", dnswire.TypeA, true)
	if count(r.Ns, "NSEC3") != 2 || !strings.HasPrefix(r.Ns[2], hashOf("b.c.example.")) {
		t.Errorf("ENT %q", r.Ns)
	}
	// Wildcard answer: the NSEC3 covering the next closer name (7.2.6).
	r = dnssecAsk(t, s, "x.wild.example.", dnswire.TypeTXT, true)
	if len(r.Answer) != 2 || count(r.Ns, "NSEC3") != 2 {
		t.Errorf("wildcard %q %q", r.Answer, r.Ns)
	}
	// Referral without DS: the NSEC3 matching the cut (7.2.7).
	r = dnssecAsk(t, s, "host.insecure.example.", dnswire.TypeA, true)
	if count(r.Ns, "NSEC3") != 2 || !strings.HasPrefix(r.Ns[1], hashOf("insecure.example.")) {
		t.Errorf("referral %q", r.Ns)
	}
}

// TestUpdateResign: with Server.Resign, an UPDATE to a signed zone is
// served signed (new RRSIGs, the new name in the NSEC chain), and the
// journal carries the signed change across a restart.
func TestUpdateResign(t *testing.T) {
	dir := t.TempDir()
	resign := func(z *Zone) (*Zone, error) {
		return Sign(z, SignConfig{Keys: []SigningKey{testKey(1)}, Now: func() time.Time { return signNow }})
	}
	start := func() *Server {
		s := updateServer(t, t.TempDir()) // (its unsigned zone journals elsewhere)
		s.JournalDir = dir
		s.Resign = resign
		z, err := parseText("edu.", eduZone)
		if err != nil {
			t.Fatal(err)
		}
		sz, _ := resign(z)
		if err := s.AddZone(sz); err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := start()
	if m := send(t, s, registerHamburger(t), registrar, testNow); m.RCode != dnswire.RCodeSuccess {
		t.Fatalf("register: %v", m.RCode)
	}
	z := s.Zone(dnswire.MustName("edu."))
	checkSigned(t, z, func(dnswire.Type) int { return 1 })
	if z.set(dnswire.MustName("hamburger.edu."), dnswire.TypeNSEC) == nil {
		t.Error("new delegation not in the NSEC chain")
	}
	r := dnssecAsk(t, s, "www.hamburger.edu.", dnswire.TypeA, true)
	if want := []string{"hamburger.edu. NS", "hamburger.edu. NSEC mit.edu.", "hamburger.edu. RRSIG NSEC"}; !slices.Equal(summary(r.Ns), want) {
		t.Errorf("referral %q", summary(r.Ns))
	}
	// Restart: the journal replays the signed difference.
	s2 := start()
	z2 := s2.Zone(dnswire.MustName("edu."))
	if z2.Serial() != z.Serial() || z2.Len() != z.Len() {
		t.Fatalf("after restart: serial %d, %d records; want %d, %d", z2.Serial(), z2.Len(), z.Serial(), z.Len())
	}
	checkSigned(t, z2, func(dnswire.Type) int { return 1 })
	// A failing re-signer answers SERVFAIL and changes nothing.
	s2.Resign = func(*Zone) (*Zone, error) { return nil, ErrNoKeys }
	u := dnswire.NewUpdate(dnswire.MustName("edu."))
	u.UpdateAdd(rr(t, "x.edu. 3600 IN NS ns.x.edu."))
	u.UpdateAdd(rr(t, "ns.x.edu. 3600 IN A 192.0.2.7"))
	if m := send(t, s2, u, registrar, testNow); m.RCode != dnswire.RCodeServerFailure || s2.Zone(dnswire.MustName("edu.")).Serial() != z.Serial() {
		t.Errorf("failing re-signer: %v", m.RCode)
	}
}

// signedServer serves signMe signed with NSEC (example.) and NSEC3
// (nsec3.test.).
func signedServer(t testing.TB) *Server {
	s := &Server{}
	s.AddZone(signedZone(t, SignConfig{Keys: []SigningKey{testKey(1)}}))
	z, err := parseText("nsec3.test.", signMe)
	if err != nil {
		t.Fatal(err)
	}
	if z, err = Sign(z, SignConfig{Keys: []SigningKey{testKey(1)}, NSEC3: &dnswire.NSEC3PARAM{HashAlg: 1}, Now: func() time.Time { return signNow }}); err != nil {
		t.Fatal(err)
	}
	s.AddZone(z)
	return s
}

// TestSignedQueryAllocs: answers with DNSSEC records (RRSIGs, NSEC and
// NSEC3 proofs) allocate nothing either.
func TestSignedQueryAllocs(t *testing.T) {
	s := signedServer(t)
	zs := s.zones.Load()
	r := newResponder()
	out := make([]byte, 0, 4096)
	for _, name := range []string{"web.example.", "nope.example.", "x.wild.example.", "host.insecure.example.",
		"web.nsec3.test.", "nope.nsec3.test.", "x.wild.nsec3.test.", "host.insecure.nsec3.test."} {
		q := query(name, dnswire.TypeA)
		q.SetEDNS(1232, true)
		w, _ := q.Pack()
		allocs := testing.AllocsPerRun(100, func() {
			if r.respond(zs, limits{}, w, false, out[:0]) == nil {
				t.Fatal("no answer")
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocs per query, budget 0", name, allocs)
		}
	}
}

// BenchmarkQuerySigned answers with DO set: a signed answer, and an
// NXDOMAIN with its NSEC3 closest encloser proof (three SHA-1 hashes).
func BenchmarkQuerySigned(b *testing.B) {
	s := signedServer(b)
	zs := s.zones.Load()
	for _, name := range []string{"web.example.", "nope.nsec3.test."} {
		b.Run(name, func(b *testing.B) {
			q := query(name, dnswire.TypeA)
			q.SetEDNS(1232, true)
			w, _ := q.Pack()
			out := make([]byte, 0, 4096)
			r := newResponder()
			b.ReportAllocs()
			for b.Loop() {
				r.respond(zs, limits{}, w, false, out[:0])
			}
		})
	}
}
