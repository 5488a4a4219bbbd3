package mime

import (
	"bytes"
	"encoding/base64"
	"errors"
	"hash/fnv"
	"mime/quotedprintable"
	"slices"
	"strconv"
	"strings"

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

// ErrEmptyMultipart: a multipart Node has no Parts (RFC 2046 5.1.1
// requires at least one).
var ErrEmptyMultipart = errors.New("mime: multipart without parts")

// AppendEntity appends n as a MIME entity, its header fields, the empty
// line and its encoded body, to dst: the form of a body part.
func (n *Node) AppendEntity(dst []byte) ([]byte, error) {
	var h rfc5322.Header
	body, err := n.encode(&h, nil, 0)
	if err != nil {
		return dst, err
	}
	dst, err = h.AppendHeader(dst)
	if err != nil {
		return dst, err
	}
	dst = append(dst, '\r', '\n')
	return append(dst, body...), nil
}

// Compose puts n into b as the message body: MIME-Version and n's
// header fields go into b.Header, the encoded body into b.Body.
func (n *Node) Compose(b *rfc5322.Builder) error {
	var h rfc5322.Header
	h.Add("MIME-Version", "1.0")
	body, err := n.encode(&h, make([]byte, 0, n.sizeHint()), 0)
	if err != nil {
		return err
	}
	for _, f := range h.Fields() {
		b.Header.AddField(f)
	}
	b.Body = body
	return nil
}

func (n *Node) sizeHint() int {
	s := len(n.Body)*4/3 + 256
	for _, c := range n.Parts {
		s += c.sizeHint()
	}
	return s
}

const maxBuildDepth = 64

// encode adds n's MIME fields to h and appends its encoded body to dst.
func (n *Node) encode(h *rfc5322.Header, dst []byte, depth int) ([]byte, error) {
	if depth > maxBuildDepth {
		return dst, ErrTooDeep
	}
	mt := strings.ToLower(n.MediaType)
	if mt == "" {
		mt = "text/plain"
		if len(n.Parts) > 0 {
			mt = "multipart/mixed"
		}
	}
	params := make(map[string]string, len(n.Params)+2)
	for k, v := range n.Params {
		params[strings.ToLower(k)] = v
	}
	if strings.HasPrefix(mt, "multipart/") {
		if len(n.Parts) == 0 {
			return dst, ErrEmptyMultipart
		}
		return n.encodeMultipart(h, dst, mt, params, depth)
	}
	text := strings.HasPrefix(mt, "text/")
	cte, ascii := chooseEncoding(n.Body, text)
	if text {
		if ascii {
			params["charset"] = "us-ascii"
		} else if _, ok := params["charset"]; !ok {
			params["charset"] = "utf-8"
		}
	}
	if n.Filename != "" {
		params["name"] = n.Filename // for readers older than RFC 2183
	}
	h.Add("Content-Type", FormatMediaType(mt, params))
	if cte != "7bit" {
		h.Add("Content-Transfer-Encoding", cte)
	}
	n.addCommon(h)
	body := n.Body
	if text && cte == "base64" {
		// RFC 2046 4.1.1: text is encoded in canonical form, CRLF
		// line breaks.
		body = appendCRLF(make([]byte, 0, len(body)+len(body)/32), body)
	}
	switch cte {
	case "base64":
		dst = appendBase64(dst, body)
	case "quoted-printable":
		var buf bytes.Buffer
		buf.Grow(len(n.Body) * 5 / 4)
		w := quotedprintable.NewWriter(&buf)
		_, _ = w.Write(n.Body)
		_ = w.Close()
		dst = append(dst, buf.Bytes()...)
	default:
		if text {
			dst = appendCRLF(dst, n.Body)
		} else {
			dst = append(dst, n.Body...)
		}
	}
	return dst, nil
}

func (n *Node) addCommon(h *rfc5322.Header) {
	disp := n.Disposition
	if disp == "" && n.Filename != "" {
		disp = "attachment"
	}
	if disp != "" {
		var dp map[string]string
		if n.Filename != "" {
			dp = map[string]string{"filename": n.Filename}
		}
		h.Add("Content-Disposition", FormatMediaType(disp, dp))
	}
	if n.ContentID != "" {
		h.Add("Content-ID", "<"+strings.Trim(n.ContentID, "<>")+">")
	}
	for _, f := range n.Header.Fields() {
		h.AddField(f)
	}
}

func (n *Node) encodeMultipart(h *rfc5322.Header, dst []byte, mt string, params map[string]string, depth int) ([]byte, error) {
	// Encode the parts first, then pick a boundary that none of them
	// holds (RFC 2046 5.1.1). "=_" cannot occur in quoted-printable
	// or base64 output, so a clash needs a 7bit part that holds it.
	type enc struct {
		h    rfc5322.Header
		body []byte
	}
	parts := make([]enc, len(n.Parts))
	for i, c := range n.Parts {
		b, err := c.encode(&parts[i].h, make([]byte, 0, c.sizeHint()), depth+1)
		if err != nil {
			return dst, err
		}
		parts[i].body = b
	}
	// The seed only spreads boundaries; the check below makes them
	// safe, so a prefix of each part is enough to hash.
	hash := fnv.New64a()
	for _, p := range parts {
		hash.Write(p.body[:min(len(p.body), 256)])
		hash.Write([]byte(strconv.Itoa(len(p.body))))
	}
	seed := hash.Sum64() ^ uint64(depth)
	var boundary string
	for try := uint64(0); ; try++ {
		boundary = "=_rk" + strconv.FormatUint(seed+try, 36) + "_" + strconv.Itoa(depth)
		clash := false
		for _, p := range parts {
			if bytes.Contains(p.body, []byte(boundary)) {
				clash = true
				break
			}
		}
		if !clash {
			break
		}
	}
	params["boundary"] = boundary
	h.Add("Content-Type", FormatMediaType(mt, params))
	n.addCommon(h)
	for _, p := range parts {
		dst = append(dst, "--"...)
		dst = append(dst, boundary...)
		dst = append(dst, '\r', '\n')
		var err error
		if dst, err = p.h.AppendHeader(dst); err != nil {
			return dst, err
		}
		dst = append(dst, '\r', '\n')
		dst = append(dst, p.body...)
		dst = append(dst, '\r', '\n')
	}
	dst = append(dst, "--"...)
	dst = append(dst, boundary...)
	return append(dst, "--\r\n"...), nil
}

// chooseEncoding picks the Content-Transfer-Encoding of a body (RFC 2045
// 6): 7bit for ASCII text in lines of at most 998 octets without NUL or
// a bare CR; quoted-printable for text that is mostly ASCII; base64 for
// the rest. Non-text data is 7bit only if it is such text already with
// CRLF line ends, as a reader gets it back octet for octet only then.
func chooseEncoding(body []byte, text bool) (cte string, ascii bool) {
	high, ctl, line, long, bare := 0, 0, 0, false, false
	for i, c := range body {
		switch {
		case c == '\n':
			if !text && (i == 0 || body[i-1] != '\r') {
				bare = true
			}
			line = 0
			continue
		case c == '\r':
			if i+1 >= len(body) || body[i+1] != '\n' {
				bare = true
			}
			continue
		case c >= 0x80:
			high++
		case c == 0 || c < ' ' && c != '\t' || c == 0x7f:
			ctl++
		}
		line++
		if line > rfc5322.MaxLineLength-2 {
			long = true
		}
		if !text && (high > 0 || ctl > 0 || bare || long) {
			return "base64", high == 0 // binary: no need to look further
		}
	}
	ascii = high == 0
	switch {
	case high == 0 && ctl == 0 && !long && !bare:
		return "7bit", ascii
	case text && ctl == 0 && !bare && high <= len(body)/6:
		return "quoted-printable", ascii
	}
	return "base64", ascii
}

// appendBase64 appends data in base64 with lines of 76 characters (RFC
// 2045 6.8).
func appendBase64(dst, data []byte) []byte {
	const lineBytes = 57 // 76 characters
	enc := base64.StdEncoding
	dst = slices.Grow(dst, (len(data)+lineBytes-1)/lineBytes*78)
	for len(data) > 0 {
		n := min(len(data), lineBytes)
		dst = enc.AppendEncode(dst, data[:n])
		dst = append(dst, '\r', '\n')
		data = data[n:]
	}
	return dst
}

// appendCRLF appends text with LF and CRLF line ends written as CRLF.
func appendCRLF(dst, text []byte) []byte {
	for {
		i := bytes.IndexByte(text, '\n')
		if i < 0 {
			return append(dst, text...)
		}
		line := text[:i]
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		dst = append(dst, line...)
		dst = append(dst, '\r', '\n')
		text = text[i+1:]
	}
}
