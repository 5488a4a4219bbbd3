package resolver

import (
	"context"
	"errors"
	"net/netip"
	"sync"

	"github.com/relaykit/relaykit/dnswire"
)

// RR is a resource record (dnswire's type).
type RR = dnswire.RR

// Resolver is a caching iterative resolver. It is safe for concurrent use;
// create it with New.
type Resolver struct {
	cfg    Config
	cache  *cache
	infra  *infra
	flight flight
	stats  stats
	// keys holds the zone states DNSSEC validation learnt (nil when
	// Config.DNSSEC is off).
	keys *keyCache

	primeMu sync.Mutex
	primed  int64 // unix ns until which the primed root NS set is fresh
}

// New returns a Resolver with cfg's zero fields set to their defaults.
func New(cfg Config) *Resolver {
	c := cfg.withDefaults()
	r := &Resolver{
		cfg:   c,
		cache: newCache(c.CacheBytes),
		infra: newInfra(c.DeadTime, c.LameTime),
	}
	if c.DNSSEC {
		r.keys = newKeyCache()
	}
	return r
}

// Result is the outcome of a resolution.
type Result struct {
	// Answer is the answer section: the CNAME chain from the name asked
	// (if any), then the RRset asked for. TTLs are what is left of them.
	Answer []RR
	// Authority holds the SOA record of a negative answer (RFC 2308 3),
	// with its TTL decremented; empty otherwise.
	Authority []RR
	// RCode is NOERROR (also for NODATA), NXDOMAIN or SERVFAIL.
	RCode dnswire.RCode
	// FromCache reports that no upstream query was needed.
	FromCache bool
	// Stale reports an expired answer served under RFC 8767.
	Stale bool
	// Security is the DNSSEC verdict with Config.DNSSEC on: Secure when
	// every RRset of the answer (each hop of a CNAME chain) or its
	// denial of existence was validated from a trust anchor (what a
	// server signals with AD, RFC 4035 3.2.3), Insecure when part of it
	// lies below a delegation proved unsigned, Indeterminate when no
	// trust anchor covers it, and Bogus only beside an error. Without
	// Config.DNSSEC it is Indeterminate.
	Security Security
	// Signatures are the RRSIG records of the Answer's RRsets, and
	// Proof the NSEC and NSEC3 records (with their RRSIGs, and the
	// SOA's) that proved a negative or wildcard answer, as the servers
	// sent them: what a server returns to a client that set DO (RFC
	// 4035 3.2.1). Filled only when Config.DNSSEC validated the answer.
	Signatures, Proof []RR
}

// Resolve resolves name (absolute) and type t in class IN. On success it
// returns the answer with a nil error. Otherwise the error is an *Error:
// errors.Is(err, ErrNXDomain) and errors.Is(err, ErrNoData) describe
// negative answers, for which Result is filled in too (RCode, CNAME chain
// and SOA), and errors.Is(err, ErrServFail) a failure whose Reason says
// why. A cache hit for a plain RRset allocates only the answer slice.
func (r *Resolver) Resolve(ctx context.Context, name dnswire.Name, t dnswire.Type) (Result, error) {
	return r.resolve(ctx, name, t, nil)
}

// ResolveTrace is Resolve that reports every upstream exchange to fn as
// it happens, for a dig-like +trace. What the cache already knows is not
// asked again and so not reported (Flush first for a full trace). fn is
// called from the resolving goroutine. A traced resolution never shares
// an in-flight resolution with other callers.
func (r *Resolver) ResolveTrace(ctx context.Context, name dnswire.Name, t dnswire.Type, fn func(Step)) (Result, error) {
	return r.resolve(ctx, name, t, fn)
}

func (r *Resolver) now() int64 { return r.cfg.Now().UnixNano() }

func (r *Resolver) resolve(ctx context.Context, name dnswire.Name, t dnswire.Type, trace func(Step)) (Result, error) {
	res, err := r.resolveCounted(ctx, name, t, trace)
	r.stats.answer(res.RCode, res.FromCache)
	return res, err
}

func (r *Resolver) resolveCounted(ctx context.Context, name dnswire.Name, t dnswire.Type, trace func(Step)) (Result, error) {
	if !name.IsAbsolute() {
		return Result{RCode: dnswire.RCodeServerFailure}, &Error{Kind: ErrServFail, Name: name.String(), Type: t, Reason: ErrBadName}
	}
	// Fast path: a plain cached RRset, no CNAME, no allocation beyond the
	// answer slice.
	var kb [dnswire.MaxNameLen + 2]byte
	key := appendKey(kb[:0], name, t)
	now := r.now()
	if e := r.cache.get(key); !r.cfg.DNSSEC && e != nil && e.kind == kindPositive && e.rank >= rankAnswerNonAuth && e.expire > now && !e.synth {
		return Result{Answer: e.records(name, t, now), RCode: dnswire.RCodeSuccess, FromCache: true}, nil
	}
	if r.cfg.DNSSEC {
		if res, ok := r.validatedHit(name, t, now); ok {
			return res, nil
		}
	}
	if trace != nil {
		rc := r.newResCtx(ctx, trace)
		return r.resolveChain(rc, name, t)
	}
	return r.resolveShared(ctx, string(key), name, t)
}

// resolveShared resolves name/t through the in-flight sharing. (A
// separate function: its closure escapes, which would move resolve's
// arguments to the heap on the cache-hit path too.)
func (r *Resolver) resolveShared(ctx context.Context, key string, name dnswire.Name, t dnswire.Type) (Result, error) {
	res, err, shared := r.flight.do(ctx, key, func() (Result, error) {
		// The shared resolution must not die with the first caller's
		// context: it runs until the overall deadline.
		rc := r.newResCtx(context.WithoutCancel(ctx), nil)
		return r.resolveChain(rc, name, t)
	})
	if err != nil && ctx.Err() != nil && !errors.As(err, new(*Error)) {
		return Result{RCode: dnswire.RCodeServerFailure}, &Error{Kind: ErrServFail, Name: name.String(), Type: t, Reason: err}
	}
	if shared {
		res.Answer = append([]RR(nil), res.Answer...)
		res.Authority = append([]RR(nil), res.Authority...)
	}
	return res, err
}

// resCtx is the state of one top-level resolution, shared with the
// dependent lookups it starts (glueless name server addresses).
type resCtx struct {
	ctx      context.Context
	deadline int64
	sent     int // upstream sends, all lookups together
	depth    int // dependent lookup nesting
	// cd: checking disabled, no DNSSEC validation (resolveUnchecked).
	cd    bool
	trace func(Step)
	// pending holds the names whose addresses are being looked up in
	// this resolution, to break dependency cycles.
	pending []dnswire.Name
}

func (r *Resolver) newResCtx(ctx context.Context, trace func(Step)) *resCtx {
	return &resCtx{ctx: ctx, deadline: r.now() + int64(r.cfg.Timeout), trace: trace}
}

// appendKey appends the cache key for (n, t): n's wire form in lower case
// and t, big-endian.
func appendKey(dst []byte, n dnswire.Name, t dnswire.Type) []byte {
	start := len(dst)
	dst = n.AppendWire(dst)
	for i := start; i < len(dst); i++ {
		if c := dst[i]; 'A' <= c && c <= 'Z' {
			dst[i] = c + 'a' - 'A'
		}
	}
	return append(dst, byte(t>>8), byte(t))
}

// records returns a positive entry's RRset as records owned by owner,
// with the remaining TTL: one allocation.
func (e *entry) records(owner dnswire.Name, t dnswire.Type, now int64) []RR {
	return e.appendRecords(make([]RR, 0, len(e.data)), owner, t, e.remaining(now))
}

func (e *entry) appendRecords(dst []RR, owner dnswire.Name, t dnswire.Type, ttl uint32) []RR {
	for _, d := range e.data {
		dst = append(dst, RR{RRHeader: dnswire.RRHeader{Name: owner, Type: t, Class: dnswire.ClassINET, TTL: ttl}, Data: d})
	}
	return dst
}

// Flush empties the cache (and the DNSSEC key cache).
func (r *Resolver) Flush() {
	r.cache.flush()
	r.keys.flush()
}

// CacheStats reports how many entries the cache holds and about how many
// bytes they take.
func (r *Resolver) CacheStats() (entries, bytes int) { return r.cache.stats() }

// gluePort returns addr at the configured glue port.
func (r *Resolver) glueAddr(a netip.Addr) netip.AddrPort {
	return netip.AddrPortFrom(a, r.cfg.GluePort)
}

// isCNAME reports whether a positive entry holds a CNAME.
func (e *entry) isCNAME() bool {
	if len(e.data) != 1 {
		return false
	}
	_, ok := e.data[0].(*dnswire.CNAME)
	return ok && e.key[len(e.key)-2] == 0 && e.key[len(e.key)-1] == byte(dnswire.TypeCNAME)
}

// cachedStep looks name/t up in the cache the way resolveName does,
// without allocating: the fresh answer-rank RRset (e), or a CNAME to
// follow (e with cname set, unless t is CNAME), or a fresh negative entry
// (neg: NODATA for name/t or NXDOMAIN for name). All nil: a miss.
func (r *Resolver) cachedStep(name dnswire.Name, t dnswire.Type, now int64) (e *entry, cname bool, neg *entry) {
	if r.cfg.DNSSEC {
		// Validated answers live apart, with their verdict; the
		// server's fast path, which knows nothing of AD, misses.
		return nil, false, nil
	}
	var kb [dnswire.MaxNameLen + 2]byte
	// A CNAME synthesised from a DNAME is a miss here: its answer
	// carries the DNAME too (RFC 6672 3.4), which the chain walked by
	// the caller cannot hold; resolveName adds it.
	fresh := func(e *entry) bool { return e != nil && e.rank >= rankAnswerNonAuth && e.expire > now && !e.synth }
	if x := r.cache.get(appendKey(kb[:0], name, t)); fresh(x) {
		switch x.kind {
		case kindPositive:
			return x, false, nil
		case kindNoData:
			return nil, false, x
		}
	}
	if !matchesCNAME(t) {
		if x := r.cache.get(appendKey(kb[:0], name, dnswire.TypeCNAME)); fresh(x) && x.kind == kindPositive && x.isCNAME() {
			return x, true, nil
		}
	}
	if x := r.cache.get(appendKey(kb[:0], name, 0)); fresh(x) && x.kind == kindNXDomain {
		return nil, false, x
	}
	return nil, false, nil
}
