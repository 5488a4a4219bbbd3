package zone

import (
	"bytes"
	"errors"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// refreshes collects a secondary's OnRefresh calls.
type refreshes chan refreshed

type refreshed struct {
	z   *Zone
	err error
}

func (r refreshes) next(t *testing.T) refreshed {
	t.Helper()
	select {
	case x := <-r:
		return x
	case <-time.After(20 * time.Second):
		t.Fatal("no refresh")
	}
	return refreshed{}
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestSecondaryFollowsPrimary: AXFR first, then a NOTIFY after an UPDATE
// on the primary brings the change by IXFR, every message signed.
func TestSecondaryFollowsPrimary(t *testing.T) {
	var logs syncBuffer
	sec := &Server{Keys: []*dnswire.TSIGKey{admin, registrar}, Now: func() time.Time { return testNow },
		UpdatePolicy: []UpdateRule{{Key: registrar.Name, Name: dnswire.MustName("edu.")}},
		Logger:       slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	startServer(t, sec)
	prim := updateServer(t, t.TempDir())
	prim.TransferKeys = []dnswire.Name{admin.Name}
	prim.Notify = []netip.AddrPort{sec.Addr()}
	startServer(t, prim)

	got := make(refreshes, 4)
	err := sec.AddSecondary(Secondary{Origin: dnswire.MustName("edu."), Primary: prim.Addr(), Key: admin,
		OnRefresh: func(z *Zone, err error) { got <- refreshed{z, err} }})
	if err != nil {
		t.Fatal(err)
	}
	r := got.next(t)
	if r.err != nil || r.z == nil || r.z.Serial() != 100 || r.z.Len() != prim.Zone(dnswire.MustName("edu.")).Len() {
		t.Fatalf("first transfer: %v %v", r.z, r.err)
	}
	if !strings.Contains(logs.String(), "by=AXFR") {
		t.Errorf("first transfer not by AXFR:\n%s", logs.String())
	}
	if m := send(t, prim, registerHamburger(t), registrar, testNow); m.RCode != dnswire.RCodeSuccess {
		t.Fatal(m.RCode)
	}
	r = got.next(t)
	if r.err != nil || r.z == nil || r.z.Serial() != 101 {
		t.Fatalf("after NOTIFY: %+v", r)
	}
	if !strings.Contains(logs.String(), "by=IXFR") {
		t.Errorf("change not by IXFR:\n%s", logs.String())
	}
	want := texts(prim.Zone(dnswire.MustName("edu.")).Records())
	if d := strings.Join(texts(r.z.Records()), "\n"); d != strings.Join(want, "\n") {
		t.Fatalf("secondary holds\n%s\nwant\n%s", d, strings.Join(want, "\n"))
	}
	// IXFR onward: the secondary serves the change it pulled as a
	// difference sequence (RFC 1995 4), the whole zone from older
	// serials.
	sec.TransferFrom = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	rrs, rc := xfr(t, sec.Addr(), ixfrQuery(t, "edu.", 100), nil)
	var types []string
	for _, r := range rrs {
		types = append(types, r.Type.String())
	}
	if rc != dnswire.RCodeSuccess || joinStr(types) != "SOA SOA SOA NS A SOA" {
		t.Errorf("IXFR from the secondary: %v %s", rc, joinStr(types))
	}
	if rrs, _ := xfr(t, sec.Addr(), ixfrQuery(t, "edu.", 99), nil); len(rrs) != r.z.Len()+1 {
		t.Errorf("IXFR from an unknown serial: %d records", len(rrs))
	}
	q := &dnswire.Msg{}
	q.SetQuestion(dnswire.MustName("www.hamburger.edu."), dnswire.TypeA)
	m := send(t, sec, q, nil, testNow)
	if m.RCode != dnswire.RCodeSuccess || len(m.Ns) != 1 || m.Ns[0].Type != dnswire.TypeNS {
		t.Fatalf("referral from the secondary: %s", m.String())
	}
	// RFC 2136 6: the secondary does not apply updates itself.
	u := dnswire.NewUpdate(dnswire.MustName("edu."))
	u.UpdateAdd(rr(t, "ns2.hamburger.edu. 60 IN A 212.212.212.2"))
	if m := send(t, sec, u, registrar, testNow); m.RCode != dnswire.RCodeRefused {
		t.Fatalf("update to the secondary: %s", m.RCode)
	}
	// A Refresh with nothing new changes nothing.
	if err := sec.Refresh(dnswire.MustName("edu.")); err != nil {
		t.Fatal(err)
	}
	if r = got.next(t); r.err != nil || r.z.Serial() != 101 {
		t.Fatalf("refresh: %+v", r)
	}
}

// TestSecondaryAXFRFallback: a primary without a journal answers IXFR
// with the whole zone (RFC 1995 4), which the secondary takes.
func TestSecondaryAXFRFallback(t *testing.T) {
	prim := updateServer(t, "")
	prim.TransferFrom = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	startServer(t, prim)
	sec := &Server{}
	startServer(t, sec)
	got := make(refreshes, 4)
	if err := sec.AddSecondary(Secondary{Origin: dnswire.MustName("edu."), Primary: prim.Addr(),
		OnRefresh: func(z *Zone, err error) { got <- refreshed{z, err} }}); err != nil {
		t.Fatal(err)
	}
	if r := got.next(t); r.err != nil || r.z.Serial() != 100 {
		t.Fatalf("first: %v %v", r.z, r.err)
	}
	if m := send(t, prim, registerHamburger(t), registrar, testNow); m.RCode != dnswire.RCodeSuccess {
		t.Fatal(m.RCode)
	}
	if err := sec.Refresh(dnswire.MustName("edu.")); err != nil {
		t.Fatal(err)
	}
	r := got.next(t)
	if r.err != nil || r.z.Serial() != 101 || r.z.Len() != prim.Zone(dnswire.MustName("edu.")).Len() {
		t.Fatalf("after change: %+v", r)
	}
}

// TestSecondaryWrongKey: a primary that refuses the key (or signs with
// another) leaves nothing served.
func TestSecondaryWrongKey(t *testing.T) {
	prim := updateServer(t, "")
	prim.TransferKeys = []dnswire.Name{admin.Name}
	startServer(t, prim)
	sec := &Server{Now: func() time.Time { return testNow }}
	startServer(t, sec)
	got := make(refreshes, 4)
	forged := &dnswire.TSIGKey{Name: admin.Name, Algorithm: admin.Algorithm, Secret: []byte("not the admin secret")}
	if err := sec.AddSecondary(Secondary{Origin: dnswire.MustName("edu."), Primary: prim.Addr(), Key: forged,
		OnRefresh: func(z *Zone, err error) { got <- refreshed{z, err} }}); err != nil {
		t.Fatal(err)
	}
	r := got.next(t)
	if r.err == nil || r.z != nil || sec.Zone(dnswire.MustName("edu.")) != nil {
		t.Fatalf("forged key: %+v", r)
	}
	if !errors.Is(r.err, ErrTransfer) && !errors.Is(r.err, ErrUnsigned) {
		t.Fatalf("error %v", r.err)
	}
}

// TestNotifyReceived: RFC 1996 3.10: NOTIFY is accepted only from the
// primary or signed with the zone's key; other zones get NOTAUTH.
func TestNotifyReceived(t *testing.T) {
	sec := &Server{Keys: []*dnswire.TSIGKey{admin}, Now: func() time.Time { return testNow }}
	primary := netip.MustParseAddrPort("127.0.0.2:53")
	// The follower is registered but its loop is not started: only the
	// kick channel is looked at.
	f := &follower{cfg: Secondary{Origin: dnswire.MustName("edu."), Primary: primary, Key: admin}, kick: make(chan struct{}, 1)}
	sec.followers = map[dnswire.Name]*follower{dnswire.MustName("edu."): f}
	notify := func(zone string, key *dnswire.TSIGKey, from string) dnswire.RCode {
		t.Helper()
		m := dnswire.Msg{}
		m.ID = 7
		m.Opcode = dnswire.OpcodeNotify
		m.Authoritative = true
		m.Question = []dnswire.Question{{Name: dnswire.MustName(zone), Type: dnswire.TypeSOA, Class: dnswire.ClassINET}}
		w, _ := m.Pack()
		if key != nil {
			w, _, _ = dnswire.SignTSIG(w, dnswire.TSIGSign{Key: key, Time: testNow})
		}
		resp := sec.answerNotify(w, netip.MustParseAddr(from), nil)
		var r dnswire.Msg
		if err := r.Unpack(resp); err != nil && !errors.Is(err, dnswire.ErrTrailingBytes) {
			t.Fatal(err)
		}
		if !r.Response || r.Opcode != dnswire.OpcodeNotify || r.ID != 7 || len(r.Question) != 1 {
			t.Fatalf("reply %s", r.String())
		}
		return r.RCode
	}
	kicked := func() bool {
		select {
		case <-f.kick:
			return true
		default:
			return false
		}
	}
	for _, tt := range []struct {
		zone string
		key  *dnswire.TSIGKey
		from string
		want dnswire.RCode
		kick bool
	}{
		{"edu.", nil, "127.0.0.2", dnswire.RCodeSuccess, true},
		{"EDU.", admin, "127.0.0.9", dnswire.RCodeSuccess, true},
		{"edu.", nil, "127.0.0.9", dnswire.RCodeRefused, false},
		{"edu.", registrar, "127.0.0.9", dnswire.RCodeNotAuth, false}, // key unknown here
		{"com.", nil, "127.0.0.2", dnswire.RCodeNotAuth, false},
	} {
		if rc := notify(tt.zone, tt.key, tt.from); rc != tt.want {
			t.Errorf("%s from %s key %v: %s, want %s", tt.zone, tt.from, tt.key != nil, rc, tt.want)
		}
		if k := kicked(); k != tt.kick {
			t.Errorf("%s from %s: kicked %v", tt.zone, tt.from, k)
		}
	}
}

// TestSecondaryExpires: RFC 1034 4.3.5: when the primary cannot be
// reached for the SOA's expire interval the zone is no longer served.
func TestSecondaryExpires(t *testing.T) {
	prim := updateServer(t, "")
	prim.TransferFrom = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	startServer(t, prim)
	var mu sync.Mutex
	now := testNow
	sec := &Server{Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }}
	startServer(t, sec)
	got := make(refreshes, 4)
	if err := sec.AddSecondary(Secondary{Origin: dnswire.MustName("edu."), Primary: prim.Addr(), Timeout: 5 * time.Second,
		OnRefresh: func(z *Zone, err error) { got <- refreshed{z, err} }}); err != nil {
		t.Fatal(err)
	}
	if r := got.next(t); r.err != nil || r.z == nil {
		t.Fatalf("first: %v %v", r.z, r.err)
	}
	prim.Close()
	// A failed check within the expire interval keeps the zone.
	sec.Refresh(dnswire.MustName("edu."))
	if r := got.next(t); r.err == nil || r.z == nil {
		t.Fatalf("failed check before expiry: %v %v", r.z, r.err)
	}
	mu.Lock()
	now = now.Add(1209600 * time.Second) // eduZone's EXPIRE
	mu.Unlock()
	sec.Refresh(dnswire.MustName("edu."))
	if r := got.next(t); r.err == nil || r.z != nil || sec.Zone(dnswire.MustName("edu.")) != nil {
		t.Fatalf("after expiry: %v %v", r.z, r.err)
	}
}
