package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/relaykit/relaykit/dnswire"
	"github.com/relaykit/relaykit/resolver"
)

// runTrace resolves a.Name iteratively from the root with relaykit's
// resolver and prints every exchange as it happens, like dig +trace: the
// question sent (QNAME-minimised, in 0x20 mixed case), the records of the
// answer and authority sections (the referral), and who answered.
func runTrace(ctx context.Context, a *args, stdout, stderr io.Writer) int {
	cfg := resolver.Config{Timeout: a.Query.Timeout * 4}
	if a.Query.Timeout == 0 {
		cfg.Timeout = 0 // the resolver's default
	}
	for _, r := range a.Roots {
		ap, err := netip.ParseAddrPort(r)
		if err != nil {
			fmt.Fprintf(stderr, "dnslookup: -root %q: want address:port\n", r)
			return 2
		}
		cfg.RootHints = append(cfg.RootHints, ap)
		// A private hierarchy runs every server on the roots' port,
		// on addresses (loopback) a public one never uses.
		cfg.GluePort = ap.Port()
		cfg.AllowSpecialAddrs = true
	}
	if a.Port != 0 {
		cfg.GluePort = uint16(a.Port)
	}
	res := resolver.New(cfg)
	result, err := res.ResolveTrace(ctx, a.Name, a.Type, func(s resolver.Step) {
		printStep(stdout, s)
	})
	var rerr *resolver.Error
	switch {
	case err == nil:
	case errors.As(err, &rerr) && !errors.Is(err, resolver.ErrServFail):
		// NXDOMAIN or NODATA: a real answer, printed below.
	default:
		fmt.Fprintf(stdout, ";; resolution failed: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, ";; RESULT: status: %s, ANSWER: %d, AUTHORITY: %d\n", result.RCode, len(result.Answer), len(result.Authority))
	for i := range result.Answer {
		fmt.Fprintln(stdout, rrLine(&result.Answer[i]))
	}
	for i := range result.Authority {
		fmt.Fprintln(stdout, rrLine(&result.Authority[i]))
	}
	fmt.Fprintln(stdout)
	return 0
}

// printStep prints one upstream exchange of a traced resolution. Lookups
// of a glueless name server's address are indented by their depth.
func printStep(w io.Writer, s resolver.Step) {
	ind := strings.Repeat("  ", s.Depth)
	proto := strings.ToUpper(s.Network)
	fmt.Fprintf(w, "%s;; asking %s (zone %s) for %s %s over %s\n", ind,
		serverString(s.Server.String()), s.Zone, s.Question.Name, s.Question.Type, proto)
	if s.Err != nil {
		fmt.Fprintf(w, "%s;; no answer from %s: %v\n\n", ind, serverString(s.Server.String()), s.Err)
		return
	}
	m := s.Response
	if m == nil {
		fmt.Fprintf(w, "%s;; answered from cache\n\n", ind)
		return
	}
	for _, sec := range [][]dnswire.RR{m.Answer, m.Ns} {
		for i := range sec {
			fmt.Fprintln(w, ind+rrLine(&sec[i]))
		}
	}
	fmt.Fprintf(w, "%s;; received %s (flags:%s) from %s in %d ms\n\n", ind, m.RCode, flagString(m.Header),
		serverString(s.Server.String()), s.RTT.Milliseconds())
}
