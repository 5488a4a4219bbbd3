package spf

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Result is an SPF result (RFC 7208 2.6).
type Result string

// Results.
const (
	None      Result = "none"
	Neutral   Result = "neutral"
	Pass      Result = "pass"
	Fail      Result = "fail"
	SoftFail  Result = "softfail"
	TempError Result = "temperror"
	PermError Result = "permerror"
)

// Outcome is the result of a check with what led to it.
type Outcome struct {
	Result Result
	// Domain is the domain checked (the MAIL FROM domain, or the HELO
	// name for an empty reverse-path).
	Domain string
	// Mechanism is the term that matched, as written; empty when none
	// did.
	Mechanism string
	// Explanation is the expanded exp= text for a fail, or the
	// checker's DefaultExplanation.
	Explanation string
	// Err says why for temperror and permerror.
	Err error
	// Lookups and VoidLookups count the DNS-querying terms and the
	// lookups that returned nothing.
	Lookups, VoidLookups int
}

// Checker evaluates SPF. The zero value needs a Resolver.
type Checker struct {
	// Resolver answers the DNS questions. Required.
	Resolver Resolver
	// Receiver is the receiving host's domain, for the %{r} macro.
	Receiver string
	// DefaultExplanation is the explanation of a fail when the record
	// has no usable exp=.
	DefaultExplanation string
	// Now is the clock for %{t}; nil means time.Now.
	Now func() time.Time
	// MaxLookups and MaxVoidLookups default to RFC 7208 4.6.4's 10 and
	// 2; they can be lowered, not raised.
	MaxLookups, MaxVoidLookups int
}

// Check performs the MAIL FROM check of RFC 7208 2.4 for a client ip,
// the HELO/EHLO name and the reverse-path sender (without angle
// brackets; empty for the null reverse-path, in which case
// "postmaster@helo" is checked, RFC 7208 2.4).
func (c *Checker) Check(ctx context.Context, ip netip.Addr, helo, sender string) Outcome {
	if sender == "" {
		sender = "postmaster@" + helo
	}
	at := strings.LastIndexByte(sender, '@')
	domain := sender
	if at >= 0 {
		domain = sender[at+1:]
	} else {
		sender = "postmaster@" + sender
	}
	return c.CheckHost(ctx, ip, domain, sender, helo)
}

// CheckHost is check_host(ip, domain, sender) of RFC 7208 4; helo feeds
// the %{h} macro.
func (c *Checker) CheckHost(ctx context.Context, ip netip.Addr, domain, sender, helo string) Outcome {
	ip = ip.Unmap()
	local, senderDomain := "postmaster", domain
	if at := strings.LastIndexByte(sender, '@'); at >= 0 {
		if at > 0 {
			local = sender[:at]
		}
		senderDomain = sender[at+1:]
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	e := &eval{
		c:   c,
		ctx: ctx,
		env: macroEnv{
			sender: local + "@" + senderDomain, local: local, senderD: senderDomain,
			ip: ip, helo: helo, receiver: c.Receiver, now: now().Unix(),
		},
		maxLookups: 10, maxVoid: 2,
	}
	e.env.validated = func() string {
		names, _ := e.validatedNames(e.env.domain)
		if len(names) == 0 {
			return "unknown"
		}
		return names[0]
	}
	if c.MaxLookups > 0 && c.MaxLookups < 10 {
		e.maxLookups = c.MaxLookups
	}
	if c.MaxVoidLookups > 0 && c.MaxVoidLookups < 2 {
		e.maxVoid = c.MaxVoidLookups
	}
	out := Outcome{Domain: domain}
	// RFC 7208 4.3: a domain that is not a valid FQDN gives none.
	if !validDomain(domain) {
		out.Result, out.Err = None, ErrInvalidDomain
		return out
	}
	res, err := e.checkHost(domain, 0, &out)
	out.Result, out.Err = res, err
	out.Lookups, out.VoidLookups = e.lookups, e.voids
	if res == Fail && out.Explanation == "" {
		out.Explanation = c.DefaultExplanation
	}
	return out
}

// validDomain checks a domain for RFC 7208 4.3: labels of 1 to 63
// octets, at least two labels, no domain literal.
func validDomain(d string) bool {
	d = strings.TrimSuffix(d, ".")
	if d == "" || len(d) > 253 || strings.HasPrefix(d, "[") {
		return false
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return false
		}
	}
	return true
}

type eval struct {
	c          *Checker
	ctx        context.Context
	env        macroEnv
	lookups    int
	voids      int
	maxLookups int
	maxVoid    int
}

// maxDepth bounds include/redirect recursion; the lookup limit stops
// loops first, this is a second fence.
const maxDepth = 20

// checkHost evaluates the record of domain (RFC 7208 4.4 to 4.7).
func (e *eval) checkHost(domain string, depth int, out *Outcome) (Result, error) {
	if depth > maxDepth {
		return PermError, ErrTooManyLookups
	}
	rec, res, err := e.fetchRecord(domain)
	if rec == nil {
		return res, err
	}
	saved := e.env.domain
	e.env.domain = domain
	defer func() { e.env.domain = saved }()
	for _, t := range rec.Terms {
		match, err := e.match(t, domain, depth)
		if err != nil {
			var se *SyntaxError
			if errors.Is(err, ErrTempDNS) {
				return TempError, err
			}
			if errors.As(err, &se) || errors.Is(err, ErrTooManyLookups) || errors.Is(err, ErrTooManyVoidLookups) ||
				errors.Is(err, ErrNoRecord) || errors.Is(err, ErrMultipleRecords) || errors.Is(err, ErrInvalidDomain) {
				return PermError, err
			}
			return TempError, err
		}
		if !match {
			continue
		}
		if depth == 0 || out.Mechanism == "" {
			out.Mechanism = termString(t)
		}
		r := qualifierResult(t.Qualifier)
		if r == Fail && depth >= 0 && rec.Exp != "" {
			out.Explanation = e.explain(rec.Exp)
		}
		return r, nil
	}
	if rec.Redirect != "" {
		// RFC 7208 6.1: redirect applies when no mechanism matched.
		if err := e.count(); err != nil {
			return PermError, err
		}
		target, err := e.target(rec.Redirect)
		if err != nil {
			return PermError, err
		}
		if !validDomain(target) {
			return PermError, fmt.Errorf("%w: redirect=%s", ErrInvalidDomain, target)
		}
		out.Explanation = ""
		r, err := e.checkHost(target, depth+1, out)
		if r == None {
			// RFC 7208 6.1: a redirect to a domain without a record
			// is permerror.
			return PermError, fmt.Errorf("%w: %s", ErrNoRecord, target)
		}
		return r, err
	}
	// RFC 7208 4.7: no match, no redirect: neutral.
	return Neutral, nil
}

// fetchRecord finds the SPF record of domain (RFC 7208 4.4, 4.5).
func (e *eval) fetchRecord(domain string) (*Record, Result, error) {
	txts, err := e.c.Resolver.LookupTXT(e.ctx, domain)
	if err != nil {
		if IsNotFound(err) {
			return nil, None, nil
		}
		return nil, TempError, fmt.Errorf("%w: TXT %s: %v", ErrTempDNS, domain, err)
	}
	var found string
	n := 0
	for _, t := range txts {
		if IsSPF(t) {
			found = t
			n++
		}
	}
	switch n {
	case 0:
		return nil, None, nil
	case 1:
	default:
		return nil, PermError, fmt.Errorf("%w: %s", ErrMultipleRecords, domain)
	}
	rec, err := ParseRecord(found)
	if err != nil {
		return nil, PermError, err
	}
	return rec, "", nil
}

func qualifierResult(q byte) Result {
	switch q {
	case '-':
		return Fail
	case '~':
		return SoftFail
	case '?':
		return Neutral
	}
	return Pass
}

func termString(t Term) string {
	r := Record{Terms: []Term{t}}
	return strings.TrimPrefix(r.String(), "v=spf1 ")
}

// count charges one DNS-querying term (RFC 7208 4.6.4).
func (e *eval) count() error {
	e.lookups++
	if e.lookups > e.maxLookups {
		return ErrTooManyLookups
	}
	return nil
}

// void charges one lookup that returned nothing.
func (e *eval) void() error {
	e.voids++
	if e.voids > e.maxVoid {
		return ErrTooManyVoidLookups
	}
	return nil
}

// target expands a domain-spec, or returns the current domain for "".
func (e *eval) target(spec string) (string, error) {
	if spec == "" {
		return e.env.domain, nil
	}
	s, err := expand(spec, &e.env, false)
	if err != nil {
		return "", err
	}
	return truncateDomain(strings.TrimSuffix(s, ".")), nil
}

// addrs looks up the A or AAAA records of host (by the client's
// family, or always A when forceV4); not found is an empty answer.
func (e *eval) addrs(host string, forceV4 bool) ([]netip.Addr, error) {
	network := "ip4"
	if e.env.ip.Is6() && !forceV4 {
		network = "ip6"
	}
	if !validDomain(host) {
		// Not a name DNS can hold: no records (RFC 7208 4.3 applies to
		// the check's own domain; here it is simply a miss).
		return nil, nil
	}
	as, err := e.c.Resolver.LookupNetIP(e.ctx, network, host)
	if err != nil {
		if IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("%w: %s %s: %v", ErrTempDNS, network, host, err)
	}
	return as, nil
}

func (e *eval) inNet(a netip.Addr, v4, v6 int) bool {
	a = a.Unmap()
	if a.Is4() != e.env.ip.Is4() {
		return false
	}
	bits := v4
	if a.Is6() {
		bits = v6
	}
	if bits < 0 {
		return a == e.env.ip
	}
	p, err := a.Prefix(bits)
	return err == nil && p.Contains(e.env.ip)
}

// match evaluates one mechanism (RFC 7208 5).
func (e *eval) match(t Term, domain string, depth int) (bool, error) {
	switch t.Mechanism {
	case MechAll:
		return true, nil
	case MechIP4, MechIP6:
		return t.Net.Contains(e.env.ip), nil
	}
	if err := e.count(); err != nil {
		return false, err
	}
	target, err := e.target(t.Domain)
	if err != nil {
		return false, err
	}
	switch t.Mechanism {
	case MechInclude:
		if !validDomain(target) {
			return false, fmt.Errorf("%w: include:%s", ErrInvalidDomain, target)
		}
		var sub Outcome
		r, err := e.checkHost(target, depth+1, &sub)
		// RFC 7208 5.2: pass matches; fail, softfail, neutral do not;
		// temperror and permerror propagate; none is permerror.
		switch r {
		case Pass:
			return true, nil
		case Fail, SoftFail, Neutral:
			return false, nil
		case None:
			return false, fmt.Errorf("%w: %s", ErrNoRecord, target)
		default:
			return false, err
		}
	case MechA:
		as, err := e.addrs(target, false)
		if err != nil {
			return false, err
		}
		if len(as) == 0 {
			return false, e.void()
		}
		for _, a := range as {
			if e.inNet(a, t.V4Len, t.V6Len) {
				return true, nil
			}
		}
		return false, nil
	case MechMX:
		if !validDomain(target) {
			return false, e.void()
		}
		mxs, err := e.c.Resolver.LookupMX(e.ctx, target)
		if err != nil && !IsNotFound(err) {
			return false, fmt.Errorf("%w: MX %s: %v", ErrTempDNS, target, err)
		}
		if len(mxs) == 0 {
			return false, e.void()
		}
		// RFC 7208 4.6.4: no more than 10 MX names.
		if len(mxs) > 10 {
			return false, fmt.Errorf("%w: more than 10 MX names at %s", ErrTooManyLookups, target)
		}
		for _, mx := range mxs {
			as, err := e.addrs(strings.TrimSuffix(mx.Host, "."), false)
			if err != nil {
				return false, err
			}
			for _, a := range as {
				if e.inNet(a, t.V4Len, t.V6Len) {
					return true, nil
				}
			}
		}
		return false, nil
	case MechPTR:
		names, err := e.validatedNames(target)
		if err != nil {
			return false, err
		}
		for _, n := range names {
			if isSubdomain(n, target) {
				return true, nil
			}
		}
		return false, nil
	case MechExists:
		as, err := e.addrs(target, true)
		if err != nil {
			return false, err
		}
		if len(as) == 0 {
			return false, e.void()
		}
		return true, nil
	}
	return false, &SyntaxError{Msg: "unknown mechanism", Term: t.Mechanism}
}

// validatedNames returns the client's validated host names (RFC 7208
// 5.5): PTR names (at most 10) whose addresses include the client. A
// failed PTR lookup is no match, not an error; target, if in the list,
// comes first.
func (e *eval) validatedNames(target string) ([]string, error) {
	ptrs, err := e.c.Resolver.LookupAddr(e.ctx, e.env.ip.String())
	if err != nil {
		if IsNotFound(err) {
			return nil, e.void()
		}
		return nil, nil
	}
	if len(ptrs) == 0 {
		return nil, e.void()
	}
	if len(ptrs) > 10 {
		ptrs = ptrs[:10]
	}
	var out []string
	for _, p := range ptrs {
		p = strings.TrimSuffix(p, ".")
		as, err := e.addrs(p, false)
		if err != nil {
			continue // RFC 7208 5.5: errors skip this name
		}
		for _, a := range as {
			if a.Unmap() == e.env.ip {
				if target != "" && strings.EqualFold(p, target) {
					out = append([]string{p}, out...)
				} else {
					out = append(out, p)
				}
				break
			}
		}
	}
	return out, nil
}

// explain expands exp= (RFC 7208 6.2); any failure gives "".
func (e *eval) explain(spec string) string {
	target, err := e.target(spec)
	if err != nil || !validDomain(target) {
		return ""
	}
	txts, err := e.c.Resolver.LookupTXT(e.ctx, target)
	if err != nil || len(txts) != 1 {
		return ""
	}
	s, err := expand(txts[0], &e.env, true)
	if err != nil {
		return ""
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x7f {
			return "" // RFC 7208 6.2: ASCII only
		}
	}
	return s
}

// isSubdomain reports whether sub is domain or a subdomain of it.
func isSubdomain(sub, domain string) bool {
	sub = strings.ToLower(strings.TrimSuffix(sub, "."))
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	return sub == domain || strings.HasSuffix(sub, "."+domain)
}
