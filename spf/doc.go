// Package spf evaluates Sender Policy Framework records (RFC 7208): the
// check_host() function of RFC 7208 section 4 with every mechanism and
// modifier, macros (section 7) including the exp= explanation, the
// processing limits of section 4.6.4 (10 DNS-querying terms, 2 void
// lookups, 10 MX and PTR names), IPv4 and IPv6 with CIDR lengths, and the
// seven results of section 2.6.
//
// DNS is reached through the small Resolver interface; *net.Resolver
// satisfies it, and so can relaykit's resolver or a map in tests. A
// lookup error is a temporary failure (temperror) unless it says the
// name or the records do not exist (see IsNotFound), which counts as
// an empty answer (and as a void lookup).
//
// Departures and choices: the SPF RR type (99) is never queried (RFC
// 7208 3.1); a %{p} macro costs one PTR lookup that is not counted as a
// DNS-querying term, as in RFC 7208 7.3 (its use is discouraged); an
// IPv4-mapped IPv6 client address is checked as IPv4.
package spf
