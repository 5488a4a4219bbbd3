// Package imap implements the IMAP4rev2 (RFC 9051) and IMAP4rev1
// (RFC 3501) protocol: a command decoder for servers that streams
// literals and bounds everything else, the writers for strings, literals
// and dates that responses are made of, and the grammar pieces
// (sequence sets, FETCH items and section specs, search programs, flags)
// a server or client needs.
//
// # What it implements
//
//   - The command grammar of RFC 9051 9 for every command of RFC 9051 6,
//     with the extensions clients send: LITERAL+ and LITERAL- (RFC 7888,
//     "{n+}"), SASL-IR (RFC 4959), ENABLE (RFC 5161), ID (RFC 2971),
//     UIDPLUS and MOVE (RFC 4315, RFC 6851), CONDSTORE (RFC 7162:
//     CHANGEDSINCE, UNCHANGEDSINCE, MODSEQ search), LIST-EXTENDED,
//     SPECIAL-USE and LIST-STATUS (RFC 5258, RFC 6154, RFC 5819),
//     ESEARCH RETURN options (RFC 4731), SEARCHRES "$" (RFC 5182), BINARY
//     (RFC 3516, literal8).
//
//   - Synchronizing literals are announced to the caller through
//     Decoder.Continue before their octets are read, so a server can
//     refuse one that is too large without the client sending it; a
//     refused non-synchronizing literal is skipped by SkipCommand within a
//     bound, after which the caller closes the connection.
//
//   - APPEND's message literal is never held in memory: ReadCommand
//     returns at the literal with a reader of exactly its octets.
//
//   - Server: a session per connection over a Backend (authentication)
//     and the User and Mailbox interfaces a store implements; IMAP4rev1
//     by default and IMAP4rev2 after ENABLE (RFC 9051 6.3.1); mailbox
//     names in modified UTF-7 (RFC 3501 5.1.3) for IMAP4rev1 clients and
//     in UTF-8 after ENABLE IMAP4rev2 or UTF8=ACCEPT (RFC 6855), the
//     backend always seeing UTF-8; STARTTLS
//     and implicit TLS, LOGIN and AUTHENTICATE PLAIN with SASL-IR,
//     LOGINDISABLED and [PRIVACYREQUIRED] without TLS unless allowed;
//     failed logins delayed per client address (doubling up to 15 s) and
//     the connection closed after three; SELECT, EXAMINE, CREATE,
//     DELETE, RENAME, SUBSCRIBE, LIST (SUBSCRIBED, RETURN SPECIAL-USE,
//     STATUS), LSUB, NAMESPACE, STATUS, APPEND (APPENDUID), IDLE (by
//     polling the store every Server.IdlePoll), CLOSE, UNSELECT,
//     EXPUNGE, UID EXPUNGE, SEARCH with ESEARCH and SAVE (BODY and TEXT
//     match text parts decoded from base64, quoted-printable and their
//     charset, and header fields with encoded words decoded, RFC 9051
//     6.4.4; checked against Dovecot), FETCH (FLAGS,
//     UID, INTERNALDATE, RFC822.SIZE, ENVELOPE, BODYSTRUCTURE and BODY
//     from the mime package, BODY[section] for every section form,
//     BINARY and BINARY.SIZE (RFC 3516), partial ranges, \Seen set
//     unless PEEK; checked against Dovecot), STORE (.SILENT, UNCHANGEDSINCE with MODIFIED), COPY
//     and MOVE (COPYUID), CONDSTORE MODSEQ and HIGHESTMODSEQ; changes
//     made by other sessions reported as EXISTS, EXPUNGE and FETCH FLAGS,
//     EXPUNGE never during FETCH, STORE or SEARCH by sequence number
//     (RFC 9051 7.5.1); connection limits in total and per address;
//     Shutdown says BYE; QUOTA (RFC 9208: GETQUOTA, GETQUOTAROOT, one
//     quota root "" per user) for a User that is a QuotaUser, advertised
//     after login; STATUS SIZE and DELETED (RFC 8438, RFC 9208 4.2).
//
// # Cache
//
// A Server keeps the headers and ENVELOPEs it parsed across sessions
// (Server.CacheSize, 64 MiB by default), keyed by user, mailbox,
// UIDVALIDITY and UID, so FETCH ENVELOPE, header sections and SEARCH by
// header read each message's file once, as Dovecot keeps them in its
// index cache (ours is in memory only). A Mailbox that is also a
// HeaderReader gives the server a message's header alone for that
// first read, so a large message is not read whole.
//
// # Limits
//
// Every Decoder input is bounded by Limits: line length, literal sizes,
// ranges in a sequence set, list and search nesting, list elements and
// search keys. A limit reached is an ErrLineTooLong, ErrLiteralTooLarge or
// ErrTooComplex inside a *SyntaxError that gives the octet offset.
//
// # Departures
//
//   - BINARY of a multipart part returns its body as it is (Dovecot
//     decodes each part inside it). The line end between an inner close
//     delimiter and the outer delimiter belongs to the outer one (the
//     mime package's reading of RFC 2046 5.1.1; Dovecot gives it to the
//     inner part).
//   - FETCH and SEARCH read a message into memory (at most 256 MiB),
//     into a buffer each session reuses (with MessageReader, the store
//     reads into it); items that need only the header come from the
//     cache when it has them, or from HeaderReader.
//   - SEARCH BODY and TEXT fold case but not accents: "cafe" does not
//     find "café" (Dovecot's RFC 5051 comparator folds both). Parts
//     other than text/* and message/* are not searched.
//   - No \Recent flag (RFC 9051 removed it): RECENT is 0, NEW matches
//     nothing.
//   - QRESYNC's SELECT parameter is read and ignored (a server using this
//     package answers as for CONDSTORE); CREATE's RFC 4466 parameters are
//     read and ignored.
package imap
