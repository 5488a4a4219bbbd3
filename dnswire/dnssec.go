package dnswire

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"slices"
)

// DNSSEC helpers a signer or validator needs before any cryptography:
// key tags, DS digests and the canonical form of records and RRsets that
// signatures cover. They do not sign or verify.

// DS digest types (RFC 4034 5.1.3, RFC 4509, RFC 6605).
const (
	DigestSHA1   uint8 = 1
	DigestSHA256 uint8 = 2
	DigestSHA384 uint8 = 4
)

// ErrUnsupportedDigest: a DS digest type this package cannot compute.
const ErrUnsupportedDigest Error = "dnswire: unsupported DS digest type"

// KeyTag returns the key tag of the key (RFC 4034 Appendix B): a checksum
// over the DNSKEY RDATA, or for algorithm 1 (RSA/MD5) the second- and
// third-to-last octets of the modulus (B.1).
func (k *DNSKEY) KeyTag() uint16 {
	if k.Algorithm == 1 {
		n := len(k.PublicKey)
		if n < 3 {
			return 0
		}
		return uint16(k.PublicKey[n-3])<<8 | uint16(k.PublicKey[n-2])
	}
	var ac uint32
	add := func(i int, c byte) {
		if i&1 == 0 {
			ac += uint32(c) << 8
		} else {
			ac += uint32(c)
		}
	}
	add(0, byte(k.Flags>>8))
	add(1, byte(k.Flags))
	add(2, k.Protocol)
	add(3, k.Algorithm)
	for i, c := range k.PublicKey {
		add(i+4, c)
	}
	ac += ac >> 16 & 0xFFFF
	return uint16(ac)
}

// ToDS returns the DS record for the key owned by owner, with the digest
// of the given type over the canonical owner name and the DNSKEY RDATA
// (RFC 4034 5.1.4): SHA-1, SHA-256 (RFC 4509) or SHA-384 (RFC 6605).
func (k *DNSKEY) ToDS(owner Name, digestType uint8) (*DS, error) {
	if !owner.abs {
		return nil, &NameError{Name: owner, Err: ErrRelativeName}
	}
	lo := owner.Lower()
	buf := lo.AppendWire(make([]byte, 0, int(lo.n)+4+len(k.PublicKey)))
	buf, _ = k.appendWire(buf)
	var d []byte
	switch digestType {
	case DigestSHA1:
		s := sha1.Sum(buf)
		d = s[:]
	case DigestSHA256:
		s := sha256.Sum256(buf)
		d = s[:]
	case DigestSHA384:
		s := sha512.Sum384(buf)
		d = s[:]
	default:
		return nil, ErrUnsupportedDigest
	}
	return &DS{KeyTag: k.KeyTag(), Algorithm: k.Algorithm, DigestType: digestType, Digest: d}, nil
}

// lowerNames returns d with the names RFC 4034 6.2 (item 3, as amended by
// RFC 6840 5.1, which takes NSEC off the list) puts in lower case for the
// canonical form. Other data is returned as is.
func lowerNames(d RData) RData {
	switch v := d.(type) {
	case *NS:
		return &NS{Host: v.Host.Lower()}
	case *CNAME:
		return &CNAME{Target: v.Target.Lower()}
	case *PTR:
		return &PTR{Target: v.Target.Lower()}
	case *MX:
		return &MX{Pref: v.Pref, Host: v.Host.Lower()}
	case *SOA:
		c := *v
		c.MName, c.RName = v.MName.Lower(), v.RName.Lower()
		return &c
	case *SRV:
		c := *v
		c.Target = v.Target.Lower()
		return &c
	case *DNAME:
		return &DNAME{Target: v.Target.Lower()}
	case *NAPTR:
		c := *v
		c.Replacement = v.Replacement.Lower()
		return &c
	case *RRSIG:
		c := *v
		c.SignerName = v.SignerName.Lower()
		return &c
	case *SIG:
		c := *v
		c.SignerName = v.SignerName.Lower()
		return &c
	case *Unknown:
		if l := nameLayout(v.T); l != "" {
			if w, err := canonicalData(nil, v.Data, l); err == nil {
				return &Unknown{T: v.T, Data: w}
			}
		}
	}
	return d
}

// canonicalData rewrites RFC 3597 4 data with its names in lower case.
func canonicalData(dst, data []byte, layout string) ([]byte, error) {
	start := len(dst)
	dst, err := decompressData(dst, data, 0, layout)
	if err != nil {
		return dst, err
	}
	// Walk the copy by the same layout and lower each name's labels.
	off := start
	for i := 0; i < len(layout); i++ {
		switch k := layout[i]; k {
		case 'n':
			for dst[off] != 0 {
				l := int(dst[off])
				for j := off + 1; j <= off+l; j++ {
					dst[j] = lower(dst[j])
				}
				off += 1 + l
			}
			off++
		case '1', '2', '4':
			off += int(k - '0')
		case 's':
			off += 1 + int(dst[off])
		case '*':
			off = len(dst)
		}
	}
	return dst, nil
}

// AppendCanonicalRR appends rr in the canonical form of RFC 4034 6.2:
// owner name in lower case, uncompressed, the given TTL (the RRSIG's
// original TTL when signing or validating), and the data with the names
// of the RFC 1035 types and of SRV, DNAME, NAPTR, RRSIG and SIG in lower
// case.
func AppendCanonicalRR(dst []byte, rr *RR, ttl uint32) ([]byte, error) {
	c := *rr
	c.Name = rr.Name.Lower()
	c.TTL = ttl
	if c.Data != nil {
		c.Data = lowerNames(c.Data)
	}
	var b Builder
	b.Start(dst, Header{}, BuildOptions{})
	start := len(dst) + HeaderLen
	if err := b.Answer(&c); err != nil {
		return dst, err
	}
	out, err := b.Finish()
	if err != nil {
		return dst, err
	}
	// Drop the header the Builder wrote in front of the record.
	n := copy(out[len(dst):], out[start:])
	return out[:len(dst)+n], nil
}

// canonicalRData returns the canonical RDATA of rr (its record without
// owner, type, class, TTL and RDLENGTH).
func canonicalRData(rr *RR) ([]byte, error) {
	w, err := AppendCanonicalRR(nil, rr, 0)
	if err != nil {
		return nil, err
	}
	return w[int(rr.Name.n)+10:], nil
}

// SortCanonical puts an RRset in canonical order (RFC 4034 6.3: by the
// canonical RDATA as left-justified octet strings) and removes records
// whose canonical RDATA repeats. It returns the shortened slice.
func SortCanonical(rrset []RR) ([]RR, error) {
	keys := make([][]byte, len(rrset))
	for i := range rrset {
		k, err := canonicalRData(&rrset[i])
		if err != nil {
			return rrset, err
		}
		keys[i] = k
	}
	idx := make([]int, len(rrset))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return bytes.Compare(keys[a], keys[b]) })
	sorted := make([]RR, 0, len(rrset))
	for j, i := range idx {
		if j > 0 && bytes.Equal(keys[i], keys[idx[j-1]]) {
			continue
		}
		sorted = append(sorted, rrset[i])
	}
	return append(rrset[:0], sorted...), nil
}

// SignedData returns the octets an RRSIG's signature covers (RFC 4034
// 3.1.8.1): the RRSIG RDATA without the signature, with the signer's name
// in lower case, followed by every record of rrset in canonical form and
// order with the original TTL. When the RRSIG has fewer labels than the
// owner name, the owner is the wildcard it was expanded from (RFC 4035
// 5.3.2). rrset is not modified.
func SignedData(sig *RRSIG, rrset []RR) ([]byte, error) {
	s := *sig
	s.SignerName = sig.SignerName.Lower()
	s.Signature = nil
	out, err := s.appendWire(nil)
	if err != nil {
		return nil, err
	}
	set, err := SortCanonical(append([]RR(nil), rrset...))
	if err != nil {
		return nil, err
	}
	for i := range set {
		rr := set[i]
		if n := rr.Name.NumLabels(); int(sig.Labels) < n {
			w, err := rr.Name.Ancestor(int(sig.Labels)).Child("*")
			if err != nil {
				return nil, err
			}
			rr.Name = w
		}
		if out, err = AppendCanonicalRR(out, &rr, sig.OrigTTL); err != nil {
			return nil, err
		}
	}
	return out, nil
}
