package main

import (
	"encoding/base64"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

const eduZone = `$TTL 3600
@	SOA	a.edu-servers.net. hostmaster 100 7200 3600 1209600 300
	NS	a.edu-servers.net.
www	A	192.0.2.1
www	A	192.0.2.2
`

func ask(t *testing.T, addr string, m *dnswire.Msg, key *dnswire.TSIGKey) *dnswire.Msg {
	t.Helper()
	w, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	if key != nil {
		if w, _, err = dnswire.SignTSIG(w, dnswire.TSIGSign{Key: key}); err != nil {
			t.Fatal(err)
		}
	}
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(w); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	var r dnswire.Msg
	if err := r.Unpack(buf[:n]); err != nil && key == nil {
		t.Fatal(err)
	}
	return &r
}

func TestServeUpdateRotate(t *testing.T) {
	dir := t.TempDir()
	zf := filepath.Join(dir, "edu.zone")
	os.WriteFile(zf, []byte(eduZone), 0o644)
	secret := []byte("registrar secret 0123456789abcdef")
	s, err := setup([]string{"-listen", "127.0.0.1:0", "-zone", "edu.=" + zf, "-rotate",
		"-key", "registrar:hmac-sha256:" + base64.StdEncoding.EncodeToString(secret),
		"-update", "registrar:edu.:NS,A", "-journal", dir}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	addr := s.Addr().String()

	var firsts []string
	for range 2 {
		q := &dnswire.Msg{}
		q.SetQuestion(dnswire.MustName("www.edu."), dnswire.TypeA)
		r := ask(t, addr, q, nil)
		if r.RCode != dnswire.RCodeSuccess || len(r.Answer) != 2 || !r.Authoritative {
			t.Fatalf("answer: %s", r.String())
		}
		firsts = append(firsts, r.Answer[0].Data.String())
	}
	if firsts[0] == firsts[1] {
		t.Errorf("-rotate: both answers start with %s", firsts[0])
	}

	key := &dnswire.TSIGKey{Name: dnswire.MustName("registrar."), Algorithm: dnswire.HMACSHA256, Secret: secret}
	u := dnswire.NewUpdate(dnswire.MustName("edu."))
	ns, _ := dnswire.ParseRR("hamburger.edu. 3600 IN NS dns1.hamburger.edu.")
	glue, _ := dnswire.ParseRR("dns1.hamburger.edu. 3600 IN A 212.212.212.1")
	u.UpdateAdd(ns)
	u.UpdateAdd(glue)
	if r := ask(t, addr, u, key); r.RCode != dnswire.RCodeSuccess {
		t.Fatalf("update: %s", r.RCode)
	}
	if z := s.Zone(dnswire.MustName("edu.")); z.Serial() != 101 {
		t.Fatalf("serial %d after the update", z.Serial())
	}
}

func TestBadArguments(t *testing.T) {
	for _, args := range [][]string{
		{"-listen", "127.0.0.1:0", "-zone", "edu."},
		{"-listen", "127.0.0.1:0", "-zone", "edu.=/nonexistent/edu.zone"},
		{"-listen", "127.0.0.1:0", "-key", "k:hmac-sha256:not base64!"},
		{"-listen", "127.0.0.1:0", "-update", "k"},
		{"-listen", "127.0.0.1:0", "-update", "k:edu.:NOSUCHTYPE"},
		{"-listen", "127.0.0.1:0", "-transfer", "nonsense"},
		{"-listen", "127.0.0.1:0", "-secondary", "edu.=nowhere"},
		{"-listen", "127.0.0.1:0", "-secondary-key", "missing"},
		{"-listen", "127.0.0.1:0", "extra"},
	} {
		if s, err := setup(args, io.Discard); err == nil {
			s.Close()
			t.Errorf("%s: accepted", strings.Join(args, " "))
		}
	}
}
