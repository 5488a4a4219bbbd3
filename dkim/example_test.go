package dkim_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"net"
	"strings"

	"github.com/relaykit/relaykit/dkim"
)

// txtMap is a map-backed dkim.TXTResolver.
type txtMap map[string][]string

func (m txtMap) LookupTXT(_ context.Context, name string) ([]string, error) {
	if v, ok := m[name]; ok {
		return v, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func Example() {
	seed := make([]byte, ed25519.SeedSize) // use a real secret key
	key := ed25519.NewKeyFromSeed(seed)
	msg := "From: Alice <alice@crepes.fr>\r\n" +
		"To: Bob <bob@hamburger.edu>\r\n" +
		"Subject: Crepes\r\n" +
		"\r\n" +
		"They are ready.\r\n"

	// crepes.fr signs.
	fields, err := dkim.Sign(strings.NewReader(msg), dkim.SignOptions{
		Domain: "crepes.fr", Selector: "2026", Key: key,
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	// hamburger.edu verifies with the key crepes.fr publishes.
	dns := txtMap{"2026._domainkey.crepes.fr": {
		"v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey)),
	}}
	v := &dkim.Verifier{Resolver: dns}
	results, err := v.Verify(context.Background(), strings.NewReader(string(fields)+msg))
	if err != nil {
		fmt.Println(err)
		return
	}
	ar := dkim.AuthResults{ServID: "mx.hamburger.edu"}
	for _, r := range results {
		fmt.Println(r.Signature.Domain, r.Status)
		ar.Results = append(ar.Results, r.AuthResult())
	}
	fmt.Println(strings.ReplaceAll(strings.Split(ar.String(), " header.s")[0], "\r\n", "\n"))
	// Output:
	// crepes.fr pass
	// mx.hamburger.edu;
	//	dkim=pass header.d=crepes.fr header.i=@crepes.fr
}
