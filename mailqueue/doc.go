// Package mailqueue is a durable outbound mail queue: it stores each message
// on disk before accepting responsibility for it, routes recipients through
// their domain's MX records, delivers over SMTP reusing connections, retries
// on a schedule, and bounces to the sender when delivery finally fails
// (RFC 3464).
//
// # Using it
//
// Open a store (OpenSpool for a directory on local disk, or any Store),
// start a Queue with New, and call Enqueue from the SMTP server's DATA
// handler: it returns once the message is durable, and an error there
// should become a 452 reply; Backend is an smtp.Backend that does exactly
// that (452 when the store fails, 552 over the size limit, a Received
// field on each message). Queue.List, Flush, Hold, Release and Delete
// are the operator's commands (mailq, postqueue -f, postsuper -h/-H/-d);
// Shutdown stops the queue gracefully.
//
// # Several nodes on one store
//
// A LeaseStore (mailqueue/pgstore on PostgreSQL) lets several queue
// processes share one queue. Each claims due messages with a lease,
// renews it while the attempt runs, records the outcome fenced by the
// lease and releases it; a node that dies leaves its leases to expire
// (Config.LeaseTTL) and the others take its messages over. Only messages
// whose attempt was in flight at the death can be delivered twice. A
// Spool is scheduled from memory by its one process unless Config.Shared
// asks for leases. An idle node polls the store (Config.PollInterval); a
// store that implements Waker (pgstore, by LISTEN/NOTIFY) wakes it as
// soon as another node makes messages due, and the poll stays as the
// fallback.
//
// # Durability
//
// The Spool is an append-only log split into segment files. Concurrent
// Enqueues share one write and one fsync (group commit); a segment file
// and its directory are flushed before any record in it is acknowledged.
// The next-attempt time is persisted before every attempt, so a crash
// during an attempt delays the retry instead of repeating it (no retry
// storm). On Open every segment is read back: a write cut short by a crash
// is truncated, a damaged record is reported as *CorruptError and its file
// copied aside under corrupt/ after the readable messages in it were
// copied forward. Remove kills a record with a one-byte write in place;
// segments without live records are deleted and mostly dead ones are
// compacted.
//
// # Retries
//
// The default Schedule retries every 30 minutes (RFC 5321 4.5.4.1: at
// least 30 minutes) and Config.Lifetime gives up after 5 days (RFC 5321
// 4.5.4.1: "at least 4-5 days"), with one last attempt when the lifetime
// ends. Exponential is Postfix's doubling backoff; Intervals is any list.
// Config.DelayWarning sends one "Action: delayed" report.
//
// # Routing and delivery
//
// Recipients are grouped by domain. For each domain the MX records are
// looked up through the Resolver interface (package resolver satisfies it
// through an adapter; NetResolver wraps net.Resolver; StaticResolver is a
// map), sorted by preference and shuffled within one (RFC 5321 5.1), cut to
// Config.MaxHosts; every address of a host is tried before the next host.
// A domain without MX records is its own exchanger (implicit MX, RFC 5321
// 5.1); a null MX fails at once with 556 5.1.10 (RFC 7505 4.1); a domain
// that does not exist fails with 5.1.2; a temporary DNS failure defers and
// never falls back to address records (RFC 5321 5.1).
//
// A Deliverer carries one transaction to one address and reports one reply
// per recipient. 2xx delivers a recipient, 5xx fails it, 4xx keeps it
// pending; a failure of the whole transaction (no connection, greeting,
// MAIL or DATA refused, connection lost) moves on to the next address, or
// fails every recipient when it is a 5xx after the greeting. Only pending
// recipients are retried. Deliveries run under a global limit and a limit
// per domain (Config.MaxConcurrency, Config.MaxPerDomain).
//
// # Reports
//
// A recipient that fails for good (and whose NOTIFY does not exclude it,
// RFC 3461 4.1) is reported to the reverse-path in one RFC 3464 message
// per attempt: multipart/report (RFC 6522) with a human-readable part, a
// message/delivery-status part, and the original header section
// (text/rfc822-headers) or, for RET=FULL within Config.BounceReturnLimit,
// the whole message (message/rfc822). The report carries Auto-Submitted:
// auto-replied (RFC 3834) and travels through the queue itself with the
// null reverse-path (RFC 5321 4.5.5). A message whose reverse-path is
// null never causes a report; its failure is logged and, when
// Config.Postmaster is set, reported there.
//
// # Departures and omissions
//
//   - NOTIFY=SUCCESS is stored but no success or "relayed" report is sent
//     (RFC 3461 6.2 leaves success reports to the final MTA, and this queue
//     does not track whether the next hop speaks DSN).
//   - RFC 5321 5.1's rule to drop MX hosts that name the local system (and
//     all less preferred ones) is not applied: the queue does not know the
//     local host's names. Configure Resolver accordingly for a relay that
//     may be its own MX.
//   - Reports for SMTPUTF8 messages are written as plain RFC 3464 with
//     non-ASCII characters replaced, not as RFC 6533 message/global-*.
//   - A Spool directory must be opened by one process at a time; it is not
//     locked.
//   - SMTPDeliverer sends a message with bare CR or LF with those turned
//     into CRLF (RFC 5321 2.3.8, as Postfix does) rather than failing it;
//     it uses BDAT (RFC 3030) when the server offers CHUNKING and
//     PIPELINING. An accepted recipient is recorded as "250 2.0.0
//     accepted": the smtp client does not report the final reply's text.
//
// Time comes from Config.Clock, so tests run days of retries in
// milliseconds.
package mailqueue
