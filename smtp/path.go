package smtp

import (
	"net/netip"
	"unicode/utf8"
)

// RFC 5321 4.5.3.1 size limits, the defaults of PathLimits.
const (
	DefaultMaxLocalPart = 64  // RFC 5321 4.5.3.1.1
	DefaultMaxDomain    = 255 // RFC 5321 4.5.3.1.2
	DefaultMaxPath      = 256 // RFC 5321 4.5.3.1.3, including the angle brackets
)

// PathLimits bounds the parts of a path. RFC 5321 4.5.3.1 allows raising
// the limits; the zero value uses the RFC defaults, and a limit can only be
// raised, never lowered below the RFC value.
type PathLimits struct {
	MaxLocalPart int // default 64
	MaxDomain    int // default 255
	MaxPath      int // default 256, counting "<" and ">"
}

func (l PathLimits) localPart() int { return max(l.MaxLocalPart, DefaultMaxLocalPart) }
func (l PathLimits) domain() int    { return max(l.MaxDomain, DefaultMaxDomain) }
func (l PathLimits) path() int      { return max(l.MaxPath, DefaultMaxPath) }

// text is what the path checks run on: the server checks []byte slices of
// its line buffer and the client checks the strings it was given, both
// without copying.
type text interface{ ~string | ~[]byte }

// CheckMailbox reports whether s is a valid RFC 5321 4.1.2 Mailbox
// (Local-part "@" (Domain / address-literal)) within the default limits.
// Non-ASCII UTF-8 is accepted (RFC 6531); utf8 reports whether any was
// present, so a caller can insist on SMTPUTF8.
func CheckMailbox(s string) (utf8 bool, err error) {
	return checkMailbox(s, PathLimits{})
}

// checkMailbox validates a Mailbox. "Postmaster" without a domain is not a
// Mailbox; callers that allow it (RCPT, RFC 5321 4.1.1.3) check first.
func checkMailbox[T text](s T, lim PathLimits) (nonASCII bool, err error) {
	if len(s)+2 > lim.path() {
		return false, ErrPathTooLong
	}
	at, na, err := localPartEnd(s)
	if err != nil {
		return false, err
	}
	nonASCII = na
	if at > lim.localPart() {
		return false, ErrPathTooLong
	}
	if at >= len(s) || s[at] != '@' {
		return false, ErrPathSyntax
	}
	dom := s[at+1:]
	if len(dom) > lim.domain() {
		return false, ErrPathTooLong
	}
	if len(dom) > 0 && dom[0] == '[' {
		return nonASCII, checkAddressLiteral(dom)
	}
	dna, err := checkDomain(dom)
	return nonASCII || dna, err
}

// localPartEnd returns the index just past the Local-part at the start of s:
// Dot-string / Quoted-string (RFC 5321 4.1.2), with RFC 6531 UTF-8 atext.
func localPartEnd[T text](s T) (end int, nonASCII bool, err error) {
	if len(s) == 0 {
		return 0, false, ErrPathSyntax
	}
	if s[0] == '"' {
		// Quoted-string = DQUOTE *QcontentSMTP DQUOTE
		i := 1
		for i < len(s) {
			c := s[i]
			switch {
			case c == '"':
				return i + 1, nonASCII, nil
			case c == '\\':
				// quoted-pairSMTP = %d92 %d32-126
				if i+1 >= len(s) || s[i+1] < 32 || s[i+1] > 126 {
					return 0, false, ErrPathSyntax
				}
				i += 2
			case c >= 32 && c <= 126:
				// qtextSMTP = %d32-33 / %d35-91 / %d93-126
				i++
			case c >= 0x80:
				n, ok := utf8At(s, i)
				if !ok {
					return 0, false, ErrPathSyntax
				}
				nonASCII = true
				i += n
			default:
				return 0, false, ErrPathSyntax
			}
		}
		return 0, false, ErrPathSyntax
	}
	// Dot-string = Atom *("." Atom)
	i := 0
	atomStart := true
	for i < len(s) {
		c := s[i]
		switch {
		case c == '.':
			if atomStart {
				return 0, false, ErrPathSyntax
			}
			atomStart = true
			i++
			continue
		case isAtext(c):
			i++
		case c >= 0x80:
			n, ok := utf8At(s, i)
			if !ok {
				return 0, false, ErrPathSyntax
			}
			nonASCII = true
			i += n
		default:
			if atomStart {
				return 0, false, ErrPathSyntax
			}
			return i, nonASCII, nil
		}
		atomStart = false
	}
	if atomStart {
		return 0, false, ErrPathSyntax
	}
	return i, nonASCII, nil
}

// utf8At decodes the multi-byte UTF-8 sequence at s[i:], rejecting invalid
// encodings and C1 controls.
func utf8At[T text](s T, i int) (int, bool) {
	var buf [4]byte
	n := copy(buf[:], s[i:min(i+4, len(s))])
	r, size := utf8.DecodeRune(buf[:n])
	if r == utf8.RuneError || r < 0xa0 {
		return 0, false
	}
	return size, true
}

// isAtext reports RFC 5322 atext: ALPHA / DIGIT and "!#$%&'*+-/=?^_`{|}~".
func isAtext(c byte) bool {
	return atextTable[c]
}

var atextTable = [256]bool{
	'!': true, '#': true, '$': true, '%': true, '&': true, '\'': true, '*': true,
	'+': true, '-': true, '/': true, '=': true, '?': true, '^': true, '_': true,
	'`': true, '{': true, '|': true, '}': true, '~': true,
	'0': true, '1': true, '2': true, '3': true, '4': true, '5': true, '6': true, '7': true, '8': true, '9': true,
	'A': true, 'B': true, 'C': true, 'D': true, 'E': true, 'F': true, 'G': true, 'H': true, 'I': true,
	'J': true, 'K': true, 'L': true, 'M': true, 'N': true, 'O': true, 'P': true, 'Q': true, 'R': true,
	'S': true, 'T': true, 'U': true, 'V': true, 'W': true, 'X': true, 'Y': true, 'Z': true,
	'a': true, 'b': true, 'c': true, 'd': true, 'e': true, 'f': true, 'g': true, 'h': true, 'i': true,
	'j': true, 'k': true, 'l': true, 'm': true, 'n': true, 'o': true, 'p': true, 'q': true, 'r': true,
	's': true, 't': true, 'u': true, 'v': true, 'w': true, 'x': true, 'y': true, 'z': true,
}

func isLetDig(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// checkDomain validates RFC 5321 Domain = sub-domain *("." sub-domain),
// sub-domain = Let-dig [Ldh-str], each label at most 63 octets
// (RFC 1035 2.3.4). RFC 6531 3.3 allows U-labels: a label may hold
// non-ASCII UTF-8, which is not checked further against IDNA here.
func checkDomain[T text](s T) (nonASCII bool, err error) {
	if len(s) == 0 {
		return false, ErrPathSyntax
	}
	labelLen := 0
	var prev byte = '.'
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '.':
			if prev == '.' || prev == '-' {
				return false, ErrPathSyntax
			}
			labelLen = 0
			prev = c
			i++
			continue
		case isLetDig(c):
			i++
			labelLen++
		case c == '-':
			if prev == '.' {
				return false, ErrPathSyntax
			}
			i++
			labelLen++
		case c >= 0x80:
			n, ok := utf8At(s, i)
			if !ok {
				return false, ErrPathSyntax
			}
			nonASCII = true
			i += n
			labelLen += n
		default:
			return false, ErrPathSyntax
		}
		if labelLen > 63 {
			return false, ErrPathSyntax
		}
		prev = c
	}
	if prev == '.' || prev == '-' {
		return false, ErrPathSyntax
	}
	return nonASCII, nil
}

// checkAddressLiteral validates RFC 5321 4.1.3 address-literal:
// "[" ( IPv4-address-literal / IPv6-address-literal /
// General-address-literal ) "]".
func checkAddressLiteral[T text](s T) error {
	if len(s) < 3 || s[0] != '[' || s[len(s)-1] != ']' {
		return ErrPathSyntax
	}
	in := s[1 : len(s)-1]
	if isIPv4Literal(in) {
		return nil
	}
	// General-address-literal = Standardized-tag ":" 1*dcontent, where
	// Standardized-tag = Ldh-str; IPv6 is the tag "IPv6".
	colon := -1
	for i := 0; i < len(in); i++ {
		if in[i] == ':' {
			colon = i
			break
		}
	}
	if colon <= 0 || colon == len(in)-1 {
		return ErrPathSyntax
	}
	tag := in[:colon]
	for i := 0; i < len(tag); i++ {
		if !isLetDig(tag[i]) && tag[i] != '-' {
			return ErrPathSyntax
		}
	}
	if tag[len(tag)-1] == '-' {
		return ErrPathSyntax
	}
	rest := in[colon+1:]
	if len(tag) == 4 && equalFold(tag, "IPv6") {
		if len(rest) > 45 {
			return ErrPathSyntax
		}
		var buf [45]byte
		n := copy(buf[:], rest)
		a, err := netip.ParseAddr(string(buf[:n]))
		if err != nil || !a.Is6() || a.Zone() != "" {
			return ErrPathSyntax
		}
		return nil
	}
	// dcontent = %d33-90 / %d94-126
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if c < 33 || c > 126 || c == '[' || c == '\\' || c == ']' {
			return ErrPathSyntax
		}
	}
	return nil
}

// isIPv4Literal: Snum 3("." Snum), Snum = 1*3DIGIT with value 0-255.
func isIPv4Literal[T text](s T) bool {
	parts, n, digits := 0, 0, 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			if digits == 0 || n > 255 {
				return false
			}
			parts++
			n, digits = 0, 0
			continue
		}
		c := s[i]
		if c < '0' || c > '9' || digits == 3 {
			return false
		}
		n = n*10 + int(c-'0')
		digits++
	}
	return parts == 4
}

// equalFold reports whether s equals the ASCII string t ignoring ASCII case.
func equalFold[T text](s T, t string) bool {
	if len(s) != len(t) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		d := t[i]
		if d >= 'a' && d <= 'z' {
			d -= 'a' - 'A'
		}
		if c != d {
			return false
		}
	}
	return true
}

// parsePath splits a Path ("<" [A-d-l ":"] Mailbox ">") at the start of s,
// returning the Mailbox and the index just past ">". With null set, "<>"
// (the null reverse-path, RFC 5321 4.5.5) is accepted and yields an empty
// mailbox. With postmaster set, "<Postmaster>" is accepted (RFC 5321
// 4.1.1.3). The source route is checked and dropped (RFC 5321 4.1.2 and
// appendix C: servers MUST accept and SHOULD ignore it).
func parsePath[T text](s T, null, postmaster bool, lim PathLimits) (mailbox T, end int, nonASCII bool, err error) {
	if len(s) == 0 || s[0] != '<' {
		return mailbox, 0, false, ErrPathSyntax
	}
	// Find the closing ">" outside any quoted string.
	close := -1
	inQuote := false
	for i := 1; i < len(s); i++ {
		c := s[i]
		if inQuote {
			if c == '\\' {
				i++
			} else if c == '"' {
				inQuote = false
			}
			continue
		}
		if c == '"' {
			inQuote = true
		} else if c == '>' {
			close = i
			break
		}
		if i+1 > lim.path() {
			return mailbox, 0, false, ErrPathTooLong
		}
	}
	if close < 0 {
		return mailbox, 0, false, ErrPathSyntax
	}
	if close+1 > lim.path() {
		return mailbox, 0, false, ErrPathTooLong
	}
	inner := s[1:close]
	if len(inner) == 0 {
		if !null {
			return mailbox, 0, false, ErrPathSyntax
		}
		return inner, close + 1, false, nil
	}
	if inner[0] == '@' {
		// A-d-l = At-domain *( "," At-domain ), At-domain = "@" Domain
		colon := -1
		start := 1
		for i := 1; i < len(inner); i++ {
			if inner[i] == ',' || inner[i] == ':' {
				if _, err := checkDomain(inner[start:i]); err != nil {
					return mailbox, 0, false, err
				}
				if inner[i] == ':' {
					colon = i
					break
				}
				if i+1 >= len(inner) || inner[i+1] != '@' {
					return mailbox, 0, false, ErrPathSyntax
				}
				i++
				start = i + 1
			}
		}
		if colon < 0 {
			return mailbox, 0, false, ErrPathSyntax
		}
		inner = inner[colon+1:]
	}
	if postmaster && equalFold(inner, "postmaster") {
		return inner, close + 1, false, nil
	}
	na, err := checkMailbox(inner, lim)
	if err != nil {
		return mailbox, 0, false, err
	}
	return inner, close + 1, na, nil
}
