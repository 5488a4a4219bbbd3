package dmarc_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/relaykit/relaykit/dkim"
	"github.com/relaykit/relaykit/dmarc"
	"github.com/relaykit/relaykit/spf"
)

// zone is a fake DNS for the receiver: TXT and A records by name.
type zone struct {
	txt map[string][]string
	a   map[string][]netip.Addr
	n   int // questions asked
}

func notFound(name string) error {
	return &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (z *zone) LookupTXT(_ context.Context, name string) ([]string, error) {
	z.n++
	if v, ok := z.txt[strings.TrimSuffix(name, ".")]; ok {
		return v, nil
	}
	return nil, notFound(name)
}

func (z *zone) LookupNetIP(_ context.Context, network, host string) ([]netip.Addr, error) {
	z.n++
	var out []netip.Addr
	for _, a := range z.a[strings.TrimSuffix(host, ".")] {
		if a.Is4() == (network == "ip4") {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, notFound(host)
	}
	return out, nil
}

func (z *zone) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	z.n++
	return nil, notFound(name)
}

func (z *zone) LookupAddr(_ context.Context, addr string) ([]string, error) {
	z.n++
	return nil, notFound(addr)
}

var (
	crepesIP = netip.MustParseAddr("192.0.2.25")
	evilIP   = netip.MustParseAddr("203.0.113.66")
)

// world publishes crepes.fr's SPF, DKIM key and DMARC policy, and a
// permissive SPF record for evil.example.
func world(policy string) (*zone, ed25519.PrivateKey) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{42}, 32))
	pub := key.Public().(ed25519.PublicKey)
	z := &zone{
		txt: map[string][]string{
			"crepes.fr":                    {"v=spf1 a:smtp.crepes.fr -all"},
			"mail._domainkey.crepes.fr":    {"v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)},
			"_dmarc.crepes.fr":             {"v=DMARC1; p=" + policy},
			"evil.example":                 {"v=spf1 +all"},
			"_dmarc.hamburger.edu":         {"v=DMARC1; p=none"},
			"mail._domainkey.evil.example": {"v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)},
		},
		a: map[string][]netip.Addr{"smtp.crepes.fr": {crepesIP}},
	}
	return z, key
}

func receiver(t testing.TB, z *zone) *dmarc.Receiver {
	t.Helper()
	psl, err := dmarc.LoadPublicSuffixList(strings.NewReader("fr\nedu\nexample\n"))
	if err != nil {
		t.Fatal(err)
	}
	return dmarc.NewReceiver("mx.hamburger.edu", z, psl)
}

const aliceMsg = "From: Alice <alice@crepes.fr>\r\nTo: Bob <bob@hamburger.edu>\r\nSubject: Lunch\r\nDate: Sat, 5 Dec 2026 12:00:00 +0100\r\nMessage-ID: <1@crepes.fr>\r\n\r\nCrepes at noon?\r\n"

// signed returns msg with a DKIM-Signature for domain in front.
func signed(key ed25519.PrivateKey, domain, msg string) []byte {
	f, err := dkim.Sign(strings.NewReader(msg), dkim.SignOptions{Domain: domain, Selector: "mail", Key: key})
	if err != nil {
		panic(err) // the key and message are the test's own
	}
	return append(f, msg...)
}

func TestReceiverPass(t *testing.T) {
	z, key := world("reject")
	rc := receiver(t, z)
	env := dmarc.Envelope{IP: crepesIP, Helo: "smtp.crepes.fr", MailFrom: "alice@crepes.fr"}
	v, err := rc.Evaluate(context.Background(), env, signed(key, "crepes.fr", aliceMsg))
	if err != nil {
		t.Fatal(err)
	}
	if v.SPF.Result != spf.Pass || len(v.DKIM) != 1 || v.DKIM[0].Status != dkim.Pass || v.DMARC.Result != dmarc.Pass {
		t.Fatalf("spf %s, dkim %+v, dmarc %s", v.SPF.Result, v.DKIM, v.DMARC.Result)
	}
	if v.Reject || v.Quarantine || v.Reason != "" {
		t.Errorf("passing message: reject %v quarantine %v reason %q", v.Reject, v.Quarantine, v.Reason)
	}
	field := string(v.Field())
	for _, want := range []string{"Authentication-Results: mx.hamburger.edu;", "spf=pass smtp.mailfrom=alice@crepes.fr", "dkim=pass header.d=crepes.fr", "dmarc=pass header.from=crepes.fr"} {
		if !strings.Contains(field, want) {
			t.Errorf("field lacks %q:\n%s", want, field)
		}
	}
	if !strings.HasSuffix(field, "\r\n") {
		t.Errorf("field does not end in CRLF: %q", field)
	}
	// The field we write reads back.
	ar, err := dkim.ParseAuthResults(strings.TrimPrefix(strings.TrimSuffix(field, "\r\n"), "Authentication-Results: "))
	if err != nil || len(ar.Results) != 3 {
		t.Fatalf("read back: %v, %+v", err, ar)
	}
}

func TestReceiverForgeryRejected(t *testing.T) {
	z, key := world("reject")
	rc := receiver(t, z)
	// From says crepes.fr; SPF passes for evil.example and the message
	// even carries a valid signature, for evil.example: nothing aligns.
	env := dmarc.Envelope{IP: evilIP, Helo: "evil.example", MailFrom: "mallory@evil.example"}
	msg := signed(key, "evil.example", aliceMsg)
	v, err := rc.Evaluate(context.Background(), env, msg)
	if err != nil {
		t.Fatal(err)
	}
	if v.DMARC.Result != dmarc.Fail || !v.Reject || v.Quarantine {
		t.Fatalf("dmarc %s reject %v quarantine %v", v.DMARC.Result, v.Reject, v.Quarantine)
	}
	code, enh, text := v.Reply()
	want := "DMARC policy of crepes.fr is reject: nothing authenticated crepes.fr (SPF pass for evil.example, not aligned; DKIM pass for evil.example, not aligned)"
	if code != 550 || enh != "5.7.1" || text != want {
		t.Errorf("reply %d %s %q, want 550 5.7.1 %q", code, enh, text, want)
	}
	if f := string(v.Field()); !strings.Contains(f, "dmarc=fail header.from=crepes.fr policy.dmarc=reject") {
		t.Errorf("field: %s", f)
	}

	// Unsigned, from an address crepes.fr's SPF record refuses.
	env = dmarc.Envelope{IP: evilIP, Helo: "evil.example", MailFrom: "alice@crepes.fr"}
	v, err = rc.Evaluate(context.Background(), env, []byte(aliceMsg))
	if err != nil {
		t.Fatal(err)
	}
	want = "DMARC policy of crepes.fr is reject: nothing authenticated crepes.fr (SPF fail for crepes.fr; no DKIM signature)"
	if !v.Reject || v.Reason != want {
		t.Errorf("reject %v reason %q, want %q", v.Reject, v.Reason, want)
	}
	if f := string(v.Field()); !strings.Contains(f, "dkim=none") || !strings.Contains(f, "spf=fail") {
		t.Errorf("field: %s", f)
	}
}

func TestReceiverQuarantineAndReuse(t *testing.T) {
	z, _ := world("quarantine")
	rc := receiver(t, z)
	env := dmarc.Envelope{IP: evilIP, Helo: "evil.example", MailFrom: "mallory@evil.example"}
	out := rc.CheckMailFrom(context.Background(), env)
	if out.Result != spf.Pass || out.Domain != "evil.example" {
		t.Fatalf("MAIL FROM check: %+v", out)
	}
	env.SPF = &out
	before := z.n
	v, err := rc.Evaluate(context.Background(), env, []byte(aliceMsg))
	if err != nil {
		t.Fatal(err)
	}
	if !v.Quarantine || v.Reject {
		t.Errorf("quarantine %v reject %v", v.Quarantine, v.Reject)
	}
	// Only the DMARC policy was asked for: SPF was not run again.
	if z.n-before != 1 {
		t.Errorf("%d DNS questions in Evaluate, want 1 (the policy)", z.n-before)
	}
}

func TestReceiverNullSenderAndBadFrom(t *testing.T) {
	z, _ := world("reject")
	rc := receiver(t, z)
	// Null reverse-path: SPF checks the HELO name (RFC 7208 2.4).
	env := dmarc.Envelope{IP: crepesIP, Helo: "crepes.fr"}
	msg := "From: a@crepes.fr\r\nFrom: b@evil.example\r\n\r\nx\r\n"
	v, err := rc.Evaluate(context.Background(), env, []byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	if v.SPF.Domain != "crepes.fr" || !strings.Contains(string(v.Field()), "smtp.helo=crepes.fr") {
		t.Errorf("null sender: spf domain %q, field %s", v.SPF.Domain, v.Field())
	}
	if v.DMARC.Result != dmarc.PermError || v.Reject || v.FromDomain != "" {
		t.Errorf("two From fields: dmarc %s reject %v from %q", v.DMARC.Result, v.Reject, v.FromDomain)
	}
	// A header that does not parse is an error, with the SPF result kept.
	v, err = rc.Evaluate(context.Background(), env, []byte("no colon here\r\n\r\nbody\r\n"))
	if err == nil || v.SPF.Result != spf.Pass {
		t.Errorf("bad header: err %v, spf %s", err, v.SPF.Result)
	}
}
