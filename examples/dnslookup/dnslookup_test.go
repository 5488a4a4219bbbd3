package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// fakeServer answers on UDP and TCP from a fixed set of records. Over
// UDP, answers to "big." questions come back truncated (TC, no records),
// so the client has to retry over TCP.
type fakeServer struct {
	addr string
	udp  *net.UDPConn
	tcp  *net.TCPListener
	wg   sync.WaitGroup
}

func startFake(t *testing.T) *fakeServer {
	t.Helper()
	u, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	port := u.LocalAddr().(*net.UDPAddr).Port
	l, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		u.Close()
		t.Fatal(err)
	}
	s := &fakeServer{addr: l.Addr().String(), udp: u, tcp: l}
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		buf := make([]byte, 4096)
		for {
			n, from, err := u.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			if resp := answer(buf[:n], false); resp != nil {
				u.WriteToUDPAddrPort(resp, from)
			}
		}
	}()
	go func() {
		defer s.wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 65535)
			if q, err := dnswire.ReadTCP(c, buf); err == nil {
				if resp := answer(q, true); resp != nil {
					dnswire.WriteTCP(c, resp)
				}
			}
			c.Close()
		}
	}()
	t.Cleanup(func() {
		u.Close()
		l.Close()
		s.wg.Wait()
	})
	return s
}

func mustRR(name string, ttl uint32, d dnswire.RData) dnswire.RR {
	return dnswire.RR{RRHeader: dnswire.RRHeader{Name: dnswire.MustName(name), Type: d.Type(), Class: dnswire.ClassINET, TTL: ttl}, Data: d}
}

func answer(q []byte, tcp bool) []byte {
	var m, r dnswire.Msg
	if err := m.Unpack(q); err != nil || len(m.Question) != 1 {
		return nil
	}
	r.Reply(&m)
	r.Authoritative = true
	qn := m.Question[0]
	recs := []dnswire.RR{
		mustRR("example.test.", 3600, &dnswire.MX{Pref: 10, Host: dnswire.MustName("mx1.example.test.")}),
		mustRR("example.test.", 3600, &dnswire.MX{Pref: 20, Host: dnswire.MustName("mx2.example.test.")}),
		mustRR("mx1.example.test.", 300, &dnswire.A{Addr: netip.MustParseAddr("127.0.0.10")}),
		mustRR("big.example.test.", 60, dnswire.NewTXT("0123456789")),
	}
	found := false
	for _, rr := range recs {
		if rr.Name.Equal(qn.Name) {
			found = true
			if rr.Type == qn.Type {
				r.Answer = append(r.Answer, rr)
			}
		}
	}
	if qn.Type == dnswire.TypeMX && len(r.Answer) > 0 {
		r.Extra = append(r.Extra, recs[2])
	}
	if !found {
		r.RCode = dnswire.RCodeNameError
		r.Ns = append(r.Ns, mustRR("example.test.", 300, &dnswire.SOA{
			MName: dnswire.MustName("ns.example.test."), RName: dnswire.MustName("admin.example.test."),
			Serial: 1, Refresh: 3600, Retry: 600, Expire: 86400, Minimum: 300}))
	}
	if !tcp && strings.HasPrefix(qn.Name.String(), "big.") {
		r.Answer = nil
		r.Truncated = true
	}
	out, err := r.Pack()
	if err != nil {
		return nil
	}
	return out
}

var (
	reTime = regexp.MustCompile(`Query time: \d+ msec`)
	reID   = regexp.MustCompile(`id: \d+`)
	rePort = regexp.MustCompile(`127\.0\.0\.1#\d+`)
	rePArg = regexp.MustCompile(`-p \d+`)
)

// normalize masks what changes between runs: query time, ID, port.
func normalize(s string) string {
	s = reTime.ReplaceAllString(s, "Query time: N msec")
	s = reID.ReplaceAllString(s, "id: N")
	s = rePort.ReplaceAllString(s, "127.0.0.1#PORT")
	return rePArg.ReplaceAllString(s, "-p PORT")
}

var when = time.Date(2026, 11, 26, 17, 0, 0, 0, time.UTC)

func runArgs(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb, func() time.Time { return when })
	return normalize(out.String()) + errb.String(), code
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if os.Getenv("UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s:\n--- got\n%s--- want\n%s", path, got, want)
	}
}

func TestQueryPrintsLikeDig(t *testing.T) {
	s := startFake(t)
	host, port, _ := net.SplitHostPort(s.addr)
	for _, tc := range []struct {
		golden string
		args   []string
	}{
		{"mx.golden", []string{"@" + host, "-p", port, "example.test", "MX"}},
		{"nxdomain.golden", []string{"@" + host, "-p", port, "+norecurse", "nope.example.test"}},
		{"truncated.golden", []string{"@" + host, "-p", port, "big.example.test", "-t", "txt"}},
		{"tcp.golden", []string{"@" + host, "-p", port, "+tcp", "+noedns", "mx1.example.test"}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			out, code := runArgs(t, tc.args...)
			if code != 0 {
				t.Fatalf("exit %d:\n%s", code, out)
			}
			golden(t, tc.golden, out)
		})
	}
}

func TestQueryNoServer(t *testing.T) {
	// A UDP port nobody listens on: the query fails, exit status 1.
	u, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	addr := u.LocalAddr().String()
	u.Close()
	out, code := runArgs(t, "@"+addr, "-timeout", "200ms", "example.test")
	if code != 1 || !strings.Contains(out, "communications error") {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
}

func TestParseArgs(t *testing.T) {
	a, err := parseArgs([]string{"@10.0.0.1", "-p", "5353", "+tcp", "-dnssec", "Example.COM", "aaaa"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Server != "10.0.0.1" || a.Port != 5353 || !a.Query.TCP || !a.Query.DO || a.Type != dnswire.TypeAAAA || a.Name.String() != "Example.COM." {
		t.Errorf("parsed %+v", a)
	}
	if got := joinPort(a.Server, a.Port); got != "10.0.0.1:5353" {
		t.Errorf("joinPort = %q", got)
	}
	a, err = parseArgs([]string{"-trace", "-root", "127.0.0.2:5300,127.0.0.3", "x.test"})
	if err != nil {
		t.Fatal(err)
	}
	if !a.Trace || len(a.Roots) != 2 || a.Roots[0] != "127.0.0.2:5300" || a.Roots[1] != "127.0.0.3:53" {
		t.Errorf("parsed %+v", a)
	}
	for _, bad := range [][]string{
		{}, {"-p"}, {"-p", "0", "x"}, {"+bogus", "x"}, {"x", "NOTATYPE"}, {"a", "b", "c"},
		{"-timeout", "-1s", "x"}, {"bad..name"},
	} {
		if _, err := parseArgs(bad); err == nil {
			t.Errorf("parseArgs(%q): no error", bad)
		}
	}
	if _, code := runArgs(t, "+bogus"); code != 2 {
		t.Errorf("bad usage exit %d, want 2", code)
	}
}

func TestDefaultServer(t *testing.T) {
	p := filepath.Join(t.TempDir(), "resolv.conf")
	os.WriteFile(p, []byte("# comment\nsearch x\nnameserver 192.0.2.53\nnameserver 192.0.2.54\n"), 0o644)
	if got := defaultServer(p); got != "192.0.2.53" {
		t.Errorf("defaultServer = %q", got)
	}
	if got := defaultServer(p + ".missing"); got != "127.0.0.1" {
		t.Errorf("defaultServer(missing) = %q", got)
	}
}

func TestPadName(t *testing.T) {
	for _, tc := range []struct {
		name string
		col  int
		want string
	}{
		{"a.", 0, "a.\t\t\t"},
		{"example.test.", 0, "example.test.\t\t"},
		{"a-very-long-name.example.test.", 0, "a-very-long-name.example.test.\t"},
		{"example.test.", 1, "example.test.\t\t"},
		{"exampleexample.t.", 0, "exampleexample.t.\t"},
	} {
		if got := padName(tc.name, tc.col); got != tc.want {
			t.Errorf("padName(%q, %d) = %q, want %q", tc.name, tc.col, got, tc.want)
		}
	}
}

// TestForgedDatagrams: a datagram with another ID is ignored and the
// real answer still read; an answer to another question is refused.
func TestForgedDatagrams(t *testing.T) {
	u, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	go func() {
		buf := make([]byte, 4096)
		for {
			n, from, err := u.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			var q, r dnswire.Msg
			if q.Unpack(buf[:n]) != nil {
				continue
			}
			r.Reply(&q)
			r.ID = q.ID + 1 // forged first
			b, _ := r.Pack()
			u.WriteToUDPAddrPort(b, from)
			r.ID = q.ID
			if q.Question[0].Name.String() == "other.test." {
				r.Question[0].Name = dnswire.MustName("elsewhere.test.")
			}
			b, _ = r.Pack()
			u.WriteToUDPAddrPort(b, from)
		}
	}()
	o := queryOptions{Timeout: 2 * time.Second}
	ex, err := query(context.Background(), u.LocalAddr().String(), dnswire.MustName("ok.test."), dnswire.TypeA, o)
	if err != nil || ex.Msg.RCode != dnswire.RCodeSuccess {
		t.Errorf("query with a forged datagram first: %v", err)
	}
	_, err = query(context.Background(), u.LocalAddr().String(), dnswire.MustName("other.test."), dnswire.TypeA, o)
	if !errors.Is(err, errBadResponse) {
		t.Errorf("answer to another question: err = %v, want errBadResponse", err)
	}
}
