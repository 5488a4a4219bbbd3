package mtasts_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"

	"github.com/relaykit/relaykit/mtasts"
)

type txt map[string][]string

func (t txt) LookupTXT(ctx context.Context, name string) ([]string, error) { return t[name], nil }

// A sending MTA asks the Cache for hamburger.edu's policy and checks its
// MX host against it.
func ExampleCache() {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, "version: STSv1\r\nmode: enforce\r\nmx: *.hamburger.edu\r\nmax_age: 86400\r\n")
	}))
	defer srv.Close()
	// The test server's certificate names example.com: reach it under
	// that name. A real Cache needs no Transport.
	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.TLSClientConfig.ServerName = "example.com"
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
	}

	c := &mtasts.Cache{TXT: txt{"_mta-sts.hamburger.edu": {"v=STSv1; id=20261205"}}, Transport: tr}
	p, err := c.Policy(context.Background(), "hamburger.edu")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Mode, p.MaxAge, p.ID)
	fmt.Println("mx.hamburger.edu listed:", p.Match("mx.hamburger.edu"))
	fmt.Println("mx.evil.example listed:", p.Match("mx.evil.example"))
	// Output:
	// enforce 86400 20261205
	// mx.hamburger.edu listed: true
	// mx.evil.example listed: false
}
