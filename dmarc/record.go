package dmarc

import (
	"errors"
	"strconv"
	"strings"
)

// Policy is a requested handling of failing mail (p=, sp=, np=).
type Policy string

// Policies (RFC 7489 6.3).
const (
	PolicyNone       Policy = "none"
	PolicyQuarantine Policy = "quarantine"
	PolicyReject     Policy = "reject"
)

// Alignment is a mode of identifier alignment (adkim=, aspf=).
type Alignment string

// Alignment modes (RFC 7489 3.1).
const (
	Relaxed Alignment = "r"
	Strict  Alignment = "s"
)

// URI is a reporting URI of rua= or ruf= with an optional size limit
// (RFC 7489 6.2: "mailto:a@b!10m").
type URI struct {
	URI     string
	MaxSize uint64 // bytes; 0 means no limit
}

// Record is a parsed DMARC policy record (RFC 7489 6.3).
type Record struct {
	Policy            Policy    // p=
	SubdomainPolicy   Policy    // sp=; Policy when absent
	NonexistentPolicy Policy    // np= (RFC 9091); SubdomainPolicy when absent
	Percent           int       // pct=, 0..100; 100 when absent
	ADKIM, ASPF       Alignment // default relaxed
	RUA, RUF          []URI
	FailureOptions    string // fo=; "0" when absent
	ReportFormat      string // rf=; "afrf" when absent
	ReportInterval    uint32 // ri=; 86400 when absent
	// PolicyDefaulted is set when p= was missing or invalid and the
	// record is used as p=none because rua= names a valid URI (RFC 7489
	// 6.6.3).
	PolicyDefaulted bool
}

// Errors from ParseRecord.
var (
	ErrNotDMARC = errors.New("dmarc: not a DMARC record")
	ErrSyntax   = errors.New("dmarc: malformed record")
)

// SyntaxError says which tag of a record is malformed.
type SyntaxError struct {
	Tag string
	Err error
}

func (e *SyntaxError) Error() string { return "dmarc: bad tag " + e.Tag }

// Unwrap returns ErrSyntax.
func (e *SyntaxError) Unwrap() error { return ErrSyntax }

// IsDMARC reports whether a TXT record starts with v=DMARC1 (RFC 7489
// 6.6.3: other records are discarded).
func IsDMARC(txt string) bool {
	tag, _, _ := strings.Cut(txt, ";")
	name, val, ok := strings.Cut(tag, "=")
	return ok && strings.TrimSpace(name) == "v" && strings.TrimSpace(val) == "DMARC1"
}

// ParseRecord parses a DMARC record. Unknown tags are ignored (RFC 7489
// 6.3); a malformed known tag makes the record invalid, except that a
// missing or invalid p= with a valid rua= gives p=none (6.6.3).
func ParseRecord(txt string) (*Record, error) {
	if !IsDMARC(txt) {
		return nil, ErrNotDMARC
	}
	r := &Record{Percent: 100, ADKIM: Relaxed, ASPF: Relaxed, FailureOptions: "0", ReportFormat: "afrf", ReportInterval: 86400}
	pValid := false
	spInvalid := false
	seen := map[string]bool{}
	parts := strings.Split(txt, ";")
	if len(parts) > 64 {
		return nil, &SyntaxError{Tag: "too many tags", Err: ErrSyntax}
	}
	for i, part := range parts {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		if !ok {
			return nil, &SyntaxError{Tag: part}
		}
		name, val = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(val)
		if seen[name] {
			return nil, &SyntaxError{Tag: name + " (duplicate)"}
		}
		seen[name] = true
		switch name {
		case "v":
			if i != 0 {
				return nil, &SyntaxError{Tag: "v"}
			}
		case "p":
			if p, ok := parsePolicy(val); ok {
				r.Policy, pValid = p, true
			}
		case "sp":
			if p, ok := parsePolicy(val); ok {
				r.SubdomainPolicy = p
			} else {
				spInvalid = true
			}
		case "np":
			p, ok := parsePolicy(val)
			if !ok {
				return nil, &SyntaxError{Tag: "np"}
			}
			r.NonexistentPolicy = p
		case "pct":
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 || n > 100 {
				return nil, &SyntaxError{Tag: "pct"}
			}
			r.Percent = n
		case "adkim", "aspf":
			a := Alignment(strings.ToLower(val))
			if a != Relaxed && a != Strict {
				return nil, &SyntaxError{Tag: name}
			}
			if name == "adkim" {
				r.ADKIM = a
			} else {
				r.ASPF = a
			}
		case "rua", "ruf":
			uris, err := parseURIs(val)
			if err != nil {
				return nil, &SyntaxError{Tag: name}
			}
			if name == "rua" {
				r.RUA = uris
			} else {
				r.RUF = uris
			}
		case "fo":
			for _, o := range strings.Split(val, ":") {
				switch strings.TrimSpace(o) {
				case "0", "1", "d", "s":
				default:
					return nil, &SyntaxError{Tag: "fo"}
				}
			}
			r.FailureOptions = val
		case "rf":
			r.ReportFormat = val
		case "ri":
			n, err := strconv.ParseUint(val, 10, 32)
			if err != nil {
				return nil, &SyntaxError{Tag: "ri"}
			}
			r.ReportInterval = uint32(n)
		}
	}
	if !pValid || spInvalid {
		// RFC 7489 6.6.3.
		if len(r.RUA) == 0 {
			return nil, &SyntaxError{Tag: "p"}
		}
		r.Policy, r.SubdomainPolicy, r.PolicyDefaulted = PolicyNone, "", true
	}
	if r.SubdomainPolicy == "" {
		r.SubdomainPolicy = r.Policy
	}
	if r.NonexistentPolicy == "" {
		r.NonexistentPolicy = r.SubdomainPolicy
	}
	return r, nil
}

func parsePolicy(s string) (Policy, bool) {
	switch p := Policy(strings.ToLower(s)); p {
	case PolicyNone, PolicyQuarantine, PolicyReject:
		return p, true
	}
	return "", false
}

// parseURIs parses a comma-separated list of DMARC URIs (RFC 7489 6.4):
// URI [ "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] ].
func parseURIs(s string) ([]URI, error) {
	var out []URI
	for _, u := range strings.Split(s, ",") {
		u = strings.TrimSpace(u)
		if u == "" {
			return nil, ErrSyntax
		}
		var size uint64
		if i := strings.LastIndexByte(u, '!'); i >= 0 {
			num := u[i+1:]
			mult := uint64(1)
			if num != "" {
				switch num[len(num)-1] | 0x20 {
				case 'k':
					mult = 1 << 10
				case 'm':
					mult = 1 << 20
				case 'g':
					mult = 1 << 30
				case 't':
					mult = 1 << 40
				}
				if mult != 1 {
					num = num[:len(num)-1]
				}
			}
			n, err := strconv.ParseUint(num, 10, 32)
			if err != nil || n*mult/mult != n {
				return nil, ErrSyntax
			}
			size, u = n*mult, u[:i]
		}
		// RFC 7489 6.2: a "!" (or ",") inside the URI itself must be
		// written %21 (%2C), so only the last "!" starts a size limit.
		// A URI (RFC 3986 2) holds no space or control character, also
		// not before the size limit ("a:b\f!10").
		scheme, rest, ok := strings.Cut(u, ":")
		if !ok || scheme == "" || rest == "" || strings.ContainsFunc(u, func(c rune) bool {
			return c <= ' ' || c == 0x7f || c == '!'
		}) {
			return nil, ErrSyntax
		}
		out = append(out, URI{URI: u, MaxSize: size})
		if len(out) > 32 {
			return nil, ErrSyntax
		}
	}
	return out, nil
}

// String formats the record with every tag that differs from its
// default.
func (r *Record) String() string {
	var b strings.Builder
	b.WriteString("v=DMARC1; p=" + string(r.Policy))
	if r.SubdomainPolicy != "" && r.SubdomainPolicy != r.Policy {
		b.WriteString("; sp=" + string(r.SubdomainPolicy))
	}
	if r.NonexistentPolicy != "" && r.NonexistentPolicy != r.SubdomainPolicy {
		b.WriteString("; np=" + string(r.NonexistentPolicy))
	}
	if r.Percent != 100 {
		b.WriteString("; pct=" + strconv.Itoa(r.Percent))
	}
	if r.ADKIM == Strict {
		b.WriteString("; adkim=s")
	}
	if r.ASPF == Strict {
		b.WriteString("; aspf=s")
	}
	for _, l := range []struct {
		tag  string
		uris []URI
	}{{"rua", r.RUA}, {"ruf", r.RUF}} {
		if len(l.uris) == 0 {
			continue
		}
		b.WriteString("; " + l.tag + "=")
		for i, u := range l.uris {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(u.URI)
			if u.MaxSize > 0 {
				b.WriteString("!" + strconv.FormatUint(u.MaxSize, 10))
			}
		}
	}
	if r.FailureOptions != "" && r.FailureOptions != "0" {
		b.WriteString("; fo=" + r.FailureOptions)
	}
	if r.ReportFormat != "" && r.ReportFormat != "afrf" {
		b.WriteString("; rf=" + r.ReportFormat)
	}
	if r.ReportInterval != 0 && r.ReportInterval != 86400 {
		b.WriteString("; ri=" + strconv.FormatUint(uint64(r.ReportInterval), 10))
	}
	return b.String()
}
