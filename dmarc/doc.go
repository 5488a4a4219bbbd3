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
// Departures: a message whose From field holds several addresses with
// different domains is an error (FromDomain), as RFC 7489 6.6.1 allows;
// reporting URIs are parsed and kept but no reports are sent.
package dmarc
