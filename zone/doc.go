// Package zone is an authoritative DNS server: zones loaded from master
// files and validated, answers per RFC 1034 4.3.2, and a Server for UDP
// and TCP.
//
// A Zone is read from master-file text (RFC 1035 5) by Parse and checked
// as NSD and Knot check zones: one SOA and an NS RRset at the apex, every
// owner inside the zone, a CNAME alone at its name, nothing below a zone
// cut but glue, nothing below a DNAME, an address for every name server
// named inside the zone. WriteTo writes it back as a master file.
//
// A Server serves any number of zones, choosing for each query the zone
// with the longest origin that contains the name. Answers follow RFC 1034
// 4.3.2: exact matches, wildcards (RFC 4592: the source of synthesis is
// "*." under the closest encloser; empty non-terminals exist), DNAME
// (RFC 6672: the DNAME and a synthesized CNAME), CNAME chains followed
// through every zone served (RCODE of the last name, RFC 6604), negative
// answers with the SOA in the authority section and its TTL lowered to
// the SOA's MINIMUM (RFC 2308 3, 5), referrals at zone cuts with the NS
// RRset in the authority section, glue in the additional section and AA
// clear, addresses for NS, MX and SRV targets in the additional section.
// Names outside every zone get REFUSED, unknown opcodes NOTIMP, malformed
// queries FORMERR, EDNS versions other than 0 BADVERS (RFC 6891 6.1.3).
// The question's spelling is kept in the question and answer owner names,
// so 0x20 case randomisation survives (RFC 4343).
//
// Responses over UDP hold at most 512 octets, or the smaller of the
// client's and the server's EDNS payload sizes (RFC 6891 6.2.5). A
// response whose answer or authority section does not fit whole is sent
// with TC set and only the question (RFC 2181 9); additional RRsets that
// do not fit whole are left out.
//
// TCP follows RFC 7766: many queries per connection, answered in order,
// idle connections closed after IdleTimeout, connection limits overall
// and per client. An optional RateLimit applies response rate limiting
// to UDP.
//
// Signed zones (DNSSEC, RFC 4033-4035, RFC 5155) are served as they
// are loaded, from Sign or from ldns-signzone or dnssec-signzone: to a
// query with the DO bit set (RFC 3225) every RRset in the answer comes
// with its RRSIGs, and negative answers, wildcard answers and referrals
// with the NSEC or NSEC3 records that prove them (RFC 4035 3.1.3,
// RFC 5155 7.2) and their RRSIGs; a referral carries the signed DS RRset
// or the proof that there is none (RFC 4035 3.1.4). A DS question is
// answered from the parent side of the cut, also when the child zone is
// served here (RFC 4035 3.1.4.1). Without DO, DNSSEC records appear only
// when asked for by type. Sign signs a zone in Go with the caller's keys
// (Ed25519, ECDSA P-256 and P-384, RSA/SHA-256; one CSK or KSK and ZSK):
// the DNSKEY RRset, an NSEC or NSEC3 chain and an RRSIG over every
// authoritative RRset, valid from the caller's clock. Server.Resign
// re-signs each zone an UPDATE makes, and the journal and IXFR carry the
// signed difference.
//
// Signed requests (TSIG, RFC 8945, through dnswire.VerifyTSIG) are
// verified against Server.Keys and their answers signed; a bad key,
// MAC or time gets NOTAUTH with BADKEY, BADSIG or BADTIME as RFC 8945 5.2
// says, and changes nothing.
//
// Dynamic update (RFC 2136) is accepted only when signed with a key that
// Server.UpdatePolicy allows for every record changed (RFC 3007):
// prerequisites, then permission, then the prescan, then the change,
// applied to a copy of the zone and validated as a loaded zone is, so
// an update applies whole or not at all. The SOA serial goes up with
// every change (RFC 1982 arithmetic). With Server.JournalDir, the change
// is appended to the zone's journal and fsynced before NOERROR is sent;
// snapshots compact the journal, and a half-written tail is cut at start.
//
// Zone transfers go over TCP to allowed networks or keys: AXFR (RFC 5936)
// and IXFR (RFC 1995) from the update history, or the whole zone when
// the history does not reach the client's serial. Each change is
// announced by NOTIFY (RFC 1996) to Server.Notify.
//
// Server.AddSecondary follows a zone from a primary (RFC 1034 4.3.5):
// AXFR first, then an SOA check on the refresh timer (the retry timer
// after a failure), pulling IXFR and taking an AXFR-form answer as the
// whole zone; the zone is dropped after the expire interval without a
// successful check. A NOTIFY from the primary (or signed with the zone's
// key) triggers a check at once (RFC 1996 3.10); NOTIFY for other zones
// is answered NOTAUTH, from strangers REFUSED. UPDATE to a secondary
// zone is REFUSED, not forwarded (RFC 2136 6 allows either). A
// Secondary with Catalog set is a catalog zone (RFC 9432, schema
// version 2): the member zones it lists are followed from the same
// primary, members it drops are removed, and a member whose unique ID
// changes is transferred afresh; RemoveSecondary stops following a zone
// (a catalog's members with it). Catalog properties (group, coo) are
// not acted on.
//
// Departures: class ANY questions are answered from class IN data; the
// TTLs of an RRset are set to the lowest of them at load (RFC 2181 5.2);
// address records are accepted anywhere below a zone cut (NSD accepts
// them; Knot warns); an UPDATE that leaves an in-zone name server without
// an address is refused (send NS and glue in one UPDATE); UPDATE rebuilds
// and revalidates the zone copy, which costs time in proportion to the
// zone's size (and Resign re-signs the whole zone); Sign makes no
// NSEC3 opt-out and keeps no key state (no automatic rollover);
// the catalog zone itself is served like any zone; a secondary keeps its
// copy in memory only (it starts with an AXFR) and serves it onward by
// AXFR, or by IXFR from serials it has held (one difference sequence per
// transfer it pulled); in a signed transfer every message must be signed (RFC
// 8945 5.3.1 lets a primary skip up to 99); NOTIFY given to Handle
// (no source address) gets NOTIMP; IXFR over UDP is refused (clients use
// TCP); the update history for IXFR is kept in memory (the last 1000
// changes) and is rebuilt from the journal at start.
package zone
