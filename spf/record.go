package spf

import (
	"net/netip"
	"strconv"
	"strings"
)

// Mechanism names (RFC 7208 5).
const (
	MechAll     = "all"
	MechInclude = "include"
	MechA       = "a"
	MechMX      = "mx"
	MechPTR     = "ptr"
	MechIP4     = "ip4"
	MechIP6     = "ip6"
	MechExists  = "exists"
)

// Term is one directive of an SPF record: a qualifier and a mechanism.
type Term struct {
	// Qualifier is '+', '-', '~' or '?' (RFC 7208 4.6.2); '+' when
	// not written.
	Qualifier byte
	// Mechanism is one of the Mech constants.
	Mechanism string
	// Domain is the domain-spec (macros unexpanded) of include, a, mx,
	// ptr and exists; empty means the current domain.
	Domain string
	// Net is the network of ip4 and ip6.
	Net netip.Prefix
	// V4Len and V6Len are the CIDR lengths of a and mx; -1 when not
	// written (a full-length match). Other mechanisms ignore them.
	V4Len, V6Len int
}

// Modifier is a name=value term other than redirect and exp (RFC 7208
// 6: unknown modifiers are ignored).
type Modifier struct {
	Name, Value string
}

// Record is a parsed SPF record.
type Record struct {
	Terms     []Term
	Redirect  string // redirect= domain-spec, empty if absent
	Exp       string // exp= domain-spec, empty if absent
	Modifiers []Modifier
}

// maxTerms bounds the terms of one record; a record is at most a few
// hundred bytes in practice (one DNS answer), so a longer one is hostile.
const maxTerms = 512

// IsSPF reports whether a TXT record is an SPF record: "v=spf1"
// followed by a space or nothing (RFC 7208 4.5).
func IsSPF(txt string) bool {
	if len(txt) < 6 || !strings.EqualFold(txt[:6], "v=spf1") {
		return false
	}
	return len(txt) == 6 || txt[6] == ' '
}

// ParseRecord parses an SPF record, "v=spf1" included.
func ParseRecord(txt string) (*Record, error) {
	if !IsSPF(txt) {
		return nil, &SyntaxError{Msg: "not an SPF record"}
	}
	for i := 0; i < len(txt); i++ {
		// RFC 7208 3.1 and 4.6.1: ASCII only, terms separated by SP.
		if txt[i] >= 0x7f || txt[i] < ' ' {
			return nil, &SyntaxError{Msg: "non-ASCII or control character in record"}
		}
	}
	// Terms are separated by SP: size the list once, bounded by
	// maxTerms whatever the record claims.
	r := &Record{Terms: make([]Term, 0, min(strings.Count(txt, " "), maxTerms))}
	for t := range strings.SplitSeq(txt[6:], " ") {
		if t == "" {
			continue
		}
		if len(r.Terms)+len(r.Modifiers) >= maxTerms {
			return nil, &SyntaxError{Msg: "too many terms"}
		}
		if err := r.parseTerm(t); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func (r *Record) parseTerm(t string) error {
	// A modifier is name "=" macro-string, where name starts with a
	// letter (RFC 7208 12).
	if i := strings.IndexAny(t, "=:/"); i > 0 && t[i] == '=' {
		name, value := t[:i], t[i+1:]
		if !isModifierName(name) {
			return &SyntaxError{Msg: "bad modifier name", Term: t}
		}
		switch strings.ToLower(name) {
		case "redirect", "exp":
			// RFC 7208 6: they MUST NOT appear more than once.
			if err := checkDomainSpec(value); err != nil {
				return err
			}
			if strings.EqualFold(name, "redirect") {
				if r.Redirect != "" {
					return &SyntaxError{Msg: "duplicate redirect", Term: t}
				}
				r.Redirect = value
			} else {
				if r.Exp != "" {
					return &SyntaxError{Msg: "duplicate exp", Term: t}
				}
				r.Exp = value
			}
		default:
			if err := checkMacroString(value, false); err != nil {
				return err
			}
			r.Modifiers = append(r.Modifiers, Modifier{name, value})
		}
		return nil
	}
	d := Term{Qualifier: '+', V4Len: -1, V6Len: -1}
	switch t[0] {
	case '+', '-', '~', '?':
		d.Qualifier = t[0]
		t = t[1:]
	}
	name, arg, hasArg := t, "", false
	if i := strings.IndexAny(t, ":/"); i >= 0 {
		name, arg = t[:i], t[i:]
		hasArg = true
	}
	d.Mechanism = strings.ToLower(name)
	switch d.Mechanism {
	case MechAll:
		if hasArg {
			return &SyntaxError{Msg: "all takes no argument", Term: t}
		}
	case MechInclude, MechExists:
		if !strings.HasPrefix(arg, ":") {
			return &SyntaxError{Msg: "missing domain", Term: t}
		}
		d.Domain = arg[1:]
		if err := checkDomainSpec(d.Domain); err != nil {
			return err
		}
	case MechA, MechMX:
		var err error
		arg, d.V4Len, d.V6Len, err = cutDualCIDR(arg)
		if err != nil {
			return &SyntaxError{Msg: "bad CIDR length", Term: t}
		}
		if arg != "" {
			if arg[0] != ':' {
				return &SyntaxError{Msg: "bad mechanism", Term: t}
			}
			d.Domain = arg[1:]
			if err := checkDomainSpec(d.Domain); err != nil {
				return err
			}
		}
	case MechPTR:
		if hasArg {
			if arg[0] != ':' {
				return &SyntaxError{Msg: "bad mechanism", Term: t}
			}
			d.Domain = arg[1:]
			if err := checkDomainSpec(d.Domain); err != nil {
				return err
			}
		}
	case MechIP4, MechIP6:
		if !strings.HasPrefix(arg, ":") {
			return &SyntaxError{Msg: "missing network", Term: t}
		}
		ip, bits := arg[1:], ""
		if i := strings.IndexByte(ip, '/'); i >= 0 {
			ip, bits = ip[:i], ip[i+1:]
		}
		a, err := netip.ParseAddr(ip)
		if err != nil || a.Zone() != "" || a.Is4() != (d.Mechanism == MechIP4) {
			return &SyntaxError{Msg: "bad address", Term: t}
		}
		n := a.BitLen()
		if bits != "" || strings.Contains(arg, "/") {
			if n, err = parseCIDR(bits, a.BitLen()); err != nil {
				return &SyntaxError{Msg: "bad CIDR length", Term: t}
			}
		}
		d.Net, _ = a.Prefix(n)
	default:
		return &SyntaxError{Msg: "unknown mechanism", Term: t}
	}
	r.Terms = append(r.Terms, d)
	return nil
}

// cutDualCIDR removes a dual-cidr-length ("/24", "//64", "/24//64") from
// the end of s (RFC 7208 5.6).
func cutDualCIDR(s string) (rest string, v4, v6 int, err error) {
	v4, v6 = -1, -1
	if i := strings.LastIndex(s, "//"); i >= 0 && isDigits(s[i+2:]) {
		if v6, err = parseCIDR(s[i+2:], 128); err != nil {
			return
		}
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '/'); i >= 0 && isDigits(s[i+1:]) {
		if v4, err = parseCIDR(s[i+1:], 32); err != nil {
			return
		}
		s = s[:i]
	}
	if strings.HasSuffix(s, "/") {
		err = &SyntaxError{Msg: "bad CIDR length"}
	}
	return s, v4, v6, err
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseCIDR parses a CIDR length: no leading zeros, at most max (RFC 7208
// 5.6).
func parseCIDR(s string, max int) (int, error) {
	if !isDigits(s) || len(s) > 3 || (len(s) > 1 && s[0] == '0') {
		return 0, strconv.ErrSyntax
	}
	n, _ := strconv.Atoi(s)
	if n > max {
		return 0, strconv.ErrRange
	}
	return n, nil
}

func isModifierName(s string) bool {
	// name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )
	for i := 0; i < len(s); i++ {
		c := s[i]
		alpha := 'A' <= c&^0x20 && c&^0x20 <= 'Z'
		if !alpha && (i == 0 || !('0' <= c && c <= '9' || c == '-' || c == '_' || c == '.')) {
			return false
		}
	}
	return s != ""
}

// checkDomainSpec checks domain-spec = macro-string domain-end, where
// domain-end = ( "." toplabel [ "." ] ) / macro-expand (RFC 7208 7.1).
func checkDomainSpec(s string) error {
	if err := checkMacroString(s, false); err != nil {
		return err
	}
	if s == "" {
		return &SyntaxError{Msg: "empty domain-spec"}
	}
	if strings.HasSuffix(s, "}") || strings.HasSuffix(s, "%_") ||
		strings.HasSuffix(s, "%-") || strings.HasSuffix(s, "%%") {
		// Ends with a macro-expand. (A literal "}" cannot end a
		// toplabel either, so this is right for both.)
		if strings.HasSuffix(s, "}") && !strings.Contains(s, "%{") {
			return &SyntaxError{Msg: "bad domain-spec", Term: s}
		}
		return nil
	}
	t := strings.TrimSuffix(s, ".")
	i := strings.LastIndexByte(t, '.')
	if i < 0 {
		return &SyntaxError{Msg: "domain-spec without a top label", Term: s}
	}
	if !isTopLabel(t[i+1:]) {
		return &SyntaxError{Msg: "bad top label", Term: s}
	}
	return nil
}

// isTopLabel: toplabel = ( *alphanum ALPHA *alphanum ) /
// ( 1*alphanum "-" *( alphanum / "-" ) alphanum ) (RFC 7208 7.1).
func isTopLabel(s string) bool {
	if s == "" {
		return false
	}
	alpha, digitsOnly := false, true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c|0x20 && c|0x20 <= 'z':
			alpha, digitsOnly = true, false
		case '0' <= c && c <= '9':
		case c == '-':
			digitsOnly = false
			if i == 0 || i == len(s)-1 {
				return false
			}
		default:
			return false
		}
	}
	return alpha || !digitsOnly
}

// String formats the record in canonical form: "v=spf1", the terms,
// then redirect, exp and other modifiers.
func (r *Record) String() string {
	var b strings.Builder
	b.WriteString("v=spf1")
	for _, t := range r.Terms {
		b.WriteByte(' ')
		if t.Qualifier != '+' && t.Qualifier != 0 {
			b.WriteByte(t.Qualifier)
		}
		b.WriteString(t.Mechanism)
		switch t.Mechanism {
		case MechIP4, MechIP6:
			b.WriteString(":" + t.Net.Addr().String())
			if t.Net.Bits() != t.Net.Addr().BitLen() {
				b.WriteString("/" + strconv.Itoa(t.Net.Bits()))
			}
		default:
			if t.Domain != "" {
				b.WriteString(":" + t.Domain)
			}
			if t.Mechanism != MechA && t.Mechanism != MechMX {
				continue
			}
			if t.V4Len >= 0 {
				b.WriteString("/" + strconv.Itoa(t.V4Len))
			}
			if t.V6Len >= 0 {
				b.WriteString("//" + strconv.Itoa(t.V6Len))
			}
		}
	}
	if r.Redirect != "" {
		b.WriteString(" redirect=" + r.Redirect)
	}
	if r.Exp != "" {
		b.WriteString(" exp=" + r.Exp)
	}
	for _, m := range r.Modifiers {
		b.WriteString(" " + m.Name + "=" + m.Value)
	}
	return b.String()
}
