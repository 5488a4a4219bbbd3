package dmarc

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"unicode/utf8"
)

// PublicSuffixList holds the rules of a Public Suffix List file
// (https://publicsuffix.org/list/, format of its "Formal Definition"),
// e.g. Debian's /usr/share/publicsuffix/public_suffix_list.dat. It is
// read-only after LoadPublicSuffixList and safe for concurrent use.
type PublicSuffixList struct {
	rules map[string]byte // rule (without "*." or "!") -> kind
}

const (
	ruleNormal    = 1
	ruleWildcard  = 2 // "*.rule"
	ruleException = 4 // "!rule"
)

// LoadPublicSuffixList reads a list. Rules are kept in Unicode form as
// the file has them; lookups convert A-labels (xn--) to Unicode.
func LoadPublicSuffixList(r io.Reader) (*PublicSuffixList, error) {
	l := &PublicSuffixList{rules: map[string]byte{}}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		// Each line is only read up to the first whitespace.
		if i := strings.IndexAny(line, " \t"); i >= 0 {
			line = line[:i]
		}
		if line == "" || strings.HasPrefix(line, "//") {
			continue
		}
		kind := byte(ruleNormal)
		switch {
		case strings.HasPrefix(line, "!"):
			kind, line = ruleException, line[1:]
		case strings.HasPrefix(line, "*."):
			kind, line = ruleWildcard, line[2:]
		}
		line = strings.ToLower(line)
		l.rules[line] |= kind
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(l.rules) == 0 {
		return nil, errors.New("dmarc: empty public suffix list")
	}
	return l, nil
}

// PublicSuffix returns the public suffix of domain (lower case, as
// given: A-labels stay A-labels).
func (l *PublicSuffixList) PublicSuffix(domain string) string {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	labels := strings.Split(domain, ".")
	uni := make([]string, len(labels))
	for i, lb := range labels {
		uni[i] = toUnicode(lb)
	}
	// The prevailing rule is the exception rule if any, else the
	// matching rule with the most labels; "*" applies when none does.
	n := 1
	for i := range labels {
		suffix := strings.Join(uni[i:], ".")
		k := l.rules[suffix]
		if k&ruleException != 0 {
			// The public suffix is the exception rule minus its
			// leftmost label.
			n = len(labels) - i - 1
			break
		}
		if k&ruleNormal != 0 && len(labels)-i > n {
			n = len(labels) - i
		}
		if i > 0 && l.rules[strings.Join(uni[i:], ".")]&ruleWildcard != 0 && len(labels)-i+1 > n {
			n = len(labels) - i + 1
		}
	}
	if n > len(labels) {
		n = len(labels)
	}
	return strings.Join(labels[len(labels)-n:], ".")
}

// OrganizationalDomain returns the organizational domain of domain (RFC
// 7489 3.2): its public suffix plus one label. A domain that is itself
// a public suffix, or that has an empty label, is its own
// organizational domain.
func (l *PublicSuffixList) OrganizationalDomain(domain string) string {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	if domain == "" || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		// Not a domain name: no organizational domain but itself.
		return domain
	}
	ps := l.PublicSuffix(domain)
	if ps == domain {
		return domain
	}
	rest := strings.TrimSuffix(domain, "."+ps)
	if i := strings.LastIndexByte(rest, '.'); i >= 0 {
		rest = rest[i+1:]
	}
	return rest + "." + ps
}

// toUnicode decodes an A-label ("xn--...") with Punycode (RFC 3492);
// other labels, and A-labels that do not decode, are returned as they
// are.
func toUnicode(label string) string {
	if !strings.HasPrefix(label, "xn--") {
		return label
	}
	s, ok := punyDecode(label[4:])
	if !ok {
		return label
	}
	return s
}

// punyDecode is the decoding procedure of RFC 3492 6.2.
func punyDecode(in string) (string, bool) {
	const (
		base, tmin, tmax, skew, damp = 36, 1, 26, 38, 700
		initialBias, initialN        = 72, 128
	)
	if len(in) > 63 {
		return "", false
	}
	var out []rune
	b := strings.LastIndexByte(in, '-')
	if b > 0 {
		for i := 0; i < b; i++ {
			if in[i] >= 0x80 {
				return "", false
			}
			out = append(out, rune(in[i]))
		}
		in = in[b+1:]
	} else if b == 0 {
		in = in[1:]
	}
	n, i, bias := initialN, 0, initialBias
	adapt := func(delta, numPoints int, first bool) int {
		if first {
			delta /= damp
		} else {
			delta /= 2
		}
		delta += delta / numPoints
		k := 0
		for delta > ((base-tmin)*tmax)/2 {
			delta /= base - tmin
			k += base
		}
		return k + (base-tmin+1)*delta/(delta+skew)
	}
	for p := 0; p < len(in); {
		oldi, w := i, 1
		for k := base; ; k += base {
			if p >= len(in) {
				return "", false
			}
			c := in[p]
			p++
			var digit int
			switch {
			case '0' <= c && c <= '9':
				digit = int(c-'0') + 26
			case 'a' <= c && c <= 'z':
				digit = int(c - 'a')
			case 'A' <= c && c <= 'Z':
				digit = int(c - 'A')
			default:
				return "", false
			}
			i += digit * w
			if i < 0 || i > 1<<24 {
				return "", false
			}
			t := k - bias
			if t < tmin {
				t = tmin
			} else if t > tmax {
				t = tmax
			}
			if digit < t {
				break
			}
			w *= base - t
			if w > 1<<24 {
				return "", false
			}
		}
		bias = adapt(i-oldi, len(out)+1, oldi == 0)
		n += i / (len(out) + 1)
		i %= len(out) + 1
		if n > utf8.MaxRune || len(out) > 63 {
			return "", false
		}
		out = append(out, 0)
		copy(out[i+1:], out[i:])
		out[i] = rune(n)
		i++
	}
	return string(out), true
}
