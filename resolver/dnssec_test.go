package resolver

import (
	"context"
	"crypto/ed25519"
	"errors"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// labAuth answers DNSSEC queries from the signed lab zones in
// testdata/dnssec as their authoritative servers would: the RRset with
// its RRSIGs, or a negative answer with the zone's SOA and every NSEC or
// NSEC3 record (with RRSIGs) in the authority section.
type labAuth struct {
	mu      sync.Mutex
	zones   map[string][]dnswire.RR // by origin
	queries int
	edit    func(name dnswire.Name, t dnswire.Type, m *dnswire.Msg)
}

func loadRRs(t testing.TB, file string) []dnswire.RR {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rrs, err := dnswire.ReadZone(f, dnswire.ZoneConfig{File: file, TTL: 300})
	if err != nil {
		t.Fatal(err)
	}
	return rrs
}

const insecLab = `$ORIGIN insec.lab.
$TTL 300
@ SOA ns h 1 3600 600 86400 300
@ NS ns
ns A 127.0.0.1
www A 127.0.0.9
`

func newLabAuth(t testing.TB) *labAuth {
	a := &labAuth{zones: map[string][]dnswire.RR{}}
	a.zones["lab."] = loadRRs(t, "testdata/dnssec/lab.signed")
	a.zones["sec.lab."] = loadRRs(t, "testdata/dnssec/sec.lab.signed")
	rrs, err := dnswire.ReadZone(strings.NewReader(insecLab), dnswire.ZoneConfig{})
	if err != nil {
		t.Fatal(err)
	}
	a.zones["insec.lab."] = rrs
	return a
}

func labAnchor(t testing.TB) []dnswire.RR {
	return loadRRs(t, "testdata/dnssec/lab.ds")
}

// zoneFor returns the origin of the zone that answers name/t: the
// deepest zone holding name, but the parent for DS at a zone apex.
func (a *labAuth) zoneFor(name dnswire.Name, t dnswire.Type) string {
	best := ""
	for o := range a.zones {
		on := dnswire.MustName(o)
		if !name.IsSubdomainOf(on) || (t == dnswire.TypeDS && name.Equal(on)) {
			continue
		}
		if len(o) > len(best) {
			best = o
		}
	}
	return best
}

func (a *labAuth) query(_ context.Context, name dnswire.Name, t dnswire.Type) (*dnswire.Msg, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.queries++
	m := &dnswire.Msg{}
	m.Response, m.Authoritative = true, true
	o := a.zoneFor(name, t)
	if o == "" {
		m.RCode = dnswire.RCodeRefused
		return m, nil
	}
	rrs := a.zones[o]
	answer := func(owner dnswire.Name, as dnswire.Name) bool {
		for _, rr := range rrs {
			sig, isSig := rr.Data.(*dnswire.RRSIG)
			if !rr.Name.Equal(owner) || (rr.Type != t && !(isSig && sig.TypeCovered == t)) {
				continue
			}
			rr.Name = as
			m.Answer = append(m.Answer, rr)
		}
		return len(m.Answer) > 0
	}
	exists := false
	for _, rr := range rrs {
		if rr.Name.IsSubdomainOf(name) && rr.Type != dnswire.TypeNSEC3 && rr.Type != dnswire.TypeRRSIG {
			exists = true
		}
	}
	if !answer(name, name) && !exists {
		// RFC 4592: a wildcard at the closest encloser.
		for n := name.NumLabels() - 1; n >= 1 && len(m.Answer) == 0; n-- {
			w, _ := name.Ancestor(n).Child("*")
			answer(w, name)
		}
		if len(m.Answer) == 0 {
			m.RCode = dnswire.RCodeNameError
		}
	}
	wild := false
	if len(m.Answer) > 0 {
		s, ok := m.Answer[len(m.Answer)-1].Data.(*dnswire.RRSIG)
		wild = ok && int(s.Labels) < name.NumLabels()
	}
	if len(m.Answer) == 0 || wild {
		for _, rr := range rrs {
			sig, isSig := rr.Data.(*dnswire.RRSIG)
			switch {
			case rr.Type == dnswire.TypeSOA, rr.Type == dnswire.TypeNSEC, rr.Type == dnswire.TypeNSEC3,
				isSig && (sig.TypeCovered == dnswire.TypeSOA || sig.TypeCovered == dnswire.TypeNSEC || sig.TypeCovered == dnswire.TypeNSEC3):
				if len(m.Answer) > 0 && (rr.Type == dnswire.TypeSOA || isSig && sig.TypeCovered == dnswire.TypeSOA) {
					continue
				}
				m.Ns = append(m.Ns, rr)
			}
		}
	}
	if a.edit != nil {
		a.edit(name, t, m)
	}
	return m, nil
}

// at2030 is inside the fixtures' signature validity.
func at2030() time.Time { return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) }

func labValidator(t testing.TB, a *labAuth) *Validator {
	return &Validator{Anchors: labAnchor(t), Query: a.query, Now: at2030}
}

func TestValidateLab(t *testing.T) {
	n := dnswire.MustName
	cases := []struct {
		name  string
		qname string
		qtype dnswire.Type
		rcode dnswire.RCode
		want  Security
	}{
		{"nsec positive, P-256 KSK, P-384 ZSK", "www.lab.", dnswire.TypeA, 0, Secure},
		{"signed delegation, Ed25519 KSK, RSA ZSK", "mx.sec.lab.", dnswire.TypeA, 0, Secure},
		{"tlsa", "_25._tcp.mx.sec.lab.", dnswire.TypeTLSA, 0, Secure},
		{"nsec3 wildcard", "x.wild.sec.lab.", dnswire.TypeTXT, 0, Secure},
		{"nsec3 nxdomain", "nope.sec.lab.", dnswire.TypeA, dnswire.RCodeNameError, Secure},
		{"nsec3 nodata", "mx.sec.lab.", dnswire.TypeTXT, 0, Secure},
		{"nsec3 empty non-terminal", "_tcp.mx.sec.lab.", dnswire.TypeA, 0, Secure},
		{"nsec nxdomain", "nope.lab.", dnswire.TypeA, dnswire.RCodeNameError, Secure},
		{"nsec nodata", "www.lab.", dnswire.TypeMX, 0, Secure},
		{"insecure delegation", "www.insec.lab.", dnswire.TypeA, 0, Insecure},
		{"insecure nxdomain", "nope.insec.lab.", dnswire.TypeA, dnswire.RCodeNameError, Insecure},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newLabAuth(t)
			v := labValidator(t, a)
			m, _ := a.query(context.Background(), n(tc.qname), tc.qtype)
			if m.RCode != tc.rcode {
				t.Fatalf("lab answered rcode %v", m.RCode)
			}
			got, err := v.Validate(context.Background(), n(tc.qname), tc.qtype, m)
			if got != tc.want || err != nil {
				t.Fatalf("got %v, %v; want %v (%d queries)", got, err, tc.want, a.queries)
			}
		})
	}
}

func TestValidateLabBogus(t *testing.T) {
	n := dnswire.MustName
	ctx := context.Background()
	cases := []struct {
		name  string
		qname string
		qtype dnswire.Type
		now   time.Time
		edit  func(dnswire.Name, dnswire.Type, *dnswire.Msg)
		ede   uint16
	}{
		{"forged address", "mx.sec.lab.", dnswire.TypeA, at2030(), func(q dnswire.Name, t dnswire.Type, m *dnswire.Msg) {
			if t == dnswire.TypeA {
				m.Answer[0].Data = &dnswire.A{Addr: m.Answer[0].Data.(*dnswire.A).Addr.Next()}
			}
		}, EDEDNSSECBogus},
		{"rrsig stripped", "www.lab.", dnswire.TypeA, at2030(), func(q dnswire.Name, t dnswire.Type, m *dnswire.Msg) {
			if t == dnswire.TypeA {
				m.Answer = m.Answer[:1]
			}
		}, EDERRSIGsMissing},
		{"expired", "www.lab.", dnswire.TypeA, time.Date(2037, 1, 1, 0, 0, 0, 0, time.UTC), nil, EDESignatureExpired},
		{"not yet valid", "www.lab.", dnswire.TypeA, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), nil, EDESignatureNotYetValid},
		{"wrong DS", "mx.sec.lab.", dnswire.TypeA, at2030(), nil, EDEDNSSECBogus},
		{"missing DS (stripped denial)", "mx.sec.lab.", dnswire.TypeA, at2030(), func(q dnswire.Name, t dnswire.Type, m *dnswire.Msg) {
			if t == dnswire.TypeDS && q.Equal(n("sec.lab.")) {
				m.Answer, m.Ns = nil, nil
			}
		}, EDENSECMissing},
		{"forged nxdomain", "mx.sec.lab.", dnswire.TypeA, at2030(), func(q dnswire.Name, t dnswire.Type, m *dnswire.Msg) {
			if t == dnswire.TypeA {
				m.Answer, m.RCode = nil, dnswire.RCodeNameError
			}
		}, EDENSECMissing},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newLabAuth(t)
			v := labValidator(t, a)
			v.Now = func() time.Time { return tc.now }
			if tc.name == "wrong DS" {
				// The DS lab. publishes for sec.lab. is replaced by a
				// digest of some other key: the chain breaks there.
				for i, rr := range a.zones["lab."] {
					if d, ok := rr.Data.(*dnswire.DS); ok {
						x := *d
						x.Digest = slices.Clone(d.Digest)
						x.Digest[0] ^= 1
						a.zones["lab."][i].Data = &x
					}
				}
			}
			m, _ := a.query(ctx, n(tc.qname), tc.qtype)
			a.edit = tc.edit
			if tc.edit != nil {
				tc.edit(n(tc.qname), tc.qtype, m)
			}
			got, err := v.Validate(ctx, n(tc.qname), tc.qtype, m)
			var be *BogusError
			if got != Bogus || !errors.As(err, &be) || !errors.Is(err, ErrBogus) {
				t.Fatalf("got %v, %v; want bogus", got, err)
			}
			if be.EDE != tc.ede {
				t.Fatalf("EDE %d, want %d (%v)", be.EDE, tc.ede, err)
			}
		})
	}
}

func TestValidateNoAnchor(t *testing.T) {
	a := newLabAuth(t)
	v := &Validator{Anchors: []dnswire.RR{{RRHeader: dnswire.RRHeader{Name: dnswire.MustName("other."), Type: dnswire.TypeDS}, Data: &dnswire.DS{KeyTag: 1, Algorithm: 13, DigestType: 2, Digest: make([]byte, 32)}}}, Query: a.query, Now: at2030}
	m, _ := a.query(context.Background(), dnswire.MustName("www.lab."), dnswire.TypeA)
	if got, err := v.Validate(context.Background(), dnswire.MustName("www.lab."), dnswire.TypeA, m); got != Indeterminate || err != nil {
		t.Fatalf("got %v, %v", got, err)
	}
}

// TestKeyTrapBounded builds the KeyTrap shape (CVE-2023-50387): many
// DNSKEYs sharing one key tag and many RRSIGs naming it, none verifying.
// Without limits that is keys × signatures public key operations; here
// the work stops at the budget.
func TestKeyTrapBounded(t *testing.T) {
	zone := dnswire.MustName("trap.")
	const tag = 4242
	var keys []dnswire.DNSKEY
	for i := range 60 {
		pub, _, _ := ed25519.GenerateKey(nil)
		k := dnswire.DNSKEY{Flags: dnswire.DNSKEYZone, Protocol: 3, Algorithm: 15, PublicKey: pub}
		for v := range 1 << 16 {
			k.PublicKey[30], k.PublicKey[31] = byte(v>>8), byte(v)
			if k.KeyTag() == tag {
				break
			}
		}
		if k.KeyTag() != tag {
			t.Fatalf("key %d: no tag collision", i)
		}
		keys = append(keys, k)
	}
	rr := dnswire.RR{RRHeader: dnswire.RRHeader{Name: dnswire.MustName("www.trap."), Type: dnswire.TypeA, Class: dnswire.ClassINET, TTL: 300}, Data: &dnswire.A{Addr: netip.MustParseAddr("192.0.2.1")}}
	var sigs []dnswire.RRSIG
	for range 60 {
		sigs = append(sigs, dnswire.RRSIG{TypeCovered: dnswire.TypeA, Algorithm: 15, Labels: 2, OrigTTL: 300,
			Inception: uint32(at2030().Unix() - 1000), Expiration: uint32(at2030().Unix() + 1000), KeyTag: tag, SignerName: zone, Signature: make([]byte, 64)})
	}
	b := &budget{lim: ValidationLimits{}.withDefaults()}
	start := time.Now()
	_, err := verifyRRset([]dnswire.RR{rr}, sigs, keys, zone, at2030(), b)
	if !errors.Is(err, ErrValidationBudget) || !errors.Is(err, ErrBogus) {
		t.Fatalf("err %v", err)
	}
	if b.verifications > b.lim.MaxVerifications || b.verifications > b.lim.MaxSignatures*b.lim.MaxKeysPerTag {
		t.Fatalf("%d verifications", b.verifications)
	}
	t.Logf("%d verifications (unbounded: %d) in %v", b.verifications, len(keys)*len(sigs), time.Since(start))
}

// TestNSEC3Bounded: the NSEC3 exhaustion shape (CVE-2023-50868): a deep
// name, whose closest encloser proof would hash every ancestor, and high
// iteration counts.
func TestNSEC3Bounded(t *testing.T) {
	zone := dnswire.MustName("trap.")
	mk := func(iter uint16) []nsec3RR {
		return []nsec3RR{{hash: make([]byte, 20), zone: zone, n: &dnswire.NSEC3{HashAlg: 1, Iterations: iter, NextHashed: []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}}}}
	}
	deep := "trap."
	for range 100 {
		deep = "a." + deep
	}
	b := &budget{lim: ValidationLimits{}.withDefaults()}
	if got := nsec3Deny(mk(150), zone, dnswire.MustName(deep), dnswire.TypeA, b); got != proofNone {
		t.Fatalf("proof %v", got)
	}
	if b.hashes > b.lim.MaxNSEC3Hashes {
		t.Fatalf("%d hashes", b.hashes)
	}
	// RFC 9276 3.2: above the iteration limit the answer is insecure,
	// and nothing is hashed.
	b = &budget{lim: ValidationLimits{}.withDefaults()}
	if got := nsec3Deny(mk(2500), zone, dnswire.MustName(deep), dnswire.TypeA, b); got != proofInsecure || b.hashes != 0 {
		t.Fatalf("proof %v after %d hashes", got, b.hashes)
	}
}
