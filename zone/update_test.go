package zone

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

const eduZone = `
$TTL 3600
@	SOA	a.edu-servers.net. hostmaster 100 7200 3600 1209600 300
	NS	a.edu-servers.net.
mit	NS	ns.mit
ns.mit	A	192.0.2.10
`

var (
	registrar = &dnswire.TSIGKey{Name: dnswire.MustName("registrar."), Algorithm: dnswire.HMACSHA256, Secret: []byte("registrar secret 0123456789abcdef")}
	admin     = &dnswire.TSIGKey{Name: dnswire.MustName("admin."), Algorithm: dnswire.HMACSHA512, Secret: []byte("admin secret 0123456789abcdef0123")}
	testNow   = time.Unix(1767225600, 0)
)

func updateServer(t testing.TB, dir string) *Server {
	t.Helper()
	s := &Server{
		Keys: []*dnswire.TSIGKey{registrar, admin},
		UpdatePolicy: []UpdateRule{
			{Key: registrar.Name, Name: dnswire.MustName("edu."), BelowOnly: true, Types: []dnswire.Type{dnswire.TypeNS, dnswire.TypeA, dnswire.TypeAAAA}},
			{Key: admin.Name, Name: dnswire.MustName("edu.")},
			{Key: admin.Name, Name: dnswire.MustName("edu."), Types: []dnswire.Type{dnswire.TypeSOA}},
		},
		JournalDir: dir,
		Now:        func() time.Time { return testNow },
	}
	z, err := parseText("edu.", eduZone)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddZone(z); err != nil {
		t.Fatal(err)
	}
	return s
}

func rr(t testing.TB, s string) dnswire.RR {
	t.Helper()
	r, err := dnswire.ParseRR(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// send signs u with key (nil: unsigned) and returns the decoded answer.
func send(t testing.TB, s *Server, u *dnswire.Msg, key *dnswire.TSIGKey, at time.Time) *dnswire.Msg {
	t.Helper()
	w, err := u.Pack()
	if err != nil {
		t.Fatal(err)
	}
	var mac []byte
	if key != nil {
		w, mac, err = dnswire.SignTSIG(w, dnswire.TSIGSign{Key: key, Time: at})
		if err != nil {
			t.Fatal(err)
		}
	}
	resp := s.Handle(w, true, nil)
	var m dnswire.Msg
	if err := m.Unpack(resp); err != nil {
		t.Fatal(err)
	}
	if key != nil && m.RCode != dnswire.RCodeNotAuth {
		if _, err := dnswire.VerifyTSIG(resp, dnswire.TSIGVerify{Keys: func(dnswire.Name) *dnswire.TSIGKey { return key }, Now: at, RequestMAC: mac}); err != nil {
			t.Errorf("response signature: %v", err)
		}
	}
	return m.Clone()
}

func registerHamburger(t testing.TB) *dnswire.Msg {
	u := dnswire.NewUpdate(dnswire.MustName("edu."))
	u.ID = 42
	u.PrereqNameNotInUse(dnswire.MustName("hamburger.edu."))
	u.UpdateAdd(rr(t, "hamburger.edu. 3600 IN NS dns1.hamburger.edu."))
	u.UpdateAdd(rr(t, "dns1.hamburger.edu. 3600 IN A 212.212.212.1"))
	return u
}

func TestUpdateRegistrar(t *testing.T) {
	s := updateServer(t, "")
	if m := send(t, s, registerHamburger(t), registrar, testNow); m.RCode != dnswire.RCodeSuccess {
		t.Fatalf("register: %v", m.RCode)
	}
	_, got := ask(t, s, query("www.hamburger.edu.", dnswire.TypeA))
	if got.AA || len(got.Ns) != 1 || len(got.Extra) != 1 || got.Extra[0] != "dns1.hamburger.edu.\t3600\tIN\tA\t212.212.212.1" {
		t.Errorf("referral after update: %+v", got)
	}
	if z := s.Zone(dnswire.MustName("edu.")); z.Serial() != 101 {
		t.Errorf("serial %d, want 101", z.Serial())
	}
	// The same again fails its prerequisite and changes nothing.
	if m := send(t, s, registerHamburger(t), registrar, testNow); m.RCode != dnswire.RCodeYXDomain {
		t.Errorf("second register: %v", m.RCode)
	}
	if s.Zone(dnswire.MustName("edu.")).Serial() != 101 {
		t.Error("failed update changed the serial")
	}
}

func TestUpdateRefusals(t *testing.T) {
	s := updateServer(t, "")
	z0 := s.Zone(dnswire.MustName("edu."))
	tsigErr := func(m *dnswire.Msg) dnswire.RCode {
		for _, rr := range m.Extra {
			if d, ok := rr.Data.(*dnswire.TSIG); ok {
				return d.Error
			}
		}
		return 0xFFFF
	}
	// Unsigned.
	if m := send(t, s, registerHamburger(t), nil, testNow); m.RCode != dnswire.RCodeRefused {
		t.Errorf("unsigned: %v", m.RCode)
	}
	// Unknown key: NOTAUTH, TSIG error BADKEY, empty MAC.
	stranger := &dnswire.TSIGKey{Name: dnswire.MustName("stranger."), Secret: []byte("x")}
	m := send(t, s, registerHamburger(t), stranger, testNow)
	if m.RCode != dnswire.RCodeNotAuth || tsigErr(m) != dnswire.RCodeBadKey {
		t.Errorf("unknown key: %v %v", m.RCode, tsigErr(m))
	}
	// Right name, wrong secret: BADSIG.
	forged := &dnswire.TSIGKey{Name: registrar.Name, Secret: []byte("guess")}
	if m := send(t, s, registerHamburger(t), forged, testNow); m.RCode != dnswire.RCodeNotAuth || tsigErr(m) != dnswire.RCodeBadSig {
		t.Errorf("forged: %v %v", m.RCode, tsigErr(m))
	}
	// Old signature: BADTIME, signed, our time in other data.
	m = send(t, s, registerHamburger(t), registrar, testNow.Add(-time.Hour))
	if m.RCode != dnswire.RCodeNotAuth || tsigErr(m) != dnswire.RCodeBadTime {
		t.Errorf("late: %v %v", m.RCode, tsigErr(m))
	} else if d := m.Extra[len(m.Extra)-1].Data.(*dnswire.TSIG); len(d.OtherData) != 6 || len(d.MAC) != 32 {
		t.Errorf("BADTIME TSIG %v", d)
	}
	// Policy: the registrar may not touch edu. itself, nor add MX.
	for _, r := range []string{"edu. 3600 IN NS evil.example.", "hamburger.edu. 3600 IN MX 10 mail.hamburger.edu.", "edu. 0 ANY ANY"} {
		u := dnswire.NewUpdate(dnswire.MustName("edu."))
		u.Ns = append(u.Ns, rr(t, r))
		if m := send(t, s, u, registrar, testNow); m.RCode != dnswire.RCodeRefused {
			t.Errorf("policy %q: %v", r, m.RCode)
		}
	}
	// All or nothing: an allowed record followed by an out-of-zone one.
	u := dnswire.NewUpdate(dnswire.MustName("edu."))
	u.UpdateAdd(rr(t, "x.edu. 3600 IN A 192.0.2.1"))
	u.Ns = append(u.Ns, rr(t, "x.edu. 60 ANY A"))
	if m := send(t, s, u, admin, testNow); m.RCode != dnswire.RCodeFormatError {
		t.Errorf("delete with a TTL: %v", m.RCode)
	}
	// RFC 2136 3.3 checks permission before the prescan of 3.4.1, so a
	// record outside every rule is REFUSED even when outside the zone.
	u = dnswire.NewUpdate(dnswire.MustName("edu."))
	u.UpdateAdd(rr(t, "x.com. 3600 IN A 192.0.2.1"))
	if m := send(t, s, u, admin, testNow); m.RCode != dnswire.RCodeRefused {
		t.Errorf("out of zone: %v", m.RCode)
	}
	// NS without glue would break the zone: refused whole.
	u = dnswire.NewUpdate(dnswire.MustName("edu."))
	u.UpdateAdd(rr(t, "y.edu. 3600 IN A 192.0.2.1"))
	u.UpdateAdd(rr(t, "nog.edu. 3600 IN NS ns.nog.edu."))
	if m := send(t, s, u, admin, testNow); m.RCode != dnswire.RCodeRefused {
		t.Errorf("NS without glue: %v", m.RCode)
	}
	// A zone we do not serve.
	if m := send(t, s, dnswire.NewUpdate(dnswire.MustName("com.")), admin, testNow); m.RCode != dnswire.RCodeNotAuth {
		t.Errorf("other zone: %v", m.RCode)
	}
	if s.Zone(dnswire.MustName("edu.")) != z0 {
		t.Error("a refused update changed the zone")
	}
}

func TestUpdatePrerequisites(t *testing.T) {
	s := updateServer(t, "")
	mit, edu := dnswire.MustName("mit.edu."), dnswire.MustName("edu.")
	nsmit := rr(t, "ns.mit.edu. 0 IN A 192.0.2.10")
	tests := []struct {
		name string
		pre  func(u *dnswire.Msg)
		want dnswire.RCode
	}{
		{"name in use ok", func(u *dnswire.Msg) { u.PrereqNameInUse(mit) }, dnswire.RCodeSuccess},
		{"name in use fails", func(u *dnswire.Msg) { u.PrereqNameInUse(dnswire.MustName("nope.edu.")) }, dnswire.RCodeNameError},
		{"name not in use fails", func(u *dnswire.Msg) { u.PrereqNameNotInUse(mit) }, dnswire.RCodeYXDomain},
		{"rrset exists ok", func(u *dnswire.Msg) { u.PrereqRRsetExists(mit, dnswire.TypeNS) }, dnswire.RCodeSuccess},
		{"rrset exists fails", func(u *dnswire.Msg) { u.PrereqRRsetExists(mit, dnswire.TypeMX) }, dnswire.RCodeNXRRSet},
		{"rrset not exists fails", func(u *dnswire.Msg) { u.PrereqRRsetNotExists(mit, dnswire.TypeNS) }, dnswire.RCodeYXRRSet},
		{"value dependent ok", func(u *dnswire.Msg) { u.PrereqRRsetEquals(nsmit) }, dnswire.RCodeSuccess},
		{"value dependent fails", func(u *dnswire.Msg) { u.PrereqRRsetEquals(rr(t, "ns.mit.edu. 0 IN A 192.0.2.11")) }, dnswire.RCodeNXRRSet},
		{"value dependent superset fails", func(u *dnswire.Msg) {
			u.PrereqRRsetEquals(nsmit)
			u.PrereqRRsetEquals(rr(t, "ns.mit.edu. 0 IN A 192.0.2.11"))
		}, dnswire.RCodeNXRRSet},
		{"outside zone", func(u *dnswire.Msg) { u.PrereqNameInUse(dnswire.MustName("x.com.")) }, dnswire.RCodeNotZone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := dnswire.NewUpdate(edu)
			tt.pre(u)
			if m := send(t, s, u, admin, testNow); m.RCode != tt.want {
				t.Errorf("got %v, want %v", m.RCode, tt.want)
			}
		})
	}
}

func TestUpdateDeleteForms(t *testing.T) {
	s := updateServer(t, "")
	edu := dnswire.MustName("edu.")
	do := func(f func(u *dnswire.Msg)) {
		t.Helper()
		u := dnswire.NewUpdate(edu)
		f(u)
		if m := send(t, s, u, admin, testNow); m.RCode != dnswire.RCodeSuccess {
			t.Fatalf("update: %v", m.RCode)
		}
	}
	do(func(u *dnswire.Msg) {
		u.UpdateAdd(rr(t, "w.edu. 60 IN A 192.0.2.1"))
		u.UpdateAdd(rr(t, "w.edu. 60 IN A 192.0.2.2"))
		u.UpdateAdd(rr(t, "w.edu. 60 IN TXT hello"))
	})
	do(func(u *dnswire.Msg) { u.UpdateDelete(rr(t, "w.edu. 0 IN A 192.0.2.1")) })
	if got := len(s.Zone(edu).set(dnswire.MustName("w.edu."), dnswire.TypeA)); got != 1 {
		t.Errorf("after delete one: %d A", got)
	}
	do(func(u *dnswire.Msg) { u.UpdateDeleteRRset(dnswire.MustName("w.edu."), dnswire.TypeA) })
	if s.Zone(edu).set(dnswire.MustName("w.edu."), dnswire.TypeTXT) == nil || s.Zone(edu).set(dnswire.MustName("w.edu."), dnswire.TypeA) != nil {
		t.Error("delete RRset")
	}
	do(func(u *dnswire.Msg) { u.UpdateDeleteName(dnswire.MustName("w.edu.")) })
	if s.Zone(edu).inUse(dnswire.MustName("w.edu.")) {
		t.Error("delete name")
	}
	// Apex: delete-all keeps SOA and NS; the last NS is not deleted.
	do(func(u *dnswire.Msg) {
		u.UpdateDeleteName(edu)
		u.UpdateDelete(rr(t, "edu. 0 IN NS a.edu-servers.net."))
	})
	z := s.Zone(edu)
	if z.set(edu, dnswire.TypeNS) == nil || z.set(edu, dnswire.TypeSOA) == nil {
		t.Error("apex SOA or NS deleted")
	}
	// An explicit SOA with a larger serial sets it; a smaller is ignored.
	do(func(u *dnswire.Msg) {
		u.UpdateAdd(rr(t, "edu. 3600 IN SOA a.edu-servers.net. hostmaster.edu. 5000 7200 3600 1209600 300"))
	})
	if s.Zone(edu).Serial() != 5000 {
		t.Errorf("serial %d", s.Zone(edu).Serial())
	}
	if !serialGreater(1, 0xFFFFFFF0) || serialGreater(0xFFFFFFF0, 1) || serialGreater(5, 5) {
		t.Error("RFC 1982 comparison")
	}
}

func TestJournalRecovery(t *testing.T) {
	dir := t.TempDir()
	s := updateServer(t, dir)
	if m := send(t, s, registerHamburger(t), registrar, testNow); m.RCode != dnswire.RCodeSuccess {
		t.Fatal(m.RCode)
	}
	u := dnswire.NewUpdate(dnswire.MustName("edu."))
	u.UpdateAdd(rr(t, "dns1.hamburger.edu. 3600 IN A 212.212.212.2"))
	if m := send(t, s, u, registrar, testNow); m.RCode != dnswire.RCodeSuccess {
		t.Fatal(m.RCode)
	}
	s.Close()
	// A crash in the middle of a third append leaves a half entry.
	jf := filepath.Join(dir, "edu.jnl")
	f, err := os.OpenFile(jf, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{0, 0, 1, 0, 1, 2, 3, 4, 's', 'e'})
	f.Close()
	before, _ := os.Stat(jf)

	s2 := updateServer(t, dir)
	defer s2.Close()
	z := s2.Zone(dnswire.MustName("edu."))
	if z.Serial() != 102 || len(z.set(dnswire.MustName("dns1.hamburger.edu."), dnswire.TypeA)) != 2 {
		t.Errorf("recovered serial %d, records %v", z.Serial(), z.set(dnswire.MustName("dns1.hamburger.edu."), dnswire.TypeA))
	}
	after, _ := os.Stat(jf)
	if after.Size() != before.Size()-10 {
		t.Errorf("tail not cut: %d -> %d", before.Size(), after.Size())
	}
	// Compaction: snapshot written, journal emptied, state kept.
	s2.CompactEvery = 1
	u = dnswire.NewUpdate(dnswire.MustName("edu."))
	u.UpdateAdd(rr(t, "new.edu. 60 IN A 192.0.2.77"))
	if m := send(t, s2, u, admin, testNow); m.RCode != dnswire.RCodeSuccess {
		t.Fatal(m.RCode)
	}
	if st, _ := os.Stat(jf); st.Size() != 0 {
		t.Errorf("journal not emptied: %d", st.Size())
	}
	s2.Close()
	s3 := updateServer(t, dir)
	defer s3.Close()
	if z := s3.Zone(dnswire.MustName("edu.")); z.Serial() != 103 || z.set(dnswire.MustName("new.edu."), dnswire.TypeA) == nil {
		t.Errorf("after compaction: serial %d", z.Serial())
	}
}

func TestJournalCorruptEntry(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "edu.jnl"), nil, 0o644)
	s := updateServer(t, dir)
	s.Close()
	// An entry whose checksum holds but which does not apply is an error,
	// not silently skipped.
	z, _ := parseText("edu.", eduZone)
	ch := &change{oldSOA: withSerial(z.SOA(), 100), newSOA: withSerial(z.SOA(), 101), del: []dnswire.RR{rr(t, "absent.edu. 60 IN A 192.0.2.1")}}
	j, _, err := openJournal(dir, z)
	_ = j
	if err != nil {
		t.Fatal(err)
	}
	jj := &journal{dir: dir, base: "edu"}
	jj.f, _ = os.OpenFile(filepath.Join(dir, "edu.jnl"), os.O_WRONLY|os.O_APPEND, 0)
	if err := jj.append(ch); err != nil {
		t.Fatal(err)
	}
	jj.close()
	if _, _, err := openJournal(dir, z); !errors.Is(err, ErrJournal) {
		t.Errorf("got %v", err)
	}
	_ = netip.Addr{}
}
