package spf

import (
	"net/netip"
	"strconv"
	"strings"
)

// macroEnv holds the values macros expand to (RFC 7208 7.2).
type macroEnv struct {
	sender   string // <sender>
	local    string // local-part of sender
	senderD  string // domain of sender
	domain   string // <domain>, the current domain
	ip       netip.Addr
	helo     string
	receiver string
	now      int64
	// validated returns the %{p} value; nil means "unknown".
	validated func() string
}

// checkMacroString checks macro-string syntax (RFC 7208 7.1); exp
// allows the letters c, r and t and spaces (explain-string).
func checkMacroString(s string, exp bool) error {
	_, err := expand(s, nil, exp)
	return err
}

// expand expands the macros of s. With env nil it only checks syntax.
func expand(s string, env *macroEnv, exp bool) (string, error) {
	if strings.IndexByte(s, '%') < 0 {
		// No macros (most domain-specs): s expands to itself once its
		// characters are checked, with no copy.
		for i := 0; i < len(s); i++ {
			if c := s[i]; (c < '!' || c > '~') && !(exp && c == ' ') {
				return "", &SyntaxError{Msg: "bad character in macro-string", Term: s}
			}
		}
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s) + 32)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' {
			if c < '!' || c > '~' {
				if !(exp && c == ' ') {
					return "", &SyntaxError{Msg: "bad character in macro-string", Term: s}
				}
			}
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(s) {
			return "", &SyntaxError{Msg: "lone '%'", Term: s}
		}
		i++
		switch s[i] {
		case '%':
			b.WriteByte('%')
			continue
		case '_':
			b.WriteByte(' ')
			continue
		case '-':
			b.WriteString("%20")
			continue
		case '{':
		default:
			return "", &SyntaxError{Msg: "bad macro", Term: s}
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", &SyntaxError{Msg: "unterminated macro", Term: s}
		}
		body := s[i+1 : i+end]
		i += end
		if err := expandOne(&b, body, env, exp); err != nil {
			return "", err
		}
		if b.Len() > 8192 {
			return "", &SyntaxError{Msg: "macro expansion too long"}
		}
	}
	return b.String(), nil
}

// expandOne expands macro-letter transformers *delimiter.
func expandOne(b *strings.Builder, body string, env *macroEnv, exp bool) error {
	if body == "" {
		return &SyntaxError{Msg: "empty macro"}
	}
	letter := body[0]
	upper := 'A' <= letter && letter <= 'Z'
	lower := letter | 0x20
	switch lower {
	case 's', 'l', 'o', 'd', 'i', 'p', 'h', 'v':
	case 'c', 'r', 't':
		if !exp {
			// RFC 7208 7.2: c, r and t only in exp= text.
			return &SyntaxError{Msg: "macro only allowed in explanations", Term: body}
		}
	default:
		return &SyntaxError{Msg: "unknown macro letter", Term: body}
	}
	rest := body[1:]
	n := 0
	j := 0
	for ; j < len(rest) && '0' <= rest[j] && rest[j] <= '9'; j++ {
		if n < 1000 {
			n = n*10 + int(rest[j]-'0')
		}
	}
	if j > 0 && n == 0 {
		// RFC 7208 7.3: a DIGIT transformer MUST be nonzero.
		return &SyntaxError{Msg: "zero transformer", Term: body}
	}
	reverse := false
	if j < len(rest) && (rest[j] == 'r' || rest[j] == 'R') {
		reverse = true
		j++
	}
	delims := rest[j:]
	for k := 0; k < len(delims); k++ {
		if !strings.ContainsRune(".-+,/_=", rune(delims[k])) {
			return &SyntaxError{Msg: "bad delimiter", Term: body}
		}
	}
	if env == nil {
		return nil
	}
	var v string
	switch lower {
	case 's':
		v = env.sender
	case 'l':
		v = env.local
	case 'o':
		v = env.senderD
	case 'd':
		v = env.domain
	case 'i':
		v = dottedIP(env.ip)
	case 'p':
		v = "unknown"
		if env.validated != nil {
			v = env.validated()
		}
	case 'h':
		v = env.helo
	case 'v':
		v = "in-addr"
		if env.ip.Is6() {
			v = "ip6"
		}
	case 'c':
		v = env.ip.String()
	case 'r':
		v = env.receiver
		if v == "" {
			v = "unknown"
		}
	case 't':
		v = strconv.FormatInt(env.now, 10)
	}
	if n > 0 || reverse || delims != "" {
		if delims == "" {
			delims = "."
		}
		parts := strings.FieldsFunc(v, func(r rune) bool { return strings.ContainsRune(delims, r) })
		if v != "" && len(parts) == 0 {
			parts = []string{""}
		}
		if reverse {
			for a, z := 0, len(parts)-1; a < z; a, z = a+1, z-1 {
				parts[a], parts[z] = parts[z], parts[a]
			}
		}
		if n > 0 && n < len(parts) {
			parts = parts[len(parts)-n:]
		}
		v = strings.Join(parts, ".")
	}
	if upper {
		// RFC 7208 7.3: uppercase macros are URL-escaped.
		v = urlEscape(v)
	}
	b.WriteString(v)
	return nil
}

// dottedIP is %{i}: dotted quad, or dot-separated nibbles for IPv6.
func dottedIP(ip netip.Addr) string {
	if ip.Is4() {
		return ip.String()
	}
	const hex = "0123456789abcdef"
	a := ip.As16()
	out := make([]byte, 0, 63)
	for i, x := range a {
		if i > 0 {
			out = append(out, '.')
		}
		out = append(out, hex[x>>4], '.', hex[x&15])
	}
	return string(out)
}

// urlEscape escapes all characters outside the URI unreserved set (RFC
// 3986 2.3), as RFC 7208 7.3 asks for uppercase macros.
func urlEscape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// truncateDomain applies RFC 7208 7.3: an expanded domain-spec longer
// than 253 characters loses labels from the left until it fits.
func truncateDomain(s string) string {
	for len(s) > 253 {
		i := strings.IndexByte(s, '.')
		if i < 0 {
			return s
		}
		s = s[i+1:]
	}
	return s
}
