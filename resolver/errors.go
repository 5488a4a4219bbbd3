package resolver

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/relaykit/relaykit/dnswire"
)

// sentinel is the type of the package's error constants: constants, so
// no one can reassign them (CONVENTIONS 7).
type sentinel string

func (e sentinel) Error() string { return string(e) }

// Sentinel errors. A failed resolution returns an *Error whose Is method
// matches exactly one of ErrNXDomain, ErrNoData, ErrYXDomain or
// ErrServFail (its Kind),
// and whose Unwrap returns the reason (one of the Err* reasons below, a
// context error, or a transport error).
const (
	// ErrNXDomain: the name does not exist (RCODE 3, RFC 1035 4.1.1).
	ErrNXDomain = sentinel("resolver: name does not exist (NXDOMAIN)")
	// ErrNoData: the name exists but has no records of the type asked
	// (NOERROR with an empty answer, RFC 2308 2.2).
	ErrNoData = sentinel("resolver: no records of that type (NODATA)")
	// ErrServFail: the resolution failed; the *Error's Reason says why.
	ErrServFail = sentinel("resolver: server failure (SERVFAIL)")
	// ErrYXDomain: a DNAME substitution made a name longer than 255
	// octets (RCODE 6, RFC 6672 2.2); Result holds the DNAME.
	ErrYXDomain = sentinel("resolver: name too long after DNAME substitution (YXDOMAIN)")

	// Reasons for ErrServFail.

	// ErrQueryBudget: the cap on upstream queries for one question (or
	// for one resolution with all its dependent lookups) was reached.
	ErrQueryBudget = sentinel("resolver: upstream query budget exhausted")
	// ErrReferralDepth: more referrals than Config.MaxReferrals.
	ErrReferralDepth = sentinel("resolver: too many referrals")
	// ErrReferralLoop: a referral did not move closer to the name asked.
	ErrReferralLoop = sentinel("resolver: referral loop")
	// ErrCNAMELoop: a CNAME chain came back to a name already in it.
	ErrCNAMELoop = sentinel("resolver: CNAME loop")
	// ErrCNAMEChain: a CNAME chain longer than Config.MaxCNAME.
	ErrCNAMEChain = sentinel("resolver: CNAME chain too long")
	// ErrGlueless: no name server address could be found within the cap
	// on glueless name servers chased per referral and dependency depth.
	ErrGlueless = sentinel("resolver: no name server address (glueless lookup limit)")
	// ErrNoReachable: every name server for the zone timed out, failed or
	// was lame.
	ErrNoReachable = sentinel("resolver: no reachable authority")
	// ErrDeadline: the overall deadline for the resolution passed.
	ErrDeadline = sentinel("resolver: resolution deadline exceeded")
	// ErrUpstreamServFail: the authoritative servers answered SERVFAIL,
	// REFUSED or garbage.
	ErrUpstreamServFail = sentinel("resolver: upstream servers failed")
	// ErrCachedFailure: a recent failure for the same question is cached
	// (RFC 9520); the resolver did not ask again.
	ErrCachedFailure = sentinel("resolver: cached resolution failure")
	// ErrBadName: the name asked is not a valid domain name.
	ErrBadName = sentinel("resolver: invalid name")
	// ErrClosed: the transport or server was closed.
	ErrClosed = sentinel("resolver: closed")
	// ErrMismatch is returned by a Transport for a TCP response that does
	// not match the query (ID or question); over UDP a mismatched
	// datagram is ignored and the transport keeps waiting instead.
	ErrMismatch = sentinel("resolver: response does not match query")
)

// Error describes a failed resolution.
type Error struct {
	Kind   error        // ErrNXDomain, ErrNoData, ErrYXDomain or ErrServFail
	Name   string       // the name asked, in presentation format
	Type   dnswire.Type // the type asked
	Reason error        // why; nil for NXDOMAIN and NODATA
}

func (e *Error) Error() string {
	if e.Reason != nil {
		return fmt.Sprintf("%s: %s %v: %v", e.Kind.Error(), e.Name, e.Type, e.Reason)
	}
	return fmt.Sprintf("%s: %s %v", e.Kind.Error(), e.Name, e.Type)
}

// Is reports whether target is e's Kind.
func (e *Error) Is(target error) bool { return target == e.Kind }

// NotFound reports whether the name or the records asked for do not
// exist (NXDOMAIN or NODATA), as opposed to a failure to find out
// (SERVFAIL, YXDOMAIN). It is the method the spf, dkim and dmarc
// packages' IsNotFound look for, so a *Resolver's lookups satisfy
// their resolver interfaces through a thin adapter.
func (e *Error) NotFound() bool { return e.Kind == ErrNXDomain || e.Kind == ErrNoData }

// Timeout reports whether the resolution failed because servers did not
// answer in time or the overall deadline passed (net.Error's meaning).
func (e *Error) Timeout() bool {
	return e.Kind == ErrServFail && (errors.Is(e.Reason, ErrDeadline) ||
		errors.Is(e.Reason, context.DeadlineExceeded) || errors.Is(e.Reason, os.ErrDeadlineExceeded))
}

// Unwrap returns the reason for a server failure.
func (e *Error) Unwrap() error { return e.Reason }
