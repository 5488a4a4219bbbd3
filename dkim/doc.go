// Package dkim signs and verifies DomainKeys Identified Mail signatures
// (RFC 6376) with rsa-sha256 and ed25519-sha256 (RFC 8463), and writes and
// reads Authentication-Results header fields (RFC 8601).
//
// Signing streams: a Signer is an io.Writer that takes the message once,
// keeps only the header block in memory and hashes the body as it
// arrives, so a message of any size signs in constant memory. Several
// keys (for example one RSA and one Ed25519 key, as RFC 8463 suggests)
// sign the same message in the same pass.
//
// Verification reads every DKIM-Signature field of a message and reports
// a Result for each, with its status (pass, fail, neutral, temperror,
// permerror) and the reason. Public keys are fetched through the small
// TXTResolver interface, which relaykit's resolver satisfies and a map
// can implement in tests. A KeyCache, shared by any number of
// Verifiers, keeps parsed keys by the text of their records, so a key
// seen before is not parsed again; the record is still looked up every
// time, so the resolver's TTLs and revocations keep their effect.
//
// Departures from RFC 6376, all in the direction of RFC 8301 and current
// practice: rsa-sha1 signatures are never accepted (RFC 8301 3.1); RSA
// keys shorter than 1024 bits are refused when verifying and shorter than
// 2048 bits when signing (RFC 8301 3.2); the signer never writes l=
// (a body length limit lets anyone append content); the body length
// limit l= is honoured on verification only when it covers the whole
// body; a bare LF in the input is read as CRLF, since messages at rest
// often use LF line ends.
package dkim
