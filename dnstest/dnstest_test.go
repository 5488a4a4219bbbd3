package dnstest_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/relaykit/relaykit/dnstest"
	"github.com/relaykit/relaykit/dnswire"
	"github.com/relaykit/relaykit/resolver"
	"github.com/relaykit/relaykit/zone"
)

const rootZone = `
@	SOA	a.root-servers.test. hostmaster.test. 1 1800 900 604800 86400
	NS	a.root-servers.test.
a.root-servers.test.	A	127.0.0.2
edu.	NS	a.edu-servers.test.
a.edu-servers.test.	A	127.0.0.3
`

const eduZone = `
@	SOA	a.edu-servers.test. hostmaster.edu. 1 1800 900 604800 86400
	NS	a.edu-servers.test.
`

const hamburgerZone = `
@	SOA	dns1 hostmaster 1 1800 900 604800 300
	NS	dns1
	MX	10 mail
dns1	A	127.0.0.4
mail	A	127.0.0.25
www	CNAME	web
web	A	127.0.0.80
	A	127.0.0.81
`

func Example() {
	h, err := dnstest.Start(dnstest.Config{Zones: map[string]string{
		".":              rootZone,
		"edu.":           eduZone + "hamburger NS dns1.hamburger\ndns1.hamburger A 127.0.0.4\n",
		"hamburger.edu.": hamburgerZone,
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer h.Close()
	r := resolver.New(resolver.Config{RootHints: h.RootHints(), GluePort: h.Port(), AllowSpecialAddrs: true})
	mx, err := r.LookupMX(context.Background(), "hamburger.edu")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range mx {
		fmt.Println(m.Host, m.Pref)
	}
	// Output:
	// mail.hamburger.edu 10
}

// TestRegistrar is the registrar's story: hamburger.edu does not resolve
// until a TSIG-signed UPDATE puts its NS and glue into edu.
func TestRegistrar(t *testing.T) {
	key := &dnswire.TSIGKey{Name: dnswire.MustName("registrar."), Secret: []byte("registrar secret 0123456789abcdef")}
	h := dnstest.New(t, dnstest.Config{
		Zones: map[string]string{".": rootZone, "edu.": eduZone, "hamburger.edu.": hamburgerZone},
		Setup: func(a netip.Addr, s *zone.Server) {
			s.Keys = []*dnswire.TSIGKey{key}
			s.UpdatePolicy = []zone.UpdateRule{{Key: key.Name, Name: dnswire.MustName("edu."), BelowOnly: true,
				Types: []dnswire.Type{dnswire.TypeNS, dnswire.TypeA}}}
		},
	})
	if len(h.Servers()) != 3 || h.ServerFor("edu.").Addr.Addr() != netip.MustParseAddr("127.0.0.3") {
		t.Fatalf("servers %v", h.Servers())
	}
	ctx := context.Background()
	newResolver := func() *resolver.Resolver {
		return resolver.New(resolver.Config{RootHints: h.RootHints(), GluePort: h.Port(), AllowSpecialAddrs: true})
	}
	if _, err := newResolver().LookupIP(ctx, "www.hamburger.edu"); !errors.Is(err, resolver.ErrNXDomain) {
		t.Fatalf("before registration: %v", err)
	}
	u := dnswire.NewUpdate(dnswire.MustName("edu."))
	u.ID = 7
	u.PrereqNameNotInUse(dnswire.MustName("hamburger.edu."))
	ns, _ := dnswire.ParseRR("hamburger.edu. 86400 IN NS dns1.hamburger.edu.")
	glue, _ := dnswire.ParseRR("dns1.hamburger.edu. 86400 IN A 127.0.0.4")
	u.UpdateAdd(ns)
	u.UpdateAdd(glue)
	w, _ := u.Pack()
	w, mac, err := dnswire.SignTSIG(w, dnswire.TSIGSign{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("udp", h.ServerFor("edu.").Addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	c.Write(w)
	buf := make([]byte, 1232)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	var m dnswire.Msg
	if err := m.Unpack(buf[:n]); err != nil || m.RCode != dnswire.RCodeSuccess {
		t.Fatalf("update: %v %v", err, m.RCode)
	}
	if _, err := dnswire.VerifyTSIG(buf[:n], dnswire.TSIGVerify{Keys: func(dnswire.Name) *dnswire.TSIGKey { return key }, RequestMAC: mac}); err != nil {
		t.Errorf("answer signature: %v", err)
	}
	ips, err := newResolver().LookupIP(ctx, "www.hamburger.edu")
	if err != nil || len(ips) != 2 {
		t.Fatalf("after registration: %v %v", ips, err)
	}
}

func TestStartErrors(t *testing.T) {
	for name, zones := range map[string]map[string]string{
		"no root":         {"edu.": eduZone + "a.edu-servers.test. A 127.0.0.3\n"},
		"not loopback":    {".": "@ SOA a.test. h.test. 1 2 3 4 5\n@ NS a.test.\na.test. A 192.0.2.1\n"},
		"no NS address":   {".": rootZone, "x.": "@ SOA ns.elsewhere. h 1 2 3 4 5\n@ NS ns.elsewhere.\n"},
		"invalid zone":    {".": rootZone + "edu. TXT occluded\n"},
		"relative origin": {"edu": eduZone},
	} {
		if _, err := dnstest.Start(dnstest.Config{Zones: zones}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestConfigServers: Config.Servers adds servers the NS records do not
// give, here a second server of hamburger.edu that only edu.'s
// delegation names (the zone's own NS set names dns1 alone), and a
// server of the root.
func TestConfigServers(t *testing.T) {
	zs := zones()
	zs["edu."] += "hamburger NS dns2.hamburger\ndns2.hamburger A 127.0.0.5\n"
	h := dnstest.New(t, dnstest.Config{Zones: zs, Servers: map[string][]string{
		"127.0.0.5": {"hamburger.edu."},
		"127.0.0.6": {"."},
	}})
	byAddr := map[string][]string{}
	for _, s := range h.Servers() {
		for _, o := range s.Origins {
			byAddr[s.Addr.Addr().String()] = append(byAddr[s.Addr.Addr().String()], o.String())
		}
	}
	want := map[string][]string{"127.0.0.2": {"."}, "127.0.0.3": {"edu."}, "127.0.0.4": {"hamburger.edu."},
		"127.0.0.5": {"hamburger.edu."}, "127.0.0.6": {"."}}
	if diff := cmp.Diff(want, byAddr); diff != "" {
		t.Errorf("servers (-want +got):\n%s", diff)
	}
	if got := h.RootHints(); len(got) != 2 || got[1].Addr() != netip.MustParseAddr("127.0.0.6") {
		t.Errorf("root hints %v", got)
	}
	// The added server answers for its zone with authority.
	var q dnswire.Msg
	q.ID = 3
	q.SetQuestion(dnswire.MustName("web.hamburger.edu."), dnswire.TypeA)
	m, _, err := exchangeNet(t, "udp", netip.AddrPortFrom(netip.MustParseAddr("127.0.0.5"), h.Port()), &q)
	if err != nil || !m.Authoritative || len(m.Answer) != 2 {
		t.Fatalf("added server: %v %+v", err, m)
	}
	for name, srvs := range map[string]map[string][]string{
		"not loopback": {"192.0.2.1": {"."}},
		"not an addr":  {"localhost": {"."}},
		"unknown zone": {"127.0.0.5": {"nowhere."}},
	} {
		if _, err := dnstest.Start(dnstest.Config{Zones: zones(), Servers: srvs}); err == nil || !strings.Contains(err.Error(), "Config.Servers") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
