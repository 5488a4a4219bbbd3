package dkim

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/relaykit/rfc5322"
)

func loadRSA(t testing.TB, name string) *rsa.PrivateKey {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	k, err := x509.ParsePKCS1PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestRFC8463Vector(t *testing.T) {
	msg, err := os.ReadFile("testdata/rfc8463.eml")
	if err != nil {
		t.Fatal(err)
	}
	dns := fakeDNS{
		"brisbane._domainkey.football.example.com": {rfc8463Ed25519Record},
		"test._domainkey.football.example.com":     {rfc8463RSARecord},
	}
	v := &Verifier{Resolver: dns}
	res, err := v.Verify(context.Background(), bytes.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 {
		t.Fatalf("got %d results", len(res))
	}
	for i, r := range res {
		if r.Status != Pass {
			t.Errorf("signature %d: %s (%v)", i, r.Status, r.Err)
		}
	}
	if res[0].Signature.Algorithm != Ed25519SHA256 || res[1].Signature.Algorithm != RSASHA256 {
		t.Errorf("algorithms %s, %s", res[0].Signature.Algorithm, res[1].Signature.Algorithm)
	}
	// The public key of A.2 is the one derived from the seed of A.1.
	if got := keyRecord(rfc8463Key().Public()); got != rfc8463Ed25519Record {
		t.Errorf("derived record %q", got)
	}
	// With a 2048-bit minimum the 1024-bit key of the vector is refused.
	v.MinRSABits = 2048
	res, _ = v.Verify(context.Background(), bytes.NewReader(msg))
	if res[1].Status != PermError || !errors.Is(res[1].Err, ErrKeySize) {
		t.Errorf("1024-bit key with MinRSABits 2048: %s %v", res[1].Status, res[1].Err)
	}
	// One altered body byte fails both.
	bad := bytes.Replace(msg, []byte("hungry"), []byte("Hungry"), 1)
	res, _ = (&Verifier{Resolver: dns}).Verify(context.Background(), bytes.NewReader(bad))
	for i, r := range res {
		if r.Status != Fail || !errors.Is(r.Err, ErrBodyHash) {
			t.Errorf("altered body, signature %d: %s %v", i, r.Status, r.Err)
		}
	}
	// An altered signed header fails the signature, not the body hash.
	bad = bytes.Replace(msg, []byte("Is dinner ready?"), []byte("Is dinner  ready?!"), 1)
	res, _ = (&Verifier{Resolver: dns}).Verify(context.Background(), bytes.NewReader(bad))
	for i, r := range res {
		if r.Status != Fail || !errors.Is(r.Err, ErrSignature) {
			t.Errorf("altered header, signature %d: %s %v", i, r.Status, r.Err)
		}
	}
}

func TestCanonicalizationRFC6376Example(t *testing.T) {
	// RFC 6376 3.4.5.
	hdr := []string{"A: X\r\n", "B : Y\t\r\n\tZ  \r\n"}
	var relaxed, simple []byte
	for _, h := range hdr {
		relaxed = appendHeaderCanon(relaxed, []byte(h), Relaxed, false)
		simple = appendHeaderCanon(simple, []byte(h), Simple, false)
	}
	if got, want := string(relaxed), "a:X\r\nb:Y Z\r\n"; got != want {
		t.Errorf("relaxed header %q, want %q", got, want)
	}
	if got, want := string(simple), "A: X\r\nB : Y\t\r\n\tZ  \r\n"; got != want {
		t.Errorf("simple header %q, want %q", got, want)
	}
	body := " C \r\nD \t E\r\n\r\n\r\n"
	for _, tc := range []struct {
		c    Canonicalization
		want string
	}{
		{Relaxed, " C\r\nD E\r\n"},
		{Simple, " C \r\nD \t E\r\n"},
	} {
		if got := canonBody(t, tc.c, body); got != tc.want {
			t.Errorf("%s body %q, want %q", tc.c, got, tc.want)
		}
	}
}

// recorder is a hash.Hash that keeps what is written, for canonBody.
type recorder struct{ bytes.Buffer }

func (r *recorder) Sum(b []byte) []byte { return append(b, r.Bytes()...) }
func (r *recorder) Size() int           { return 0 }
func (r *recorder) BlockSize() int      { return 1 }

func canonBody(t *testing.T, c Canonicalization, body string) string {
	t.Helper()
	// Feed the body in every split of one and two pieces, to check the
	// streaming state across writes.
	var first string
	for i := 0; i <= len(body); i++ {
		var r recorder
		bc := newBodyCanon(&r, c, -1)
		bc.Write([]byte(body[:i]))
		bc.Write([]byte(body[i:]))
		bc.finish()
		if i == 0 {
			first = r.String()
		} else if r.String() != first {
			t.Fatalf("%s %q split at %d: %q, unsplit %q", c, body, i, r.String(), first)
		}
	}
	return first
}

func TestBodyCanonEdges(t *testing.T) {
	for _, tc := range []struct {
		c          Canonicalization
		body, want string
	}{
		{Simple, "", "\r\n"},               // RFC 6376 3.4.3: empty body is CRLF
		{Relaxed, "", ""},                  // 3.4.4: empty
		{Simple, "\r\n\r\n", "\r\n"},       // only empty lines
		{Relaxed, "\r\n \r\n\t\r\n", ""},   // only blank lines
		{Simple, "abc", "abc\r\n"},         // CRLF added
		{Relaxed, "abc  ", "abc\r\n"},      // trailing WSP dropped, CRLF added
		{Relaxed, "a\rb \r\n", "a\rb\r\n"}, // a stray CR is a character
		{Relaxed, "a \r", "a \r\r\n"},      // a CR at the very end too
		{Simple, "a\nb\n\n", "a\r\nb\r\n"}, // bare LF read as CRLF
		{Relaxed, "a\r\n\r\nb\r\n", "a\r\n\r\nb\r\n"},
		{Relaxed, "x\t\t y\r\n", "x y\r\n"},
		{Simple, "x \r\n \r\n", "x \r\n \r\n"}, // simple keeps WSP lines
	} {
		if got := canonBody(t, tc.c, tc.body); got != tc.want {
			t.Errorf("%s %q: %q, want %q", tc.c, tc.body, got, tc.want)
		}
	}
}

func TestRelaxedHeaderFolded(t *testing.T) {
	long := "Subject: " + strings.Repeat("word ", 30) + "\r\n\t" + strings.Repeat("more  ", 30) + "\r\n"
	got := string(appendHeaderCanon(nil, []byte(long), Relaxed, false))
	want := "subject:" + strings.TrimSpace(strings.Repeat("word ", 30)+strings.Repeat("more ", 30)) + "\r\n"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

const testMsg = "From: Alice <alice@crepes.fr>\r\n" +
	"To: Bob <bob@hamburger.edu>\r\n" +
	"Subject: Crepes\r\n" +
	"Date: Sat, 05 Dec 2026 10:00:00 +0000\r\n" +
	"Message-ID: <1@crepes.fr>\r\n" +
	"\r\n" +
	"Bob,\r\n\r\nthe crepes are ready.\r\n\r\n-- \r\nAlice\r\n"

func signMsg(t *testing.T, msg string, opts ...SignOptions) string {
	t.Helper()
	fields, err := Sign(strings.NewReader(msg), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return string(fields) + msg
}

func TestSignVerifyRoundTrip(t *testing.T) {
	rk := loadRSA(t, "rsa2048.pem")
	ek := rfc8463Key()
	dns := fakeDNS{
		"rsa._domainkey.crepes.fr": {keyRecord(rk.Public())},
		"ed._domainkey.crepes.fr":  {keyRecord(ek.Public())},
	}
	now := func() time.Time { return time.Unix(1_800_000_000, 0) }
	canons := []Canonicalization{Simple, Relaxed}
	bodies := []string{testMsg, strings.TrimSuffix(testMsg, "Alice\r\n"), "From: a@crepes.fr\r\n\r\n",
		"From: a@crepes.fr\r\nSubject: x\r\n\tfolded   with   spaces\r\n\r\nline  with   space  \r\n\r\n\r\n",
		"From: a@crepes.fr\r\n\r\n" + strings.Repeat("8-bit caf\xc3\xa9 ", 500) + "\r\n"}
	for _, hc := range canons {
		for _, bc := range canons {
			for _, body := range bodies {
				signed := signMsg(t, body,
					SignOptions{Domain: "crepes.fr", Selector: "rsa", Key: rk, HeaderCanon: hc, BodyCanon: bc, Timestamp: true, Expiration: time.Hour, Now: now},
					SignOptions{Domain: "crepes.fr", Selector: "ed", Key: ek, HeaderCanon: hc, BodyCanon: bc, Identifier: "alice@crepes.fr"})
				v := &Verifier{Resolver: dns, Now: now}
				res, err := v.Verify(context.Background(), strings.NewReader(signed))
				if err != nil {
					t.Fatal(err)
				}
				if len(res) != 2 {
					t.Fatalf("%d results", len(res))
				}
				for _, r := range res {
					if r.Status != Pass {
						t.Errorf("%s/%s %s: %s %v\n%s", hc, bc, r.Signature.Algorithm, r.Status, r.Err, signed)
					}
				}
				// Expiry is checked.
				v.Now = func() time.Time { return now().Add(2 * time.Hour) }
				res, _ = v.Verify(context.Background(), strings.NewReader(signed))
				if !errors.Is(res[0].Err, ErrExpired) || res[1].Status != Pass {
					t.Errorf("expired: %v / %v", res[0].Err, res[1].Err)
				}
			}
		}
	}
}

func TestOversigning(t *testing.T) {
	ek := rfc8463Key()
	dns := fakeDNS{"ed._domainkey.crepes.fr": {keyRecord(ek.Public())}}
	signed := signMsg(t, testMsg, SignOptions{Domain: "crepes.fr", Selector: "ed", Key: ek})
	res, _ := (&Verifier{Resolver: dns}).Verify(context.Background(), strings.NewReader(signed))
	if res[0].Status != Pass {
		t.Fatalf("%s %v", res[0].Status, res[0].Err)
	}
	h := strings.Join(res[0].Signature.Headers, ":")
	if !strings.HasPrefix(h, "from:from:") || !strings.Contains(h, "subject:subject") {
		t.Errorf("h=%s lacks oversigning", h)
	}
	// A second From or Subject added anywhere breaks the signature.
	for _, add := range []string{"From: mallory@evil.example\r\n", "Subject: pay now\r\n"} {
		i := strings.Index(signed, "\r\n\r\n") + 2
		forged := signed[:i] + add + signed[i:]
		res, _ := (&Verifier{Resolver: dns}).Verify(context.Background(), strings.NewReader(forged))
		if res[0].Status != Fail {
			t.Errorf("added %q: %s", add, res[0].Status)
		}
	}
	// Without oversigning an added field at the top still breaks (the
	// bottom-up rule picks the new one), but one at the bottom is ignored
	// only for fields not in h=.
	signed = signMsg(t, testMsg, SignOptions{Domain: "crepes.fr", Selector: "ed", Key: ek, Oversign: []string{}})
	res, _ = (&Verifier{Resolver: dns}).Verify(context.Background(), strings.NewReader(signed))
	if h := strings.Join(res[0].Signature.Headers, ":"); strings.Contains(h, "from:from") || res[0].Status != Pass {
		t.Errorf("oversigning off: h=%s %s", h, res[0].Status)
	}
}

func TestSignRefusesShortRSA(t *testing.T) {
	_, err := NewSigner(SignOptions{Domain: "crepes.fr", Selector: "s", Key: loadRSA(t, "rsa1024.pem")})
	if !errors.Is(err, ErrKeyTooShort) {
		t.Fatalf("1024-bit key: %v", err)
	}
	if _, err := Sign(strings.NewReader("To: b@x\r\n\r\nhi\r\n"), SignOptions{Domain: "x", Selector: "s", Key: rfc8463Key()}); !errors.Is(err, ErrNoFrom) {
		t.Errorf("no From: %v", err)
	}
}

func TestVerifyResults(t *testing.T) {
	ek := rfc8463Key()
	rec := keyRecord(ek.Public())
	signed := signMsg(t, testMsg, SignOptions{Domain: "crepes.fr", Selector: "ed", Key: ek})
	for _, tc := range []struct {
		name   string
		dns    fakeDNS
		msg    string
		status Status
		err    error
	}{
		{"pass", fakeDNS{"ed._domainkey.crepes.fr": {rec}}, signed, Pass, nil},
		{"nxdomain", fakeDNS{}, signed, PermError, ErrNoKey},
		{"servfail", fakeDNS{"ed._domainkey.crepes.fr": nil}, signed, TempError, ErrTempFail},
		{"no txt", fakeDNS{"ed._domainkey.crepes.fr": {}}, signed, PermError, ErrNoKey},
		{"revoked", fakeDNS{"ed._domainkey.crepes.fr": {"v=DKIM1; k=ed25519; p="}}, signed, PermError, ErrKeyRevoked},
		{"wrong k", fakeDNS{"ed._domainkey.crepes.fr": {strings.Replace(rec, "k=ed25519", "k=rsa", 1)}}, signed, PermError, nil},
		{"h=sha1", fakeDNS{"ed._domainkey.crepes.fr": {rec + "; h=sha1"}}, signed, PermError, ErrKeyMismatch},
		{"s=other", fakeDNS{"ed._domainkey.crepes.fr": {rec + "; s=other"}}, signed, PermError, ErrKeyMismatch},
		{"other key", fakeDNS{"ed._domainkey.crepes.fr": {keyRecord(loadRSA(t, "rsa2048.pem").Public())}}, signed, PermError, ErrKeyMismatch},
		{"rsa-sha1", nil, strings.Replace(signed, "a=ed25519-sha256", "a=rsa-sha1", 1), PermError, ErrAlgorithm},
		{"unknown alg", nil, strings.Replace(signed, "a=ed25519-sha256", "a=foo-bar", 1), PermError, ErrAlgorithm},
		{"no from in h", nil, strings.Replace(signed, "h=from:from:", "h=", 1), PermError, ErrNoFrom},
	} {
		res, err := (&Verifier{Resolver: tc.dns}).Verify(context.Background(), strings.NewReader(tc.msg))
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 1 || res[0].Status != tc.status || (tc.err != nil && !errors.Is(res[0].Err, tc.err)) {
			t.Errorf("%s: %+v", tc.name, res)
		}
	}
	// t=y is reported; t=s refuses an i= in a subdomain.
	res, _ := (&Verifier{Resolver: fakeDNS{"ed._domainkey.crepes.fr": {rec + "; t=y"}}}).Verify(context.Background(), strings.NewReader(signed))
	if res[0].Status != Pass || !res[0].Testing() {
		t.Errorf("t=y: %s testing=%v", res[0].Status, res[0].Testing())
	}
	sub := signMsg(t, testMsg, SignOptions{Domain: "crepes.fr", Selector: "ed", Key: ek, Identifier: "a@mail.crepes.fr"})
	res, _ = (&Verifier{Resolver: fakeDNS{"ed._domainkey.crepes.fr": {rec + "; t=s"}}}).Verify(context.Background(), strings.NewReader(sub))
	if res[0].Status != PermError || !errors.Is(res[0].Err, ErrKeyMismatch) {
		t.Errorf("t=s: %s %v", res[0].Status, res[0].Err)
	}
}

func TestMaxSignatures(t *testing.T) {
	ek := rfc8463Key()
	opt := SignOptions{Domain: "crepes.fr", Selector: "ed", Key: ek}
	signed := signMsg(t, testMsg, opt, opt, opt, opt)
	dns := fakeDNS{"ed._domainkey.crepes.fr": {keyRecord(ek.Public())}}
	res, _ := (&Verifier{Resolver: dns, MaxSignatures: 2}).Verify(context.Background(), strings.NewReader(signed))
	want := []Status{Pass, Pass, Neutral, Neutral}
	for i, r := range res {
		if r.Status != want[i] {
			t.Errorf("signature %d: %s, want %s", i, r.Status, want[i])
		}
	}
}

func TestMissingCIsSimple(t *testing.T) {
	ek := rfc8463Key()
	signed := signMsg(t, testMsg, SignOptions{Domain: "crepes.fr", Selector: "ed", Key: ek, HeaderCanon: Simple, BodyCanon: Simple})
	noC := strings.Replace(signed, " c=simple/simple;", "", 1)
	if noC == signed {
		t.Fatal("c= not found")
	}
	hdr, _, err := rfc5322.ParseHeader([]byte(noC))
	if err != nil {
		t.Fatal(err)
	}
	f, _ := hdr.Lookup("DKIM-Signature")
	sig, err := ParseSignature(string(f.RawValue()))
	if err != nil {
		t.Fatal(err)
	}
	if sig.HeaderCanon != Simple || sig.BodyCanon != Simple {
		t.Errorf("missing c=: %s/%s", sig.HeaderCanon, sig.BodyCanon)
	}
	if s, _ := ParseSignature("v=1; a=rsa-sha256; c=relaxed; d=x; s=y; h=from; bh=; b="); s.BodyCanon != Simple || s.HeaderCanon != Relaxed {
		t.Errorf("c=relaxed: %+v", s)
	}
}

// TestSignStreams signs a large body written in small pieces and checks
// the body hash against a hash of the canonical body computed directly.
func TestSignStreams(t *testing.T) {
	ek := rfc8463Key()
	s, err := NewSigner(SignOptions{Domain: "crepes.fr", Selector: "ed", Key: ek, BodyCanon: Simple})
	if err != nil {
		t.Fatal(err)
	}
	line := strings.Repeat("x", 70) + "\r\n"
	msg := "From: a@crepes.fr\r\n\r\n" + strings.Repeat(line, 10000)
	for i := 0; i < len(msg); i += 777 {
		s.Write([]byte(msg[i:min(i+777, len(msg))]))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	sig, err := ParseSignature(strings.SplitN(string(s.Fields()), ":", 2)[1])
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256([]byte(strings.Repeat(line, 10000)))
	if !bytes.Equal(sig.BodyHash, want[:]) {
		t.Error("body hash differs")
	}
	if len(s.hdrBuf) > 4096 {
		t.Errorf("signer kept %d bytes", len(s.hdrBuf))
	}
}

func TestKeyRecordParse(t *testing.T) {
	k, err := ParseKeyRecord(rfc8463RSARecord + "; t=y:s; h=sha256; s=email; n=note")
	if err != nil {
		t.Fatal(err)
	}
	if !k.Testing || !k.Strict || k.KeyType != "rsa" || k.Notes != "note" || !k.fitsHash("sha256") || !k.forEmail() {
		t.Errorf("%+v", k)
	}
	for _, bad := range []string{
		"k=rsa; v=DKIM1; p=",         // v= not first
		"v=DKIM2; p=",                // wrong version
		"v=DKIM1; k=rsa",             // no p=
		"v=DKIM1; k=dsa; p=AAAA",     // unknown type
		"v=DKIM1; k=ed25519; p=AAAA", // short key
		"v=DKIM1; p=!!!",             // bad base64
		"v=DKIM1; p=; p=",            // duplicate
	} {
		if _, err := ParseKeyRecord(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	k, err = ParseKeyRecord("v=DKIM1; p=")
	if err != nil || !k.Revoked {
		t.Errorf("revoked: %+v %v", k, err)
	}
}
