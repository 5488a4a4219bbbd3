package resolver_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/relaykit/relaykit/dnstest"
	"github.com/relaykit/relaykit/dnswire"
	"github.com/relaykit/relaykit/resolver"
)

// exampleNet is a hierarchy and the simulated clock its in-process
// transport moves.
type exampleNet struct {
	*dnstest.Hierarchy
	Clock *dnstest.Clock
}

// exampleHierarchy is a root, a TLD and one domain, on loopback and, for
// the examples, reached through the in-process transport in simulated
// time.
func exampleHierarchy() exampleNet {
	clock := dnstest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	h, err := dnstest.Start(dnstest.Config{Clock: clock,
		Zones: map[string]string{
			".": `
.                  86400  SOA a.root-servers.net. hostmaster.root. 1 1800 900 604800 86400
.                  518400 NS  a.root-servers.net.
a.root-servers.net. 518400 A  127.0.0.2
com.               172800 NS  a.gtld-servers.net.
a.gtld-servers.net. 172800 A  127.0.0.3`,
			"com.": `
@                  900    SOA a.gtld-servers.net. nstld.example. 1 1800 900 604800 900
@                  172800 NS  a.gtld-servers.net.
example.com.       172800 NS  ns.example.com.
ns.example.com.    172800 A   127.0.0.4`,
			"example.com.": `
@    3600 SOA ns hostmaster 1 3600 600 86400 300
@    3600 NS  ns
ns   3600 A   127.0.0.4
@    3600 MX  10 mail
@    3600 MX  20 backup
mail 3600 A   192.0.2.25
www  3600 CNAME mail`,
		},
	})
	if err != nil {
		panic(err)
	}
	return exampleNet{h, clock}
}

// Resolve a name through the hierarchy, following a CNAME; the second
// time the answer comes from the cache.
func ExampleResolver_Resolve() {
	h := exampleHierarchy()
	defer h.Close()
	r := resolver.New(resolver.Config{
		RootHints:         h.RootHints(), // the real root servers if left empty
		AllowSpecialAddrs: true,          // the test hierarchy is on 127.0.0.x
		GluePort:          h.Port(),      // port of every server learnt from glue
		Transport:         h.Transport(), // in process; the default is the network
		Now:               h.Clock.Now,   // simulated time
	})
	ctx := context.Background()
	for range 2 {
		res, err := r.Resolve(ctx, dnswire.MustName("www.example.com."), dnswire.TypeA)
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, rr := range res.Answer {
			fmt.Println(rr.Name, rr.TTL, rr.Type, rr.Data)
		}
		fmt.Println("from cache:", res.FromCache)
	}
	_, err := r.Resolve(ctx, dnswire.MustName("nope.example.com."), dnswire.TypeA)
	fmt.Println(errors.Is(err, resolver.ErrNXDomain))
	// Output:
	// www.example.com. 3600 CNAME mail.example.com.
	// mail.example.com. 3600 A 192.0.2.25
	// from cache: false
	// www.example.com. 3599 CNAME mail.example.com.
	// mail.example.com. 3600 A 192.0.2.25
	// from cache: true
	// true
}

// Mail exchangers in the order to try them.
func ExampleResolver_LookupMX() {
	h := exampleHierarchy()
	defer h.Close()
	r := resolver.New(resolver.Config{RootHints: h.RootHints(), GluePort: h.Port(), AllowSpecialAddrs: true, Transport: h.Transport(), Now: h.Clock.Now})
	mxs, err := r.LookupMX(context.Background(), "example.com")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, mx := range mxs {
		fmt.Println(mx.Pref, mx.Host)
	}
	// A domain without MX records is its own (implicit) exchanger.
	mxs, _ = r.LookupMX(context.Background(), "mail.example.com")
	fmt.Println(mxs[0].Host, mxs[0].Implicit)
	// Output:
	// 10 mail.example.com
	// 20 backup.example.com
	// mail.example.com true
}

// Run a local DNS server on loopback and ask it a question.
func ExampleServer() {
	h := exampleHierarchy()
	defer h.Close()
	r := resolver.New(resolver.Config{RootHints: h.RootHints(), GluePort: h.Port(), AllowSpecialAddrs: true, Transport: h.Transport(), Now: h.Clock.Now})
	srv := resolver.NewServer(resolver.ServerConfig{Resolver: r}) // answers loopback clients only
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	go srv.ServeUDP(pc)
	defer srv.Shutdown(context.Background())

	var q dnswire.Msg
	q.ID = 1
	q.RecursionDesired = true
	q.SetQuestion(dnswire.MustName("mail.example.com."), dnswire.TypeA)
	q.SetEDNS(1232, false)
	b, _ := q.Pack()
	c, err := net.Dial("udp", pc.LocalAddr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	c.Write(b)
	buf := make([]byte, 1232)
	n, err := c.Read(buf)
	if err != nil {
		fmt.Println(err)
		return
	}
	var resp dnswire.Msg
	if err := resp.Unpack(buf[:n]); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.RCode, resp.RecursionAvailable, resp.Answer[0].Data)
	// Output:
	// NOERROR true 192.0.2.25
}

// Trace a resolution from the root, as dig +trace does.
func ExampleResolver_ResolveTrace() {
	h := exampleHierarchy()
	defer h.Close()
	r := resolver.New(resolver.Config{RootHints: h.RootHints(), GluePort: h.Port(), AllowSpecialAddrs: true, Transport: h.Transport(), Now: h.Clock.Now})
	_, err := r.ResolveTrace(context.Background(), dnswire.MustName("www.example.com."), dnswire.TypeA, func(s resolver.Step) {
		// Query names are sent in random letter case (0x20).
		q := strings.ToLower(s.Question.Name.String())
		fmt.Printf("%-10s asked %-17s %-5v as a server of %-13v -> %v, %d answers, %d authority\n",
			s.Server.Addr(), q, s.Question.Type, s.Zone, s.Response.RCode, len(s.Response.Answer), len(s.Response.Ns))
	})
	fmt.Println(err)
	// Output:
	// 127.0.0.2  asked .                 NS    as a server of .             -> NOERROR, 1 answers, 0 authority
	// 127.0.0.2  asked com.              A     as a server of .             -> NOERROR, 0 answers, 1 authority
	// 127.0.0.3  asked example.com.      A     as a server of com.          -> NOERROR, 0 answers, 1 authority
	// 127.0.0.4  asked www.example.com.  A     as a server of example.com.  -> NOERROR, 2 answers, 0 authority
	// 127.0.0.4  asked mail.example.com. A     as a server of example.com.  -> NOERROR, 1 answers, 0 authority
	// <nil>
}

// NetResolver is what spf, dkim and dmarc take: net.Resolver's shapes,
// records as published (no implicit MX), and "not found" as
// *net.DNSError.IsNotFound.
func ExampleNetResolver() {
	h := exampleHierarchy()
	defer h.Close()
	r := resolver.New(resolver.Config{RootHints: h.RootHints(), GluePort: h.Port(), AllowSpecialAddrs: true, Transport: h.Transport(), Now: h.Clock.Now})
	n := resolver.NetResolver{R: r}
	ctx := context.Background()
	mxs, _ := n.LookupMX(ctx, "example.com")
	fmt.Println(len(mxs), "MX records")
	_, err := n.LookupMX(ctx, "mail.example.com")
	var dnsErr *net.DNSError
	fmt.Println(errors.As(err, &dnsErr) && dnsErr.IsNotFound)
	addrs, _ := n.LookupNetIP(ctx, "ip4", "mail.example.com")
	fmt.Println(addrs)
	// Output:
	// 2 MX records
	// true
	// [192.0.2.25]
}
