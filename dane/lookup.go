package dane

import (
	"context"
	"strconv"
	"strings"
)

// Verdict is the DNSSEC status of an answer (RFC 4033 5, RFC 4035 4.3).
type Verdict uint8

// Verdicts. The zero value, Indeterminate, is treated like Bogus.
const (
	Indeterminate Verdict = iota
	Secure
	Insecure
	Bogus
)

// String names the verdict.
func (v Verdict) String() string {
	switch v {
	case Secure:
		return "secure"
	case Insecure:
		return "insecure"
	case Bogus:
		return "bogus"
	}
	return "indeterminate"
}

// Result is a TLSA lookup's answer.
type Result struct {
	// Records are the TLSA records at the name; none for a name or type
	// that does not exist (NXDOMAIN or NODATA).
	Records []TLSA
	// Verdict is the DNSSEC status of the answer, or of the denial of
	// existence when there are no records.
	Verdict Verdict
	// Base is the TLSA base domain when the MX host name was a CNAME
	// whose chain was secure (RFC 7672 2.2.2): then TLSA records are
	// looked up at the target and Base names it. "" otherwise.
	Base string
}

// Lookup is what DANE needs from DNS: the TLSA RRset at a name with a
// DNSSEC verdict. A validating resolver satisfies it; tests use a map.
// The error is for a lookup that got no answer at all (SERVFAIL, a
// timeout); a name that does not exist is a Result without records.
type Lookup interface {
	LookupTLSA(ctx context.Context, name string) (Result, error)
}

// TLSAName is the owner name of the TLSA records for an SMTP server:
// "_25._tcp.mx.example.com" (RFC 6698 3, RFC 7672 2.2.3).
func TLSAName(host string, port uint16) string {
	return "_" + strconv.Itoa(int(port)) + "._tcp." + strings.TrimSuffix(host, ".")
}

// Action is what RFC 7672 tells an SMTP client to do with one MX host
// after its TLSA lookup.
type Action uint8

// Actions.
const (
	// NoDANE: insecure or absent TLSA records; DANE does not apply and
	// another policy (opportunistic TLS, MTA-STS) decides (RFC 7672 2.2).
	NoDANE Action = iota
	// Authenticate: secure usable records; TLS is mandatory and the
	// certificate must match them. A server that does not offer
	// STARTTLS must not get the mail in clear (RFC 7672 2.2, no
	// downgrade).
	Authenticate
	// EncryptOnly: secure records, none usable; TLS is mandatory but
	// unauthenticated (RFC 7672 2.2 and 3.1.3).
	EncryptOnly
	// Defer: the answer was bogus or indeterminate, or the lookup
	// failed; the client must not deliver to this host (RFC 7672 2.2).
	Defer
)

// String names the action.
func (a Action) String() string {
	return [...]string{"no-dane", "authenticate", "encrypt", "defer"}[a&3]
}

// Decide applies RFC 7672 2.2 to a TLSA lookup's outcome.
func Decide(res Result, err error) Action {
	if err != nil {
		return Defer
	}
	switch res.Verdict {
	case Insecure:
		return NoDANE // RFC 7672 2.2: insecure TLSA records are ignored
	case Secure:
	default:
		return Defer
	}
	if len(res.Records) == 0 {
		return NoDANE
	}
	for _, r := range res.Records {
		if r.Usable() {
			return Authenticate
		}
	}
	return EncryptOnly
}

// MapLookup is a Lookup from a map of owner name (no trailing dot, any
// case) to result; missing names are a secure denial. For tests and
// static configurations.
type MapLookup map[string]Result

// LookupTLSA implements Lookup.
func (m MapLookup) LookupTLSA(ctx context.Context, name string) (Result, error) {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	for k, v := range m {
		if strings.ToLower(strings.TrimSuffix(k, ".")) == name {
			return v, nil
		}
	}
	return Result{Verdict: Secure}, nil
}
