package mime

import (
	"bytes"
	"io"
	"strconv"
	"strings"

	"github.com/relaykit/relaykit/rfc5322"
)

// A Part is one entity of the MIME tree (RFC 2045 2.4): the message
// itself, a body part of a multipart, or the message inside a
// message/rfc822 or message/global part.
//
// Offsets are byte positions in the original input, so a server can
// serve any part without reparsing: [HeaderStart, BodyStart) is the
// part's header and the empty line after it (IMAP BODY[n.MIME], or
// BODY[n.HEADER] of an embedded message), [BodyStart, End) its body
// (IMAP BODY[n], and what DKIM hashes for the message itself). The line
// end before a boundary belongs to the boundary (RFC 2046 5.1.1), so it
// is not in End.
type Part struct {
	// Section is the IMAP part specifier (RFC 9051 6.4.5): "" for the
	// message, "1.2" for the second part of the first. The message in a
	// message/rfc822 part has the section of that part.
	Section string
	// Depth is 0 for the message, one more for each multipart or
	// message/rfc822 level.
	Depth int
	// Header holds the part's header fields, raw bytes kept.
	Header *rfc5322.Header

	// MediaType is the lower-case type/subtype, defaulted per RFC 2045
	// 5.2 (text/plain) and RFC 2046 5.1.5 (message/rfc822 in a
	// multipart/digest); Params its parameters, names in lower case,
	// RFC 2231 values decoded to UTF-8.
	MediaType string
	Params    map[string]string
	// Encoding is the lower-case Content-Transfer-Encoding, "" if none
	// (7bit, RFC 2045 6.1).
	Encoding string
	// Disposition is the lower-case Content-Disposition type (RFC
	// 2183), "" if none, and DispParams its parameters.
	Disposition string
	DispParams  map[string]string

	HeaderStart int64
	BodyStart   int64
	End         int64
	// Lines is the number of lines in the body (for IMAP
	// BODYSTRUCTURE of text parts); 0 for multiparts.
	Lines int64

	// Parts are the body parts of a multipart, or the one embedded
	// message of a message/rfc822 or message/global part.
	Parts []*Part
	// Embedded is true for the message inside a message/* part.
	Embedded bool

	boundary string
	closed   bool
}

// IsMultipart reports whether the part is a multipart with a boundary,
// whose Parts are its body parts.
func (p *Part) IsMultipart() bool { return p.boundary != "" }

// IsMessage reports whether the part holds an embedded message
// (message/rfc822 or message/global, RFC 2046 5.2.1, RFC 6532 3.7), which
// is its only Part.
func (p *Part) IsMessage() bool {
	return p.boundary == "" && (p.MediaType == "message/rfc822" || p.MediaType == "message/global") && !isEncoded(p.Encoding)
}

func isEncoded(cte string) bool { return cte == "base64" || cte == "quoted-printable" }

// Charset returns the charset parameter, lower case; "us-ascii" for a
// text part without one (RFC 2045 5.2), "" for other types.
func (p *Part) Charset() string {
	if cs, ok := p.Params["charset"]; ok {
		return strings.ToLower(cs)
	}
	if strings.HasPrefix(p.MediaType, "text/") {
		return "us-ascii"
	}
	return ""
}

// Filename returns the part's file name: the Content-Disposition
// filename parameter (RFC 2183 2.3, RFC 2231 for non-ASCII), else the
// Content-Type name parameter that older mailers write; RFC 2047
// encoded words, which many mailers put there against RFC 2047 5, are
// decoded. Only the last path element is kept, so the name is safe to
// join to a directory (RFC 2183 5).
func (p *Part) Filename() string {
	name, ok := p.DispParams["filename"]
	if !ok {
		name = p.Params["name"]
	}
	if strings.Contains(name, "=?") {
		if d, err := rfc5322.DecodeText(name); err == nil {
			name = d
		}
	}
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	if name == "." || name == ".." {
		return ""
	}
	return name
}

// ContentID returns the Content-ID (RFC 2045 7) without angle brackets.
func (p *Part) ContentID() string {
	id := strings.TrimSpace(p.Header.Get("Content-ID"))
	return strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
}

// Size is the length of the body in octets, End-BodyStart.
func (p *Part) Size() int64 { return p.End - p.BodyStart }

// Body returns the raw (still encoded) body from msg, the input the
// tree was parsed from.
func (p *Part) Body(msg []byte) []byte { return msg[p.BodyStart:p.End] }

// RawHeader returns the part's header and the empty line after it from
// msg.
func (p *Part) RawHeader(msg []byte) []byte { return msg[p.HeaderStart:p.BodyStart] }

// Decode returns a reader of the body of p in msg with its
// Content-Transfer-Encoding undone (see NewDecoder).
func (p *Part) Decode(msg []byte) (io.Reader, error) {
	switch p.Encoding {
	case "base64":
		// Decoded where it lies in msg, without a read buffer.
		return &Base64Reader{pend: p.Body(msg), err: io.EOF}, nil
	case "quoted-printable":
		return &qpReader{whole: p.Body(msg), inPlace: true}, nil
	}
	return NewDecoder(p.Encoding, bytes.NewReader(p.Body(msg)))
}

// Open returns a reader of the raw body of p in r, the input the tree
// was parsed from (ParseReaderAt).
func (p *Part) Open(r io.ReaderAt) *io.SectionReader {
	return io.NewSectionReader(r, p.BodyStart, p.End-p.BodyStart)
}

// Walk calls fn for p and every part below it, depth first in order,
// stopping at the first error, which it returns.
func (p *Part) Walk(fn func(*Part) error) error {
	if err := fn(p); err != nil {
		return err
	}
	for _, c := range p.Parts {
		if err := c.Walk(fn); err != nil {
			return err
		}
	}
	return nil
}

// String describes the part on one line: section, type, file name,
// size, as a tree printer wants it.
func (p *Part) String() string {
	var b strings.Builder
	sec := p.Section
	if sec == "" {
		sec = "TEXT"
	}
	b.WriteString(sec)
	b.WriteByte(' ')
	b.WriteString(p.MediaType)
	if n := p.Filename(); n != "" {
		b.WriteString(" name=")
		b.WriteString(strconv.Quote(n))
	}
	if p.Encoding != "" {
		b.WriteByte(' ')
		b.WriteString(p.Encoding)
	}
	b.WriteString(" ")
	b.WriteString(strconv.FormatInt(p.Size(), 10))
	b.WriteString(" octets")
	return b.String()
}
