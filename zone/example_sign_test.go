package zone_test

import (
	"crypto/ed25519"
	"fmt"
	"strings"
	"time"

	"github.com/relaykit/relaykit/dnswire"
	"github.com/relaykit/relaykit/zone"
)

// ExampleSign signs a zone with one Ed25519 key (a CSK) and prints the
// NSEC chain, the signatures, and the DS record for the parent.
func ExampleSign() {
	z, err := zone.Parse(strings.NewReader("@ SOA ns hm 1 7200 3600 1209600 300\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.80\n"),
		dnswire.MustName("hamburger.edu."), zone.LoadConfig{TTL: 3600})
	if err != nil {
		fmt.Println(err)
		return
	}
	key := zone.SigningKey{Signer: ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))}
	signed, err := zone.Sign(z, zone.SignConfig{
		Keys: []zone.SigningKey{key},
		Now:  func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	sigs := 0
	for _, rr := range signed.Records() {
		switch rr.Type {
		case dnswire.TypeNSEC:
			fmt.Println(rr.Name, "NSEC", rr.Data)
		case dnswire.TypeRRSIG:
			sigs++
		}
	}
	fmt.Println(sigs, "RRSIGs")
	ds, _ := key.DS(signed.Origin())
	fmt.Println("DS", ds.KeyTag, ds.Algorithm, ds.DigestType)
	// Output:
	// hamburger.edu. NSEC ns.hamburger.edu. NS SOA RRSIG NSEC DNSKEY
	// ns.hamburger.edu. NSEC www.hamburger.edu. A RRSIG NSEC
	// www.hamburger.edu. NSEC hamburger.edu. A RRSIG NSEC
	// 8 RRSIGs
	// DS 57991 15 2
}
