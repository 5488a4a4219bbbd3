package mime

import (
	"io"

	"github.com/relaykit/relaykit/rfc5322"
)

// A Node is a part to build: a leaf with a Body, or a multipart with
// Parts. Text, HTML, Attachment, Inline, Alternative, Mixed and Related
// make the usual ones; fields may be changed before writing.
type Node struct {
	// MediaType is the type/subtype; "" means text/plain, or
	// multipart/mixed when Parts is not empty.
	MediaType string
	// Params are extra Content-Type parameters. A text leaf gets its
	// charset (us-ascii or utf-8) and a multipart its boundary from the
	// writer.
	Params map[string]string
	// Disposition is the Content-Disposition type (RFC 2183),
	// "attachment" or "inline", "" for none; Filename its filename
	// parameter, written in RFC 2231 form when it is not ASCII.
	Disposition string
	Filename    string
	// ContentID is written as Content-ID with angle brackets (RFC 2045
	// 7), for multipart/related references (cid:, RFC 2392).
	ContentID string
	// Header holds extra fields written after the MIME fields.
	Header rfc5322.Header
	// Body is the leaf's content, not encoded: the writer chooses the
	// Content-Transfer-Encoding. Text line ends are written as CRLF.
	Body []byte
	// Reader, when Body is nil, supplies the leaf's content as a
	// stream: it is read once, as the part is written, and never held
	// whole (see WriteMessage), and it is always written in base64,
	// since the writer cannot look at it first. Text line ends are
	// written as CRLF (RFC 2046 4.1.1); a text part's charset is
	// utf-8 unless Params says otherwise.
	Reader io.Reader
	// Parts are a multipart's parts.
	Parts []*Node
}

// Text returns a text/plain part.
func Text(s string) *Node { return &Node{MediaType: "text/plain", Body: []byte(s)} }

// HTML returns a text/html part.
func HTML(s string) *Node { return &Node{MediaType: "text/html", Body: []byte(s)} }

// Attachment returns a part with Content-Disposition attachment and the
// file name; mediaType "" means application/octet-stream.
func Attachment(filename, mediaType string, data []byte) *Node {
	if mediaType == "" {
		mediaType = "application/octet-stream"
	}
	return &Node{MediaType: mediaType, Disposition: "attachment", Filename: filename, Body: data}
}

// Inline returns an inline part (an image an HTML part shows) with the
// Content-ID an HTML part refers to as "cid:" + contentID (RFC 2392).
func Inline(contentID, mediaType string, data []byte) *Node {
	return &Node{MediaType: mediaType, Disposition: "inline", ContentID: contentID, Body: data}
}

// Alternative returns a multipart/alternative of the parts, plainest
// first (RFC 2046 5.1.4).
func Alternative(parts ...*Node) *Node {
	return &Node{MediaType: "multipart/alternative", Parts: parts}
}

// Mixed returns a multipart/mixed of the parts (RFC 2046 5.1.3), the
// usual body and attachments.
func Mixed(parts ...*Node) *Node { return &Node{MediaType: "multipart/mixed", Parts: parts} }

// Related returns a multipart/related (RFC 2387) whose root (the first
// part, usually HTML) refers to the others by Content-ID.
func Related(parts ...*Node) *Node {
	n := &Node{MediaType: "multipart/related", Parts: parts}
	if len(parts) > 0 && parts[0].MediaType != "" {
		n.Params = map[string]string{"type": parts[0].MediaType}
	}
	return n
}

// AppendEntity appends n as a MIME entity, its header fields, the empty
// line and its encoded body, to dst: the form of a body part. A Reader
// leaf is read to its end.
func (n *Node) AppendEntity(dst []byte) ([]byte, error) {
	pr, err := n.prepare(0)
	if err != nil {
		return dst, err
	}
	o := output{buf: dst}
	o.buf = growBy(o.buf, pr.size+len(pr.hdr)+2)
	o.entity(pr)
	return o.buf, o.err
}

// WriteEntity writes n as a MIME entity (see AppendEntity) to w as it
// goes, holding at most about 64 KiB of output at a time, so a Reader
// leaf of any size costs constant memory.
func (n *Node) WriteEntity(w io.Writer) error {
	pr, err := n.prepare(0)
	if err != nil {
		return err
	}
	o := output{w: w, buf: make([]byte, 0, flushAt+flushSlack)}
	o.entity(pr)
	return o.flush()
}

// Compose puts n into b as the message body: MIME-Version and n's
// header fields go into b.Header, the encoded body into b.Body. A Reader
// leaf is read to its end; WriteMessage streams it instead.
func (n *Node) Compose(b *rfc5322.Builder) error {
	pr, err := n.prepare(0)
	if err != nil {
		return err
	}
	if !b.Header.Has("MIME-Version") {
		b.Header.Add("MIME-Version", "1.0")
	}
	for _, f := range pr.h.Fields() {
		b.Header.AddField(f)
	}
	o := output{buf: make([]byte, 0, pr.size)}
	o.body(pr)
	b.Body = o.buf
	return o.err
}

// AppendMessage appends the whole message to dst: b's header (see
// rfc5322.Builder.AppendMessage) with MIME-Version and n's header
// fields added, the empty line and n's encoded body. b itself is not
// changed and its Body is not used. The body is 7bit by construction
// (7bit, quoted-printable or base64 parts with CRLF line ends), so the
// Info's Body says it needs no 8BITMIME.
func (n *Node) AppendMessage(dst []byte, b *rfc5322.Builder) ([]byte, rfc5322.Info, error) {
	pr, err := n.prepare(0)
	if err != nil {
		return dst, rfc5322.Info{}, err
	}
	c := n.builder(b, pr)
	dst = growBy(dst, pr.size+1024+64*len(pr.h.Fields()))
	start := len(dst)
	out, info, err := c.AppendMessage(dst)
	if err != nil {
		return dst[:start], info, err
	}
	o := output{buf: out}
	o.body(pr)
	return o.buf, info, o.err
}

// WriteMessage writes the message AppendMessage makes to w as it goes:
// the header first, then each part as it is encoded, holding at most
// about 64 KiB of output at a time. A leaf with a Reader (an attachment
// read from a file) is streamed through in base64 and never held whole.
func (n *Node) WriteMessage(w io.Writer, b *rfc5322.Builder) (rfc5322.Info, error) {
	pr, err := n.prepare(0)
	if err != nil {
		return rfc5322.Info{}, err
	}
	c := n.builder(b, pr)
	hdr, info, err := c.AppendMessage(make([]byte, 0, flushAt+flushSlack))
	if err != nil {
		return info, err
	}
	o := output{w: w, buf: hdr}
	o.body(pr)
	return info, o.flush()
}

// builder returns a copy of b whose Header holds b's fields, then
// MIME-Version and n's fields, and whose Body is empty.
func (n *Node) builder(b *rfc5322.Builder, pr *prepared) *rfc5322.Builder {
	c := *b
	c.Header = rfc5322.Header{}
	for _, f := range b.Header.Fields() {
		c.Header.AddField(f)
	}
	if !b.Header.Has("MIME-Version") {
		c.Header.Add("MIME-Version", "1.0")
	}
	for _, f := range pr.h.Fields() {
		c.Header.AddField(f)
	}
	c.Body = nil
	return &c
}
