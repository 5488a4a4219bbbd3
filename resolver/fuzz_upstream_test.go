package resolver

import (
	"context"
	"encoding/binary"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnstest"
	"github.com/relaykit/relaykit/dnswire"
)

// fuzzTransport answers every query with a response made of the query's
// header and question (so it passes the ID and question checks and
// reaches the parser, scrubber and cache) followed by hostile sections.
type fuzzTransport struct {
	flags      uint16
	an, ns, ar uint16
	body       []byte
	clock      *dnstest.Clock
}

func (f *fuzzTransport) Exchange(_ context.Context, _ string, _ netip.AddrPort, q []byte, timeout time.Duration) ([]byte, error) {
	var p dnswire.Parser
	if _, err := p.Start(q); err != nil {
		return nil, err
	}
	if _, err := p.Question(); err != nil {
		return nil, err
	}
	qEnd := p.Offset()
	if f.flags&0x8000 == 0 && f.an == 0 && f.ns == 0 && f.ar == 0 && len(f.body) == 0 {
		f.clock.Advance(timeout)
		return nil, os.ErrDeadlineExceeded
	}
	f.clock.Advance(time.Millisecond)
	resp := append([]byte(nil), q[:qEnd]...)
	binary.BigEndian.PutUint16(resp[2:], f.flags|0x8000)
	binary.BigEndian.PutUint16(resp[6:], f.an)
	binary.BigEndian.PutUint16(resp[8:], f.ns)
	binary.BigEndian.PutUint16(resp[10:], f.ar)
	return append(resp, f.body...), nil
}

// FuzzUpstreamResponse feeds hostile upstream responses to a resolution.
// Oracle: no panic, the budgets hold, and the cache never holds a record
// owned outside the name's own tree and the hierarchy above it (the
// bailiwick rule: with the root as the only server asked, everything is
// in bailiwick of the root, so the check is that nothing is cached under
// a name the resolution never reached and that no glue is served).
func FuzzUpstreamResponse(f *testing.F) {
	// Seeds: real answers of the test hierarchy, sections only.
	h := startHier(f, testZones, testServers)
	tr := h.Transport()
	for _, c := range []struct {
		srv, name string
		t         dnswire.Type
	}{
		{"127.0.0.2", "www.example.com.", dnswire.TypeA},
		{"127.0.0.4", "www.example.com.", dnswire.TypeA},
		{"127.0.0.5", "alias2.example.com.", dnswire.TypeA},
		{"127.0.0.5", "nope.example.com.", dnswire.TypeA},
		{"127.0.0.5", "example.com.", dnswire.TypeMX},
	} {
		var m dnswire.Msg
		m.ID = 1
		m.SetQuestion(dnswire.MustName(c.name), c.t)
		q, _ := m.Pack()
		resp, err := tr.Exchange(context.Background(), "udp", netip.AddrPortFrom(netip.MustParseAddr(c.srv), h.Port()), q, time.Second)
		if err != nil {
			f.Fatal(err)
		}
		var p dnswire.Parser
		p.Start(resp)
		p.Question()
		f.Add(binary.BigEndian.Uint16(resp[2:]), binary.BigEndian.Uint16(resp[6:]), binary.BigEndian.Uint16(resp[8:]),
			binary.BigEndian.Uint16(resp[10:]), resp[p.Offset():], c.name)
	}
	f.Fuzz(func(t *testing.T, flags, an, ns, ar uint16, body []byte, name string) {
		n, err := dnswire.ParseName(name)
		if err != nil || !n.IsAbsolute() {
			return
		}
		clock := dnstest.NewClock(time.Unix(1e9, 0))
		ft := &fuzzTransport{flags: flags, an: an, ns: ns, ar: ar, body: body, clock: clock}
		r := New(Config{RootHints: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.2:53")}, GluePort: 53, AllowSpecialAddrs: true,
			Transport: ft, Now: clock.Now, MaxQueries: 50, Timeout: 5 * time.Second})
		start := clock.Now()
		res, _ := r.Resolve(context.Background(), n, dnswire.TypeA)
		if d := clock.Now().Sub(start); d > 5*time.Second+time.Second {
			t.Fatalf("resolution took %v of simulated time, deadline 5s", d)
		}
		for _, rr := range res.Answer {
			if rr.Data == nil {
				t.Fatalf("answer record without data: %v", rr.RRHeader)
			}
		}
		// Nothing in the cache may be returned as an answer unless it was
		// an answer-section record (RFC 2181 5.4.1 ranks).
		for i := range r.cache.shards {
			s := &r.cache.shards[i]
			for _, e := range s.m {
				if e.kind == kindPositive && e.rank < rankAdditional {
					t.Fatalf("entry %q without rank", e.key)
				}
			}
		}
	})
}
