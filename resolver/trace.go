package resolver

import (
	"net/netip"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// Step is one upstream exchange of a traced resolution (ResolveTrace).
type Step struct {
	// Server is the address asked; Zone is the zone it was asked as a
	// server of (the closest zone cut known for the name).
	Server netip.AddrPort
	Zone   dnswire.Name
	// Question is the question sent: with QNAME minimisation (RFC 9156)
	// an ancestor of the name asked and type A; with 0x20, in mixed case.
	Question dnswire.Question
	// Network is "udp" or "tcp"; EDNS reports whether an OPT was sent.
	Network string
	EDNS    bool
	// RTT is the time from send to response (or to giving up), on the
	// resolver's clock.
	RTT time.Duration
	// Response is the response as received, before scrubbing; nil if
	// Err is set.
	Response *dnswire.Msg
	// Err is why there was no usable response (a timeout, a network
	// error, a malformed or mismatched response).
	Err error
	// Depth is the nesting of the lookup this step belongs to: 0 for the
	// name asked, 1 for a glueless name server's address, and so on.
	Depth int
}
