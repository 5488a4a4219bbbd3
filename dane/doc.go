// Package dane authenticates SMTP servers with DANE TLSA records: RFC 6698
// (the TLSA record and its matching), RFC 7671 (operational updates: DANE-EE
// and DANE-TA semantics) and RFC 7672 (DANE for SMTP).
//
// TLSA is the record's data (usage, selector, matching type, association
// data) with its wire and presentation forms; Verifier matches a server's
// certificate chain against a set of records, and Verifier.VerifyConnection
// plugs into tls.Config. Lookup is the small interface for validated TLSA
// lookups (records plus a DNSSEC verdict); FromResolver makes one from a
// validating resolver, such as a *resolver.Resolver with Config.DNSSEC
// set, whose own validation then decides DANE; Policy turns its answer into what RFC 7672 says a client must
// do (authenticate, encrypt without authentication, or fall back).
//
// Departures and limits:
//   - Following RFC 7672 3.1.3, PKIX-TA(0) and PKIX-EE(1) records are
//     unusable for SMTP; a record set of only unusable records means
//     mandatory but unauthenticated TLS.
//   - DANE-TA(2) needs the trust anchor's certificate in the chain the
//     server sends (RFC 7672 3.1.2 requires servers to send it), except for
//     a "2 0 0" record that carries the whole certificate; a bare public
//     key ("2 1 0") not in the chain is not supported.
//   - DANE-EE(3) ignores names and validity dates (RFC 7672 3.1.1);
//     DANE-TA(2) checks both, with the names RFC 7672 3.2.2 gives.
package dane
