// Package relaykit is the application-layer plumbing that carries one email
// from Alice's user agent to Bob's mailbox, as small packages that other Go
// programs import one at a time. This root package holds only this overview
// and the module's import-guard test.
//
// The path of one message, and which package does each step:
//
//  1. Alice's user agent composes the message: header fields, addresses,
//     the date and a Message-ID (package rfc5322, RFC 5322, 6532, 2047).
//  2. It hands the message to Alice's mail server over SMTP submission
//     (package smtp, the Server side: RFC 5321 and its extensions).
//  3. Alice's server stores the message durably and schedules delivery
//     (package mailqueue), grouping recipients by domain.
//  4. To find Bob's server the queue asks for the MX records of Bob's
//     domain (package resolver, a caching iterative resolver that walks from
//     the root to the TLD to the authoritative servers), and every DNS
//     message on the way is encoded and decoded by package dnswire
//     (RFC 1035 and successors).
//  5. The queue relays the message to Bob's server (package smtp, the Client
//     side), over a connection it reuses for further messages, and retries
//     later when Bob's server is down.
//  6. If delivery finally fails, the queue composes a delivery status
//     notification (RFC 3464, with rfc5322) and sends it back to Alice.
//  7. Bob's server (package smtp, the Server side again) accepts the message
//     into Bob's mailbox.
//
// Dependencies only point down this list of layers: dnswire, rfc5322 and
// smtp know nothing of each other; resolver builds on dnswire; mailqueue is
// where smtp, rfc5322 and an MX-lookup interface that resolver satisfies
// meet. Every package imports only the standard library.
package relaykit
