package dmarc_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/relaykit/relaykit/dmarc"
)

// hamburger.edu's server judges Alice's message, then a forgery. The
// zone (see receive_test.go) stands in for DNS: crepes.fr publishes
// "v=spf1 a:smtp.crepes.fr -all", an Ed25519 key at
// mail._domainkey.crepes.fr and "v=DMARC1; p=reject".
func ExampleReceiver() {
	z, key := world("reject") // crepes.fr publishes SPF, a DKIM key and p=reject
	psl, _ := dmarc.LoadPublicSuffixList(strings.NewReader("fr\nedu\nexample\n"))
	rc := dmarc.NewReceiver("mx.hamburger.edu", z, psl)
	ctx := context.Background()

	// Alice's message from crepes.fr's server, signed by it.
	env := dmarc.Envelope{IP: crepesIP, Helo: "smtp.crepes.fr", MailFrom: "alice@crepes.fr"}
	v, _ := rc.Evaluate(ctx, env, signed(key, "crepes.fr", aliceMsg))
	fmt.Println("spf", v.SPF.Result, "dkim", v.DKIM[0].Status, "dmarc", v.DMARC.Result, "reject", v.Reject)

	// "From: alice@crepes.fr" sent from elsewhere.
	env = dmarc.Envelope{IP: evilIP, Helo: "evil.example", MailFrom: "mallory@evil.example"}
	v, _ = rc.Evaluate(ctx, env, []byte(aliceMsg))
	if v.Reject {
		code, enh, text := v.Reply()
		fmt.Println(code, enh, text)
	}
	// Output:
	// spf pass dkim pass dmarc pass reject false
	// 550 5.7.1 DMARC policy of crepes.fr is reject: nothing authenticated crepes.fr (SPF pass for evil.example, not aligned; no DKIM signature)
}
