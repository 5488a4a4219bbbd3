package dkim

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// verifyOne verifies msg, which carries one signature, and returns its
// result.
func verifyOne(t *testing.T, v *Verifier, msg string) Result {
	t.Helper()
	res, err := v.Verify(context.Background(), strings.NewReader(msg))
	if err != nil || len(res) != 1 {
		t.Fatalf("verify: %v, %d results", err, len(res))
	}
	return res[0]
}

// TestKeyCache: a cached key is reused while the record's text stays the
// same, and a record that changes (rotated, revoked, removed) is judged
// afresh, because the lookup still happens for every signature.
func TestKeyCache(t *testing.T) {
	ek := rfc8463Key()
	other := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	signed := signMsg(t, testMsg, SignOptions{Domain: "crepes.fr", Selector: "ed", Key: ek})
	const name = "ed._domainkey.crepes.fr"
	dns := fakeDNS{name: {keyRecord(ek.Public())}}
	v := &Verifier{Resolver: dns, KeyCache: &KeyCache{}}

	first := verifyOne(t, v, signed)
	second := verifyOne(t, v, signed)
	if first.Status != Pass || second.Status != Pass {
		t.Fatalf("%s %v / %s %v", first.Status, first.Err, second.Status, second.Err)
	}
	if first.Key != second.Key {
		t.Error("the second verification parsed the key again")
	}
	if n := v.KeyCache.Len(); n != 1 {
		t.Errorf("cache holds %d records, want 1", n)
	}

	for _, tc := range []struct {
		name   string
		txts   []string
		status Status
		err    error
	}{
		{"rotated", []string{keyRecord(other.Public())}, Fail, ErrSignature},
		{"revoked", []string{"v=DKIM1; k=ed25519; p="}, PermError, ErrKeyRevoked},
		{"servfail", nil, TempError, ErrTempFail},
		{"back", []string{keyRecord(ek.Public())}, Pass, nil},
	} {
		dns[name] = tc.txts
		r := verifyOne(t, v, signed)
		if r.Status != tc.status || !errors.Is(r.Err, tc.err) {
			t.Errorf("%s: %s %v, want %s %v", tc.name, r.Status, r.Err, tc.status, tc.err)
		}
	}
	delete(dns, name)
	if r := verifyOne(t, v, signed); r.Status != PermError || !errors.Is(r.Err, ErrNoKey) {
		t.Errorf("removed: %s %v", r.Status, r.Err)
	}
	// A record that does not parse is reported, and not kept.
	dns[name] = []string{"v=DKIM1; k=ed25519; p=!!!"}
	n := v.KeyCache.Len()
	if r := verifyOne(t, v, signed); r.Status != PermError {
		t.Errorf("bad record: %s %v", r.Status, r.Err)
	}
	if v.KeyCache.Len() != n {
		t.Error("a record that failed to parse was cached")
	}
}

// TestKeyCacheBound: the cache never holds more than Size records, and
// a record in steady use survives a stream of others.
func TestKeyCacheBound(t *testing.T) {
	c := &KeyCache{Size: 8}
	hot := keyRecord(rfc8463Key().Public())
	hk, err := c.parse(hot)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		seed := make([]byte, ed25519.SeedSize)
		seed[0], seed[1] = byte(i), byte(i>>8)
		if _, err := c.parse(keyRecord(ed25519.NewKeyFromSeed(seed).Public())); err != nil {
			t.Fatal(err)
		}
		if k, _ := c.parse(hot); k != hk {
			t.Fatalf("after %d other records the record in use was dropped", i)
		}
		if n := c.Len(); n > c.Size {
			t.Fatalf("cache holds %d records, Size is %d", n, c.Size)
		}
	}
	// Records too long to keep are parsed but not kept.
	long := hot + "; n=" + strings.Repeat("x", maxCachedKeyRecord)
	if _, err := c.parse(long); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	_, inCur := c.cur[long]
	c.mu.Unlock()
	if inCur {
		t.Error("an over-long record was cached")
	}
}

// TestKeyCacheConcurrent: one cache serves Verifiers on many goroutines
// (run with -race).
func TestKeyCacheConcurrent(t *testing.T) {
	cache := &KeyCache{Size: 4}
	var msgs []string
	dns := fakeDNS{}
	for i := range 6 {
		seed := make([]byte, ed25519.SeedSize)
		seed[0] = byte(i + 1)
		k := ed25519.NewKeyFromSeed(seed)
		sel := fmt.Sprintf("s%d", i)
		dns[sel+"._domainkey.crepes.fr"] = []string{keyRecord(k.Public())}
		msgs = append(msgs, signMsg(t, testMsg, SignOptions{Domain: "crepes.fr", Selector: sel, Key: k}))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			v := &Verifier{Resolver: dns, KeyCache: cache}
			for i := range 30 {
				res, err := v.Verify(context.Background(), strings.NewReader(msgs[(g+i)%len(msgs)]))
				if err != nil || len(res) != 1 || res[0].Status != Pass {
					errs <- fmt.Errorf("goroutine %d: %v %+v", g, err, res)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := cache.Len(); n > cache.Size {
		t.Errorf("cache holds %d records, Size is %d", n, cache.Size)
	}
}
