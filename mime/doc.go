// Package mime reads and writes MIME messages (RFC 2045, RFC 2046):
// the tree of parts with the byte offsets of every part's header and
// body in the original message, streaming Content-Transfer-Encoding
// decoders, Content-Type and Content-Disposition parameters with RFC
// 2231 continuations and charsets, and builders for text, HTML,
// multipart/alternative, multipart/mixed with attachments and
// multipart/related with inline images.
//
// # Standards
//
//   - RFC 2045: header fields (MIME-Version, Content-Type,
//     Content-Transfer-Encoding, Content-ID), the base64 and
//     quoted-printable encodings (6.7, 6.8), lines within 76 octets.
//   - RFC 2046: media types, multipart (5.1) with any nesting,
//     message/rfc822 (5.2.1); message/partial and message/external-body
//     are read as leaves.
//   - RFC 2047: encoded words, through package rfc5322.
//   - RFC 2049: the builder writes conformant MIME (MIME-Version,
//     7bit-safe transfer encodings, canonical CRLF text).
//   - RFC 2183: Content-Disposition, filename (Part.Filename, Node).
//   - RFC 2231: parameter continuations, charsets and languages, read
//     and written (FormatMediaType encodes non-ASCII file names).
//   - RFC 2387 and RFC 2392: multipart/related and Content-ID.
//   - RFC 6532 3.7: message/global parts, UTF-8 header fields.
//
// # Building
//
// Text, HTML, Attachment, Inline, Alternative, Mixed and Related make a
// tree of Nodes. AppendMessage writes a whole message (an
// rfc5322.Builder's header, the MIME fields, the body) into one buffer;
// WriteMessage writes it to an io.Writer as it goes, holding about 64
// KiB at a time, so an attachment given as an io.Reader (Node.Reader)
// streams through in base64 and is never held whole. Compose puts the
// tree into a Builder instead; AppendEntity and WriteEntity write a
// body part alone. Each leaf held in memory gets 7bit, quoted-printable
// or base64 by its content; base64 and quoted-printable lines stay
// within 76 octets and 7bit ones within 998. Every boundary holds "=_",
// which quoted-printable and base64 never write, and is checked against
// the 7bit bodies and part headers, so each part is encoded once,
// straight into the output.
//
// # Reading
//
// Parse builds the whole tree of a message held in memory; the offsets
// (Part.HeaderStart, BodyStart, End) index the input, so an IMAP server
// answers BODY[1.2] and BODY[1.MIME] and a DKIM verifier hashes the body
// without parsing again. ParseReaderAt does the same over a file.
// Walker reads a message from an io.Reader in one pass and constant
// memory, handing each part's body out as a stream (Body, Decoded,
// Text), so a 50 MB attachment costs a 4 KiB buffer and a decoder; Reset
// reuses a Walker for the next message.
//
// Part headers are rfc5322.Header values, raw bytes kept. Nesting depth,
// the number of parts and the size of one part's header are bounded
// (Config); going over is a *PartError wrapping ErrTooDeep,
// ErrTooManyParts or ErrHeaderTooLarge.
//
// # Departures from the RFCs
//
// Broken messages are read as Python's email package and common mail
// readers read them, and the defect is reported (Tree.Problems,
// Walker.Problems):
//
//   - LF line ends are accepted everywhere (RFC 5322 2.1 asks for CRLF).
//   - A multipart whose close delimiter is missing ends at the end of
//     the input, or at an outer boundary (RFC 2046 5.1.1 requires it).
//   - A multipart without a boundary parameter is read as a leaf part.
//   - A header not ended by an empty line ends at the first line that is
//     not a field; that line begins the body.
//   - Base64 skips octets outside its alphabet and decodes a last group
//     without padding (RFC 2045 6.8 allows ignoring the first).
//   - A Content-Type that does not parse is text/plain (RFC 2045 5.2);
//     a bad parameter is skipped and the others kept.
//   - File names (Part.Filename) decode RFC 2047 encoded words, which RFC
//     2047 5 forbids in parameters but many mailers write, and keep only
//     the last path element.
package mime
