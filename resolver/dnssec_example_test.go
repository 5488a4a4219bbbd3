package resolver

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// ExampleValidator validates answers from a lab's authoritative servers
// (here one UDP server on 127.0.0.1 for the ldns-signed zones in
// testdata/dnssec) from the lab's trust anchor; a forged address is
// refused.
func ExampleValidator() {
	var t testing.TB = &testing.T{} // the fixtures' loader reports through it
	a := newLabAuth(t)
	addr, _, stop := startLab(t, a)
	defer stop()
	v := &Validator{
		Anchors: labAnchor(t), // the DS of lab.'s KSK; nil would mean the root's
		Query:   UpstreamQuery(nil, time.Second, addr),
		Now:     func() time.Time { return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) },
	}
	ctx := context.Background()
	for _, name := range []string{"mx.sec.lab.", "www.insec.lab."} {
		ans, err := v.Resolve(ctx, dnswire.MustName(name), dnswire.TypeA)
		fmt.Println(name, ans.Security, ans.Records[0].Data, err)
	}
	a.mu.Lock()
	a.edit = func(_ dnswire.Name, t dnswire.Type, m *dnswire.Msg) {
		if t == dnswire.TypeA && len(m.Answer) > 0 {
			m.Answer[0].Data = &dnswire.A{Addr: netip.MustParseAddr("192.0.2.66")}
		}
	}
	a.mu.Unlock()
	ans, err := v.Resolve(ctx, dnswire.MustName("mx.sec.lab."), dnswire.TypeA)
	fmt.Println(ans.Security, len(ans.Records), errors.Is(err, ErrBogus))
	// Output:
	// mx.sec.lab. secure 127.0.0.2 <nil>
	// www.insec.lab. insecure 127.0.0.9 <nil>
	// bogus 0 true
}

// ExampleResolver_dnssec makes the iterative resolver validate by itself
// (Config.DNSSEC) from a lab's trust anchor: answers carry their verdict
// (Result.Security; Secure is what AD means), an unsigned zone is
// insecure, and a forged address is refused as bogus, with the reason.
// The lab's signed zones are answered in process here (Transport); a
// real deployment leaves Transport, RootHints and TrustAnchors at their
// defaults (the real roots and the root KSKs 20326 and 38696).
func ExampleResolver_dnssec() {
	var t testing.TB = &testing.T{} // the fixtures' loader reports through it
	a := newLabAuth(t)
	r := New(Config{
		DNSSEC:       true,
		TrustAnchors: labAnchor(t), // the DS of lab.'s KSK
		RootHints:    []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:53")},
		Transport:    labTransport{a},
		Now:          func() time.Time { return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) },
		// The lab's server is on loopback.
		AllowSpecialAddrs: true,
	})
	ctx := context.Background()
	for _, name := range []string{"mx.sec.lab.", "www.insec.lab."} {
		res, err := r.Resolve(ctx, dnswire.MustName(name), dnswire.TypeA)
		fmt.Println(name, res.Security, res.Answer[0].Data, err)
	}
	a.mu.Lock()
	a.edit = func(n dnswire.Name, t dnswire.Type, m *dnswire.Msg) {
		if t == dnswire.TypeA && n.Equal(dnswire.MustName("www.lab.")) && len(m.Answer) > 0 {
			m.Answer[0].Data = &dnswire.A{Addr: netip.MustParseAddr("192.0.2.66")}
		}
	}
	a.mu.Unlock()
	res, err := r.Resolve(ctx, dnswire.MustName("www.lab."), dnswire.TypeA)
	var be *BogusError
	fmt.Println(res.RCode, res.Security, len(res.Answer), errors.As(err, &be), be.Reason)
	// Output:
	// mx.sec.lab. secure 127.0.0.2 <nil>
	// www.insec.lab. insecure 127.0.0.9 <nil>
	// SERVFAIL bogus 0 true signature does not verify
}
