package imap

import (
	"bytes"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/relaykit/relaykit/mime"
	"github.com/relaykit/relaykit/rfc5322"
)

// Text search keys (RFC 9051 6.4.4 BODY and TEXT). A message matches when
// the string is a substring, ignoring case, of the text a reader of the
// message sees: "MIME content transfer encodings and MIME header strings
// MUST be decoded before comparing text" (RFC 9051 6.4.4). BODY searches
// the text/* and message/* leaf parts, each with its
// Content-Transfer-Encoding undone and its charset converted to UTF-8 (a
// charset this server cannot convert is searched as decoded); other parts
// (images, archives) are left out, which RFC 9051 6.4.4 allows, and so are
// preambles, epilogues and the headers of parts. TEXT also searches the
// header fields of the message, of its parts and of attached messages,
// each as stored and with its encoded words decoded (RFC 2047). This is
// what Dovecot does without a full-text index
// (TestInteropDovecotSearch), except that Dovecot also folds accents
// (RFC 5051 i;unicode-casemap: "cafe" finds "café") and this server
// folds case alone.

// bodyContains reports whether the message's body holds s (SEARCH BODY).
func (sm *searchMsg) bodyContains(s string) bool {
	msg := sm.content()
	return sm.partContains(msg, sm.mimeTree(msg), s, false)
}

// textContains reports whether the message holds s (SEARCH TEXT).
func (sm *searchMsg) textContains(s string) bool {
	if headerContains(sm.header(), s) {
		return true
	}
	msg := sm.content()
	return sm.partContains(msg, sm.mimeTree(msg), s, true)
}

// mimeTree returns the MIME structure of msg, parsed once per message; a
// message the parser cannot read whole keeps the parts it read.
func (sm *searchMsg) mimeTree(msg []byte) *mime.Part {
	if sm.tree == nil {
		if tree := sm.ss.parseMIME(msg); tree != nil && tree.Root != nil {
			sm.tree = tree.Root
		} else {
			sm.tree = &mime.Part{MediaType: "text/plain", End: int64(len(msg))}
		}
	}
	return sm.tree
}

// headerContains reports whether a field of h holds s, as stored or
// decoded.
func headerContains(h *rfc5322.Header, s string) bool {
	for _, f := range h.Fields() {
		if containsFold(f.Value(), s) {
			return true
		}
		if v, err := f.Text(); err == nil && containsFold(v, s) {
			return true
		}
	}
	return false
}

// partContains reports whether the text of part p of msg holds s, and
// with headers, the header of p or of a part inside it.
func (sm *searchMsg) partContains(msg []byte, p *mime.Part, s string, headers bool) bool {
	if headers && p.Depth > 0 && p.Header != nil && headerContains(p.Header, s) {
		return true
	}
	if len(p.Parts) > 0 {
		for _, c := range p.Parts {
			if sm.partContains(msg, c, s, headers) {
				return true
			}
		}
		return false
	}
	if !strings.HasPrefix(p.MediaType, "text/") && !strings.HasPrefix(p.MediaType, "message/") {
		return false
	}
	cs := p.Charset()
	plainCharset := cs == "" || cs == "us-ascii" || cs == "utf-8"
	if plainCharset && p.Encoding != "base64" && p.Encoding != "quoted-printable" {
		return bytesContainsFold(p.Body(msg), s)
	}
	r, err := p.Decode(msg)
	if err != nil {
		return bytesContainsFold(p.Body(msg), s)
	}
	if !plainCharset {
		if cr, err := mime.NewCharsetReader(cs, r, nil); err == nil {
			r = cr
		}
	}
	text, _ := readInto(sm.ss.text[:0], r, maxFetchMessage)
	sm.ss.text = keep(text)
	return bytesContainsFold(text, s)
}

// readInto appends what r holds, at most limit octets, to dst.
func readInto(dst []byte, r io.Reader, limit int) ([]byte, error) {
	for len(dst) < limit {
		if len(dst) == cap(dst) {
			dst = append(dst, 0)[:len(dst)]
		}
		n, err := r.Read(dst[len(dst):min(cap(dst), limit)])
		dst = dst[:len(dst)+n]
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// containsFold reports whether s contains sub, ignoring case (RFC 9051
// 6.4.4: matching is case-insensitive substring). Without allocating
// when sub is ASCII.
func containsFold(s, sub string) bool {
	if !isASCII(sub) {
		return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
	}
	if len(sub) == 0 {
		return true
	}
	for i := 0; i+len(sub) <= len(s); i++ {
		if lowerASCII(s[i]) == lowerASCII(sub[0]) && equalFoldASCII(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// bytesContainsFold is containsFold over a message's octets: for an ASCII
// sub it finds candidates for the first octet, in either case, with
// IndexByte and allocates nothing.
func bytesContainsFold(b []byte, sub string) bool {
	if !isASCII(sub) {
		return bytes.Contains(bytes.ToLower(b), []byte(strings.ToLower(sub)))
	}
	if len(sub) == 0 {
		return true
	}
	lo, up := lowerASCII(sub[0]), upperASCII(sub[0])
	last := len(b) - len(sub) // the last place a match can start
	nextLo, nextUp := -1, -1  // where lo and up next occur, from i
	if lo == up {
		nextUp = len(b)
	}
	for i := 0; i <= last; {
		if nextLo < i {
			if nextLo = bytes.IndexByte(b[i:last+1], lo); nextLo < 0 {
				nextLo = len(b)
			} else {
				nextLo += i
			}
		}
		if nextUp < i {
			if nextUp = bytes.IndexByte(b[i:last+1], up); nextUp < 0 {
				nextUp = len(b)
			} else {
				nextUp += i
			}
		}
		i = min(nextLo, nextUp)
		if i > last {
			return false
		}
		if equalFoldASCII(b[i:i+len(sub)], sub) {
			return true
		}
		i++
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// equalFoldASCII compares a (a field's value or a message's octets) with
// the ASCII string b, ignoring ASCII case; a is at least as long as b.
func equalFoldASCII[T string | []byte](a T, b string) bool {
	for i := 0; i < len(b); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func upperASCII(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}
