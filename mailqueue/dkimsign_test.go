package mailqueue

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"net"
	"testing"

	"github.com/relaykit/relaykit/dkim"
)

// dkimKeys answers DKIM key lookups from a map.
type dkimKeys map[string]string

func (m dkimKeys) LookupTXT(_ context.Context, name string) ([]string, error) {
	if v, ok := m[name]; ok {
		return []string{v}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

// TestEnqueueSignsDKIM: with Config.Sign, a message from a domain with a
// key leaves the queue with a DKIM-Signature that verifies; one from a
// domain without a key leaves unsigned; a failing signer refuses the
// message.
func TestEnqueueSignsDKIM(t *testing.T) {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	pub := priv.Public().(ed25519.PublicKey)
	var asked []string
	sign := func(domain string) (MessageSigner, error) {
		asked = append(asked, domain)
		switch domain {
		case "example.org":
			return dkim.NewSigner(dkim.SignOptions{Domain: "example.org", Selector: "q1", Key: priv})
		case "broken.example":
			return nil, errors.New("key file missing")
		}
		return nil, nil
	}
	h := newHarness(t, Config{Sign: sign})
	// The From field decides the domain, not the reverse-path.
	msg := []byte("From: Alice <alice@Example.ORG>\r\nTo: <bob@example.com>\r\nSubject: hi\r\n\r\nhello\r\n")
	if _, err := h.q.Enqueue(context.Background(), Envelope{From: "bounce@other.example", Recipients: []Recipient{{Addr: "bob@example.com"}}}, msg); err != nil {
		t.Fatal(err)
	}
	plain := []byte("From: <carol@example.net>\r\nTo: <bob@example.com>\r\n\r\nhi\r\n")
	if _, err := h.q.Enqueue(context.Background(), Envelope{From: "carol@example.net", Recipients: []Recipient{{Addr: "bob@example.com"}}}, plain); err != nil {
		t.Fatal(err)
	}
	bad := []byte("From: <x@broken.example>\r\n\r\nhi\r\n")
	if _, err := h.q.Enqueue(context.Background(), Envelope{From: "x@broken.example", Recipients: []Recipient{{Addr: "bob@example.com"}}}, bad); !errors.Is(err, ErrSign) {
		t.Errorf("failing signer: err %v, want ErrSign", err)
	}
	if want := []string{"example.org", "example.net", "broken.example"}; len(asked) != 3 || asked[0] != want[0] || asked[1] != want[1] || asked[2] != want[2] {
		t.Errorf("signer asked for %q, want %q", asked, want)
	}
	runFor(h.q, h.clock, 0)
	calls := h.dlv.snapshot()
	if len(calls) != 2 {
		t.Fatalf("%d deliveries, want 2", len(calls))
	}
	v := dkim.Verifier{Resolver: dkimKeys{"q1._domainkey.example.org": "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)}}
	for _, c := range calls {
		body := c.Txn.Body
		res, err := v.Verify(context.Background(), bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case bytes.Contains(body, []byte("alice@")):
			if len(res) != 1 || res[0].Status != dkim.Pass {
				t.Errorf("signed message: results %+v, want one pass", res)
			}
			if !bytes.HasSuffix(body, msg) {
				t.Errorf("signed message changed beyond the prepended field:\n%s", body)
			}
		default:
			if len(res) != 0 || !bytes.Equal(body, plain) {
				t.Errorf("message without a key was changed or signed: %d results\n%s", len(res), body)
			}
		}
	}
}
