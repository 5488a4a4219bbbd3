package imap

import (
	"bytes"
	"io"
	"strings"

	"github.com/relaykit/relaykit/mime"
)

// findPart resolves a section part path (RFC 9051 6.4.5) in a MIME tree:
// each number picks a body part of a multipart; part 1 of a part that is
// not multipart is that part itself; a message/rfc822 or message/global
// part is entered before its parts are counted. nil if there is no such
// part.
func findPart(root *mime.Part, path []int) *mime.Part {
	cur := root
	for i, n := range path {
		// Part 1 of a message that is not multipart is its body: at the
		// top, and inside a message/rfc822 part.
		whole := i == 0
		if i > 0 && cur.IsMessage() && len(cur.Parts) == 1 {
			cur, whole = cur.Parts[0], true
		}
		switch {
		case cur.IsMultipart():
			if n < 1 || n > len(cur.Parts) {
				return nil
			}
			cur = cur.Parts[n-1]
		case n != 1 || !whole:
			return nil
		}
	}
	return cur
}

// mimeSection returns the octets of a section, or ok false when the
// message has no such part (the server then returns an empty string, as
// Dovecot does, RFC 9051 6.4.5 leaves it open).
func mimeSection(msg []byte, tree *mime.Tree, s Section) ([]byte, bool) {
	if len(s.Part) == 0 {
		return sectionData(msg, s), true
	}
	p := findPart(tree.Root, s.Part)
	if p == nil {
		return nil, false
	}
	switch s.Text {
	case SectionAll:
		return p.Body(msg), true
	case SectionMIME:
		return p.RawHeader(msg), true
	}
	// HEADER, HEADER.FIELDS, TEXT after a part number apply to the
	// message inside a message/rfc822 part.
	if !p.IsMessage() || len(p.Parts) != 1 {
		return nil, false
	}
	inner := p.Parts[0]
	switch s.Text {
	case SectionHeader:
		return inner.RawHeader(msg), true
	case SectionBodyText:
		return inner.Body(msg), true
	default:
		return headerFields(inner.RawHeader(msg), s.Fields, s.Text == SectionHeaderFieldsNot), true
	}
}

// binarySection returns a part's body with its Content-Transfer-Encoding
// undone (RFC 3516 4.2); ok false for an unknown encoding, for which the
// server answers NO [UNKNOWN-CTE].
// decoded is true when a base64 or quoted-printable encoding was undone.
// A multipart's body is returned as it is (Dovecot decodes each of its
// parts and rewrites their headers; this server does not).
func binarySection(msg []byte, tree *mime.Tree, path []int) (data []byte, decoded, ok bool) {
	if len(path) == 0 {
		return msg, false, true
	}
	p := findPart(tree.Root, path)
	if p == nil {
		return nil, false, true
	}
	r, err := p.Decode(msg)
	if err != nil {
		return nil, false, false
	}
	data, err = io.ReadAll(r)
	return data, p.Encoding == "base64" || p.Encoding == "quoted-printable", err == nil
}

// appendBodyStructure writes BODYSTRUCTURE (ext true) or BODY (RFC 9051
// 7.5.2 body) for a part.
func appendBodyStructure(dst, msg []byte, p *mime.Part, ext, utf8 bool) []byte {
	typ, sub, _ := strings.Cut(p.MediaType, "/")
	dst = append(dst, '(')
	if p.IsMultipart() {
		for _, c := range p.Parts {
			dst = appendBodyStructure(dst, msg, c, ext, utf8)
		}
		dst = append(dst, ' ')
		dst = AppendString(dst, sub, false)
		if ext {
			dst = append(dst, ' ')
			dst = appendParams(dst, rawParams(p, "Content-Type"), utf8)
			dst = appendExtension(dst, p, utf8)
		}
		return append(dst, ')')
	}
	dst = AppendString(dst, typ, false)
	dst = append(dst, ' ')
	dst = AppendString(dst, sub, false)
	params := rawParams(p, "Content-Type")
	if typ == "text" && !hasParam(params, "charset") {
		// RFC 2045 5.2: the default; Dovecot writes it out too.
		params = append(params, [2]string{"charset", "us-ascii"})
	}
	dst = append(dst, ' ')
	dst = appendParams(dst, params, utf8)
	dst = append(dst, ' ')
	dst = appendNField(dst, p, "Content-ID", utf8)
	dst = append(dst, ' ')
	dst = appendNField(dst, p, "Content-Description", utf8)
	dst = append(dst, ' ')
	enc := p.Encoding
	if enc == "" {
		enc = "7bit"
	}
	dst = AppendString(dst, enc, false)
	dst = append(dst, ' ')
	dst = AppendNumber(dst, uint64(p.Size()))
	switch {
	case p.IsMessage() && len(p.Parts) == 1:
		inner := p.Parts[0]
		dst = append(dst, ' ')
		dst = appendEnvelope(dst, inner.RawHeader(msg), utf8)
		dst = append(dst, ' ')
		dst = appendBodyStructure(dst, msg, inner, ext, utf8)
		dst = append(dst, ' ')
		dst = AppendNumber(dst, uint64(lines(p.Body(msg))))
	case typ == "text":
		dst = append(dst, ' ')
		dst = AppendNumber(dst, uint64(lines(p.Body(msg))))
	}
	if ext {
		dst = append(dst, ' ')
		dst = appendNField(dst, p, "Content-MD5", utf8)
		dst = appendExtension(dst, p, utf8)
	}
	return append(dst, ')')
}

// appendExtension writes body-fld-dsp, body-fld-lang and body-fld-loc.
func appendExtension(dst []byte, p *mime.Part, utf8 bool) []byte {
	dst = append(dst, ' ')
	if p.Disposition == "" {
		dst = append(dst, "NIL"...)
	} else {
		dst = append(dst, '(')
		dst = AppendString(dst, p.Disposition, utf8)
		dst = append(dst, ' ')
		dst = appendParams(dst, rawParams(p, "Content-Disposition"), utf8)
		dst = append(dst, ')')
	}
	dst = append(dst, ' ')
	dst = appendLanguage(dst, p, utf8)
	dst = append(dst, ' ')
	return appendNField(dst, p, "Content-Location", utf8)
}

// appendParams writes a body-fld-param list, or NIL.
func appendParams(dst []byte, params [][2]string, utf8 bool) []byte {
	if len(params) == 0 {
		return append(dst, "NIL"...)
	}
	dst = append(dst, '(')
	for i, kv := range params {
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = AppendString(dst, kv[0], utf8)
		dst = append(dst, ' ')
		dst = AppendString(dst, kv[1], utf8)
	}
	return append(dst, ')')
}

func hasParam(params [][2]string, name string) bool {
	for _, kv := range params {
		if equalFold(kv[0], name) {
			return true
		}
	}
	return false
}

// rawParams returns the parameters of a Content-Type or
// Content-Disposition field as written: names lower-cased, values
// unquoted, RFC 2231 forms ("filename*") left encoded, as IMAP clients
// expect them in BODYSTRUCTURE and as Dovecot sends them.
func rawParams(p *mime.Part, field string) [][2]string {
	if p.Header == nil {
		return nil
	}
	v := p.Header.Get(field)
	_, rest, ok := strings.Cut(v, ";")
	if !ok {
		return nil
	}
	var out [][2]string
	for rest != "" && len(out) < 64 {
		rest = strings.TrimLeft(rest, " \t;")
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 {
			break
		}
		name := strings.ToLower(strings.TrimSpace(rest[:eq]))
		rest = strings.TrimLeft(rest[eq+1:], " \t")
		var val string
		if strings.HasPrefix(rest, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(rest) && rest[i] != '"'; i++ {
				if rest[i] == '\\' && i+1 < len(rest) {
					i++
				}
				b.WriteByte(rest[i])
			}
			val = b.String()
			rest = rest[min(i+1, len(rest)):]
			if k := strings.IndexByte(rest, ';'); k >= 0 {
				rest = rest[k:]
			} else {
				rest = ""
			}
		} else {
			k := strings.IndexByte(rest, ';')
			if k < 0 {
				k = len(rest)
			}
			val = strings.TrimSpace(rest[:k])
			rest = rest[k:]
		}
		out = append(out, [2]string{name, val})
	}
	return out
}

// appendLanguage writes body-fld-lang: NIL or a list of the languages
// in Content-Language (RFC 3282).
func appendLanguage(dst []byte, p *mime.Part, utf8 bool) []byte {
	v := ""
	if p.Header != nil {
		v = p.Header.Get("Content-Language")
	}
	var langs []string
	for _, l := range strings.Split(v, ",") {
		if l = strings.TrimSpace(l); l != "" {
			langs = append(langs, l)
		}
	}
	if len(langs) == 0 {
		return append(dst, "NIL"...)
	}
	dst = append(dst, '(')
	for i, l := range langs {
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = AppendString(dst, l, utf8)
	}
	return append(dst, ')')
}

func appendNField(dst []byte, p *mime.Part, name string, utf8 bool) []byte {
	if p.Header == nil {
		return append(dst, "NIL"...)
	}
	f, ok := p.Header.Lookup(name)
	if !ok {
		return append(dst, "NIL"...)
	}
	return AppendString(dst, f.Value(), utf8)
}

// lines counts the lines of a body (RFC 9051 body-fld-lines) as
// Dovecot does: its line ends. The line end before a boundary belongs to
// the boundary, so a part's last line is not counted.
func lines(b []byte) int { return bytes.Count(b, []byte{'\n'}) }
