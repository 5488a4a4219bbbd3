package resolver

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"math/big"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// Security is the DNSSEC verdict on an answer (RFC 4033 5, RFC 4035
// 4.3).
type Security uint8

// Verdicts, in RFC 4035 4.3's terms.
const (
	// Indeterminate: no trust anchor covers the name, so nothing could
	// be said.
	Indeterminate Security = iota
	// Insecure: a secure chain proved that the name is in an unsigned
	// zone (no DS at a delegation), or every key on the chain uses an
	// algorithm RFC 8624 says a validator need not (or must not) use.
	Insecure
	// Secure: every RRset was verified along a chain from a trust
	// anchor.
	Secure
	// Bogus: a chain should have verified and did not.
	Bogus
)

// String returns the lower-case name of s.
func (s Security) String() string {
	switch s {
	case Insecure:
		return "insecure"
	case Secure:
		return "secure"
	case Bogus:
		return "bogus"
	}
	return "indeterminate"
}

// Extended DNS Error codes (RFC 8914 4) a BogusError carries.
const (
	EDEUnsupportedAlgorithm  uint16 = 1
	EDEUnsupportedDigest     uint16 = 2
	EDEDNSSECBogus           uint16 = 6
	EDESignatureExpired      uint16 = 7
	EDESignatureNotYetValid  uint16 = 8
	EDEDNSKEYMissing         uint16 = 9
	EDERRSIGsMissing         uint16 = 10
	EDENSECMissing           uint16 = 12
	EDEUnsupportedNSEC3Iters uint16 = 27
)

// ErrBogus matches every *BogusError (errors.Is).
const ErrBogus = sentinel("resolver: DNSSEC validation failed (bogus)")

// ErrValidationBudget: an answer needed more signature checks or NSEC3
// hashes than ValidationLimits allow (the KeyTrap and NSEC3 CPU
// exhaustion attacks, CVE-2023-50387 and CVE-2023-50868).
const ErrValidationBudget = sentinel("resolver: DNSSEC validation work limit reached")

// BogusError says why data failed validation; EDE is the RFC 8914 code a
// server puts in its SERVFAIL answer.
type BogusError struct {
	Name   dnswire.Name
	Type   dnswire.Type
	EDE    uint16
	Reason string
	Err    error // the underlying failure, if any
}

func (e *BogusError) Error() string {
	s := "resolver: DNSSEC bogus " + e.Name.String() + " " + e.Type.String() + ": " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is matches ErrBogus.
func (e *BogusError) Is(target error) bool { return target == ErrBogus }

// Unwrap returns the underlying failure.
func (e *BogusError) Unwrap() error { return e.Err }

// ValidationLimits bound the work one answer may cost. The zero value
// uses the defaults named on each field.
type ValidationLimits struct {
	// MaxSignatures is how many RRSIGs are tried per RRset (default 8).
	MaxSignatures int
	// MaxKeysPerTag is how many DNSKEYs sharing a key tag and algorithm
	// are tried per RRSIG (default 4; RFC 4034 5.3.1 allows collisions).
	MaxKeysPerTag int
	// MaxVerifications caps public key operations per answer, chain
	// included (default 32).
	MaxVerifications int
	// MaxNSEC3Iterations: NSEC3 records with more iterations make the
	// answer insecure (RFC 9276 3.2; default 150).
	MaxNSEC3Iterations int
	// MaxNSEC3Hashes caps NSEC3 hash computations per answer (default
	// 32).
	MaxNSEC3Hashes int
}

func (l ValidationLimits) withDefaults() ValidationLimits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxSignatures, 8)
	def(&l.MaxKeysPerTag, 4)
	def(&l.MaxVerifications, 32)
	def(&l.MaxNSEC3Iterations, 150)
	def(&l.MaxNSEC3Hashes, 32)
	return l
}

// budget counts the work spent on one answer.
type budget struct {
	lim           ValidationLimits
	verifications int
	hashes        int
}

func (b *budget) verify() bool {
	if b.verifications >= b.lim.MaxVerifications {
		return false
	}
	b.verifications++
	return true
}

// SupportedAlgorithm reports whether signatures with DNSSEC algorithm
// alg are checked (RFC 8624 3.1: RSASHA1 5 and 7, RSASHA256 8, RSASHA512
// 10, ECDSAP256SHA256 13, ECDSAP384SHA384 14 and ED25519 15). Zones
// signed only with others (RSAMD5, DSA, GOST, ED448) are insecure (RFC
// 4035 5.2).
func SupportedAlgorithm(alg uint8) bool {
	switch alg {
	case 5, 7, 8, 10, 13, 14, 15:
		return true
	}
	return false
}

// supportedDigest reports whether DS digest type d is checked (RFC 8624
// 3.3: SHA-1, SHA-256, SHA-384).
func supportedDigest(d uint8) bool {
	return d == dnswire.DigestSHA1 || d == dnswire.DigestSHA256 || d == dnswire.DigestSHA384
}

var errBadKey = errors.New("resolver: malformed DNSKEY")
var errBadSig = errors.New("resolver: signature does not verify")

// verifySignature checks sig over data with key.
func verifySignature(key *dnswire.DNSKEY, sig, data []byte) error {
	switch key.Algorithm {
	case 5, 7, 8, 10:
		pub, err := rsaKey(key.PublicKey)
		if err != nil {
			return err
		}
		var h crypto.Hash
		var sum []byte
		switch key.Algorithm {
		case 8:
			s := sha256.Sum256(data)
			h, sum = crypto.SHA256, s[:]
		case 10:
			s := sha512.Sum512(data)
			h, sum = crypto.SHA512, s[:]
		default:
			s := sha1.Sum(data)
			h, sum = crypto.SHA1, s[:]
		}
		if rsa.VerifyPKCS1v15(pub, h, sum, sig) != nil {
			return errBadSig
		}
		return nil
	case 13, 14:
		// RFC 6605 4: the key is X | Y, the signature r | s.
		curve, size := elliptic.P256(), 32
		if key.Algorithm == 14 {
			curve, size = elliptic.P384(), 48
		}
		if len(key.PublicKey) != 2*size || len(sig) != 2*size {
			return errBadKey
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(curve, append([]byte{4}, key.PublicKey...))
		if err != nil {
			return errBadKey
		}
		var sum []byte
		if key.Algorithm == 13 {
			s := sha256.Sum256(data)
			sum = s[:]
		} else {
			s := sha512.Sum384(data)
			sum = s[:]
		}
		r, s := new(big.Int).SetBytes(sig[:size]), new(big.Int).SetBytes(sig[size:])
		if !ecdsa.Verify(pub, sum, r, s) {
			return errBadSig
		}
		return nil
	case 15:
		// RFC 8080 3.
		if len(key.PublicKey) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize {
			return errBadKey
		}
		if !ed25519.Verify(ed25519.PublicKey(key.PublicKey), data, sig) {
			return errBadSig
		}
		return nil
	}
	return errBadKey
}

// rsaKey decodes an RFC 3110 2 public key: exponent length (one octet, or
// zero and two more), exponent, modulus.
func rsaKey(b []byte) (*rsa.PublicKey, error) {
	if len(b) < 3 {
		return nil, errBadKey
	}
	el, off := int(b[0]), 1
	if el == 0 {
		el, off = int(b[1])<<8|int(b[2]), 3
	}
	if el == 0 || el > 4 || off+el >= len(b) {
		return nil, errBadKey
	}
	e := 0
	for _, c := range b[off : off+el] {
		e = e<<8 | int(c)
	}
	mod := b[off+el:]
	// RFC 8624 3.1 and RFC 3110 2: 1024 to 4096 bits.
	if len(mod) < 128 || len(mod) > 512 || e < 3 {
		return nil, errBadKey
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(mod), E: e}, nil
}

// sigValidAt checks the validity period with RFC 4034 3.1.5's serial
// number arithmetic around now.
func sigValidAt(sig *dnswire.RRSIG, now time.Time) uint16 {
	t := uint32(now.Unix())
	if int32(t-sig.Inception) < 0 {
		return EDESignatureNotYetValid
	}
	if int32(sig.Expiration-t) < 0 {
		return EDESignatureExpired
	}
	return 0
}

// verifyRRset checks that one of sigs, made by a key in keys (owned by
// zone), covers rrset (RFC 4035 5.3). It returns whether the RRset was
// expanded from a wildcard (the RRSIG has fewer labels than the owner),
// which then needs a denial of the name itself (RFC 4035 5.3.4).
func verifyRRset(rrset []dnswire.RR, sigs []dnswire.RRSIG, keys []dnswire.DNSKEY, zone dnswire.Name, now time.Time, b *budget) (wildcard bool, err error) {
	if len(rrset) == 0 {
		return false, &BogusError{EDE: EDEDNSSECBogus, Reason: "empty RRset"}
	}
	owner, typ := rrset[0].Name, rrset[0].Type
	bogus := func(ede uint16, reason string, err error) *BogusError {
		return &BogusError{Name: owner, Type: typ, EDE: ede, Reason: reason, Err: err}
	}
	if len(sigs) == 0 {
		return false, bogus(EDERRSIGsMissing, "no RRSIG", nil)
	}
	last := bogus(EDEDNSSECBogus, "no RRSIG from the zone's keys", nil)
	labels := owner.NumLabels()
	if owner.NumLabels() > 0 && owner.Label(0) == "*" {
		labels-- // RFC 4034 3.1.3: a wildcard owner's label is not counted
	}
	tried := 0
	for i := range sigs {
		sig := &sigs[i]
		// RFC 4035 5.3.1: the RRSIG must match the RRset and zone.
		if sig.TypeCovered != typ || !sig.SignerName.Equal(zone) || int(sig.Labels) > labels || !owner.IsSubdomainOf(zone) {
			continue
		}
		if !SupportedAlgorithm(sig.Algorithm) {
			continue
		}
		if tried == b.lim.MaxSignatures {
			return false, bogus(EDEDNSSECBogus, "too many signatures tried", ErrValidationBudget)
		}
		tried++
		if code := sigValidAt(sig, now); code != 0 {
			reason := "signature expired"
			if code == EDESignatureNotYetValid {
				reason = "signature not yet valid"
			}
			last = bogus(code, reason, nil)
			continue
		}
		data, err := dnswire.SignedData(sig, rrset)
		if err != nil {
			last = bogus(EDEDNSSECBogus, "cannot form signed data", err)
			continue
		}
		same := 0
		for j := range keys {
			k := &keys[j]
			// RFC 4034 2.1.1: only zone keys, not revoked (RFC 5011 7).
			if k.Algorithm != sig.Algorithm || k.Flags&dnswire.DNSKEYZone == 0 || k.Flags&dnswire.DNSKEYRevoke != 0 || k.Protocol != 3 || k.KeyTag() != sig.KeyTag {
				continue
			}
			if same == b.lim.MaxKeysPerTag {
				break
			}
			same++
			if !b.verify() {
				return false, bogus(EDEDNSSECBogus, "too many signature checks", ErrValidationBudget)
			}
			if err := verifySignature(k, sig.Signature, data); err != nil {
				last = bogus(EDEDNSSECBogus, "signature does not verify", err)
				continue
			}
			return int(sig.Labels) < labels, nil
		}
	}
	return false, last
}

// dnskeysFromDS verifies a zone's DNSKEY RRset against its DS set (RFC
// 4035 5.2): a key whose digest is in the DS set and that signs the
// RRset. It returns the keys, or Insecure (no error) when no DS uses a
// supported algorithm and digest.
func dnskeysFromDS(zone dnswire.Name, dnskeys []dnswire.RR, sigs []dnswire.RRSIG, ds []dnswire.DS, now time.Time, b *budget) ([]dnswire.DNSKEY, Security, error) {
	usable := false
	for _, d := range ds {
		if SupportedAlgorithm(d.Algorithm) && supportedDigest(d.DigestType) {
			usable = true
		}
	}
	if !usable {
		return nil, Insecure, nil
	}
	keys := keysOf(dnskeys)
	if len(keys) == 0 {
		return nil, Bogus, &BogusError{Name: zone, Type: dnswire.TypeDNSKEY, EDE: EDEDNSKEYMissing, Reason: "no DNSKEY"}
	}
	var last error = &BogusError{Name: zone, Type: dnswire.TypeDNSKEY, EDE: EDEDNSKEYMissing, Reason: "no DNSKEY matches the DS set"}
	for _, d := range ds {
		if !SupportedAlgorithm(d.Algorithm) || !supportedDigest(d.DigestType) {
			continue
		}
		same := 0
		for i := range keys {
			k := &keys[i]
			if k.Algorithm != d.Algorithm || k.KeyTag() != d.KeyTag || k.Flags&dnswire.DNSKEYZone == 0 || k.Flags&dnswire.DNSKEYRevoke != 0 {
				continue
			}
			if same == b.lim.MaxKeysPerTag {
				break
			}
			same++
			got, err := k.ToDS(zone, d.DigestType)
			if err != nil || string(got.Digest) != string(d.Digest) {
				continue
			}
			if _, err := verifyRRset(dnskeys, sigs, []dnswire.DNSKEY{*k}, zone, now, b); err != nil {
				last = err
				if errors.Is(err, ErrValidationBudget) {
					return nil, Bogus, err
				}
				continue
			}
			return keys, Secure, nil
		}
	}
	return nil, Bogus, last
}

// keysOf returns the DNSKEY data of rrs.
func keysOf(rrs []dnswire.RR) []dnswire.DNSKEY {
	var keys []dnswire.DNSKEY
	for i := range rrs {
		if k, ok := rrs[i].Data.(*dnswire.DNSKEY); ok {
			keys = append(keys, *k)
		}
	}
	return keys
}
