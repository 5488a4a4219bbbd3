// Package rfc5322 reads and writes the Internet Message Format (RFC 5322):
// header fields in order with their raw bytes, addresses, dates, Message-IDs,
// RFC 6532 UTF-8 headers and RFC 2047 encoded words, and composes and
// validates messages.
//
// # Reading
//
// ParseHeader (or a Parser with its own limits) splits the header block of
// a message held in a byte slice into a Header without copying: each Field
// is a slice of the input holding the field exactly as it was, folding and
// line end included, so a DKIM verifier sees the bytes it signs. Values are
// unfolded (Field.Value, Header.Get) and decoded (Field.Text) only when
// asked. ReadHeader does the same from a bufio.Reader, copying the header
// block once out of the reader's buffer and leaving the reader at the
// body; ReadHeaderInto reuses a Header's memory from one message to the
// next (no allocation once warm, for a server's connection loop);
// ReadMessage reads a plain io.Reader into a buffer of its own and parses
// the header there. Limits on the header size, the number of fields and one
// field's length are checked before memory is spent; going over one is a
// *ParseError wrapping ErrHeaderTooLarge, ErrTooManyFields or
// ErrFieldTooLong.
//
// ParseAddressList, ParseGroupList and ParseAddress read RFC 5322 3.4
// addresses; ParseDate reads 3.3 dates; ParseMsgIDList reads 3.6.4 msg-id
// lists; DecodeText and DecodeWord decode RFC 2047 encoded words in UTF-8,
// US-ASCII, ISO-8859-1 to -16 (not 12, which does not exist), windows-1250
// to -1258 and KOI8-R/U. Validate checks a header against RFC 5322 3.6.
// All parsers run in time linear in their input and are fuzzed.
//
// A Parser with Lenient set reads the headers strict parsing refuses, as
// a server that must keep every message it accepted needs to: a line
// that is not a field ends the header and begins the body, continuation
// lines before the first field are skipped, and each problem is listed
// in Header.Defects (Python's email package does the same and calls
// them MissingHeaderBodySeparatorDefect and
// FirstHeaderLineIsContinuationDefect). ParseAddressListPartial and
// Header.AddressListPartial return the good addresses of a list with a
// bad one in it.
//
// # Writing
//
// Header.AppendHeader and Header.WriteTo write fields with CRLF line ends,
// folding the fields made with Add and Set at 78 octets where they have
// whitespace and refusing to write a line over 998 octets. Builder
// composes a whole message: it writes Date and Message-ID itself, never
// writes Bcc, encodes non-ASCII names and Subject as RFC 2047 encoded words
// (or leaves them UTF-8 for SMTPUTF8), and reports whether the body needs
// 8BITMIME.
//
// # Departures from the RFCs
//
//   - Lines ending in LF alone are read (Header.BareLF reports it);
//     RFC 5322 2.1 requires CRLF. Validate reports them as ErrBareLineEnd.
//   - Obsolete syntax (RFC 5322 4) is read but never written.
//   - Encoded words are decoded inside quoted display names too, and
//     with '.' in their text, both of which RFC 2047 5(3) forbids but many
//     mailers produce; base64 without padding is accepted; the 75-octet
//     limit on an encoded word is not enforced when reading.
//   - A comment after a bare addr-spec ("jdoe@example.org (John Doe)")
//     becomes the display name when there is none, as net/mail does.
//   - Military time zones and unknown alphabetic zones read as -0000, as
//     RFC 5322 4.3 recommends; the day of week is not checked against the
//     date.
//   - The control characters that obs-dtext allows in a domain literal
//     (RFC 5322 4.4) are rejected; those obs-qtext and obs-ctext allow in
//     quoted strings and comments are accepted. NUL is rejected everywhere,
//     and so are the NUL, CR and LF that obs-qp allows after a backslash
//     (they would carry a line end from an address into an SMTP envelope
//     or a header); Header.AddressList names the field in a *FieldError.
//   - Commas between msg-ids in In-Reply-To and References are skipped.
//   - A local part is returned in canonical form: dot-atom if it is one,
//     otherwise a minimal quoted-string, so `"john"."doe"@example.org`
//     reads as john.doe@example.org.
package rfc5322
