package zone_test

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/relaykit/relaykit/dnswire"
	"github.com/relaykit/relaykit/zone"
)

func Example() {
	const text = `
$TTL 3600
@	SOA	dns1 hostmaster 1 7200 3600 1209600 300
	NS	dns1
dns1	A	212.212.212.1
www	CNAME	host
host	A	212.212.212.80
`
	z, err := zone.Parse(strings.NewReader(text), dnswire.MustName("networkutopia.com."), zone.LoadConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	s := &zone.Server{}
	s.AddZone(z)
	if err := s.ListenAndServe("127.0.0.1:0"); err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	q := new(dnswire.Msg)
	q.ID = 1
	q.SetQuestion(dnswire.MustName("www.networkutopia.com."), dnswire.TypeA)
	wire, _ := q.Pack()
	c, err := net.Dial("udp", s.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	c.Write(wire)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 512)
	n, err := c.Read(buf)
	if err != nil {
		fmt.Println(err)
		return
	}
	var m dnswire.Msg
	if err := m.Unpack(buf[:n]); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.RCode, "aa:", m.Authoritative)
	for _, rr := range m.Answer {
		fmt.Println(rr.String())
	}
	// Output:
	// NOERROR aa: true
	// www.networkutopia.com.	3600	IN	CNAME	host.networkutopia.com.
	// host.networkutopia.com.	3600	IN	A	212.212.212.80
}

func ExampleZone_WriteTo() {
	z, err := zone.Parse(strings.NewReader("@ 60 SOA ns hm 1 2 3 4 5\n@ 60 NS ns\nns 60 A 192.0.2.1\n"),
		dnswire.MustName("example."), zone.LoadConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	var sb strings.Builder
	z.WriteTo(&sb)
	fmt.Print(sb.String())
	// Output:
	// $ORIGIN example.
	// example.	60	IN	SOA	ns.example. hm.example. 1 2 3 4 5
	// example.	60	IN	NS	ns.example.
	// ns.example.	60	IN	A	192.0.2.1
}

func ExampleServer_AddSecondary() {
	z, err := zone.Parse(strings.NewReader("@ 60 SOA ns hm 7 3600 600 86400 60\n@ 60 NS ns\nns 60 A 192.0.2.1\n"),
		dnswire.MustName("example."), zone.LoadConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	primary := &zone.Server{TransferFrom: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	primary.AddZone(z)
	if err := primary.ListenAndServe("127.0.0.1:0"); err != nil {
		fmt.Println(err)
		return
	}
	defer primary.Close()

	secondary := &zone.Server{}
	if err := secondary.ListenAndServe("127.0.0.1:0"); err != nil {
		fmt.Println(err)
		return
	}
	defer secondary.Close()
	refreshed := make(chan error, 1)
	secondary.AddSecondary(zone.Secondary{
		Origin:    dnswire.MustName("example."),
		Primary:   primary.Addr(),
		OnRefresh: func(_ *zone.Zone, err error) { refreshed <- err },
	})
	if err := <-refreshed; err != nil {
		fmt.Println(err)
		return
	}
	sz := secondary.Zone(dnswire.MustName("example."))
	fmt.Println("serial", sz.Serial(), "records", sz.Len())
	// Output:
	// serial 7 records 3
}
