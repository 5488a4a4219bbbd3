package resolver_test

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/relaykit/relaykit/dnswire"
	"github.com/relaykit/relaykit/resolver"
)

// exampleServer serves a resolver over the example hierarchy on a free
// loopback port.
func exampleServer() *resolver.Server {
	h := exampleHierarchy() // left running for the server's lifetime
	r := resolver.New(resolver.Config{RootHints: h.RootHints(), AllowSpecialAddrs: true,
		GluePort: h.Port(), Transport: h.Transport(), Now: h.Clock.Now})
	s := resolver.NewServer(resolver.ServerConfig{Resolver: r})
	if err := s.Listen("127.0.0.1:0"); err != nil {
		panic(err)
	}
	go s.Serve()
	return s
}

// Send one query to one server, as dig does: UDP, TCP if truncated,
// EDNS0 and a DNS cookie.
func ExampleClient_Exchange() {
	s := exampleServer()
	defer s.Close()
	q := new(dnswire.Msg)
	q.SetQuestion(dnswire.MustName("example.com."), dnswire.TypeMX)
	var c resolver.Client
	resp, err := c.Exchange(context.Background(), s.Addr(), q)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.RCode, len(resp.Answer), "answers")
	// Output:
	// NOERROR 2 answers
}

// A forwarding resolver sends every question to upstream recursive
// servers and caches the answers; its counters tell what it did.
func ExampleConfig_forwarders() {
	s := exampleServer()
	defer s.Close()
	r := resolver.New(resolver.Config{Forwarders: []netip.AddrPort{s.Addr()}})
	ctx := context.Background()
	for range 2 {
		ips, err := r.LookupIP(ctx, "www.example.com")
		fmt.Println(ips, err)
	}
	st := r.Stats()
	fmt.Println("upstream queries:", st.QueriesUDP, "cache hits:", st.CacheHits)
	// Output:
	// [192.0.2.25] <nil>
	// [192.0.2.25] <nil>
	// upstream queries: 2 cache hits: 2
}
