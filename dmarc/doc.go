// Package dmarc implements Domain-based Message Authentication,
// Reporting and Conformance (RFC 7489): policy records, policy discovery
// at the author domain and then at its organizational domain (found with
// a Public Suffix List the caller supplies), identifier alignment of the
// SPF and DKIM results (relaxed and strict), the final disposition with
// pct= sampling, and the aggregate report XML of RFC 7489 appendix C.
//
// It also reads np= (RFC 9091, policy for non-existent subdomains) when
// present; the caller says whether the author domain exists
// (Input.NonexistentDomain), since the TXT lookup alone cannot tell
// NXDOMAIN from NODATA through the small Resolver interface.
//
// Receiver puts SPF, DKIM and DMARC together for a receiving mail
// server: CheckMailFrom runs SPF at MAIL FROM, Evaluate runs the rest
// after DATA and returns the Authentication-Results field (RFC 8601) to
// prepend and whether a p=reject policy says to refuse the message with
// 550 5.7.1. Evaluate does not remove Authentication-Results fields that
// already carry the receiver's authserv-id (RFC 8601 5 asks the
// receiving server to); the server must do that before delivering.
// Nor does it ask whether the author domain exists, so np= (below) is
// not applied through it.
//
// Departures: a message whose From field holds several addresses with
// different domains is an error (FromDomain), as RFC 7489 6.6.1 allows;
// reporting URIs are parsed and kept but no reports are sent.
package dmarc
