//go:build interop

package spf

import (
	"context"
	"encoding/json"
	"net"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
)

// pyspfScript runs pyspf's check_host over a zone given as JSON on
// stdin, with pyspf's DNS replaced by the zone (as its own test driver,
// testspf.py, does), and prints one result per case.
const pyspfScript = `
import sys, json, socket, spf
data = json.load(sys.stdin)
zone = data["zone"]
def lookup(name, qtype, strict=True, timeout=None, level=0):
    name = name.rstrip(".").lower()
    for t, v in zone.get(name, []):
        if t != qtype:
            continue
        if t == "TXT":
            v = (v.encode(),)
        elif t == "AAAA":
            v = socket.inet_pton(socket.AF_INET6, v)
        elif t == "MX":
            v = (v[0], v[1])
        yield ((name, t), v)
spf.DNSLookup = lookup
for c in data["cases"]:
    q = spf.query(i=c["ip"], s=c["sender"], h="helo.example.org")
    print(q.check()[0])
`

// zoneDNS answers from the same zone as the script.
type zoneDNS map[string][][2]any

func (z zoneDNS) get(name, typ string) []any {
	var out []any
	for _, rr := range z[strings.ToLower(strings.TrimSuffix(name, "."))] {
		if rr[0] == typ {
			out = append(out, rr[1])
		}
	}
	return out
}

func notFoundErr(n string) error {
	return &net.DNSError{Err: "no such host", Name: n, IsNotFound: true}
}

func (z zoneDNS) LookupTXT(_ context.Context, name string) ([]string, error) {
	var out []string
	for _, v := range z.get(name, "TXT") {
		out = append(out, v.(string))
	}
	if out == nil {
		return nil, notFoundErr(name)
	}
	return out, nil
}

func (z zoneDNS) LookupNetIP(_ context.Context, network, host string) ([]netip.Addr, error) {
	typ := "A"
	if network == "ip6" {
		typ = "AAAA"
	}
	var out []netip.Addr
	for _, v := range z.get(host, typ) {
		out = append(out, netip.MustParseAddr(v.(string)))
	}
	if out == nil {
		return nil, notFoundErr(host)
	}
	return out, nil
}

func (z zoneDNS) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	var out []*net.MX
	for _, v := range z.get(name, "MX") {
		mx := v.([]any)
		out = append(out, &net.MX{Pref: uint16(mx[0].(int)), Host: mx[1].(string)})
	}
	if out == nil {
		return nil, notFoundErr(name)
	}
	return out, nil
}

func (z zoneDNS) LookupAddr(_ context.Context, addr string) ([]string, error) {
	return nil, notFoundErr(addr)
}

// TestInteropPyspf builds records with Record.String, publishes them in
// a zone, and checks that pyspf and this package give the same result
// for a set of clients.
func TestInteropPyspf(t *testing.T) {
	python := ""
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(p, "-c", "import spf").Run() == nil {
			python = p
			break
		}
	}
	if python == "" {
		t.Skip("python3-spf (pyspf) missing")
	}
	recs := map[string]*Record{
		"crepes.fr": {Terms: []Term{
			{Qualifier: '+', Mechanism: MechMX, V4Len: -1, V6Len: -1},
			{Qualifier: '+', Mechanism: MechA, Domain: "web.crepes.fr", V4Len: 28, V6Len: 64},
			{Qualifier: '+', Mechanism: MechInclude, Domain: "_spf.provider.example"},
			{Qualifier: '~', Mechanism: MechIP4, Net: netip.MustParsePrefix("203.0.113.0/24")},
			{Qualifier: '-', Mechanism: MechAll},
		}},
		"_spf.provider.example": {Terms: []Term{
			{Qualifier: '+', Mechanism: MechIP4, Net: netip.MustParsePrefix("198.51.100.0/24")},
			{Qualifier: '+', Mechanism: MechIP6, Net: netip.MustParsePrefix("2001:db8:1::/48")},
			{Qualifier: '?', Mechanism: MechExists, Domain: "%{ir}.allow.provider.example", V4Len: -1, V6Len: -1},
			{Qualifier: '~', Mechanism: MechAll},
		}},
		"redirected.example": {Redirect: "crepes.fr"},
		"loop.example":       {Terms: []Term{{Qualifier: '+', Mechanism: MechInclude, Domain: "loop.example"}}},
		"void.example": {Terms: []Term{
			{Qualifier: '+', Mechanism: MechA, Domain: "nx1.example", V4Len: -1, V6Len: -1},
			{Qualifier: '+', Mechanism: MechA, Domain: "nx2.example", V4Len: -1, V6Len: -1},
			{Qualifier: '+', Mechanism: MechA, Domain: "nx3.example", V4Len: -1, V6Len: -1},
			{Qualifier: '+', Mechanism: MechAll},
		}},
	}
	zone := zoneDNS{
		"crepes.fr":                      {{"MX", []any{10, "mail.crepes.fr"}}},
		"mail.crepes.fr":                 {{"A", "192.0.2.25"}, {"AAAA", "2001:db8::25"}},
		"web.crepes.fr":                  {{"A", "192.0.2.80"}, {"AAAA", "2001:db8:80::1"}},
		"9.8.7.6.allow.provider.example": {{"A", "127.0.0.2"}},
	}
	for name, r := range recs {
		zone[name] = append(zone[name], [2]any{"TXT", r.String()})
		if _, err := ParseRecord(r.String()); err != nil {
			t.Fatalf("%s: generated %q does not parse: %v", name, r.String(), err)
		}
	}
	type c struct {
		IP     string `json:"ip"`
		Sender string `json:"sender"`
	}
	var cases []c
	for _, dom := range []string{"crepes.fr", "redirected.example", "loop.example", "void.example", "nothing.example"} {
		for _, ip := range []string{"192.0.2.25", "192.0.2.90", "192.0.2.95", "2001:db8::25", "2001:db8:80::ffff",
			"198.51.100.7", "2001:db8:1::9", "6.7.8.9", "203.0.113.5", "10.0.0.1"} {
			cases = append(cases, c{ip, "alice@" + dom})
		}
	}
	in, _ := json.Marshal(map[string]any{"zone": zone, "cases": cases})
	cmd := exec.Command(python, "-c", pyspfScript)
	cmd.Stdin = strings.NewReader(string(in))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("pyspf: %v\n%s", err, out)
	}
	theirs := strings.Fields(string(out))
	if len(theirs) != len(cases) {
		t.Fatalf("pyspf gave %d results for %d cases:\n%s", len(theirs), len(cases), out)
	}
	ch := &Checker{Resolver: zone}
	for i, tc := range cases {
		got := ch.Check(context.Background(), netip.MustParseAddr(tc.IP), "helo.example.org", tc.Sender)
		if string(got.Result) != theirs[i] {
			t.Errorf("%s from %s: ours %s (%v), pyspf %s", tc.Sender, tc.IP, got.Result, got.Err, theirs[i])
		}
	}
}
