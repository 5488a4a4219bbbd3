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
// Typed records: A, AAAA (RFC 3596), NS, CNAME, SOA, PTR, MX, TXT
// (RFC 1035 3.3), SRV (RFC 2782), CAA (RFC 8659), DNAME (RFC 6672, target
// never compressed on write, 2.5); every other type is kept
// as opaque RFC 3597 data that round-trips byte for byte. EDNS0 options are
// kept in order, with helpers for Cookie (RFC 7873), Extended DNS Errors
// (RFC 8914), Padding (RFC 7830) and Client Subnet (RFC 7871). Text follows
// RFC 1035 5 (master files) and RFC 3597 5 (`\# len hex`).
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
//     the labels they end, are rejected (ErrBadPointer). RFC 1035 4.1.4 only
//     says a pointer refers to a prior occurrence; no sane encoder does
//     otherwise.
//   - Names are compressed on write only in the owner names and in the
//     RDATA of NS, CNAME, SOA, PTR and MX (RFC 3597 4); on read, names in
//     SRV data are decompressed too. Compression matches names byte for
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
//     is configured; $GENERATE is not supported.
package dnswire
