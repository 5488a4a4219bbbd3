package mtasts

import (
	"errors"
	"strings"
)

// Errors from the parsers; a *SyntaxError wraps one of them.
var (
	ErrNoRecord       = errors.New("mtasts: no STSv1 record")
	ErrManyRecords    = errors.New("mtasts: more than one STSv1 record")
	ErrRecordSyntax   = errors.New("mtasts: invalid TXT record")
	ErrPolicySyntax   = errors.New("mtasts: invalid policy")
	ErrReportSyntax   = errors.New("mtasts: invalid TLSRPTv1 record")
	ErrNoReportRecord = errors.New("mtasts: no TLSRPTv1 record")
)

// SyntaxError says what is wrong with a record or policy.
type SyntaxError struct {
	Err    error // one of the sentinels above
	Detail string
}

func (e *SyntaxError) Error() string { return e.Err.Error() + ": " + e.Detail }

// Unwrap returns the sentinel.
func (e *SyntaxError) Unwrap() error { return e.Err }

// Record is an _mta-sts TXT record (RFC 8461 3.1).
type Record struct {
	// ID identifies the current policy; a change means a new policy.
	ID string
	// Extensions are the other fields, in order, as "key=value".
	Extensions []string
}

// ParseRecord parses one TXT record (its strings joined).
//
//	sts-text-record = sts-version 1*(*WSP %x3B *WSP sts-field) [%x3B]
//	sts-version     = %s"v=STSv1"
//	sts-id          = %s"id=" 1*32(ALPHA / DIGIT)
func ParseRecord(txt string) (Record, error) {
	fields, err := splitTags(txt, "v=STSv1", ErrRecordSyntax)
	if err != nil {
		return Record{}, err
	}
	var r Record
	seenID := false
	for _, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" || !isExtName(k) {
			return Record{}, &SyntaxError{ErrRecordSyntax, "field " + quote(f)}
		}
		if k == "id" {
			if seenID {
				return Record{}, &SyntaxError{ErrRecordSyntax, "repeated id"}
			}
			if len(v) == 0 || len(v) > 32 || !isAlnum(v) {
				return Record{}, &SyntaxError{ErrRecordSyntax, "id " + quote(v)}
			}
			r.ID, seenID = v, true
			continue
		}
		r.Extensions = append(r.Extensions, f)
	}
	if !seenID {
		return Record{}, &SyntaxError{ErrRecordSyntax, "no id"}
	}
	return r, nil
}

// FindRecord picks the STSv1 record out of the TXT records at a name:
// records not starting with "v=STSv1" are ignored, and more than one is
// an error (RFC 8461 3.1: the domain then has no usable policy).
func FindRecord(txts []string) (Record, error) {
	return findOne(txts, "v=STSv1", ErrNoRecord, ErrManyRecords, ParseRecord)
}

func findOne[T any](txts []string, prefix string, none, many error, parse func(string) (T, error)) (T, error) {
	var zero T
	found := -1
	for i, t := range txts {
		if hasVersion(t, prefix) {
			if found >= 0 {
				return zero, many
			}
			found = i
		}
	}
	if found < 0 {
		return zero, none
	}
	return parse(txts[found])
}

// hasVersion reports whether txt starts with the version tag, followed
// by the end, a ";" or white space.
func hasVersion(txt, v string) bool {
	if !strings.HasPrefix(txt, v) {
		return false
	}
	rest := txt[len(v):]
	return rest == "" || rest[0] == ';' || rest[0] == ' ' || rest[0] == '\t'
}

// splitTags checks the leading version and splits the rest at ";",
// trimming white space around each field; a trailing ";" is allowed.
func splitTags(txt, version string, sentinel error) ([]string, error) {
	if !hasVersion(txt, version) {
		return nil, &SyntaxError{sentinel, "does not start with " + version}
	}
	rest := strings.TrimLeft(txt[len(version):], " \t")
	if rest == "" {
		return nil, nil
	}
	if rest[0] != ';' {
		return nil, &SyntaxError{sentinel, "text after version"}
	}
	parts := strings.Split(rest[1:], ";")
	out := make([]string, 0, len(parts))
	for i, p := range parts {
		p = strings.Trim(p, " \t")
		if p == "" {
			if i == len(parts)-1 {
				break // trailing ";"
			}
			return nil, &SyntaxError{sentinel, "empty field"}
		}
		out = append(out, p)
	}
	return out, nil
}

// isExtName: sts-ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
func isExtName(s string) bool {
	if len(s) > 32 || !isAlnum(s[:1]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isAlnumByte(c) && c != '_' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isAlnumByte(s[i]) {
			return false
		}
	}
	return true
}

func isAlnumByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// quote shortens and quotes hostile text for an error message.
func quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return "\"" + strings.ToValidUTF8(s, "?") + "\""
}
