package dkim

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// Algorithm is a signing algorithm (a= tag, RFC 6376 3.3, RFC 8463).
type Algorithm string

// Algorithms. RSASHA1 is parsed so that it can be reported, but never
// accepted (RFC 8301 3.1).
const (
	RSASHA256     Algorithm = "rsa-sha256"
	Ed25519SHA256 Algorithm = "ed25519-sha256"
	RSASHA1       Algorithm = "rsa-sha1"
)

// Signature is a parsed DKIM-Signature field (RFC 6376 3.5).
type Signature struct {
	Version         int
	Algorithm       Algorithm
	Signature       []byte // b=
	BodyHash        []byte // bh=
	HeaderCanon     Canonicalization
	BodyCanon       Canonicalization
	Domain          string   // d=
	Headers         []string // h=, as written
	Identifier      string   // i=; "@" + Domain when absent
	Length          int64    // l=; -1 when absent
	QueryMethods    []string // q=
	Selector        string   // s=
	Timestamp       int64    // t=; -1 when absent
	Expiration      int64    // x=; -1 when absent
	CopiedHeaders   string   // z=, raw
	identifierGiven bool
}

// sigTags is a set of the tags of a signature that ParseSignature must
// know it has seen: the required ones in the order of requiredTags, and
// c=.
type sigTags uint8

const (
	tagV sigTags = 1 << iota
	tagA
	tagB
	tagBH
	tagD
	tagH
	tagS
	tagC
)

// requiredTags names the bits of sigTags from tagV to tagS.
var requiredTags = [...]string{"v", "a", "b", "bh", "d", "h", "s"}

// maxSigTags bounds the tag count of a signature or key record, so a
// hostile field cannot make the parser build a large list.
const maxSigTags = 64

// ParseSignature parses the value of a DKIM-Signature field (everything
// after the colon, folding kept or not).
func ParseSignature(value string) (*Signature, error) {
	var arr [16]tag
	tags, err := parseTagList(arr[:0], value, maxSigTags)
	if err != nil {
		return nil, err
	}
	s := &Signature{Length: -1, Timestamp: -1, Expiration: -1}
	var seen sigTags
	for _, t := range tags {
		v := t.value
		switch t.name {
		case "v":
			seen |= tagV
			// RFC 6376 3.5: v= MUST be "1".
			if v != "1" {
				return nil, &SyntaxError{Msg: "unsupported version", Tag: "v=" + v}
			}
			s.Version = 1
		case "a":
			seen |= tagA
			s.Algorithm = Algorithm(strings.ToLower(v))
		case "b":
			seen |= tagB
			s.Signature, err = decodeBase64FWS(v)
			if err != nil {
				return nil, &SyntaxError{Msg: "bad base64 in b="}
			}
		case "bh":
			seen |= tagBH
			s.BodyHash, err = decodeBase64FWS(v)
			if err != nil {
				return nil, &SyntaxError{Msg: "bad base64 in bh="}
			}
		case "c":
			seen |= tagC
			h, b, ok := strings.Cut(v, "/")
			s.HeaderCanon = Canonicalization(strings.ToLower(h))
			s.BodyCanon = Simple // RFC 6376 3.5: "relaxed" alone is relaxed/simple
			if ok {
				s.BodyCanon = Canonicalization(strings.ToLower(b))
			}
			if !validCanon(s.HeaderCanon) || !validCanon(s.BodyCanon) {
				return nil, &SyntaxError{Msg: "unknown canonicalization", Tag: "c=" + v}
			}
		case "d":
			seen |= tagD
			s.Domain = v
		case "h":
			seen |= tagH
			s.Headers = make([]string, 0, strings.Count(v, ":")+1)
			for h := range strings.SplitSeq(v, ":") {
				h = trimFWS(h)
				if h == "" {
					return nil, &SyntaxError{Msg: "empty name in h="}
				}
				s.Headers = append(s.Headers, h)
			}
		case "i":
			s.Identifier, s.identifierGiven = v, true
		case "l":
			s.Length, err = parseNumber(v)
			if err != nil {
				return nil, &SyntaxError{Msg: "bad l=", Tag: v}
			}
		case "q":
			for _, q := range strings.Split(v, ":") {
				s.QueryMethods = append(s.QueryMethods, trimFWS(q))
			}
		case "s":
			seen |= tagS
			s.Selector = v
		case "t":
			s.Timestamp, err = parseNumber(v)
			if err != nil {
				return nil, &SyntaxError{Msg: "bad t=", Tag: v}
			}
		case "x":
			s.Expiration, err = parseNumber(v)
			if err != nil {
				return nil, &SyntaxError{Msg: "bad x=", Tag: v}
			}
		case "z":
			s.CopiedHeaders = v
		}
	}
	// RFC 6376 3.5: v, a, b, bh, d, h, s are required.
	for i, req := range requiredTags {
		if seen&(1<<i) == 0 {
			return nil, &SyntaxError{Msg: "missing required tag", Tag: req}
		}
	}
	if seen&tagC == 0 {
		// RFC 6376 3.5: the default is simple/simple.
		s.HeaderCanon, s.BodyCanon = Simple, Simple
	}
	if s.Domain == "" || s.Selector == "" {
		return nil, &SyntaxError{Msg: "empty d= or s="}
	}
	fromSigned := false
	for _, h := range s.Headers {
		if strings.EqualFold(h, "From") {
			fromSigned = true
		}
	}
	if !fromSigned {
		return nil, ErrNoFrom
	}
	if s.identifierGiven {
		// RFC 6376 3.5: the domain of i= must be d= or a subdomain of it.
		at := strings.LastIndexByte(s.Identifier, '@')
		if at < 0 || !isSubdomain(s.Identifier[at+1:], s.Domain) {
			return nil, &SyntaxError{Msg: "i= not within d=", Tag: s.Identifier}
		}
	} else {
		s.Identifier = "@" + s.Domain
	}
	if s.Timestamp >= 0 && s.Expiration >= 0 && s.Expiration < s.Timestamp {
		// RFC 6376 3.5: x= MUST be greater than t=.
		return nil, &SyntaxError{Msg: "x= before t="}
	}
	if len(s.QueryMethods) > 0 {
		ok := false
		for _, q := range s.QueryMethods {
			if strings.EqualFold(q, "dns/txt") {
				ok = true
			}
		}
		if !ok {
			return nil, &SyntaxError{Msg: "no supported query method in q="}
		}
	}
	return s, nil
}

func validCanon(c Canonicalization) bool { return c == Simple || c == Relaxed }

// parseNumber parses 1*76DIGIT (RFC 6376 3.5 for l=, t=, x=); values
// beyond int64 are refused.
func parseNumber(s string) (int64, error) {
	if s == "" || len(s) > 18 {
		return 0, strconv.ErrRange
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, strconv.ErrSyntax
		}
	}
	return strconv.ParseInt(s, 10, 64)
}

// isSubdomain reports whether sub is domain or a subdomain of it,
// ignoring case and a final dot.
func isSubdomain(sub, domain string) bool {
	sub = strings.TrimSuffix(strings.ToLower(sub), ".")
	domain = strings.TrimSuffix(strings.ToLower(domain), ".")
	if sub == domain {
		return true
	}
	return strings.HasSuffix(sub, "."+domain)
}

// appendStripB appends to dst the raw field with the value of its b=
// tag removed (RFC 6376 3.7: the signature is hashed with b= empty),
// keeping every other byte, folding included.
func appendStripB(dst, raw []byte) []byte {
	i := 0
	// Skip the name and colon.
	for ; i < len(raw) && raw[i] != ':'; i++ {
	}
	if i < len(raw) {
		i++
	}
	dst = append(dst, raw[:i]...)
	for i < len(raw) {
		// At the start of a tag: find its name.
		j := i
		for j < len(raw) && raw[j] != '=' && raw[j] != ';' {
			j++
		}
		if j < len(raw) && raw[j] == '=' {
			dst = append(dst, raw[i:j+1]...)
			k := j + 1
			for k < len(raw) && raw[k] != ';' {
				k++
			}
			if !isTagB(raw[i:j]) {
				dst = append(dst, raw[j+1:k]...)
			} else {
				// Keep the line end of a field that was parsed with one.
				dst = append(dst, eolOf(raw[j+1:k])...)
			}
			i = k
		} else {
			dst = append(dst, raw[i:j]...)
			i = j
		}
		if i < len(raw) && raw[i] == ';' {
			dst = append(dst, ';')
			i++
		}
	}
	return dst
}

// isTagB reports whether a tag name, with folding whitespace around or
// inside it, is "b".
func isTagB(name []byte) bool {
	seen := false
	for _, c := range name {
		switch {
		case isFWS(c):
		case c == 'b' && !seen:
			seen = true
		default:
			return false
		}
	}
	return seen
}

func eolOf(b []byte) []byte {
	t := trimEOL(b)
	return b[len(t):]
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
