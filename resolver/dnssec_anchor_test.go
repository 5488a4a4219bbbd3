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
// anchor is the KSK-2017 DS.
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

	root := RootAnchors()
	if d := root[0].Data.(*dnswire.DS); len(root) != 1 || d.KeyTag != 20326 || d.Algorithm != 8 || !root[0].Name.IsRoot() {
		t.Fatalf("root anchor %v", root)
	}
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
