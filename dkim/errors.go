package dkim

import "errors"

// Sentinel errors. Results carry them (wrapped) as reasons, so callers
// can branch with errors.Is.
var (
	// ErrNoKey: the key record does not exist (NXDOMAIN or no TXT).
	ErrNoKey = errors.New("dkim: no key for signature")
	// ErrKeyRevoked: the key record has an empty p= (RFC 6376 3.6.1).
	ErrKeyRevoked = errors.New("dkim: key revoked")
	// ErrTempFail: the key could not be fetched for now.
	ErrTempFail = errors.New("dkim: key lookup failed temporarily")
	// ErrBodyHash: the body does not hash to bh= (RFC 6376 6.1.3).
	ErrBodyHash = errors.New("dkim: body hash did not verify")
	// ErrSignature: the signature does not verify.
	ErrSignature = errors.New("dkim: signature did not verify")
	// ErrExpired: x= is in the past (RFC 6376 3.5).
	ErrExpired = errors.New("dkim: signature expired")
	// ErrAlgorithm: the algorithm is unknown or not acceptable, e.g.
	// rsa-sha1 (RFC 8301 3.1).
	ErrAlgorithm = errors.New("dkim: unacceptable algorithm")
	// ErrKeySize: an RSA key is shorter or longer than allowed.
	ErrKeySize = errors.New("dkim: key size not allowed")
	// ErrKeyMismatch: the key does not fit the signature (k=, h=, s=,
	// t=s).
	ErrKeyMismatch = errors.New("dkim: key does not fit the signature")
	// ErrTooManySignatures: the message has more signatures than the
	// verifier checks; the rest are reported neutral with this reason.
	ErrTooManySignatures = errors.New("dkim: too many signatures")
	// ErrNoFrom: a message to sign has no From field, or a signature's
	// h= does not cover From (RFC 6376 5.4).
	ErrNoFrom = errors.New("dkim: From field not signed")
	// ErrLength: l= covers only part of the body.
	ErrLength = errors.New("dkim: l= does not cover the whole body")
)

// SyntaxError reports a malformed DKIM-Signature field or key record.
type SyntaxError struct {
	Tag string // the tag concerned, if any
	Msg string
}

func (e *SyntaxError) Error() string {
	if e.Tag != "" {
		return "dkim: " + e.Msg + ": " + e.Tag
	}
	return "dkim: " + e.Msg
}
