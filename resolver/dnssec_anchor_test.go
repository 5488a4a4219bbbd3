package resolver

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/relaykit/relaykit/dnswire"
)

// TestValidateAnchors: a DNSKEY anchor works like its DS; a DS anchor
// naming only an algorithm RFC 8624 leaves out (Ed448 here) makes the
// zone insecure rather than bogus (RFC 4035 5.2); the built-in root
// anchors are the DS of KSK-2017 and KSK-2024.
func TestValidateAnchors(t *testing.T) {
	ctx := context.Background()
	qn := dnswire.MustName("mx.sec.lab.")
	a := newLabAuth(t)
	m, _ := a.query(ctx, qn, dnswire.TypeA)

	var ksk dnswire.RR
	for _, rr := range a.zones["lab."] {
		if k, ok := rr.Data.(*dnswire.DNSKEY); ok && k.Flags&dnswire.DNSKEYSEP != 0 {
			ksk = rr
		}
	}
	v := &Validator{Anchors: []dnswire.RR{ksk}, Query: a.query, Now: at2030}
	if sec, err := v.Validate(ctx, qn, dnswire.TypeA, m); sec != Secure {
		t.Fatalf("DNSKEY anchor: %v %v", sec, err)
	}

	anchor := labAnchor(t)
	ds := *anchor[0].Data.(*dnswire.DS)
	ds.Algorithm = 16
	anchor[0].Data = &ds
	v = &Validator{Anchors: anchor, Query: a.query, Now: at2030}
	if sec, err := v.Validate(ctx, qn, dnswire.TypeA, m); sec != Insecure || err != nil {
		t.Fatalf("Ed448 anchor: %v %v", sec, err)
	}

	testRootAnchors(t)
	for _, alg := range []uint8{1, 3, 6, 12, 16} {
		if SupportedAlgorithm(alg) {
			t.Fatalf("algorithm %d supported", alg)
		}
	}
}

// TestValidateSignerBelowCut: records below a delegation signed with the
// parent's keys are bogus (RFC 4035 5.3.1), even before any signature is
// checked.
func TestValidateSignerBelowCut(t *testing.T) {
	ctx := context.Background()
	a := newLabAuth(t)
	v := labValidator(t, a)
	qn := dnswire.MustName("www.sec.lab.")
	m, _ := a.query(ctx, dnswire.MustName("www.lab."), dnswire.TypeA)
	for i := range m.Answer {
		m.Answer[i].Name = qn
	}
	sec, err := v.Validate(ctx, qn, dnswire.TypeA, m)
	var be *BogusError
	if sec != Bogus || !errors.As(err, &be) || !strings.Contains(be.Reason, "not by its zone sec.lab.") {
		t.Fatalf("%v %v", sec, err)
	}
}

// rootKSKs are the root zone's key-signing keys as published in the root
// DNSKEY RRset (and in IANA's root-anchors.xml as public keys): KSK-2017
// (tag 20326) and KSK-2024 (tag 38696).
const rootKSKs = `. 172800 IN DNSKEY 257 3 8 AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3+/4RgWOq7HrxRixHlFlExOLAJr5emLvN7SWXgnLh4+B5xQlNVz8Og8kvArMtNROxVQuCaSnIDdD5LKyWbRd2n9WGe2R8PzgCmr3EgVLrjyBxWezF0jLHwVN8efS3rCj/EWgvIWgb9tarpVUDK/b58Da+sqqls3eNbuv7pr+eoZG+SrDK6nWeL3c6H5Apxz7LjVc1uTIdsIXxuOLYA4/ilBmSVIzuDWfdRUfhHdY6+cn8HFRm+2hM8AnXGXws9555KrUB5qihylGa8subX2Nn6UwNR1AkUTV74bU=
. 172800 IN DNSKEY 257 3 8 AwEAAa96jeuknZlaeSrvyAJj6ZHv28hhOKkx3rLGXVaC6rXTsDc449/cidltpkyGwCJNnOAlFNKF2jBosZBU5eeHspaQWOmOElZsjICMQMC3aeHbGiShvZsx4wMYSjH8e7Vrhbu6irwCzVBApESjbUdpWWmEnhathWu1jo+siFUiRAAxm9qyJNg/wOZqqzL/dL/q8PkcRU5oUKEpUge71M3ej2/7CPqpdVwuMoTvoB+ZOT4YeGyxMvHmbrxlFzGOHOijtzN+u1TQNatX2XBuzZNQ1K+s2CXkPIZo7s6JgZyvaBevYtxPvYLw4z9mR7K2vaF18UYH9Z9GNUUeayffKC73PYc=
`

// testRootAnchors: the built-in DS digests are the SHA-256 digests of
// the two root KSKs (a typo in a hex string would fail here), in key
// tag order.
func testRootAnchors(t *testing.T) {
	t.Helper()
	keys, err := dnswire.ReadZone(strings.NewReader(rootKSKs), dnswire.ZoneConfig{})
	if err != nil {
		t.Fatal(err)
	}
	root := RootAnchors()
	if len(root) != len(keys) {
		t.Fatalf("root anchors %v", root)
	}
	for i, k := range keys {
		want, err := k.Data.(*dnswire.DNSKEY).ToDS(dnswire.Root(), dnswire.DigestSHA256)
		if err != nil {
			t.Fatal(err)
		}
		got := root[i].Data.(*dnswire.DS)
		if !root[i].Name.IsRoot() || got.KeyTag != want.KeyTag || got.Algorithm != 8 || string(got.Digest) != string(want.Digest) {
			t.Fatalf("anchor %d: %v, want %v", i, root[i], want)
		}
	}
	if root[0].Data.(*dnswire.DS).KeyTag != 20326 || root[1].Data.(*dnswire.DS).KeyTag != 38696 {
		t.Fatalf("key tags: %v", root)
	}
}
