package dkim

import (
	"bufio"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"time"

	"github.com/relaykit/relaykit/rfc5322"
)

// Status is the outcome of checking one signature (RFC 6376 6.1, with
// the names of RFC 8601 2.7.1).
type Status string

// Statuses.
const (
	Pass      Status = "pass"      // the signature verified
	Fail      Status = "fail"      // it did not (body hash or signature)
	Neutral   Status = "neutral"   // not checked (e.g. beyond the limit)
	TempError Status = "temperror" // the key could not be fetched for now
	PermError Status = "permerror" // broken signature or key, unacceptable algorithm
)

// Result is the outcome for one DKIM-Signature field.
type Result struct {
	Status Status
	// Err says why, for every status but Pass; it wraps one of the
	// package's sentinel errors or is a *SyntaxError.
	Err error
	// Signature is the parsed field; nil when it could not be parsed.
	Signature *Signature
	// Key is the key record used; nil when none was fetched.
	Key *KeyRecord
	// Field is the raw DKIM-Signature field.
	Field []byte
}

// Testing reports whether the signer's key record says the domain is
// testing DKIM (t=y); RFC 6376 3.6.1 asks verifiers to treat such a
// message as unsigned.
func (r *Result) Testing() bool { return r.Key != nil && r.Key.Testing }

// Verifier checks the DKIM signatures of messages. The zero value needs
// only a Resolver.
type Verifier struct {
	// Resolver fetches key records. Required.
	Resolver TXTResolver
	// MaxSignatures is the number of signatures checked per message;
	// further ones are reported Neutral with ErrTooManySignatures.
	// Zero means 5.
	MaxSignatures int
	// MinRSABits is the shortest RSA key accepted. Zero means 1024
	// (RFC 8301 3.2). Keys longer than MaxRSABits (zero: 8192) are
	// refused too, bounding the work a hostile signer can cause.
	MinRSABits, MaxRSABits int
	// Now is the clock for x=; nil means time.Now.
	Now func() time.Time
	// KeyCache, when set, keeps parsed key records so that a key seen
	// before is not decoded and parsed again; the key record is still
	// looked up for every signature (see KeyCache). One cache may serve
	// many Verifiers. Nil means every key is parsed on every use.
	KeyCache *KeyCache
}

type sigState struct {
	res    Result
	canon  *bodyCanon // nil when the signature is not checked
	h      hash.Hash
	canonv bodyCanon // canon points here
}

// Verify reads a message (header and body, CRLF or LF line ends) from r
// and checks every DKIM-Signature field. It returns one Result per field
// in header order; a message without signatures returns none. The error
// is for reading or header parsing failures only. The body is read once
// and never held in memory.
func (v *Verifier) Verify(ctx context.Context, r io.Reader) ([]Result, error) {
	br, ok := r.(*bufio.Reader)
	if !ok {
		// A reader over memory that knows its length and writes itself
		// out (bytes.Reader) gets a buffer just large enough for a
		// usual header: the body then goes from its memory to the
		// canonicalizers through its WriteTo, never copied (bufio's
		// WriteTo hands the rest of the input to the reader's). Other
		// readers (files, connections) get the usual 32 KiB.
		size := 32 * 1024
		if _, ok := r.(interface {
			Len() int
			io.WriterTo
		}); ok {
			size = 4096
		}
		br = bufio.NewReaderSize(r, size)
	}
	hdr, err := rfc5322.ReadHeader(br)
	if err != nil {
		return nil, fmt.Errorf("dkim: reading header: %w", err)
	}
	max := v.MaxSignatures
	if max <= 0 {
		max = 5
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	var states []*sigState
	var writers []io.Writer
	for _, f := range hdr.Fields() {
		if !f.Is("DKIM-Signature") {
			continue
		}
		st := &sigState{res: Result{Field: f.Raw()}}
		states = append(states, st)
		if len(states) > max {
			st.res.Status, st.res.Err = Neutral, ErrTooManySignatures
			continue
		}
		sig, err := ParseSignature(string(f.RawValue()))
		if err != nil {
			st.res.Status, st.res.Err = PermError, err
			continue
		}
		st.res.Signature = sig
		switch sig.Algorithm {
		case RSASHA256, Ed25519SHA256:
		case RSASHA1:
			// RFC 8301 3.1: verifiers MUST NOT consider rsa-sha1
			// signatures valid.
			st.res.Status, st.res.Err = PermError, fmt.Errorf("%w: rsa-sha1 (RFC 8301)", ErrAlgorithm)
			continue
		default:
			st.res.Status, st.res.Err = PermError, fmt.Errorf("%w: %q", ErrAlgorithm, sig.Algorithm)
			continue
		}
		if sig.Expiration >= 0 && now().Unix() > sig.Expiration {
			st.res.Status, st.res.Err = PermError, ErrExpired
			continue
		}
		st.h = sha256.New()
		st.canonv = bodyCanon{h: st.h, relaxed: sig.BodyCanon == Relaxed, limit: sig.Length}
		st.canon = &st.canonv
		writers = append(writers, st.canon)
	}
	if len(writers) > 0 {
		w := writers[0]
		if len(writers) > 1 {
			w = io.MultiWriter(writers...)
		}
		if _, err := io.Copy(w, br); err != nil {
			return nil, fmt.Errorf("dkim: reading body: %w", err)
		}
	}
	// One buffer for the canonical header fields and one for the
	// signature field without b=, each sized once for the whole header.
	hdrLen := 0
	for _, f := range hdr.Fields() {
		hdrLen += len(f.Raw())
	}
	var buf, sigBuf []byte
	for _, st := range states {
		if st.canon == nil {
			continue
		}
		st.canon.finish()
		sig := st.res.Signature
		if sig.Length >= 0 && st.canon.total > sig.Length {
			st.res.Status, st.res.Err = PermError, ErrLength
			continue
		}
		var sum [sha256.Size]byte
		if subtle.ConstantTimeCompare(st.h.Sum(sum[:0]), sig.BodyHash) != 1 {
			st.res.Status, st.res.Err = Fail, ErrBodyHash
			continue
		}
		key, status, err := v.fetchKey(ctx, sig)
		st.res.Key = key
		if err != nil {
			st.res.Status, st.res.Err = status, err
			continue
		}
		if buf == nil {
			buf = make([]byte, 0, hdrLen+len(st.res.Field)+64)
			sigBuf = make([]byte, 0, len(st.res.Field))
		}
		sigBuf = appendStripB(sigBuf[:0], st.res.Field)
		var digest [sha256.Size]byte
		buf, digest = headerHash(buf[:0], hdr, sig.Headers, sig.HeaderCanon, sigBuf)
		if err := checkSig(key.Key, digest[:], sig.Signature); err != nil {
			st.res.Status, st.res.Err = Fail, err
			continue
		}
		st.res.Status = Pass
	}
	out := make([]Result, len(states))
	for i, st := range states {
		out[i] = st.res
	}
	return out, nil
}

// fetchKey fetches and checks the key record for sig (RFC 6376 6.1.2).
func (v *Verifier) fetchKey(ctx context.Context, sig *Signature) (*KeyRecord, Status, error) {
	if v.Resolver == nil {
		return nil, TempError, fmt.Errorf("%w: no resolver", ErrTempFail)
	}
	name := sig.Selector + "._domainkey." + strings.TrimSuffix(sig.Domain, ".")
	txts, err := v.Resolver.LookupTXT(ctx, name)
	if err != nil {
		if IsNotFound(err) {
			return nil, PermError, fmt.Errorf("%w: %s", ErrNoKey, name)
		}
		return nil, TempError, fmt.Errorf("%w: %s: %v", ErrTempFail, name, err)
	}
	var key *KeyRecord
	var perr error
	for _, t := range txts {
		// RFC 6376 3.6.2.2: with several records the result is
		// undefined; we use the first one that parses.
		if key, perr = v.KeyCache.parse(t); perr == nil {
			break
		}
	}
	if key == nil {
		if perr != nil {
			return nil, PermError, perr
		}
		return nil, PermError, fmt.Errorf("%w: %s", ErrNoKey, name)
	}
	if key.Revoked {
		return key, PermError, ErrKeyRevoked
	}
	wantType := "rsa"
	if sig.Algorithm == Ed25519SHA256 {
		wantType = "ed25519"
	}
	switch {
	case key.KeyType != wantType:
		return key, PermError, fmt.Errorf("%w: k=%s for a=%s", ErrKeyMismatch, key.KeyType, sig.Algorithm)
	case !key.fitsHash("sha256"):
		return key, PermError, fmt.Errorf("%w: h= excludes sha256", ErrKeyMismatch)
	case !key.forEmail():
		return key, PermError, fmt.Errorf("%w: s= excludes email", ErrKeyMismatch)
	}
	if key.Strict {
		// RFC 6376 3.6.1 t=s: i= must not be a subdomain of d=.
		at := strings.LastIndexByte(sig.Identifier, '@')
		if !strings.EqualFold(strings.TrimSuffix(sig.Identifier[at+1:], "."), strings.TrimSuffix(sig.Domain, ".")) {
			return key, PermError, fmt.Errorf("%w: t=s and i= is a subdomain", ErrKeyMismatch)
		}
	}
	if rk, ok := key.Key.(*rsa.PublicKey); ok {
		min, max := v.MinRSABits, v.MaxRSABits
		if min <= 0 {
			min = 1024
		}
		if max <= 0 {
			max = 8192
		}
		if n := rk.N.BitLen(); n < min || n > max {
			return key, PermError, fmt.Errorf("%w: RSA %d bits", ErrKeySize, n)
		}
	}
	return key, "", nil
}

func checkSig(pub crypto.PublicKey, digest, sig []byte) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if err := rsa.VerifyPKCS1v15(k, crypto.SHA256, digest, sig); err != nil {
			return ErrSignature
		}
	case ed25519.PublicKey:
		// RFC 8463 3: Ed25519 (PureEdDSA) over the SHA-256 hash.
		if !ed25519.Verify(k, digest, sig) {
			return ErrSignature
		}
	default:
		return errors.New("dkim: unknown key type")
	}
	return nil
}

// headerHash computes the SHA-256 hash of the signed header fields and
// the signature field itself (RFC 6376 3.7), using buf as scratch space;
// it returns the grown buffer and the digest.
func headerHash(buf []byte, hdr *rfc5322.Header, names []string, c Canonicalization, sigField []byte) ([]byte, [sha256.Size]byte) {
	fields := hdr.Fields()
	// RFC 6376 5.4.2: for each name, take the instances from the bottom
	// up; a name listed more often than present contributes nothing.
	var usedArr [32]uint64
	var used []uint64
	if n := (len(fields) + 63) / 64; n <= len(usedArr) {
		used = usedArr[:n]
	} else {
		used = make([]uint64, n)
	}
	for _, name := range names {
		for i := len(fields) - 1; i >= 0; i-- {
			if used[i/64]&(1<<(i%64)) != 0 || !fields[i].Is(name) {
				continue
			}
			used[i/64] |= 1 << (i % 64)
			buf = appendHeaderCanon(buf, fields[i].Raw(), c, false)
			break
		}
	}
	buf = appendHeaderCanon(buf, sigField, c, true)
	return buf, sha256.Sum256(buf)
}
