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
// Departures: class ANY questions are answered from class IN data; the
// TTLs of an RRset are set to the lowest of them at load (RFC 2181 5.2);
// address records are accepted anywhere below a zone cut (NSD accepts
// them; Knot warns); AXFR and IXFR are not served yet (REFUSED).
package zone
