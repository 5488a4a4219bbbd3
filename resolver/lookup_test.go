package resolver

import (
	"context"
	"errors"
	"testing"

	"github.com/relaykit/relaykit/dnswire"
)

func TestLookupMX(t *testing.T) {
	_, r := newTest(t, Config{})
	ctx := context.Background()
	seenFirst := map[string]bool{}
	for range 40 {
		mxs, err := r.LookupMX(ctx, "example.com")
		if err != nil {
			t.Fatal(err)
		}
		if len(mxs) != 3 || mxs[0].Pref != 10 || mxs[1].Pref != 10 || mxs[2].Host != "mx3.example.com" || mxs[2].Pref != 20 {
			t.Fatalf("%+v", mxs)
		}
		seenFirst[mxs[0].Host] = true
	}
	// RFC 5321 5.1: equal preferences in random order.
	if !seenFirst["mx1.example.com"] || !seenFirst["mx2.example.com"] {
		t.Errorf("equal-preference hosts never shuffled: %v", seenFirst)
	}

	mxs, err := r.LookupMX(ctx, "www.example.com.")
	if err != nil || len(mxs) != 1 || !mxs[0].Implicit || mxs[0].Host != "www.example.com" || mxs[0].Pref != 0 {
		t.Fatalf("implicit MX: %+v %v", mxs, err)
	}
	if _, err := r.LookupMX(ctx, "nomail.example.com"); !errors.Is(err, ErrNullMX) {
		t.Fatalf("null MX: %v", err)
	}
	if _, err := r.LookupMX(ctx, "nope.example.com"); !errors.Is(err, ErrNXDomain) {
		t.Fatalf("NXDOMAIN: %v", err)
	}
	if _, err := r.LookupMX(ctx, "bad..name"); !errors.Is(err, ErrBadName) {
		t.Fatalf("bad name: %v", err)
	}
}

func TestLookupIPAndTXT(t *testing.T) {
	_, r := newTest(t, Config{})
	ctx := context.Background()
	ips, err := r.LookupIP(ctx, "multi.example.com")
	if err != nil || len(ips) != 3 {
		t.Fatalf("%v %v", ips, err)
	}
	ips, err = r.LookupIP(ctx, "v6.example.com")
	if err != nil || len(ips) != 1 || ips[0].String() != "2001:db8::1" {
		t.Fatalf("%v %v", ips, err)
	}
	ips, err = r.LookupIP(ctx, "alias.example.com")
	if err != nil || len(ips) != 1 || ips[0].String() != "192.0.2.1" {
		t.Fatalf("via CNAME: %v %v", ips, err)
	}
	if _, err := r.LookupIP(ctx, "nope.example.com"); !errors.Is(err, ErrNXDomain) {
		t.Fatal(err)
	}
	txt, err := r.LookupTXT(ctx, "txt.example.com")
	if err != nil || len(txt) != 1 || txt[0] != "v=spf1 -allsecond" {
		t.Fatalf("%q %v", txt, err)
	}
}

func TestTrace(t *testing.T) {
	_, r := newTest(t, Config{})
	var steps []Step
	res, err := r.ResolveTrace(context.Background(), dnswire.MustName("www.example.org."), dnswire.TypeA, func(s Step) { steps = append(steps, s) })
	if err != nil || len(res.Answer) != 1 {
		t.Fatal(err)
	}
	if len(steps) < 4 {
		t.Fatalf("%d steps", len(steps))
	}
	if !steps[0].Zone.IsRoot() || steps[0].Question.Type != dnswire.TypeNS {
		t.Errorf("first step is not priming: %+v", steps[0].Question)
	}
	deps := 0
	for _, s := range steps {
		if s.Response == nil && s.Err == nil {
			t.Errorf("step without response or error")
		}
		if s.Depth > 0 {
			deps++ // the glueless lookup of ns.example.net
		}
	}
	if deps == 0 {
		t.Error("no dependent steps for the glueless name server")
	}
	last := steps[len(steps)-1]
	if last.Server.Addr().String() != "127.0.0.7" || !last.Response.Authoritative {
		t.Errorf("last step %v", last.Server)
	}
}
