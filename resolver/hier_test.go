package resolver

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnstest"
)

// testZones is the hierarchy most tests resolve in: two roots, one TLD
// server for com, net and org, two servers for example.com, one for
// example.net and example.org (whose NS is glueless from org's side).
var testZones = map[string]string{
	".": `
.                     86400  SOA a.root-servers.net. hostmaster.root. 1 1800 900 604800 86400
.                     518400 NS  a.root-servers.net.
.                     518400 NS  b.root-servers.net.
a.root-servers.net.   518400 A   127.0.0.2
b.root-servers.net.   518400 A   127.0.0.3
com.                  172800 NS  a.gtld-servers.net.
net.                  172800 NS  a.gtld-servers.net.
org.                  172800 NS  a.gtld-servers.net.
a.gtld-servers.net.   172800 A   127.0.0.4
`,
	"com.": `
@                 900    SOA a.gtld-servers.net. nstld.verisign-grs.com. 1 1800 900 604800 900
@                 172800 NS  a.gtld-servers.net.
example.com.      172800 NS  ns1.example.com.
example.com.      172800 NS  ns2.example.com.
ns1.example.com.  172800 A   127.0.0.5
ns2.example.com.  172800 A   127.0.0.6
loopa.com.        172800 NS  ns.loopb.org.
up.com.           172800 NS  ns.up.com.
ns.up.com.        172800 A   127.0.0.8
` + nxnsDelegation(),
	"net.": `
@                 900    SOA a.gtld-servers.net. nstld.verisign-grs.com. 1 1800 900 604800 900
@                 172800 NS  a.gtld-servers.net.
a.gtld-servers.net. 172800 A 127.0.0.4
example.net.      172800 NS  ns.example.net.
ns.example.net.   172800 A   127.0.0.7
`,
	"org.": `
@                 900    SOA a.gtld-servers.net. nstld.verisign-grs.com. 1 1800 900 604800 900
@                 172800 NS  a.gtld-servers.net.
example.org.      172800 NS  ns.example.net.
loopb.org.        172800 NS  ns.loopa.com.
`,
	"example.com.": `
@        3600 SOA ns1 hostmaster 1 3600 600 86400 300
@        3600 NS  ns1
@        3600 NS  ns2
ns1      3600 A   127.0.0.5
ns2      3600 A   127.0.0.6
www      3600 A   192.0.2.1
multi    3600 A   192.0.2.1
multi    3600 A   192.0.2.2
multi    3600 A   192.0.2.3
v6       3600 AAAA 2001:db8::1
alias    3600 CNAME www
alias2   3600 CNAME alias
loop1    3600 CNAME loop2
loop2    3600 CNAME loop1
ext      3600 CNAME www.example.net.
gone     3600 CNAME nothere
@        3600 MX  10 mx1
@        3600 MX  10 mx2
@        3600 MX  20 mx3
mx1      3600 A   192.0.2.11
mx2      3600 A   192.0.2.12
mx3      3600 A   192.0.2.13
txt      3600 TXT "v=spf1 -all" "second"
a.b.c.deep 3600 A 192.0.2.9
nomail   3600 MX  0 .
plain    3600 A   192.0.2.20
short    5    A   192.0.2.21
` + bigTXT(),
	"example.net.": `
@        3600 SOA ns hostmaster 1 3600 600 86400 300
@        3600 NS  ns
ns       3600 A   127.0.0.7
www      3600 A   192.0.2.100
`,
	"example.org.": `
@        3600 SOA ns.example.net. hostmaster.example.net. 1 3600 600 86400 300
@        3600 NS  ns.example.net.
www      3600 A   192.0.2.200
`,
}

// testServers are the servers the zones' own NS records do not give
// (dnstest.Config.Servers).
var testServers = map[string][]string{
	// A server that is listed for up.com but serves com: it answers
	// with the same referral again (a referral loop, lame).
	"127.0.0.8": {"com."},
}

// nxnsDelegation delegates victim.com to 100 glueless name servers in a
// zone that does not exist (the NXNS attack, Afek et al. 2020).
func nxnsDelegation() string {
	var b strings.Builder
	for i := range 100 {
		fmt.Fprintf(&b, "victim.com. 172800 NS ns%d.target.net.\n", i)
	}
	return b.String()
}

// bigTXT is an RRset of about 800 octets: more than 512, less than 1232.
func bigTXT() string {
	var b strings.Builder
	for i := range 15 {
		fmt.Fprintf(&b, "big 3600 TXT \"record %02d of a big RRset, padding padding padding\"\n", i)
	}
	return b.String()
}

// testHier is a dnstest hierarchy with the simulated clock it runs on;
// its servers are found by address, as the tests name them.
type testHier struct {
	*dnstest.Hierarchy
	Clock *dnstest.Clock
}

// startHier starts a hierarchy of zones (with the servers srvs adds to
// those the NS records give) on a simulated clock that starts at
// 2026-01-01 00:00 UTC; it stops when the test ends.
func startHier(tb testing.TB, zones map[string]string, srvs map[string][]string) *testHier {
	tb.Helper()
	clock := dnstest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	h := dnstest.New(tb, dnstest.Config{Zones: zones, Servers: srvs, Clock: clock})
	return &testHier{Hierarchy: h, Clock: clock}
}

// Server returns the server at addr ("127.0.0.5").
func (h *testHier) Server(addr string) *dnstest.Server {
	a := netip.MustParseAddr(addr)
	for _, s := range h.Servers() {
		if s.Addr.Addr() == a {
			return s
		}
	}
	panic("resolver test: no dnstest server at " + addr)
}

// newTest returns an in-process hierarchy and a resolver using it with
// simulated time.
func newTest(t *testing.T, cfg Config) (*testHier, *Resolver) {
	t.Helper()
	return newTestZones(t, testZones, testServers, cfg)
}

func newTestZones(t *testing.T, zones map[string]string, srvs map[string][]string, cfg Config) (*testHier, *Resolver) {
	t.Helper()
	h := startHier(t, zones, srvs)
	cfg.RootHints = h.RootHints()
	cfg.AllowSpecialAddrs = true
	cfg.GluePort = h.Port()
	cfg.Transport = h.Transport()
	cfg.Now = h.Clock.Now
	return h, New(cfg)
}
