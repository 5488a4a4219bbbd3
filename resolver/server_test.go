package resolver

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnstest"
	"github.com/relaykit/relaykit/dnswire"
)

// startServer serves r on 127.0.0.1 (UDP and TCP, kernel-chosen ports).
func startServer(t *testing.T, cfg ServerConfig) (*Server, net.Addr, net.Addr) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(cfg)
	errc := make(chan error, 2)
	go func() { errc <- s.ServeUDP(pc) }()
	go func() { errc <- s.ServeTCP(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		for range 2 {
			if err := <-errc; !errors.Is(err, ErrClosed) {
				t.Errorf("Serve returned %v", err)
			}
		}
	})
	return s, pc.LocalAddr(), l.Addr()
}

func query(t *testing.T, name string, typ dnswire.Type, edns uint16) []byte {
	t.Helper()
	var m dnswire.Msg
	m.ID = 0x1234
	m.RecursionDesired = true
	m.SetQuestion(dnswire.MustName(name), typ)
	if edns > 0 {
		m.SetEDNS(edns, false)
	}
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func exchangeUDP(t *testing.T, addr net.Addr, q []byte) *dnswire.Msg {
	t.Helper()
	c, err := net.Dial("udp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(q); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 65535)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	var m dnswire.Msg
	if err := m.Unpack(buf[:n]); err != nil {
		t.Fatal(err)
	}
	if n > 512 && (len(q) < 12 || !strings.Contains(string(q), "\x00\x00\x29")) {
		t.Errorf("%d-octet UDP answer to a query without EDNS", n)
	}
	return &m
}

func ede(m *dnswire.Msg) (uint16, string, bool) {
	if m.EDNS == nil {
		return 0, "", false
	}
	for _, o := range m.EDNS.Options {
		if o.Code == dnswire.OptionEDE && len(o.Data) >= 2 {
			return binary.BigEndian.Uint16(o.Data), string(o.Data[2:]), true
		}
	}
	return 0, "", false
}

func TestServerUDP(t *testing.T) {
	_, r := newTest(t, Config{})
	_, udp, _ := startServer(t, ServerConfig{Resolver: r})
	m := exchangeUDP(t, udp, query(t, "WWW.example.com.", dnswire.TypeA, 1232))
	if m.ID != 0x1234 || !m.Response || !m.RecursionAvailable || m.RCode != dnswire.RCodeSuccess || len(m.Answer) != 1 {
		t.Fatalf("%+v answers %d", m.Header, len(m.Answer))
	}
	if m.Question[0].Name.String() != "WWW.example.com." {
		t.Errorf("question case not kept: %v", m.Question[0].Name)
	}
	m = exchangeUDP(t, udp, query(t, "nope.example.com.", dnswire.TypeA, 0))
	if m.RCode != dnswire.RCodeNameError || len(m.Ns) != 1 || m.EDNS != nil {
		t.Fatalf("NXDOMAIN: %+v", m.Header)
	}
	// SERVFAIL with the reason as an Extended DNS Error (RFC 8914).
	m = exchangeUDP(t, udp, query(t, "loop1.example.com.", dnswire.TypeA, 1232))
	code, text, ok := ede(m)
	if m.RCode != dnswire.RCodeServerFailure || !ok || code != edeOther || !strings.Contains(text, "CNAME loop") {
		t.Fatalf("SERVFAIL: %v EDE %d %q %v", m.RCode, code, text, ok)
	}
	// Too big for 512 octets: TC over UDP without EDNS, whole with it.
	m = exchangeUDP(t, udp, query(t, "big.example.com.", dnswire.TypeTXT, 0))
	if !m.Truncated {
		t.Fatalf("big answer without EDNS not truncated (%d records)", len(m.Answer))
	}
	m = exchangeUDP(t, udp, query(t, "big.example.com.", dnswire.TypeTXT, 1232))
	if m.Truncated || len(m.Answer) != 15 {
		t.Fatalf("big answer with EDNS: TC %v, %d records", m.Truncated, len(m.Answer))
	}
}

func TestServerTCPPipelined(t *testing.T) {
	_, r := newTest(t, Config{})
	_, _, tcp := startServer(t, ServerConfig{Resolver: r})
	c, err := net.Dial("tcp", tcp.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	names := []string{"www.example.com.", "multi.example.com.", "big.example.com."}
	var out []byte
	for i, n := range names {
		typ := dnswire.TypeA
		if i == 2 {
			typ = dnswire.TypeTXT
		}
		q := query(t, n, typ, 0)
		binary.BigEndian.PutUint16(q, uint16(i+1)) // distinct IDs
		out, _ = dnswire.AppendTCP(out, q)
	}
	if _, err := c.Write(out); err != nil { // all three in one write
		t.Fatal(err)
	}
	got := map[uint16]int{}
	for range names {
		var l [2]byte
		if _, err := io.ReadFull(c, l[:]); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, binary.BigEndian.Uint16(l[:]))
		if _, err := io.ReadFull(c, b); err != nil {
			t.Fatal(err)
		}
		var m dnswire.Msg
		if err := m.Unpack(b); err != nil {
			t.Fatal(err)
		}
		got[m.ID] = len(m.Answer)
	}
	if got[1] != 1 || got[2] != 3 || got[3] != 15 {
		t.Fatalf("answers by ID: %v", got)
	}
}

func TestServerRefusesOthers(t *testing.T) {
	_, r := newTest(t, Config{})
	_, udp, _ := startServer(t, ServerConfig{Resolver: r, Allowed: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	m := exchangeUDP(t, udp, query(t, "www.example.com.", dnswire.TypeA, 1232))
	code, _, ok := ede(m)
	if m.RCode != dnswire.RCodeRefused || len(m.Answer) != 0 || !ok || code != edeProhibited {
		t.Fatalf("%v EDE %d", m.RCode, code)
	}
}

func TestServerBadQueries(t *testing.T) {
	_, r := newTest(t, Config{})
	s := NewServer(ServerConfig{Resolver: r})
	lo := netip.MustParseAddr("127.0.0.1")
	good := query(t, "www.example.com.", dnswire.TypeA, 1232)
	resp := func(b []byte) *dnswire.Msg {
		out := s.respond(b, lo, false)
		if out == nil {
			return nil
		}
		var m dnswire.Msg
		if err := m.Unpack(out); err != nil {
			t.Fatalf("our reply does not parse: %v", err)
		}
		return &m
	}
	if resp([]byte{1, 2, 3}) != nil {
		t.Error("answered a 3-octet message")
	}
	r1 := append([]byte(nil), good...)
	r1[2] |= 0x80 // QR: a response
	if resp(r1) != nil {
		t.Error("answered a response")
	}
	if m := resp(append(append([]byte(nil), good...), 0xFF)); m == nil || m.RCode != dnswire.RCodeFormatError {
		t.Errorf("trailing garbage: %v", m)
	}
	noq := append([]byte(nil), good[:12]...)
	noq[5] = 0 // QDCOUNT 0, ARCOUNT left 1 but no data: FORMERR either way
	if m := resp(noq); m == nil || m.RCode != dnswire.RCodeFormatError {
		t.Errorf("no question: %v", m)
	}
	var q dnswire.Msg
	q.Unpack(good)
	q.Opcode = dnswire.OpcodeNotify
	b, _ := q.Pack()
	if m := resp(b); m == nil || m.RCode != dnswire.RCodeNotImplemented {
		t.Errorf("NOTIFY: %v", m)
	}
	q.Unpack(good)
	q.EDNS.Version = 1
	b, _ = q.Pack()
	if m := resp(b); m == nil || m.RCode != dnswire.RCodeBadVers || m.EDNS == nil {
		t.Errorf("EDNS version 1: %v", m)
	}
	if m := resp(query(t, "example.com.", dnswire.TypeAXFR, 0)); m == nil || m.RCode != dnswire.RCodeRefused {
		t.Errorf("AXFR: %v", m)
	}
}

func TestServerShutdownWaitsForInflight(t *testing.T) {
	_, r := newTest(t, Config{})
	s, udp, _ := startServer(t, ServerConfig{Resolver: r})
	exchangeUDP(t, udp, query(t, "www.example.com.", dnswire.TypeA, 0))
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	c, _ := net.Dial("udp", udp.String())
	defer c.Close()
	c.Write(query(t, "www.example.com.", dnswire.TypeA, 0))
	c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := c.Read(make([]byte, 512)); err == nil {
		t.Fatal("answered after Shutdown")
	}
}

func TestServerFastPathAllocs(t *testing.T) {
	_, r := newTest(t, Config{})
	s := NewServer(ServerConfig{Resolver: r})
	mustResolve(t, r, "multi.example.com.", dnswire.TypeA)
	q := query(t, "multi.example.com.", dnswire.TypeA, 1232)
	lo := netip.MustParseAddr("127.0.0.1")
	buf := make([]byte, 0, 1500)
	out, ok := s.fastRespond(q, lo, false, buf)
	if !ok {
		t.Fatal("cache hit not answered on the fast path")
	}
	var m dnswire.Msg
	if err := m.Unpack(out); err != nil || len(m.Answer) != 3 || m.EDNS == nil || m.ID != 0x1234 {
		t.Fatalf("%v %+v", err, m.Header)
	}
	for _, c := range []struct {
		name string
		t    dnswire.Type
	}{{"multi.example.com.", dnswire.TypeA}, {"alias2.example.com.", dnswire.TypeA}, {"nope.example.com.", dnswire.TypeA},
		{"www.example.com.", dnswire.TypeAAAA}, {"gone.example.com.", dnswire.TypeA}, {"big.example.com.", dnswire.TypeTXT}} {
		for _, edns := range []uint16{0, 1232} {
			qq := query(t, c.name, c.t, edns)
			s.respond(qq, lo, false) // fills the cache
			full := s.respond(qq, lo, false)
			fast, ok := s.fastRespond(qq, lo, false, nil)
			if !ok {
				t.Errorf("%s %v: not on the fast path once cached", c.name, c.t)
			} else if string(full) != string(fast) {
				t.Errorf("%s %v EDNS %d: fast and full paths differ:\n%x\n%x", c.name, c.t, edns, fast, full)
			}
		}
	}
	allocs := testing.AllocsPerRun(200, func() {
		if _, ok := s.fastRespond(q, lo, false, buf); !ok {
			t.Fatal("miss")
		}
	})
	if allocs > 0 {
		t.Fatalf("fast path: %v allocs", allocs)
	}
}

func BenchmarkServerFastPath(b *testing.B) {
	h := startHier(b, testZones, testServers)
	r := New(Config{RootHints: h.RootHints(), GluePort: h.Port(), AllowSpecialAddrs: true, Transport: h.Transport(), Now: h.Clock.Now})
	s := NewServer(ServerConfig{Resolver: r})
	var m dnswire.Msg
	m.ID = 1
	m.SetQuestion(dnswire.MustName("www.example.com."), dnswire.TypeA)
	q, _ := m.Pack()
	lo := netip.MustParseAddr("127.0.0.1")
	s.respond(q, lo, false)
	buf := make([]byte, 0, 1500)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := s.fastRespond(q, lo, false, buf); !ok {
			b.Fatal("miss")
		}
	}
}

func TestServerTCPLimits(t *testing.T) {
	_, r := newTest(t, Config{})
	_, _, tcp := startServer(t, ServerConfig{Resolver: r, MaxTCPConns: 1, IdleTimeout: 100 * time.Millisecond})
	c1, err := net.Dial("tcp", tcp.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	c1.SetDeadline(time.Now().Add(5 * time.Second))
	q, _ := dnswire.AppendTCP(nil, query(t, "www.example.com.", dnswire.TypeA, 0))
	c1.Write(q)
	var l [2]byte
	if _, err := io.ReadFull(c1, l[:]); err != nil {
		t.Fatal(err)
	}
	io.ReadFull(c1, make([]byte, binary.BigEndian.Uint16(l[:])))
	// Over the connection limit: closed at once.
	c2, err := net.Dial("tcp", tcp.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	c2.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c2.Read(l[:]); err != io.EOF {
		t.Errorf("second connection: %v, want EOF", err)
	}
	// RFC 7766 6.2.3: an idle connection is closed by the server.
	if _, err := c1.Read(l[:]); err != io.EOF {
		t.Errorf("idle connection: %v, want EOF", err)
	}
}

func TestServerStaleAnswerEDE(t *testing.T) {
	h, r := newTest(t, Config{ServeStale: true})
	s := NewServer(ServerConfig{Resolver: r})
	lo := netip.MustParseAddr("127.0.0.1")
	q := query(t, "short.example.com.", dnswire.TypeA, 1232)
	s.respond(q, lo, false)
	h.Clock.Advance(10 * time.Second)
	h.Server("127.0.0.5").SetFault(dnstest.Fault{Drop: true})
	h.Server("127.0.0.6").SetFault(dnstest.Fault{Drop: true})
	var m dnswire.Msg
	if err := m.Unpack(s.respond(q, lo, false)); err != nil {
		t.Fatal(err)
	}
	code, _, ok := ede(&m)
	if m.RCode != dnswire.RCodeSuccess || len(m.Answer) != 1 || m.Answer[0].TTL != 30 || !ok || code != edeStaleAnswer {
		t.Fatalf("%v answers %d EDE %d %v", m.RCode, len(m.Answer), code, ok)
	}
}

// blockingTransport holds every exchange until release is closed.
type blockingTransport struct {
	release chan struct{}
	started chan struct{}
}

func (b *blockingTransport) Exchange(ctx context.Context, _ string, _ netip.AddrPort, _ []byte, _ time.Duration) ([]byte, error) {
	b.started <- struct{}{}
	select {
	case <-b.release:
	case <-ctx.Done():
	}
	return nil, os.ErrDeadlineExceeded
}

func TestServerConcurrencyLimit(t *testing.T) {
	bt := &blockingTransport{release: make(chan struct{}), started: make(chan struct{}, 16)}
	r := New(Config{RootHints: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.2:53")}, Transport: bt, Timeout: time.Minute})
	s, udp, _ := startServer(t, ServerConfig{Resolver: r, MaxConcurrent: 2})
	c, err := net.Dial("udp", udp.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Three questions, two slots: the first blocks in the transport, the
	// second behind it (both hold a slot), so one of the last two is
	// dropped, whichever reader gets there first.
	c.Write(query(t, "a.example.", dnswire.TypeA, 0))
	<-bt.started
	c.Write(query(t, "b.example.", dnswire.TypeA, 0))
	c.Write(query(t, "c.example.", dnswire.TypeA, 0))
	deadline := time.Now().Add(10 * time.Second)
	for s.Dropped() == 0 && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	if s.Dropped() != 1 {
		t.Fatalf("dropped %d, want 1", s.Dropped())
	}
	close(bt.release)
}
