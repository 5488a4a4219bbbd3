// Package mime reads and writes MIME messages (RFC 2045, RFC 2046):
// the tree of parts with the byte offsets of every part's header and
// body in the original message, streaming Content-Transfer-Encoding
// decoders, Content-Type and Content-Disposition parameters with RFC
// 2231 continuations and charsets, and builders for text, HTML,
// multipart/alternative, multipart/mixed with attachments and
// multipart/related with inline images.
//
// # Reading
//
// Parse builds the whole tree of a message held in memory; the offsets
// (Part.HeaderStart, BodyStart, End) index the input, so an IMAP server
// answers BODY[1.2] and BODY[1.MIME] and a DKIM verifier hashes the body
// without parsing again. ParseReaderAt does the same over a file.
// Walker reads a message from an io.Reader in one pass and constant
// memory, handing each part's body out as a stream (Body, Decoded,
// Text), so a 50 MB attachment costs a 64 KiB buffer.
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
