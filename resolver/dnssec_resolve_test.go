package resolver

import (
	"context"
	"errors"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// labTransport answers the resolver's queries from a labAuth in
// process (no sockets, no timeouts: deterministic on a loaded machine).
type labTransport struct{ a *labAuth }

func (l labTransport) Exchange(ctx context.Context, _ string, _ netip.AddrPort, query []byte, _ time.Duration) ([]byte, error) {
	var q dnswire.Msg
	if err := q.Unpack(query); err != nil || len(q.Question) != 1 {
		return nil, errors.New("lab: bad query")
	}
	m, _ := l.a.query(ctx, q.Question[0].Name, q.Question[0].Type)
	m.ID, m.Question = q.ID, q.Question
	if q.EDNS != nil {
		m.EDNS = &dnswire.EDNS{UDPSize: 4096, DO: q.EDNS.DO}
	}
	return m.Pack()
}

// labResolver returns an iterative Resolver validating from the lab's
// DS, whose root hint is the lab's authoritative server a (which holds
// lab., sec.lab. and insec.lab.: every question ends there, DS at a
// cut answered from the parent zone).
func labResolver(t *testing.T, a *labAuth) *Resolver {
	t.Helper()
	return New(Config{
		DNSSEC: true, TrustAnchors: labAnchor(t),
		RootHints: labHints, AllowSpecialAddrs: true,
		Transport: labTransport{a}, Now: at2030,
	})
}

// labHints names the lab's server for labTransport (which answers
// whatever address is asked).
var labHints = []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:53")}

// TestResolverValidates: with Config.DNSSEC the iterative resolver
// itself gives the Validator's verdicts on the signed lab (NSEC and
// NSEC3, positive, wildcard, NODATA, NXDOMAIN, insecure delegation),
// from upstream and again from its cache, which answers without asking.
func TestResolverValidates(t *testing.T) {
	cases := []struct {
		qname string
		qtype dnswire.Type
		kind  error // nil, ErrNXDomain or ErrNoData
		want  Security
		n     int // records of qtype in the answer
	}{
		{"www.lab.", dnswire.TypeA, nil, Secure, 1},
		{"mx.sec.lab.", dnswire.TypeA, nil, Secure, 1},
		{"_25._tcp.mx.sec.lab.", dnswire.TypeTLSA, nil, Secure, 1},
		{"x.wild.sec.lab.", dnswire.TypeTXT, nil, Secure, 1},
		{"nope.sec.lab.", dnswire.TypeA, ErrNXDomain, Secure, 0},
		{"mx.sec.lab.", dnswire.TypeTXT, ErrNoData, Secure, 0},
		{"_tcp.mx.sec.lab.", dnswire.TypeA, ErrNoData, Secure, 0},
		{"nope.lab.", dnswire.TypeA, ErrNXDomain, Secure, 0},
		{"www.lab.", dnswire.TypeMX, ErrNoData, Secure, 0},
		{"www.insec.lab.", dnswire.TypeA, nil, Insecure, 1},
		{"nope.insec.lab.", dnswire.TypeA, ErrNXDomain, Insecure, 0},
	}
	a := newLabAuth(t)
	r := labResolver(t, a)
	ctx := context.Background()
	for round := range 2 {
		for _, tc := range cases {
			before := a.queries
			res, err := r.Resolve(ctx, dnswire.MustName(tc.qname), tc.qtype)
			if (tc.kind == nil) != (err == nil) || (tc.kind != nil && !errors.Is(err, tc.kind)) {
				t.Fatalf("round %d %s %v: err %v, want %v", round, tc.qname, tc.qtype, err, tc.kind)
			}
			n := 0
			for _, rr := range res.Answer {
				if rr.Type == tc.qtype {
					n++
				}
				if rr.Type == dnswire.TypeRRSIG {
					t.Fatalf("%s: RRSIG in the answer", tc.qname)
				}
			}
			if res.Security != tc.want || n != tc.n {
				t.Fatalf("round %d %s %v: %v with %d records, want %v with %d", round, tc.qname, tc.qtype, res.Security, n, tc.want, tc.n)
			}
			if round == 1 && (!res.FromCache || a.queries != before) {
				t.Fatalf("%s %v: not answered from the cache (%d queries)", tc.qname, tc.qtype, a.queries-before)
			}
		}
	}
}

// TestResolverKeyCache: the DS and DNSKEY RRsets of a chain are fetched
// once and kept: a second name in a validated zone costs one query.
func TestResolverKeyCache(t *testing.T) {
	a := newLabAuth(t)
	r := labResolver(t, a)
	ctx := context.Background()
	mustSecure := func(name string, typ dnswire.Type) {
		t.Helper()
		res, err := r.Resolve(ctx, dnswire.MustName(name), typ)
		if err != nil || res.Security != Secure {
			t.Fatalf("%s: %v %v", name, res.Security, err)
		}
	}
	var asked []string
	a.edit = func(q dnswire.Name, ty dnswire.Type, _ *dnswire.Msg) {
		if ty == dnswire.TypeDS || ty == dnswire.TypeDNSKEY {
			asked = append(asked, q.Lower().String()+" "+ty.String())
		}
	}
	mustSecure("mx.sec.lab.", dnswire.TypeA)
	if len(asked) < 3 {
		t.Fatalf("cold: asked only %v", asked)
	}
	asked = nil
	mustSecure("_25._tcp.mx.sec.lab.", dnswire.TypeTLSA)
	// The DNSKEYs and DS of lab. and sec.lab. come from the key cache;
	// the TLSA record is signed by sec.lab., the zone that answered, so
	// no DS is asked at the names between (as Unbound).
	if len(asked) != 0 {
		t.Fatalf("second name asked %v", asked)
	}
	asked = nil
	res, err := r.Resolve(ctx, dnswire.MustName("mx.sec.lab."), dnswire.TypeTXT)
	if !errors.Is(err, ErrNoData) || res.Security != Secure || len(asked) != 0 {
		t.Fatalf("NODATA: %v %v, asked %v", res.Security, err, asked)
	}
}

// TestResolverRefusesForged: a forged answer (an address changed, an
// RRSIG stripped, a forged NXDOMAIN) is bogus: Resolve fails with
// ErrServFail whose reason is a *BogusError, returns no records, and
// the forged data is not served from the cache afterwards either.
func TestResolverRefusesForged(t *testing.T) {
	cases := []struct {
		name  string
		qname string
		edit  func(dnswire.Name, dnswire.Type, *dnswire.Msg)
		ede   uint16
	}{
		{"forged address", "mx.sec.lab.", func(q dnswire.Name, ty dnswire.Type, m *dnswire.Msg) {
			if ty == dnswire.TypeA && q.Equal(dnswire.MustName("mx.sec.lab.")) && len(m.Answer) > 0 {
				m.Answer[0].Data = &dnswire.A{Addr: netip.MustParseAddr("192.0.2.66")}
			}
		}, EDEDNSSECBogus},
		{"rrsig stripped", "www.lab.", func(q dnswire.Name, ty dnswire.Type, m *dnswire.Msg) {
			if ty == dnswire.TypeA && q.Equal(dnswire.MustName("www.lab.")) && len(m.Answer) > 1 {
				m.Answer = m.Answer[:1]
			}
		}, EDERRSIGsMissing},
		{"forged nxdomain", "mx.sec.lab.", func(q dnswire.Name, ty dnswire.Type, m *dnswire.Msg) {
			if ty == dnswire.TypeA && q.Equal(dnswire.MustName("mx.sec.lab.")) {
				m.Answer, m.RCode = nil, dnswire.RCodeNameError
			}
		}, EDENSECMissing},
		{"ds denial stripped", "mx.sec.lab.", func(q dnswire.Name, ty dnswire.Type, m *dnswire.Msg) {
			if ty == dnswire.TypeDS && q.Equal(dnswire.MustName("sec.lab.")) {
				m.Answer, m.Ns = nil, nil
			}
		}, EDENSECMissing},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newLabAuth(t)
			a.edit = tc.edit
			r := labResolver(t, a)
			for round := range 2 {
				res, err := r.Resolve(context.Background(), dnswire.MustName(tc.qname), dnswire.TypeA)
				var be *BogusError
				if !errors.Is(err, ErrServFail) || !errors.Is(err, ErrBogus) || !errors.As(err, &be) {
					t.Fatalf("round %d: %v", round, err)
				}
				if be.EDE != tc.ede || res.Security != Bogus || len(res.Answer) != 0 || res.RCode != dnswire.RCodeServerFailure {
					t.Fatalf("round %d: EDE %d (want %d), %v, %v, %v", round, be.EDE, tc.ede, res.Security, res.Answer, res.RCode)
				}
				// Nor does the plain cache keep it for unvalidated uses.
				var kb [dnswire.MaxNameLen + 2]byte
				for _, ty := range []dnswire.Type{dnswire.TypeA, 0} {
					if e := r.cache.get(appendKey(kb[:0], dnswire.MustName(tc.qname), ty)); e != nil {
						t.Fatalf("round %d: bogus data left in the plain cache: %v %v", round, e.kind, e.data)
					}
				}
			}
		})
	}
}

// TestForwarderValidates: in forwarder mode the resolver validates what
// the upstream recursive server passes through (DO and CD set, RFC 4035
// 3.2.2), fetching DS and DNSKEY through it, and refuses a forgery.
func TestForwarderValidates(t *testing.T) {
	a := newLabAuth(t)
	var cd atomic.Bool
	cd.Store(true)
	a.edit = func(q dnswire.Name, ty dnswire.Type, m *dnswire.Msg) {
		if ty == dnswire.TypeA && q.Equal(dnswire.MustName("www.lab.")) && len(m.Answer) > 0 {
			m.Answer[0].Data = &dnswire.A{Addr: netip.MustParseAddr("192.0.2.66")}
		}
	}
	tr := checkCD{labTransport{a}, &cd}
	r := New(Config{DNSSEC: true, TrustAnchors: labAnchor(t), Forwarders: labHints, Transport: tr, Now: at2030})
	ctx := context.Background()
	for _, c := range []struct {
		name string
		want Security
	}{{"mx.sec.lab.", Secure}, {"www.insec.lab.", Insecure}} {
		res, err := r.Resolve(ctx, dnswire.MustName(c.name), dnswire.TypeA)
		if err != nil || res.Security != c.want || len(res.Answer) != 1 {
			t.Fatalf("%s: %v %v %v", c.name, res.Security, res.Answer, err)
		}
	}
	if _, err := r.Resolve(ctx, dnswire.MustName("www.lab."), dnswire.TypeA); !errors.Is(err, ErrBogus) {
		t.Fatalf("forged: %v", err)
	}
	if !cd.Load() {
		t.Fatal("a query to the forwarder without DO and CD")
	}
}

// checkCD records whether every query had DO and CD set.
type checkCD struct {
	labTransport
	ok *atomic.Bool
}

func (c checkCD) Exchange(ctx context.Context, network string, srv netip.AddrPort, q []byte, timeout time.Duration) ([]byte, error) {
	var m dnswire.Msg
	if m.Unpack(q) != nil || !m.CheckingDisabled || !m.RecursionDesired || m.EDNS == nil || !m.EDNS.DO {
		c.ok.Store(false)
	}
	return c.labTransport.Exchange(ctx, network, srv, q, timeout)
}

// TestLookupMXValidated: the MX RRset's verdict, which RFC 7672 2.2.1
// makes the condition for using the MX hosts' TLSA records.
func TestLookupMXValidated(t *testing.T) {
	r := labResolver(t, newLabAuth(t))
	ctx := context.Background()
	mx, sec, err := r.LookupMXValidated(ctx, "sec.lab")
	if err != nil || sec != Secure || len(mx) != 1 || mx[0].Host != "mx.sec.lab" {
		t.Fatalf("sec.lab: %v %v %v", mx, sec, err)
	}
	mx, sec, err = r.LookupMXValidated(ctx, "www.insec.lab")
	if err != nil || sec != Insecure || len(mx) != 1 || !mx[0].Implicit {
		t.Fatalf("insec.lab: %v %v %v", mx, sec, err)
	}
	plain := New(Config{})
	if _, sec, err := plain.LookupMXValidated(ctx, "bad name..."); err == nil || sec != Indeterminate {
		t.Fatalf("bad name: %v %v", sec, err)
	}
}

// TestResolverRRSIGQuestion: a question for RRSIG records themselves is
// answered (Indeterminate: nothing validates a signature alone), not
// failed as bogus.
func TestResolverRRSIGQuestion(t *testing.T) {
	r := labResolver(t, newLabAuth(t))
	res, err := r.Resolve(context.Background(), dnswire.MustName("www.lab."), dnswire.TypeRRSIG)
	if err != nil || res.Security != Indeterminate || len(res.Answer) == 0 {
		t.Fatalf("%v %v %v", res.Security, res.Answer, err)
	}
}
