package dnswire_test

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/relaykit/relaykit/dnswire"
)

// Build a query for example.com MX with EDNS0, then parse the reply a
// server would send, lazily, with the Parser.
func Example() {
	var q dnswire.Msg
	q.ID = 0x1234
	q.RecursionDesired = true
	q.SetQuestion(dnswire.MustName("example.com."), dnswire.TypeMX)
	q.SetEDNS(1232, false)
	query, err := q.AppendPack(nil)
	if err != nil {
		panic(err)
	}
	fmt.Println("query:", len(query), "bytes")

	var r dnswire.Msg
	r.Reply(&q)
	r.Authoritative = true
	mx, _ := dnswire.ParseRR("example.com. 3600 IN MX 10 mx1.example.com.")
	r.Answer = append(r.Answer, mx)
	resp, _ := r.AppendPack(nil)

	var p dnswire.Parser
	h, _ := p.Start(resp)
	fmt.Println("id match:", h.ID == q.ID, "rcode:", h.RCode)
	for {
		rh, err := p.AnswerHeader()
		if errors.Is(err, dnswire.ErrSectionDone) {
			break
		}
		if err != nil {
			panic(err)
		}
		if rh.Type == dnswire.TypeMX {
			d, _ := p.MX()
			fmt.Println(rh.Name, d.Pref, d.Host)
		}
	}
	// Output:
	// query: 40 bytes
	// id match: true rcode: NOERROR
	// example.com. 10 mx1.example.com.
}

// Unpack a whole response into a reusable Msg and print it like dig.
func ExampleMsg_Unpack() {
	var b dnswire.Builder
	b.Start(nil, dnswire.Header{ID: 7, Response: true, RecursionAvailable: true}, dnswire.BuildOptions{Compress: true})
	b.Question(&dnswire.Question{Name: dnswire.MustName("www.example.org."), Type: dnswire.TypeA, Class: dnswire.ClassINET})
	b.Answer(&dnswire.RR{
		RRHeader: dnswire.RRHeader{Name: dnswire.MustName("www.example.org."), Type: dnswire.TypeA, Class: dnswire.ClassINET, TTL: 60},
		Data:     &dnswire.A{Addr: netip.MustParseAddr("192.0.2.80")},
	})
	wire, _ := b.Finish()

	var m dnswire.Msg // reuse m for every message: no allocation once warm
	if err := m.Unpack(wire); err != nil {
		panic(err)
	}
	fmt.Print(m.String())
	// Output:
	// ;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 7
	// ;; flags: qr ra; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 0
	//
	// ;; QUESTION SECTION:
	// ;www.example.org.		IN	A
	//
	// ;; ANSWER SECTION:
	// www.example.org.	60	IN	A	192.0.2.80
}

// Read a master file with $ORIGIN, $TTL, relative names and parentheses.
func ExampleReadZone() {
	zone := `$ORIGIN example.net.
$TTL 300
@ IN SOA ns hostmaster ( 1 3600 600 86400 60 )
  IN NS ns
ns  A 192.0.2.53
`
	rrs, err := dnswire.ReadZone(strings.NewReader(zone), dnswire.ZoneConfig{})
	if err != nil {
		panic(err)
	}
	for _, rr := range rrs {
		fmt.Println(rr)
	}
	// Output:
	// example.net.	300	IN	SOA	ns.example.net. hostmaster.example.net. 1 3600 600 86400 60
	// example.net.	300	IN	NS	ns.example.net.
	// ns.example.net.	300	IN	A	192.0.2.53
}

// Names keep their case and compare without it; a dot inside a label stays
// part of the label.
func ExampleParseName() {
	n, _ := dnswire.ParseName("Mail.Example.COM.")
	fmt.Println(n, n.Equal(dnswire.MustName("mail.example.com.")), n.IsSubdomainOf(dnswire.MustName("example.com.")))
	d, _ := dnswire.ParseName(`first\.last.example.com.`)
	fmt.Println(d.NumLabels(), d.Label(0))
	// Output:
	// Mail.Example.COM. true true
	// 3 first.last
}

// Build a response straight into a reused buffer with compression, a TCP
// length prefix and a size limit: records that do not fit are dropped whole
// and TC is set.
func ExampleBuilder() {
	buf := make([]byte, 0, 512) // reuse per connection: no allocation
	var b dnswire.Builder
	b.Start(buf, dnswire.Header{ID: 1, Response: true}, dnswire.BuildOptions{Compress: true, TCP: true, MaxSize: 60})
	name := dnswire.MustName("many.example.")
	b.Question(&dnswire.Question{Name: name, Type: dnswire.TypeA, Class: dnswire.ClassINET})
	for i := 1; i <= 5; i++ {
		b.Answer(&dnswire.RR{
			RRHeader: dnswire.RRHeader{Name: name, Type: dnswire.TypeA, Class: dnswire.ClassINET, TTL: 60},
			Data:     &dnswire.A{Addr: netip.AddrFrom4([4]byte{192, 0, 2, byte(i)})},
		})
	}
	out, err := b.Finish()
	if err != nil {
		panic(err)
	}
	fmt.Println("frame:", len(out), "prefix:", int(out[0])<<8|int(out[1]), "truncated:", b.Truncated(), "dropped:", b.Dropped())
	// Output:
	// frame: 48 prefix: 46 truncated: true dropped: 4
}

// An RFC 2136 UPDATE: require that the name is free, then add a record.
func ExampleNewUpdate() {
	m := dnswire.NewUpdate(dnswire.MustName("example.com."))
	m.ID = 7
	host := dnswire.MustName("new.example.com.")
	m.PrereqNameNotInUse(host)
	rr, _ := dnswire.ParseRR("new.example.com. 300 IN A 192.0.2.7")
	m.UpdateAdd(rr)
	wire, _ := m.AppendPack(nil)
	fmt.Println(len(wire), "bytes")
	fmt.Print(m.String())
	// Output:
	// 61 bytes
	// ;; ->>HEADER<<- opcode: UPDATE, status: NOERROR, id: 7
	// ;; flags:; ZONE: 1, PREREQ: 1, UPDATE: 1, ADDITIONAL: 0
	//
	// ;; ZONE SECTION:
	// ;example.com.			IN	SOA
	//
	// ;; PREREQUISITE SECTION:
	// new.example.com.	0	NONE	ANY
	//
	// ;; UPDATE SECTION:
	// new.example.com.	300	IN	A	192.0.2.7
}
