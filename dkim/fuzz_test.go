package dkim

import (
	"context"
	"os"
	"strings"
	"testing"
)

func FuzzParseSignature(f *testing.F) {
	f.Add("v=1; a=rsa-sha256; c=relaxed/simple; d=example.com; s=sel; h=from:to; bh=AAAA; b=AAAA")
	f.Add("v=1; a=ed25519-sha256; d=x; s=y; h=From; i=@x; t=1; x=2; l=0; q=dns/txt; bh=; b=")
	f.Add("v=1;;a=")
	f.Fuzz(func(t *testing.T, s string) {
		sig, err := ParseSignature(s)
		if err != nil {
			return
		}
		if sig.Domain == "" || sig.Selector == "" || len(sig.Headers) == 0 {
			t.Fatalf("accepted without required tags: %q", s)
		}
		if !validCanon(sig.HeaderCanon) || !validCanon(sig.BodyCanon) {
			t.Fatalf("bad canonicalization accepted: %q", s)
		}
	})
}

func FuzzParseKeyRecord(f *testing.F) {
	f.Add(rfc8463RSARecord)
	f.Add(rfc8463Ed25519Record)
	f.Add("v=DKIM1; p=; t=y:s; h=sha1:sha256; s=*")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseKeyRecord(s)
		if err != nil {
			return
		}
		if !k.Revoked && k.Key == nil {
			t.Fatalf("key record without key: %q", s)
		}
	})
}

func FuzzParseAuthResults(f *testing.F) {
	f.Add("example.com; spf=pass smtp.mailfrom=a@b (c); dkim=fail reason=\"x y\" header.b=ab/c+=")
	f.Add("x 1; none")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAuthResults(s)
		if err != nil {
			return
		}
		// What was read writes and reads back the same.
		b, err := ParseAuthResults(a.String())
		if err != nil {
			t.Fatalf("reparse of %q: %v", a.String(), err)
		}
		if len(b.Results) != len(a.Results) {
			t.Fatalf("round trip lost results: %q", s)
		}
	})
}

// FuzzVerify feeds whole messages to the verifier; it must never panic.
func FuzzVerify(f *testing.F) {
	msg, _ := os.ReadFile("testdata/rfc8463.eml")
	f.Add(string(msg))
	f.Add("DKIM-Signature: v=1; a=rsa-sha256; d=x; s=y; h=from; bh=; b=\r\nFrom: a\r\n\r\nbody \r\r\n")
	dns := fakeDNS{
		"brisbane._domainkey.football.example.com": {rfc8463Ed25519Record},
		"test._domainkey.football.example.com":     {rfc8463RSARecord},
	}
	f.Fuzz(func(t *testing.T, s string) {
		v := &Verifier{Resolver: dns}
		v.Verify(context.Background(), strings.NewReader(s))
	})
}
