package bench

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"testing"

	msgdkim "github.com/emersion/go-msgauth/dkim"

	"github.com/relaykit/relaykit/dkim"
)

// The DKIM benchmarks sign and verify a 10 KiB and a 1 MB message with
// rsa-2048 and ed25519, relaxed/relaxed, with relaykit's dkim and with
// github.com/emersion/go-msgauth/dkim, named impl=<name> so benchstat
// -col /impl puts them side by side.

type dkimKey struct {
	name     string
	selector string
	signer   crypto.Signer
	record   string
}

func dkimKeys(tb testing.TB) []dkimKey {
	b, err := os.ReadFile("../dkim/testdata/rsa2048.pem")
	if err != nil {
		tb.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	rk, err := x509.ParsePKCS1PrivateKey(blk.Bytes)
	if err != nil {
		tb.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(rk.Public())
	ek := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	return []dkimKey{
		{"rsa2048", "rsa", rk, "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der)},
		{"ed25519", "ed", ek, "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(ek.Public().(ed25519.PublicKey))},
	}
}

// dkimMessage builds a message of about size bytes: a realistic header
// and a text body of 72-character lines with some trailing spaces and
// tabs for relaxed canonicalization to work on.
func dkimMessage(size int) []byte {
	var b bytes.Buffer
	b.WriteString("Received: from mail.crepes.fr (mail.crepes.fr [192.0.2.25])\r\n\tby mx.hamburger.edu with ESMTPS id 4Fq2; Sat, 05 Dec 2026 10:00:01 +0000\r\n")
	b.WriteString("From: Alice Liddell <alice@crepes.fr>\r\n")
	b.WriteString("To: Bob <bob@hamburger.edu>, Carol <carol@hamburger.edu>\r\n")
	b.WriteString("Cc: team@crepes.fr\r\n")
	b.WriteString("Subject: The recipe, as promised, with a subject long enough\r\n to be folded once\r\n")
	b.WriteString("Date: Sat, 05 Dec 2026 10:00:00 +0000\r\n")
	b.WriteString("Message-ID: <20261205100000.1234@crepes.fr>\r\n")
	b.WriteString("MIME-Version: 1.0\r\n")
	b.WriteString("Content-Type: text/plain; charset=utf-8\r\n")
	b.WriteString("Content-Transfer-Encoding: 8bit\r\n")
	b.WriteString("\r\n")
	line := "Mix the flour and the eggs, then add the milk  slowly,\tstirring well. \r\n"
	for b.Len() < size {
		b.WriteString(line)
	}
	return b.Bytes()
}

type txtMap map[string][]string

func (m txtMap) LookupTXT(_ context.Context, name string) ([]string, error) {
	if v, ok := m[name]; ok {
		return v, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func ourSign(tb testing.TB, k dkimKey, msg []byte) []byte {
	f, err := dkim.Sign(bytes.NewReader(msg), dkim.SignOptions{Domain: "crepes.fr", Selector: k.selector, Key: k.signer})
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

func peerSign(tb testing.TB, k dkimKey, msg []byte) []byte {
	var out bytes.Buffer
	err := msgdkim.Sign(&out, bytes.NewReader(msg), &msgdkim.SignOptions{
		Domain: "crepes.fr", Selector: k.selector, Signer: k.signer,
		HeaderCanonicalization: msgdkim.CanonicalizationRelaxed, BodyCanonicalization: msgdkim.CanonicalizationRelaxed,
		HeaderKeys: []string{"From", "To", "Cc", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type", "Content-Transfer-Encoding"},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out.Bytes()
}

func dkimDNS(keys []dkimKey) txtMap {
	m := txtMap{}
	for _, k := range keys {
		m[k.selector+"._domainkey.crepes.fr"] = []string{k.record}
	}
	return m
}

func ourVerify(tb testing.TB, dns txtMap, signed []byte) {
	ourVerifyWith(tb, &dkim.Verifier{Resolver: dns}, signed)
}

func ourVerifyWith(tb testing.TB, v *dkim.Verifier, signed []byte) {
	res, err := v.Verify(context.Background(), bytes.NewReader(signed))
	if err != nil || len(res) == 0 || res[0].Status != dkim.Pass {
		tb.Fatalf("relaykit verify: %v %+v", err, res)
	}
}

func peerVerify(tb testing.TB, dns txtMap, signed []byte) {
	vs, err := msgdkim.VerifyWithOptions(bytes.NewReader(signed), &msgdkim.VerifyOptions{
		LookupTXT: func(name string) ([]string, error) { return dns.LookupTXT(context.Background(), name) },
	})
	if err != nil || len(vs) == 0 || vs[0].Err != nil {
		tb.Fatalf("go-msgauth verify: %v %+v", err, vs)
	}
}

// TestDKIMCrossVerify: each side verifies what the other signs, both
// algorithms, both canonicalizations.
func TestDKIMCrossVerify(t *testing.T) {
	keys := dkimKeys(t)
	dns := dkimDNS(keys)
	msgs := [][]byte{dkimMessage(2000), []byte("From: a@crepes.fr\r\n\r\n"), append(dkimMessage(500), "\r\n\r\n  \r\n"...)}
	for _, k := range keys {
		for _, c := range []dkim.Canonicalization{dkim.Simple, dkim.Relaxed} {
			for i, msg := range msgs {
				f, err := dkim.Sign(bytes.NewReader(msg), dkim.SignOptions{Domain: "crepes.fr", Selector: k.selector, Key: k.signer, HeaderCanon: c, BodyCanon: c})
				if err != nil {
					t.Fatal(err)
				}
				t.Run(fmt.Sprintf("%s/%s/%d", k.name, c, i), func(t *testing.T) {
					peerVerify(t, dns, append(f, msg...))
					var out bytes.Buffer
					err := msgdkim.Sign(&out, bytes.NewReader(msg), &msgdkim.SignOptions{
						Domain: "crepes.fr", Selector: k.selector, Signer: k.signer,
						HeaderCanonicalization: msgdkim.Canonicalization(c), BodyCanonicalization: msgdkim.Canonicalization(c),
					})
					if err != nil {
						t.Fatal(err)
					}
					ourVerify(t, dns, out.Bytes())
				})
			}
		}
	}
}

func BenchmarkDKIMSign(b *testing.B) {
	keys := dkimKeys(b)
	for _, size := range []int{10 << 10, 1 << 20} {
		msg := dkimMessage(size)
		for _, k := range keys {
			name := fmt.Sprintf("size=%s/alg=%s", sizeName(size), k.name)
			b.Run(name+"/impl=relaykit", func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(msg)))
				defer reportCPU(b)()
				for b.Loop() {
					ourSign(b, k, msg)
				}
			})
			b.Run(name+"/impl=go-msgauth", func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(msg)))
				defer reportCPU(b)()
				for b.Loop() {
					peerSign(b, k, msg)
				}
			})
		}
	}
}

func BenchmarkDKIMVerify(b *testing.B) {
	keys := dkimKeys(b)
	dns := dkimDNS(keys)
	for _, size := range []int{10 << 10, 1 << 20} {
		msg := dkimMessage(size)
		for _, k := range keys {
			// Both verify the same message, signed by go-msgauth.
			signed := peerSign(b, k, msg)
			name := fmt.Sprintf("size=%s/alg=%s", sizeName(size), k.name)
			// Like for like: relaykit and go-msgauth both look the key
			// record up and parse it for every message. The third
			// column adds relaykit's KeyCache, which still looks the
			// record up but parses a key once; go-msgauth has no such
			// option.
			b.Run(name+"/impl=relaykit", func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(signed)))
				defer reportCPU(b)()
				for b.Loop() {
					ourVerify(b, dns, signed)
				}
			})
			b.Run(name+"/impl=go-msgauth", func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(signed)))
				defer reportCPU(b)()
				for b.Loop() {
					peerVerify(b, dns, signed)
				}
			})
			b.Run(name+"/impl=relaykit+keycache", func(b *testing.B) {
				v := &dkim.Verifier{Resolver: dns, KeyCache: &dkim.KeyCache{}}
				b.ReportAllocs()
				b.SetBytes(int64(len(signed)))
				defer reportCPU(b)()
				for b.Loop() {
					ourVerifyWith(b, v, signed)
				}
			})
		}
	}
}

func sizeName(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%dMB", n>>20)
	}
	return fmt.Sprintf("%dKiB", n>>10)
}

// BenchmarkDKIMVerifyFloor measures the parts of a verification that
// are the same standard-library code for relaykit and go-msgauth: the
// public-key operation over a SHA-256 digest (crypto/rsa computes its
// Montgomery constants for the modulus on every call, so that is part
// of it), parsing the key record's SubjectPublicKeyInfo (both parse the
// key on every verification unless relaykit's key cache is on), and
// SHA-256 over the message. A verifier can be no faster than the sum,
// which bounds the ratio either implementation can reach.
func BenchmarkDKIMVerifyFloor(b *testing.B) {
	keys := dkimKeys(b)
	digest := sha256.Sum256([]byte("header hash"))
	for _, k := range keys {
		var sig []byte
		switch sk := k.signer.(type) {
		case ed25519.PrivateKey:
			// RFC 8463 3: PureEdDSA over the SHA-256 digest.
			sig = ed25519.Sign(sk, digest[:])
		default:
			var err error
			if sig, err = sk.Sign(nil, digest[:], crypto.SHA256); err != nil {
				b.Fatal(err)
			}
		}
		pub := k.signer.Public()
		b.Run("op=verify/alg="+k.name, func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				switch p := pub.(type) {
				case *rsa.PublicKey:
					if err := rsa.VerifyPKCS1v15(p, crypto.SHA256, digest[:], sig); err != nil {
						b.Fatal(err)
					}
				case ed25519.PublicKey:
					if !ed25519.Verify(p, digest[:], sig) {
						b.Fatal("ed25519 verify failed")
					}
				}
			}
		})
		if k.name == "rsa2048" {
			der, _ := x509.MarshalPKIXPublicKey(pub)
			b.Run("op=parsekey/alg="+k.name, func(b *testing.B) {
				b.ReportAllocs()
				defer reportCPU(b)()
				for b.Loop() {
					if _, err := x509.ParsePKIXPublicKey(der); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
	for _, size := range []int{10 << 10, 1 << 20} {
		msg := dkimMessage(size)
		b.Run("op=sha256/size="+sizeName(size), func(b *testing.B) {
			b.SetBytes(int64(len(msg)))
			defer reportCPU(b)()
			for b.Loop() {
				sha256.Sum256(msg)
			}
		})
	}
}
