package dane_test

import (
	"context"
	"fmt"

	"github.com/relaykit/relaykit/dane"
	"github.com/relaykit/relaykit/tlstest"
)

// A client looks up the TLSA records of an MX host, decides what RFC 7672
// asks of it, and checks the server's chain.
func Example() {
	ca, _ := tlstest.New("hamburger.edu CA")
	leaf, _ := ca.Issue([]string{"mx.hamburger.edu"}, tlstest.Options{})

	// What a validating resolver would answer for _25._tcp.mx.hamburger.edu.
	dns := dane.MapLookup{
		"_25._tcp.mx.hamburger.edu": {Verdict: dane.Secure, Records: []dane.TLSA{
			dane.Record(dane.DANEEE, dane.SelectorSPKI, dane.MatchSHA256, leaf.Cert),
		}},
	}
	res, err := dns.LookupTLSA(context.Background(), dane.TLSAName("mx.hamburger.edu", 25))
	fmt.Println("action:", dane.Decide(res, err))

	v := &dane.Verifier{Records: res.Records, Names: []string{"mx.hamburger.edu"}}
	m, err := v.Verify(leaf.Full) // in a handshake: v.TLSConfig(nil)
	if err == nil {
		fmt.Printf("verified by TLSA %d %d %d at depth %d\n", m.Record.Usage, m.Record.Selector, m.Record.MatchingType, m.Depth)
	}
	// Output:
	// action: authenticate
	// verified by TLSA 3 1 1 at depth 0
}
