package zone

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/asn1"
	"fmt"
	"io"
	"math/big"
	"slices"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// DNSSEC algorithm numbers the signer supports (RFC 8624 3.1 lists them
// as MUST or RECOMMENDED to sign with).
const (
	AlgRSASHA256       uint8 = 8
	AlgECDSAP256SHA256 uint8 = 13
	AlgECDSAP384SHA384 uint8 = 14
	AlgED25519         uint8 = 15
)

// Errors from signing.
const (
	// ErrNoKeys: SignConfig.Keys is empty.
	ErrNoKeys Error = "zone: no signing keys"
	// ErrKeyType: a key is not Ed25519, ECDSA P-256/P-384 or RSA.
	ErrKeyType Error = "zone: unsupported signing key type"
	// ErrNSEC3Collision: two names of the zone hash alike (RFC 5155
	// 7.1: choose another salt).
	ErrNSEC3Collision Error = "zone: NSEC3 hash collision"
)

// SigningKey is a private key the signer signs with, and how its DNSKEY
// is flagged. Flags is dnswire.DNSKEYZone for a zone-signing key (ZSK)
// and dnswire.DNSKEYZone|dnswire.DNSKEYSEP for a key-signing key (KSK)
// or a combined signing key (CSK); zero means DNSKEYZone|DNSKEYSEP.
type SigningKey struct {
	// Signer is an ed25519.PrivateKey, an *ecdsa.PrivateKey on P-256
	// or P-384, or an *rsa.PrivateKey (RSA/SHA-256).
	Signer crypto.Signer
	Flags  uint16
}

func (k SigningKey) flags() uint16 {
	if k.Flags == 0 {
		return dnswire.DNSKEYZone | dnswire.DNSKEYSEP
	}
	return k.Flags
}

// Algorithm returns the DNSSEC algorithm number of the key (RFC 8624).
func (k SigningKey) Algorithm() (uint8, error) {
	switch p := k.Signer.Public().(type) {
	case ed25519.PublicKey:
		return AlgED25519, nil
	case *ecdsa.PublicKey:
		switch p.Curve {
		case elliptic.P256():
			return AlgECDSAP256SHA256, nil
		case elliptic.P384():
			return AlgECDSAP384SHA384, nil
		}
	case *rsa.PublicKey:
		return AlgRSASHA256, nil
	}
	return 0, ErrKeyType
}

// DNSKEY returns the key's public half as DNSKEY data: the public key in
// the form of RFC 8080 3 (Ed25519), RFC 6605 4 (ECDSA: X then Y) or RFC
// 3110 2 (RSA: exponent length, exponent, modulus).
func (k SigningKey) DNSKEY() (*dnswire.DNSKEY, error) {
	if k.Signer == nil {
		return nil, ErrKeyType
	}
	alg, err := k.Algorithm()
	if err != nil {
		return nil, err
	}
	var pub []byte
	switch p := k.Signer.Public().(type) {
	case ed25519.PublicKey:
		pub = slices.Clone([]byte(p))
	case *ecdsa.PublicKey:
		b, err := p.Bytes() // 0x04, X, Y (SEC 1 uncompressed)
		if err != nil {
			return nil, fmt.Errorf("zone: ECDSA key: %w", ErrKeyType)
		}
		pub = b[1:]
	case *rsa.PublicKey:
		e := big.NewInt(int64(p.E)).Bytes()
		if len(e) < 256 {
			pub = append(pub, byte(len(e)))
		} else {
			pub = append(pub, 0, byte(len(e)>>8), byte(len(e)))
		}
		pub = append(append(pub, e...), p.N.Bytes()...)
	}
	return &dnswire.DNSKEY{Flags: k.flags(), Protocol: 3, Algorithm: alg, PublicKey: pub}, nil
}

// DS returns the DS record data for the key as the zone at owner
// publishes it, with a SHA-256 digest (RFC 4509), for the parent zone.
func (k SigningKey) DS(owner dnswire.Name) (*dnswire.DS, error) {
	d, err := k.DNSKEY()
	if err != nil {
		return nil, err
	}
	return d.ToDS(owner, dnswire.DigestSHA256)
}

// sign returns the signature over data in the form RRSIG carries (RFC
// 8080 4, RFC 6605 4: r then s, RFC 5702 3: PKCS #1 v1.5).
func (k SigningKey) sign(rnd io.Reader, alg uint8, data []byte) ([]byte, error) {
	switch alg {
	case AlgED25519:
		return k.Signer.Sign(rnd, data, crypto.Hash(0))
	case AlgRSASHA256:
		d := sha256.Sum256(data)
		return k.Signer.Sign(rnd, d[:], crypto.SHA256)
	case AlgECDSAP256SHA256, AlgECDSAP384SHA384:
		var digest []byte
		var h crypto.Hash
		size := 32
		if alg == AlgECDSAP256SHA256 {
			d := sha256.Sum256(data)
			digest, h = d[:], crypto.SHA256
		} else {
			d := sha512.Sum384(data)
			digest, h, size = d[:], crypto.SHA384, 48
		}
		der, err := k.Signer.Sign(rnd, digest, h)
		if err != nil {
			return nil, err
		}
		var rs struct{ R, S *big.Int }
		if rest, err := asn1.Unmarshal(der, &rs); err != nil || len(rest) != 0 {
			return nil, fmt.Errorf("zone: ECDSA signature: %w", ErrKeyType)
		}
		out := make([]byte, 2*size)
		rs.R.FillBytes(out[:size])
		rs.S.FillBytes(out[size:])
		return out, nil
	}
	return nil, ErrKeyType
}

// SignConfig configures Sign.
type SignConfig struct {
	// Keys sign the zone; their DNSKEYs are added at the apex. When
	// some keys of one algorithm have the SEP flag and some do not, the
	// SEP keys (KSKs) sign only the DNSKEY RRset and the others (ZSKs)
	// everything else; otherwise each key signs every RRset (a CSK).
	// Every algorithm present signs every RRset (RFC 4035 2.2).
	Keys []SigningKey
	// Now is the clock the validity period starts from; nil means
	// time.Now.
	Now func() time.Time
	// Inception is how long before Now the signatures become valid
	// (for clocks behind ours). Default 1 hour.
	Inception time.Duration
	// Validity is how long after Now the signatures expire. Default 14
	// days; re-sign before then.
	Validity time.Duration
	// NSEC3, when set, makes an NSEC3 chain with these parameters
	// (RFC 5155; RFC 9276 3.1 recommends hash 1, flags 0, iterations
	// 0, no salt) instead of NSEC. Opt-out is not made.
	NSEC3 *dnswire.NSEC3PARAM
	// Rand is the randomness ECDSA and RSA-PSS-free signing use; nil
	// means crypto/rand.
	Rand io.Reader
}

// Sign returns a signed copy of z (RFC 4035 2): the keys' DNSKEY RRset
// at the apex, an NSEC chain over every authoritative name (RFC 4035
// 2.3) or an NSEC3 chain (RFC 5155 7.1) with the NSEC3PARAM, and an
// RRSIG from each key for every authoritative RRset: not for the NS
// RRset at a delegation or for glue (RFC 4035 2.2). Signatures,
// NSEC and NSEC3 records already in z are replaced, so a changed zone is
// re-signed by calling Sign again (after an UPDATE the caller does so and
// serves the result with Server.AddZone; the Server does not re-sign by
// itself).
func Sign(z *Zone, cfg SignConfig) (*Zone, error) {
	if len(cfg.Keys) == 0 {
		return nil, ErrNoKeys
	}
	now := time.Now()
	if cfg.Now != nil {
		now = cfg.Now()
	}
	inc, val := cfg.Inception, cfg.Validity
	if inc == 0 {
		inc = time.Hour
	}
	if val == 0 {
		val = 14 * 24 * time.Hour
	}
	rnd := cfg.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	type key struct {
		k   SigningKey
		pub *dnswire.DNSKEY
		tag uint16
	}
	keys := make([]key, 0, len(cfg.Keys))
	// RFC 4035 2.2 (RFC 6840 5.11): every algorithm of the DNSKEY RRset
	// signs every RRset; within one algorithm, KSKs sign the DNSKEY
	// RRset and ZSKs the rest when it has both.
	sep, zsk := map[uint8]bool{}, map[uint8]bool{}
	for _, k := range cfg.Keys {
		pub, err := k.DNSKEY()
		if err != nil {
			return nil, err
		}
		keys = append(keys, key{k, pub, pub.KeyTag()})
		if pub.Flags&dnswire.DNSKEYSEP != 0 {
			sep[pub.Algorithm] = true
		} else {
			zsk[pub.Algorithm] = true
		}
	}
	soaTTL := z.soa.TTL
	negTTL := z.minTTL // RFC 9077 3: NSEC TTL is min(SOA TTL, MINIMUM)

	// Start from the zone without its old DNSSEC records, plus our keys.
	var recs []dnswire.RR
	for _, rr := range z.Records() {
		switch rr.Type {
		case dnswire.TypeRRSIG, dnswire.TypeNSEC, dnswire.TypeNSEC3, dnswire.TypeNSEC3PARAM:
			continue
		}
		recs = append(recs, rr)
	}
	for _, k := range keys {
		recs = append(recs, dnswire.RR{
			RRHeader: dnswire.RRHeader{Name: z.origin, Type: dnswire.TypeDNSKEY, Class: dnswire.ClassINET, TTL: soaTTL},
			Data:     k.pub,
		})
	}
	if cfg.NSEC3 != nil {
		p := *cfg.NSEC3
		p.Flags = 0
		p.Salt = slices.Clone(p.Salt)
		recs = append(recs, dnswire.RR{
			RRHeader: dnswire.RRHeader{Name: z.origin, Type: dnswire.TypeNSEC3PARAM, Class: dnswire.ClassINET, TTL: 0},
			Data:     &p,
		})
	}
	base, err := New(z.origin, recs)
	if err != nil {
		return nil, err
	}

	// The authoritative names: every node not below a zone cut (RFC
	// 4035 2.3: glue is not in the chain). Cuts are included.
	type owner struct {
		nd  *node
		cut bool
	}
	var names []owner
	for _, nd := range base.nodes {
		if base.occluded(nd.name) {
			continue
		}
		cut := !nd.name.Equal(base.origin) && nd.get(dnswire.TypeNS) != nil
		names = append(names, owner{nd, cut})
	}
	slices.SortFunc(names, func(a, b owner) int { return a.nd.name.Compare(b.nd.name) })

	// The types each name will have once signed.
	typesOf := func(o owner, withNSEC bool) []dnswire.Type {
		var ts []dnswire.Type
		signed := false
		for _, s := range o.nd.sets {
			if o.cut {
				// RFC 4035 2.3: at a delegation, NS, DS and the
				// parent's NSEC and RRSIG only.
				if s.typ != dnswire.TypeNS && s.typ != dnswire.TypeDS {
					continue
				}
			}
			ts = append(ts, s.typ)
			if !o.cut || s.typ == dnswire.TypeDS {
				signed = true
			}
		}
		if withNSEC {
			ts = append(ts, dnswire.TypeNSEC)
			signed = true
		}
		if signed {
			ts = append(ts, dnswire.TypeRRSIG)
		}
		slices.Sort(ts)
		return ts
	}

	out := slices.Clone(recs)
	add := func(rr dnswire.RR) { out = append(out, rr) }
	if cfg.NSEC3 == nil {
		// RFC 4035 2.3: the NSEC chain over names that own data.
		var chain []owner
		for _, o := range names {
			if len(o.nd.sets) > 0 {
				chain = append(chain, o)
			}
		}
		for i, o := range chain {
			next := chain[(i+1)%len(chain)].nd.name
			add(dnswire.RR{
				RRHeader: dnswire.RRHeader{Name: o.nd.name, Type: dnswire.TypeNSEC, Class: dnswire.ClassINET, TTL: negTTL},
				Data:     &dnswire.NSEC{NextDomain: next, Types: typesOf(o, true)},
			})
		}
	} else {
		// RFC 5155 7.1: an NSEC3 for every authoritative name, empty
		// non-terminals included, ordered by hash.
		type hashed struct {
			h []byte
			o owner
		}
		hs := make([]hashed, 0, len(names))
		for _, o := range names {
			hs = append(hs, hashed{nsec3Hash(nil, o.nd.name, cfg.NSEC3.Salt, cfg.NSEC3.Iterations), o})
		}
		slices.SortFunc(hs, func(a, b hashed) int { return bytes.Compare(a.h, b.h) })
		for i, h := range hs {
			if i > 0 && bytes.Equal(hs[i-1].h, h.h) {
				return nil, fmt.Errorf("%w: %s and %s", ErrNSEC3Collision, hs[i-1].o.nd.name, h.o.nd.name)
			}
			label := string(appendBase32Hex(nil, h.h))
			on, err := base.origin.Child(label)
			if err != nil {
				return nil, err
			}
			ts := typesOf(h.o, false)
			add(dnswire.RR{
				RRHeader: dnswire.RRHeader{Name: on, Type: dnswire.TypeNSEC3, Class: dnswire.ClassINET, TTL: negTTL},
				Data: &dnswire.NSEC3{HashAlg: cfg.NSEC3.HashAlg, Iterations: cfg.NSEC3.Iterations,
					Salt: slices.Clone(cfg.NSEC3.Salt), NextHashed: hs[(i+1)%len(hs)].h, Types: ts},
			})
		}
	}

	// RRSIGs over every authoritative RRset (RFC 4035 2.2).
	inception := uint32(now.Add(-inc).Unix())
	expiration := uint32(now.Add(val).Unix())
	unsigned, err := New(z.origin, out)
	if err != nil {
		return nil, err
	}
	for _, nd := range unsigned.nodes {
		if unsigned.occluded(nd.name) {
			continue
		}
		cut := !nd.name.Equal(unsigned.origin) && nd.get(dnswire.TypeNS) != nil
		labels := nd.name.NumLabels()
		if labels > 0 && nd.name.Label(0) == "*" {
			labels-- // RFC 4034 3.1.3: the wildcard label is not counted
		}
		for i := range nd.sets {
			s := &nd.sets[i]
			if cut && s.typ != dnswire.TypeDS && s.typ != dnswire.TypeNSEC {
				continue
			}
			for _, k := range keys {
				isSEP := k.pub.Flags&dnswire.DNSKEYSEP != 0
				split := sep[k.pub.Algorithm] && zsk[k.pub.Algorithm]
				if split && isSEP != (s.typ == dnswire.TypeDNSKEY) {
					continue
				}
				sig := &dnswire.RRSIG{
					TypeCovered: s.typ, Algorithm: k.pub.Algorithm, Labels: uint8(labels),
					OrigTTL: s.rrs[0].TTL, Expiration: expiration, Inception: inception,
					KeyTag: k.tag, SignerName: unsigned.origin,
				}
				data, err := dnswire.SignedData(sig, s.rrs)
				if err != nil {
					return nil, err
				}
				if sig.Signature, err = k.k.sign(rnd, sig.Algorithm, data); err != nil {
					return nil, err
				}
				add(dnswire.RR{
					RRHeader: dnswire.RRHeader{Name: nd.name, Type: dnswire.TypeRRSIG, Class: dnswire.ClassINET, TTL: s.rrs[0].TTL},
					Data:     sig,
				})
			}
		}
	}
	return New(z.origin, out)
}

// occluded reports whether name lies below a zone cut of z (glue).
func (z *Zone) occluded(name dnswire.Name) bool {
	for p, ok := name.Parent(); ok && p.IsSubdomainOf(z.origin) && !p.Equal(z.origin); p, ok = p.Parent() {
		if n := z.node(p); n != nil && n.get(dnswire.TypeNS) != nil {
			return true
		}
	}
	return false
}

// appendBase32Hex appends b in base32hex without padding, lower case (RFC
// 4648 7, as NSEC3 owner names spell hashes, RFC 5155 3.3).
func appendBase32Hex(dst, b []byte) []byte {
	const digits = "0123456789abcdefghijklmnopqrstuv"
	var acc uint
	bits := 0
	for _, c := range b {
		acc = acc<<8 | uint(c)
		bits += 8
		for bits >= 5 {
			bits -= 5
			dst = append(dst, digits[acc>>bits&31])
		}
	}
	if bits > 0 {
		dst = append(dst, digits[acc<<(5-bits)&31])
	}
	return dst
}
