package mtasts

import (
	"strconv"
	"strings"
)

// Mode is a policy's mode (RFC 8461 5).
type Mode uint8

// Modes.
const (
	ModeNone    Mode = iota // no policy in force
	ModeTesting             // report failures but deliver anyway
	ModeEnforce             // do not deliver unless an MX matches and TLS authenticates
)

// String returns the policy file's name for the mode.
func (m Mode) String() string {
	switch m {
	case ModeTesting:
		return "testing"
	case ModeEnforce:
		return "enforce"
	}
	return "none"
}

// MaxMaxAge is the largest max_age a policy may give, about a year (RFC
// 8461 3.2).
const MaxMaxAge = 31557600

// Policy is a parsed MTA-STS policy (RFC 8461 3.2).
type Policy struct {
	Mode Mode
	// MX are the mx patterns: host names, or "*." and a domain for any
	// one label in front of it.
	MX []string
	// MaxAge is max_age in seconds.
	MaxAge int64
	// ID is the id of the TXT record the policy was fetched for; the
	// parser leaves it empty and Cache fills it in.
	ID string
	// Text is the policy as served, for TLS-RPT's policy-string.
	Text string
}

// maxPolicyLines bounds the lines ParsePolicy looks at (64 KiB of
// single-character lines would otherwise mean 32 Ki fields).
const maxPolicyLines = 1000

// ParsePolicy parses a policy file:
//
//	sts-policy-record = *WSP sts-policy-field *WSP
//	                    *(sts-policy-term *WSP sts-policy-field *WSP)
//	                    [sts-policy-term]
//	sts-policy-field  = sts-policy-key ":" *WSP sts-policy-value
//
// version must be "STSv1"; mode, and max_age up to MaxMaxAge, are
// required; mx is required unless the mode is none. Unknown fields are
// ignored; of a repeated field other than mx the first counts.
func ParsePolicy(b []byte) (*Policy, error) {
	p := &Policy{Text: string(b)}
	seen := map[string]bool{}
	lines := strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
	if n := len(lines); n > 0 && lines[n-1] == "" {
		lines = lines[:n-1] // the optional final sts-policy-term
	}
	if len(lines) > maxPolicyLines {
		return nil, &SyntaxError{ErrPolicySyntax, "too many lines"}
	}
	for _, l := range lines {
		l = strings.Trim(l, " \t")
		if l == "" {
			continue
		}
		k, v, ok := strings.Cut(l, ":")
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return nil, &SyntaxError{ErrPolicySyntax, "line " + quote(l)}
		}
		v = strings.Trim(v, " \t")
		if k == "mx" {
			if !validPattern(v) {
				return nil, &SyntaxError{ErrPolicySyntax, "mx " + quote(v)}
			}
			p.MX = append(p.MX, strings.ToLower(strings.TrimSuffix(v, ".")))
			continue
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		switch k {
		case "version":
			if v != "STSv1" {
				return nil, &SyntaxError{ErrPolicySyntax, "version " + quote(v)}
			}
		case "mode":
			switch v {
			case "enforce":
				p.Mode = ModeEnforce
			case "testing":
				p.Mode = ModeTesting
			case "none":
				p.Mode = ModeNone
			default:
				return nil, &SyntaxError{ErrPolicySyntax, "mode " + quote(v)}
			}
		case "max_age":
			// max_age = 1*10DIGIT, at most 31557600.
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || len(v) > 10 || v[0] == '+' || v[0] == '-' || n > MaxMaxAge {
				return nil, &SyntaxError{ErrPolicySyntax, "max_age " + quote(v)}
			}
			p.MaxAge = n
		}
	}
	switch {
	case !seen["version"]:
		return nil, &SyntaxError{ErrPolicySyntax, "no version"}
	case !seen["mode"]:
		return nil, &SyntaxError{ErrPolicySyntax, "no mode"}
	case !seen["max_age"]:
		return nil, &SyntaxError{ErrPolicySyntax, "no max_age"}
	case len(p.MX) == 0 && p.Mode != ModeNone:
		return nil, &SyntaxError{ErrPolicySyntax, "no mx"}
	}
	return p, nil
}

// validPattern checks an mx value: a domain name, optionally with "*." in
// front (RFC 8461 3.2: sts-policy-mx-value = ["*."] Domain).
func validPattern(v string) bool {
	v = strings.TrimPrefix(v, "*.")
	v = strings.TrimSuffix(v, ".")
	if v == "" || len(v) > 253 {
		return false
	}
	for _, label := range strings.Split(v, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			if c := label[i]; !isAlnumByte(c) && c != '-' && c != '_' {
				return false
			}
		}
	}
	return true
}

// Match reports whether the MX host is listed by the policy (RFC 8461
// 4.1): an exact match, case-insensitive, or a "*.domain" pattern with
// exactly one label in place of the "*".
func (p *Policy) Match(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, pat := range p.MX {
		if rest, ok := strings.CutPrefix(pat, "*."); ok {
			label, parent, found := strings.Cut(host, ".")
			if found && label != "" && parent == rest {
				return true
			}
			continue
		}
		if pat == host {
			return true
		}
	}
	return false
}
