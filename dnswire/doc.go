// Package dnswire reads and writes DNS messages in their wire format
// (RFC 1035 section 4): the 12-byte header, the question, answer, authority
// and additional sections, domain names and their compression, resource
// records, EDNS0 (RFC 6891), UPDATE (RFC 2136), presentation (zone-file)
// text and TCP length framing.
//
// Three ways in:
//
//   - Parser walks a message lazily and allocates nothing: the header, each
//     question, each record header, and a record's data only when a typed
//     accessor (A, MX, SOA, ...) asks for it.
//   - Builder appends a message to the caller's buffer with optional name
//     compression, a TCP length prefix and a UDP size limit that drops
//     whole records and sets TC.
//   - Msg is the eager form (Question, Answer, Ns, Extra, EDNS) with typed
//     record data; Unpack into a reused Msg allocates nothing once warm, and
//     AppendPack writes it back.
//
// Name is a fixed-size value holding wire-format labels, compared without
// regard to ASCII case (RFC 4343) but printed in the case it arrived in.
//
// Typed records: A, AAAA (RFC 3596), NS, CNAME, SOA, PTR, MX, TXT, HINFO
// (RFC 1035 3.3), SRV (RFC 2782), CAA (RFC 8659), DNAME (RFC 6672), NAPTR
// (RFC 3403), DS, DNSKEY, RRSIG, NSEC (RFC 4034), NSEC3, NSEC3PARAM
// (RFC 5155), CDS, CDNSKEY (RFC 7344), SIG (RFC 2535, RFC 2931), SSHFP
// (RFC 4255), TLSA (RFC 6698), SMIMEA (RFC 8162), URI (RFC 7553), ZONEMD
// (RFC 8976), SVCB and HTTPS (RFC 9460, parameters in text form), and the
// meta-types TSIG (RFC 8945) and TKEY (RFC 2930), which have no standard
// presentation form: they print as dig prints a TSIG (lengths before the
// base64 fields) and parse back from that. Every
// other type is kept as opaque RFC 3597 data that round-trips byte for
// byte, except that the names inside MD, MF, MB, MG, MR, MINFO, RP, AFSDB,
// RT, PX and NXT are decompressed on read (RFC 3597 4). EDNS0 options are
// kept in order, with helpers for Cookie (RFC 7873), Extended DNS Errors
// (RFC 8914), Padding (RFC 7830) and Client Subnet (RFC 7871). Text follows
// RFC 1035 5 (master files) and RFC 3597 5 (`\# len hex`).
//
// DNSSEC helpers (dnssec.go) compute what signing and validating need
// before any cryptography: DNSKEY.KeyTag (RFC 4034 B), DNSKEY.ToDS
// (SHA-1, SHA-256, SHA-384), AppendCanonicalRR and SortCanonical (RFC 4034
// 6.2, 6.3, with RFC 6840 5.1) and SignedData (RFC 4034 3.1.8.1). A zone
// signed by BIND's dnssec-signzone, ldns-signzone or Knot DNS (NSEC and
// NSEC3) loads without loss and its signatures verify over SignedData
// (see TestSignedZones).
//
// Limits and hostile input. Labels are at most 63 octets and names 255
// (RFC 1035 2.3.4). A compression pointer must point before the labels it
// follows, so every hop moves backwards: this ends every loop without a hop
// counter and accepts legal chains of any length. Each record's data must
// fill its RDLENGTH exactly. Section counts are checked against the bytes
// left before anything is allocated. Every decoding error is a *ParseError
// with the section, entry index and offset, wrapping a sentinel (ErrTruncated,
// ErrBadPointer, ...) usable with errors.Is.
//
// Departures and choices:
//
//   - Compression pointers pointing forward, or at or after the start of
//     the labels they end, are rejected (ErrBadPointer), and so are those
//     pointing into the 12-octet header (ErrPointerIntoHeader). RFC 1035
//     4.1.4 only says a pointer refers to a prior occurrence; no sane
//     encoder does otherwise.
//   - Names are compressed on write only in the owner names and in the
//     RDATA of NS, CNAME, SOA, PTR and MX (RFC 3597 4); never in DNAME
//     (RFC 6672 2.5), SRV, NAPTR, RRSIG, NSEC, SVCB or unknown types. On
//     read, compressed names are accepted in all of these.
//   - TTLs and SOA timers with the top bit set are read, printed and
//     written as zero (RFC 2181 8), so wire and text round trips agree;
//     the OPT record's TTL field, which holds flags, is left alone.
//   - A message that would exceed 65535 octets is ErrMessageTooLarge; TC
//     is set only when the caller gave a smaller BuildOptions.MaxSize.
//   - Msg.SetQuestion sets RD, opcode QUERY and a random ID unless one was
//     set (as miekg/dns does); clear RD for iterative queries.
//   - RRSIG times print as the UTC date their 32-bit value stands for in
//     1970-2106, not re-based around the present (RFC 4034 3.2 allows
//     either reading); NSEC/NSEC3 type lists are printed in bitmap order. Compression matches names byte for
//     byte, so the case of every name is kept as given.
//   - A Msg holds the OPT record in Msg.EDNS, not in Extra, and its RCode is
//     the 12-bit merged value. More than one OPT, or an OPT outside the
//     additional section or not owned by the root, is an error
//     (RFC 6891 6.1.1).
//   - RDLENGTH 0 with class ANY or NONE decodes to nil Data (the RFC 2136
//     UPDATE forms); with any other class empty data is decoded by its type
//     and is an error where the type needs data.
//   - Bytes after the last record are reported as ErrTrailingBytes, after
//     the Msg has been filled in, so a lenient caller can ignore them.
//   - Relative names (no trailing dot) exist only in text. ParseRR requires
//     absolute names; ZoneReader completes relative ones from $ORIGIN or
//     its configured origin and fails when there is none.
//   - In zone files, $TTL applies to records without a TTL (RFC 2308 4);
//     before any $TTL the last TTL given applies (RFC 1035 5.1). TTLs may
//     use BIND's unit suffixes (1h30m). $INCLUDE works only when an fs.FS
//     is configured, and only with paths inside it (no "..", not
//     absolute). BIND's $GENERATE is supported, up to ZoneConfig.MaxGenerate
//     records per line.
package dnswire
