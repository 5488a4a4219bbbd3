package resolver

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// listenServer starts a Server with Listen on 127.0.0.1:0 and Serve,
// stopped at the end of the test.
func listenServer(t *testing.T, cfg ServerConfig) *Server {
	t.Helper()
	s := NewServer(cfg)
	select {
	case <-s.Ready():
		t.Fatal("ready before Listen")
	default:
	}
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.Ready():
	default:
		t.Fatal("not ready after Listen")
	}
	if err := s.Listen("127.0.0.1:0"); !errors.Is(err, errListening) {
		t.Fatalf("second Listen: %v", err)
	}
	errc := make(chan error, 1)
	go func() { errc <- s.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-errc; !errors.Is(err, ErrClosed) {
			t.Errorf("Serve returned %v", err)
		}
	})
	return s
}

// upstream is a recursive server on loopback (our Server over the
// in-process hierarchy), for a forwarder to use.
func upstream(t *testing.T) (*Server, *Resolver) {
	_, ur := newTest(t, Config{})
	return listenServer(t, ServerConfig{Resolver: ur}), ur
}

func TestServerListenAddr(t *testing.T) {
	s, _ := upstream(t)
	ap := s.Addr()
	if !ap.Addr().IsLoopback() || ap.Port() == 0 {
		t.Fatalf("Addr %v", ap)
	}
	// The same port answers over UDP and over TCP.
	for _, network := range []string{"udp", "tcp"} {
		q := query(t, "www.example.com.", dnswire.TypeA, 1232)
		resp, err := NetTransport{}.Exchange(context.Background(), network, ap, q, 5*time.Second)
		var m dnswire.Msg
		if err != nil || m.Unpack(resp) != nil || len(m.Answer) != 1 {
			t.Fatalf("%s: %v %v", network, err, m.Answer)
		}
	}
	if err := NewServer(ServerConfig{}).Serve(); !errors.Is(err, errNotListening) {
		t.Fatalf("Serve before Listen: %v", err)
	}
}

func TestForwarder(t *testing.T) {
	up, ur := upstream(t)
	// The first forwarder refuses us (clients allowed: none of ours),
	// the second answers.
	refuser := listenServer(t, ServerConfig{Resolver: ur, Allowed: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}})
	r := New(Config{Forwarders: []netip.AddrPort{refuser.Addr(), up.Addr()}})
	ctx := context.Background()

	res := mustResolve(t, r, "alias2.example.com.", dnswire.TypeA)
	if got := addrs(res.Answer); len(res.Answer) != 3 || len(got) != 1 || got[0] != "192.0.2.1" {
		t.Fatalf("chain: %v", res.Answer)
	}
	res = mustResolve(t, r, "www.example.com.", dnswire.TypeA)
	if got := addrs(res.Answer); len(got) != 1 || got[0] != "192.0.2.1" {
		t.Fatalf("answer %v", res.Answer)
	}
	if res.FromCache != true {
		// alias2's chain, as the forwarder resolved it, was cached.
		t.Errorf("www.example.com not cached from the chain")
	}
	_, err := r.Resolve(ctx, dnswire.MustName("nope.example.com."), dnswire.TypeA)
	if !errors.Is(err, ErrNXDomain) {
		t.Fatalf("NXDOMAIN: %v", err)
	}
	_, err = r.Resolve(ctx, dnswire.MustName("v6.example.com."), dnswire.TypeA)
	if !errors.Is(err, ErrNoData) {
		t.Fatalf("NODATA: %v", err)
	}
	res = mustResolve(t, r, "alias.example.com.", dnswire.TypeCNAME)
	if len(res.Answer) != 1 || res.Answer[0].Type != dnswire.TypeCNAME {
		t.Fatalf("qtype CNAME: %v", res.Answer)
	}
	before := r.Stats()
	for _, n := range []string{"alias2.example.com.", "nope.example.com.", "v6.example.com."} {
		r.Resolve(ctx, dnswire.MustName(n), dnswire.TypeA)
	}
	after := r.Stats()
	if after.QueriesUDP != before.QueriesUDP || after.CacheHits != before.CacheHits+3 {
		t.Errorf("second round not from cache: %+v -> %+v", before, after)
	}
	// Every query carried RD; the upstream resolved each question once.
	if s := ur.Stats(); s.Answers[dnswire.RCodeRefused] != 0 || s.CacheMisses == 0 {
		t.Errorf("upstream stats %+v", s)
	}
}

// TestForwarderTCPRetryLocalAddr: a UDP local address in the Dialer (one
// LocalAddr for both transports) used to make the TCP retry after TC
// fail; the transport now sets UDP and TCP source addresses apart.
func TestForwarderTCPRetryLocalAddr(t *testing.T) {
	up, _ := upstream(t)
	lo := netip.MustParseAddr("127.0.0.1")
	for name, tr := range map[string]NetTransport{
		"dialer":  {Dialer: &net.Dialer{LocalAddr: &net.UDPAddr{IP: lo.AsSlice()}}},
		"fields":  {UDPLocalAddr: lo, TCPLocalAddr: lo},
		"tcpaddr": {Dialer: &net.Dialer{LocalAddr: &net.TCPAddr{IP: lo.AsSlice()}}, UDPLocalAddr: lo},
	} {
		t.Run(name, func(t *testing.T) {
			// 512 octets advertised: the 800-octet TXT RRset comes
			// back truncated over UDP and whole over TCP.
			r := New(Config{Forwarders: []netip.AddrPort{up.Addr()}, Transport: tr, EDNSBufferSize: 512})
			res := mustResolve(t, r, "big.example.com.", dnswire.TypeTXT)
			if len(res.Answer) != 15 {
				t.Fatalf("%d records", len(res.Answer))
			}
			if s := r.Stats(); s.QueriesUDP != 1 || s.QueriesTCP != 1 {
				t.Fatalf("UDP %d TCP %d, want 1 and 1", s.QueriesUDP, s.QueriesTCP)
			}
		})
	}
}

func TestForwarderAllDown(t *testing.T) {
	// A UDP socket that never answers.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	ap := netip.MustParseAddrPort(pc.LocalAddr().String())
	r := New(Config{Forwarders: []netip.AddrPort{ap}, Timeout: 300 * time.Millisecond})
	_, err = r.Resolve(context.Background(), dnswire.MustName("www.example.com."), dnswire.TypeA)
	if !errors.Is(err, ErrServFail) {
		t.Fatalf("%v", err)
	}
	if s := r.Stats(); s.Timeouts == 0 {
		t.Errorf("no timeout counted: %+v", s)
	}
}
