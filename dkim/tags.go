package dkim

import (
	"encoding/base64"
	"strings"
)

// tag is one tag=value pair of a tag list (RFC 6376 3.2).
type tag struct {
	name, value string
}

// parseTagList splits a tag list (RFC 6376 3.2). Whitespace around names
// and values is removed; folding whitespace inside values is kept for
// the caller to strip where the grammar allows it. Duplicate tags are an
// error. At most max tags are accepted. The tags are appended to dst, so
// a caller can pass a small array of its own.
func parseTagList(dst []tag, s string, max int) ([]tag, error) {
	tags := dst
	for s != "" {
		var item string
		if i := strings.IndexByte(s, ';'); i >= 0 {
			item, s = s[:i], s[i+1:]
		} else {
			item, s = s, ""
		}
		item = trimFWS(item)
		if item == "" {
			if s == "" {
				break // a trailing ';' is allowed
			}
			return nil, &SyntaxError{Msg: "empty tag"}
		}
		eq := strings.IndexByte(item, '=')
		if eq < 0 {
			return nil, &SyntaxError{Msg: "tag without '='", Tag: item}
		}
		name := trimFWS(item[:eq])
		if !validTagName(name) {
			return nil, &SyntaxError{Msg: "bad tag name", Tag: name}
		}
		for _, t := range tags[len(dst):] {
			if t.name == name {
				// RFC 6376 3.2: tags with duplicate names MUST NOT occur.
				return nil, &SyntaxError{Msg: "duplicate tag", Tag: name}
			}
		}
		if len(tags)-len(dst) >= max {
			return nil, &SyntaxError{Msg: "too many tags"}
		}
		tags = append(tags, tag{name, trimFWS(item[eq+1:])})
	}
	return tags, nil
}

func validTagName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alpha := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !alpha && (i == 0 || !('0' <= c && c <= '9' || c == '_')) {
			return false
		}
	}
	return true
}

func isFWS(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func trimFWS(s string) string {
	for s != "" && isFWS(s[0]) {
		s = s[1:]
	}
	for s != "" && isFWS(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// removeFWS deletes all folding whitespace, as base64 values allow.
func removeFWS(s string) string {
	if !strings.ContainsAny(s, " \t\r\n") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if !isFWS(s[i]) {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// decodeBase64FWS decodes a base64 tag value in which folding whitespace
// may appear anywhere (RFC 6376 3.5, b= and bh=). Signatures are short,
// so the whitespace is removed in a scratch array on the stack; only the
// result is allocated.
func decodeBase64FWS(s string) ([]byte, error) {
	var scratch [1024]byte
	clean := scratch[:0]
	if len(s) > len(scratch) {
		clean = make([]byte, 0, len(s))
	}
	for i := 0; i < len(s); i++ {
		if !isFWS(s[i]) {
			clean = append(clean, s[i])
		}
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
	n, err := base64.StdEncoding.Decode(out, clean)
	if err != nil {
		return nil, err
	}
	return out[:n], nil
}
