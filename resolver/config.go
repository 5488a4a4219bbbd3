package resolver

import (
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// Config configures a Resolver. Its zero value resolves from the real root
// servers over IPv4 with the defaults documented on each field.
type Config struct {
	// RootHints are the addresses of the root name servers to start
	// from (RFC 8109 priming refreshes them). Default: the IPv4 (and, if
	// IPv6 is set, IPv6) addresses of a.root-servers.net through
	// m.root-servers.net on port 53.
	RootHints []netip.AddrPort

	// Forwarders, if set, turns the resolver into a forwarder: every
	// question is sent, with RD set, to these upstream recursive
	// servers (picked by smoothed RTT, the others tried when one fails
	// or answers SERVFAIL or REFUSED) instead of being resolved from
	// the root; answers share the same cache, scrubber and counters.
	// RootHints, GluePort and QNAME minimisation are then unused.
	// Forwarders are used as given, even on loopback (a local Unbound).
	Forwarders []netip.AddrPort

	// GluePort is the port used for every name server address the
	// resolver learns (from glue or by resolving a name server's name).
	// Default 53. Tests run a whole hierarchy on loopback at a high port.
	GluePort uint16

	// IPv6 lets the resolver send queries to IPv6 name server
	// addresses. Default false: IPv4 only, which works on every host.
	IPv6 bool

	// AllowSpecialAddrs lets the resolver send queries to name server
	// addresses in special-purpose ranges (RFC 6890): loopback
	// (127.0.0.0/8, ::1), "this network" (0.0.0.0/8, ::), link-local,
	// multicast and 240.0.0.0/4. Default false: glue or an address
	// record pointing there is not queried (the local network is not
	// the Internet; Unbound's do-not-query-localhost). Labs and tests
	// on loopback set it. Root hints are always used as given.
	AllowSpecialAddrs bool

	// Transport sends queries. Default NetTransport{}.
	Transport Transport

	// Now is the clock. Default time.Now. Tests pass a simulated clock
	// (with a Transport that advances it) to run retries and expiry
	// without waiting.
	Now func() time.Time

	// CacheBytes bounds the cache's memory (approximately). Default
	// 64 MiB.
	CacheBytes int

	// MinTTL and MaxTTL clamp the TTL of cached RRsets. Default 0 and
	// 1 day (Unbound's cache-max-ttl).
	MinTTL, MaxTTL time.Duration

	// MaxNegativeTTL caps the TTL of cached NXDOMAIN and NODATA answers.
	// Default 1 hour (RFC 2308 5 suggests one to three hours).
	MaxNegativeTTL time.Duration

	// ServFailTTL is how long a failed resolution is remembered and
	// answered from cache (RFC 9520 3.2: at least 1 second, at most 5
	// minutes). Default 5 seconds. Negative disables.
	ServFailTTL time.Duration

	// ServeStale enables RFC 8767: when a resolution fails, an expired
	// answer no older than MaxStale is returned with a TTL of 30 s.
	ServeStale bool
	// MaxStale is how long expired data is kept for ServeStale. Default
	// 1 day (RFC 8767 5 suggests one to three days).
	MaxStale time.Duration

	// DisableQNAMEMinimisation sends the full name to every server
	// instead of one label more than the zone cut (RFC 9156).
	DisableQNAMEMinimisation bool
	// Disable0x20 turns off random letter case in query names
	// (draft-vixie-dnsext-dns0x20).
	Disable0x20 bool

	// EDNSBufferSize is the UDP payload size advertised (RFC 6891).
	// Default 1232 (DNS Flag Day 2020).
	EDNSBufferSize uint16

	// MaxQueriesPerQuestion caps upstream sends for one question
	// (Unbound's MAX_SENT_COUNT, 32). MaxQueries caps sends for one
	// resolution with all its dependent lookups (Unbound's
	// MAX_GLOBAL_QUOTA, 200).
	MaxQueriesPerQuestion, MaxQueries int
	// MaxGlueless caps the glueless name servers whose addresses are
	// looked up for one referral (Knot Resolver's NXNS fix, 5).
	MaxGlueless int
	// MaxDependencyDepth caps nested glueless lookups (a lookup for a
	// name server's address that itself needs a name server's address).
	// Default 4.
	MaxDependencyDepth int
	// MaxReferrals caps the referrals followed for one question.
	// Default 30.
	MaxReferrals int
	// MaxCNAME caps the CNAME chain length. Default 11 (Unbound's
	// MAX_RESTART_COUNT).
	MaxCNAME int
	// Timeout is the overall deadline for one resolution. Default 10 s.
	Timeout time.Duration

	// DeadTime is how long a server that timed out repeatedly is
	// avoided, and LameTime how long a server lame for a zone is
	// avoided for it. Defaults 60 s and 15 minutes.
	DeadTime, LameTime time.Duration

	// DNSSEC turns on validation (RFC 4033, 4034, 4035, 5155, 6840):
	// queries carry DO (and CD to forwarders), every answer is checked
	// along the chain of trust from TrustAnchors, fetching and caching
	// the DS and DNSKEY RRsets of every zone cut on the way, and
	// Result.Security says secure, insecure or indeterminate. A bogus
	// answer is never returned: Resolve fails with ErrServFail whose
	// reason is a *BogusError (errors.Is(err, ErrBogus)). Default false
	// (no validation, as before).
	DNSSEC bool
	// TrustAnchors are DS or DNSKEY records of the zones validation
	// starts from. Default RootAnchors() (the root KSKs 20326 and
	// 38696). Labs and tests give their own root's or zone's DS.
	TrustAnchors []dnswire.RR
	// ValidationLimits bound the work one answer's validation may cost
	// (the KeyTrap and NSEC3 defences); zero fields take the defaults.
	ValidationLimits ValidationLimits

	// Logger receives debug logs; nil is silent.
	Logger *slog.Logger
}

// rootHints4 and rootHints6 are the root server addresses, a through m
// (IANA root hints file, named.root, 2024 edition).
const (
	rootHints4 = "198.41.0.4 170.247.170.2 192.33.4.12 199.7.91.13 " +
		"192.203.230.10 192.5.5.241 192.112.36.4 198.97.190.53 " +
		"192.36.148.17 192.58.128.30 193.0.14.129 199.7.83.42 202.12.27.33"
	rootHints6 = "2001:503:ba3e::2:30 2801:1b8:10::b 2001:500:2::c 2001:500:2d::d " +
		"2001:500:a8::e 2001:500:2f::f 2001:500:12::d0d 2001:500:1::53 " +
		"2001:7fe::53 2001:503:c27::2:30 2001:7fd::1 2001:500:9f::42 2001:dc3::35"
)

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	if len(c.RootHints) == 0 {
		hints := rootHints4
		if c.IPv6 {
			hints += " " + rootHints6
		}
		for _, s := range strings.Fields(hints) {
			c.RootHints = append(c.RootHints, netip.AddrPortFrom(netip.MustParseAddr(s), 53))
		}
	}
	if c.GluePort == 0 {
		c.GluePort = 53
	}
	if c.Transport == nil {
		c.Transport = NetTransport{}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.CacheBytes <= 0 {
		c.CacheBytes = 64 << 20
	}
	if c.MaxTTL <= 0 {
		c.MaxTTL = 24 * time.Hour
	}
	if c.MaxNegativeTTL <= 0 {
		c.MaxNegativeTTL = time.Hour
	}
	if c.ServFailTTL == 0 {
		c.ServFailTTL = 5 * time.Second
	}
	if c.ServFailTTL > 5*time.Minute {
		c.ServFailTTL = 5 * time.Minute // RFC 9520 3.2
	}
	if c.MaxStale <= 0 {
		c.MaxStale = 24 * time.Hour
	}
	if c.EDNSBufferSize == 0 {
		c.EDNSBufferSize = 1232
	}
	if c.EDNSBufferSize < 512 {
		c.EDNSBufferSize = 512 // RFC 6891 6.2.5
	}
	setDefault(&c.MaxQueriesPerQuestion, 32)
	setDefault(&c.MaxQueries, 200)
	setDefault(&c.MaxGlueless, 5)
	setDefault(&c.MaxDependencyDepth, 4)
	setDefault(&c.MaxReferrals, 30)
	setDefault(&c.MaxCNAME, 11)
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.DeadTime <= 0 {
		c.DeadTime = time.Minute
	}
	if c.LameTime <= 0 {
		c.LameTime = 15 * time.Minute
	}
	return c
}

func setDefault(p *int, v int) {
	if *p <= 0 {
		*p = v
	}
}
