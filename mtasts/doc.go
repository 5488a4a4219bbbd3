// Package mtasts implements SMTP MTA Strict Transport Security (RFC 8461)
// for a sending MTA, and SMTP TLS Reporting (RFC 8460).
//
// ParseRecord reads the _mta-sts TXT record, ParsePolicy the policy file;
// Cache discovers, fetches (HTTPS with net/http, no redirects, a size and
// a time limit, the certificate checked) and caches policies for their
// max_age, refetching when the record's id changes; Policy.Match applies
// the mx patterns to an MX host. ParseReportRecord reads the _smtp._tls
// TXT record and Aggregate builds the JSON report of RFC 8460 4.
//
// DNS comes through the small TXTLookup interface; a resolver satisfies
// it. Where a secure TLSA record exists for an MX host, DANE takes
// precedence over MTA-STS (RFC 8461 2): that decision belongs to the
// caller (mailqueue makes it).
//
// Departures: the policy body is limited to 64 KiB by default (RFC 8461
// 3.3 lets senders bound it); a policy served with a media type other
// than text/plain is refused (RFC 8461 3.2 "SHOULD"); proactive refresh
// of cached policies before they expire (RFC 8461 10.2) is left to the
// caller, who can call Cache.Policy on a timer.
package mtasts
