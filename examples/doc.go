// Package examples holds runnable programs built from relaykit's packages,
// one per subdirectory:
//
//   - alice-to-bob: the whole path of one email on loopback, told step by
//     step: a DNS hierarchy (root, fr., edu., crepes.fr, hamburger.edu),
//     Alice's server (submission with STARTTLS and AUTH, a durable queue,
//     an iterative resolver), Bob's server, a deferral and a retry 30
//     simulated minutes later, two messages over one connection, a bounce
//     as a delivery report. `go run ./examples/alice-to-bob [-v]`.
//   - authserver: an authoritative DNS server (package zone): zone
//     files or zones copied from a primary, TSIG-signed UPDATE with a
//     per-key policy and a journal, transfers, NOTIFY, -rotate.
//   - dnslookup: a dig-like lookup tool (UDP or TCP, dig's output layout)
//     with -trace to resolve from the root and print each referral.
//   - relay: a small mail server: maildir delivery for local domains,
//     authenticated or trusted relaying through the queue, no open relay,
//     mailq, a mail log (a line per message). relay/bench measures it
//     against Postfix with smtp-source.
//   - relaypg: the relay with its queue in PostgreSQL (mailqueue/pgstore),
//     so several relay processes share one queue; its own module.
//   - relayq: the relay's queue commands (list, show, counts, flush, hold,
//     release, delete, requeue) on a running or a stopped relay.
//
// Every program is made of public packages only: the mail server pieces
// are mailqueue (Backend, the queue), mailqueue/localmail (local
// delivery, relay policy, AUTH), mailqueue/dnsroute, resolver and
// tlstest. examples/internal/relay is the relay command's flag handling
// and wiring as a package, so relay and relaypg (a module of its own, for
// the PostgreSQL driver) are one call each; it holds no mail logic.
package examples
