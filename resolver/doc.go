// Package resolver is a caching iterative DNS resolver: it starts from the
// root servers, follows referrals through the TLD servers to the
// authoritative servers, caches what it learns for its TTL, and can serve
// its answers to other hosts as a local DNS server. It builds on dnswire.
//
// # What it implements
//
//   - Iterative resolution, RFC 1034 5.3.3, from root hints (the real
//     roots by default, or any address:port list) with priming
//     (RFC 8109); referrals followed using in-bailiwick glue only; name
//     server names without glue resolved by the resolver itself (at most
//     Config.MaxGlueless per referral, the NXNS defence); CNAME chains
//     followed with loop detection and a length cap.
//   - EDNS0 (RFC 6891) with a 1232-octet buffer; retry without EDNS on
//     FORMERR or NOTIMP (RFC 6891 7); retry over TCP when TC is set
//     (RFC 1035 4.2.1, RFC 7766 5).
//   - A sharded cache bounded by memory (CLOCK eviction), TTLs clamped
//     (RFC 2181 8), RRsets ranked by trust so glue and referral data never
//     replace or stand in for answers (RFC 2181 5.4.1), negative answers
//     cached for min(SOA TTL, SOA MINIMUM) (RFC 2308 5), failures cached
//     briefly (RFC 9520), optional serve-stale (RFC 8767), and identical
//     questions in flight sharing one resolution.
//   - Defences: random ID and a fresh, connected UDP socket (random source
//     port, kernel-filtered source) per query (RFC 5452); a response is
//     used only if it matches ID and question; every record checked
//     against the bailiwick of the server asked (after Unbound's scrubber);
//     random letter case in query names with a per-server fallback
//     (draft-vixie-dnsext-dns0x20); QNAME minimisation (RFC 9156, relaxed:
//     the full name is sent after NXDOMAIN or an error for a minimised
//     name); caps on sends per question and per resolution (32 and 200,
//     as Unbound), on referrals, on CNAME length, on dependent lookups,
//     and an overall deadline, each failing with a reason.
//   - Server selection by smoothed RTT (RFC 6298 estimator, as Unbound's
//     infra cache): random pick among servers within 400 ms of the best,
//     exponential backoff of timeouts, lame (per zone) and dead servers
//     avoided for a while.
//   - Server: UDP and TCP (RFC 7766: length framing, pipelined queries
//     answered out of order, idle timeout), clients outside the allowed
//     prefixes REFUSED, EDNS0 and TC for answers too big for the client,
//     Extended DNS Errors (RFC 8914) saying why on SERVFAIL, concurrency
//     limits, Shutdown(ctx). Cached answers take no allocation and no
//     goroutine: one UDP socket per CPU (SO_REUSEPORT), on Linux up to
//     32 datagrams per recvmmsg/sendmmsg system call, and answers kept
//     prepacked in wire form with their ID and TTLs patched, as Unbound
//     does. A UDP datagram over 4096 octets is dropped unanswered there.
//   - Cache side of poisoning (RFC 2181 5.4.1, after Unbound's
//     scrubber): only the records owned by the name asked are cached
//     from an answer; the authority NS RRset and additional records of
//     an answer never are, so a delegation is learnt from the parent's
//     referral only; records past the first CNAME of a response are
//     dropped and the target asked of its own servers; a child's NS
//     answer never outlives the parent's delegation (ghost domains).
//   - Parent-side fallback: when every server of a cached NS set fails,
//     the parent is asked again; a lame server's answer (RA set, AA
//     clear) is the last resort.
//   - qtype CNAME and ANY answer the CNAME itself (RFC 1034 4.3.2 3a);
//     DNAME (RFC 6672) followed by synthesising the CNAME from the
//     DNAME, YXDOMAIN passed on (ErrYXDomain); the answer carries the
//     DNAME before the synthesised CNAME, from the cache too
//     (RFC 6672 3.4, 5.3.1).
//   - LookupMX (RFC 5321 5.1 order, implicit MX on the canonical name,
//     null MX of RFC 7505),
//     LookupIP, LookupTXT, LookupAddr (PTR, RFC 1035 3.5, RFC 3596 2.5),
//     LookupSRV (RFC 2782 order: priority, then weighted random),
//     LookupCNAME, all context-first, and ResolveTrace for a dig-like
//     +trace. Errors are *Error: NotFound reports NXDOMAIN or NODATA
//     (the method the spf, dkim and dmarc packages' IsNotFound look
//     for), Timeout a deadline.
//   - Forwarder mode (Config.Forwarders): questions sent with RD to
//     upstream recursive servers, same cache and scrubber.
//   - Stats: upstream queries (UDP, TCP), timeouts, cache hits and
//     misses, lame marks, answers by rcode.
//   - Server.Listen then Serve (UDP and TCP on one port, ":0" works),
//     Addr and Ready; NetTransport's UDP and TCP source addresses set
//     apart.
//   - Client.Exchange (and Exchange): one query to one server, UDP then
//     TCP on TC, EDNS0, DNS Cookies (RFC 7873 5.1, 5.3: a client cookie
//     per server, the server cookie remembered, BADCOOKIE retried once,
//     a wrong client cookie rejected), timeout.
//   - DNSSEC validation (RFC 4033, 4034, 4035, 5155, 6840, 8624), in the
//     iterative Resolver itself (Config.DNSSEC) or as a Validator over
//     any DNSSECQuery: a chain of trust from Config.TrustAnchors (by
//     default RootAnchors: the root KSK-2017, tag 20326, and KSK-2024,
//     tag 38696, from IANA's root-anchors.xml) through DS and DNSKEY at
//     every zone cut, DS asked of the parent side (RFC 4035 3.1.4.1);
//     RRSIGs with RSA/SHA-1, SHA-256 and SHA-512, ECDSA P-256 and
//     P-384, Ed25519 (zones signed only with others, and DS digests
//     other than SHA-1, SHA-256 and SHA-384, are insecure: RFC 8624);
//     NSEC and NSEC3 denial (closest encloser, wildcards, opt-out, the
//     RFC 9276 iteration limit); DNAME-synthesised CNAMEs accepted from
//     their signed DNAME (RFC 6672 5.3.1). Work is bounded per answer
//     (ValidationLimits: signatures, keys per tag, verifications,
//     NSEC3 iterations and hashes; CVE-2023-50387, CVE-2023-50868).
//     Queries carry DO (and CD towards forwarders, RFC 4035 3.2.2);
//     each hop of a resolution is validated from its own response; the
//     verified DS/DNSKEY states are kept in a key cache and validated
//     answers apart from the plain cache, with their verdict and no
//     longer than their signatures (RFC 4035 5.3.3). Result.Security
//     says Secure, Insecure or Indeterminate; a bogus answer is never
//     returned or cached as data: Resolve fails with ErrServFail whose
//     reason is a *BogusError (ErrBogus, and the RFC 8914 code). The
//     Server sets AD on secure answers for DO or AD clients (RFC 6840
//     5.8), answers bogus with SERVFAIL and the Extended DNS Error, and
//     passes bogus data through to a client that set CD (RFC 4035
//     3.2.2); bogus data is dropped from the plain cache too. The
//     RRSIGs and NSEC/NSEC3 proofs are kept with validated answers
//     (Result.Signatures, Result.Proof) and returned to DO clients
//     (RFC 4035 3.2.1).
//     ResolveValidated is what dane.FromResolver needs;
//     LookupMXValidated gives the MX RRset's verdict (RFC 7672 2.2.1).
//
// Time and the network are seams (Config.Now, Config.Transport), so tests
// run a whole hierarchy in process with simulated time
// (package dnstest: Hierarchy.Transport and a dnstest.Clock).
//
// # Departures and limits
//
//   - DNSSEC validation is off by default (Config.DNSSEC), so existing
//     labs with unsigned or unanchored zones keep working; Unbound
//     validates by default. No RFC 5011 automated trust-anchor
//     rollover: the built-in root anchors are updated with releases.
//   - With Config.DNSSEC, name server addresses looked up during a
//     resolution are not validated (as Unbound's iterator); the
//     server's zero-allocation cache path is not used (validated
//     answers take the Resolve path); no aggressive use of NSEC
//     (RFC 8198); a question for RRSIG records is answered unvalidated
//     (Indeterminate).
//   - Class IN only. IPv4 name server addresses only unless Config.IPv6.
//   - Glue is accepted when it lies within the zone of the server asked
//     (Unbound's rule), not only within the delegated child zone.
//   - A query with RD clear is still resolved (many resolvers answer it
//     from cache only). ANY is passed upstream as asked (no RFC 8482
//     synthesis).
//   - A CNAME for an intermediate name met while minimising, or
//     NXDOMAIN, REFUSED, SERVFAIL or FORMERR for one, turns
//     minimisation off for the rest of that question (RFC 9156 3,
//     relaxed as Unbound) rather than stopping (RFC 8020 would allow
//     stopping at NXDOMAIN). Minimised queries use type A, not NS.
//   - An in-zone CNAME chain in one response costs one more query per
//     hop than Unbound (which caches the chain's records): the resolver
//     cannot tell from the response whether the target lies beyond a
//     cut the server delegated away, so it asks again.
//   - Name server addresses in special-purpose ranges (loopback, 0/8,
//     link-local, multicast, 240/4; RFC 6890) are not queried unless
//     Config.AllowSpecialAddrs is set. RFC 6890's private and
//     documentation ranges are not excluded (labs on private networks
//     use them).
//   - RFC 8767's client-response timer (answer stale while still
//     resolving) is not implemented: stale data is served once the
//     resolution has failed, and then at once while that failure is
//     remembered (Config.ServFailTTL, RFC 8767's failure recheck timer).
package resolver
