package mtasts

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// TXTLookup is the DNS a Cache needs: the TXT records at a name, each
// record's strings joined. A name that does not exist, or has no TXT
// records, is an empty list and a nil error.
type TXTLookup interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// ErrNoPolicy means the domain has no MTA-STS policy in force: no record
// and nothing cached. Deliver as if the domain did not use MTA-STS.
var ErrNoPolicy = errors.New("mtasts: no policy")

// FetchError is a policy that could not be fetched or parsed while the
// domain's TXT record says it has one, and none was cached. RFC 8461 5.1:
// the sender then delivers as if there were no policy, and reports it
// (TLS-RPT "sts-policy-fetch-error", "sts-policy-invalid" or
// "sts-webpki-invalid" as ResultType says).
type FetchError struct {
	Domain     string
	ResultType ResultType
	Err        error
}

func (e *FetchError) Error() string {
	return "mtasts: policy of " + e.Domain + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *FetchError) Unwrap() error { return e.Err }

// Defaults for Cache.
const (
	DefaultMaxPolicySize = 64 << 10
	DefaultFetchTimeout  = 60 * time.Second
)

// Cache discovers, fetches and caches MTA-STS policies (RFC 8461 3 and
// 5.1). It is safe for concurrent use. TXT must be set; every other
// field's zero value works.
type Cache struct {
	// TXT looks up _mta-sts TXT records. Required.
	TXT TXTLookup
	// Transport fetches the policy. Nil means a clone of
	// http.DefaultTransport. Tests give one whose TLSClientConfig trusts
	// their CA and whose dialer reaches their server; the certificate
	// must be valid for mta-sts.<domain> (RFC 8461 3.3).
	Transport http.RoundTripper
	// MaxPolicySize bounds the policy body. Default 64 KiB.
	MaxPolicySize int64
	// FetchTimeout bounds one fetch. Default 60 s.
	FetchTimeout time.Duration
	// Now is the clock for max_age. Nil means time.Now.
	Now func() time.Time

	mu      sync.Mutex
	entries map[string]entry
	client  *http.Client
}

type entry struct {
	p       *Policy
	expires time.Time
}

func (c *Cache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Policy returns the policy in force for domain, fetching it when the
// TXT record's id differs from the cached one or nothing is cached (RFC
// 8461 5.1). It returns ErrNoPolicy when the domain has none, and a
// *FetchError when it announces one that cannot be fetched and nothing
// valid is cached. A failed fetch keeps serving the cached policy until
// it expires.
func (c *Cache) Policy(ctx context.Context, domain string) (*Policy, error) {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	now := c.now()
	c.mu.Lock()
	e, cached := c.entries[domain]
	c.mu.Unlock()
	if cached && !now.Before(e.expires) {
		cached = false
	}
	txts, err := c.TXT.LookupTXT(ctx, "_mta-sts."+domain)
	var rec Record
	if err == nil {
		rec, err = FindRecord(txts)
	}
	if err != nil {
		// RFC 8461 5.1: without a usable record a cached policy that has
		// not expired still applies.
		if cached {
			return e.p, nil
		}
		return nil, ErrNoPolicy
	}
	if cached && e.p.ID == rec.ID {
		return e.p, nil
	}
	p, ferr := c.fetch(ctx, domain)
	if ferr != nil {
		if cached {
			return e.p, nil
		}
		return nil, ferr
	}
	p.ID = rec.ID
	c.mu.Lock()
	if c.entries == nil {
		c.entries = make(map[string]entry)
	}
	c.entries[domain] = entry{p: p, expires: now.Add(time.Duration(p.MaxAge) * time.Second)}
	c.mu.Unlock()
	return p, nil
}

// Forget drops domain's cached policy.
func (c *Cache) Forget(domain string) {
	c.mu.Lock()
	delete(c.entries, strings.ToLower(strings.TrimSuffix(domain, ".")))
	c.mu.Unlock()
}

func (c *Cache) httpClient() *http.Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.client == nil {
		tr := c.Transport
		if tr == nil {
			tr = http.DefaultTransport.(*http.Transport).Clone()
		}
		c.client = &http.Client{
			Transport: tr,
			// RFC 8461 3.3: "HTTP 3xx redirects MUST NOT be followed".
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return c.client
}

// fetch gets https://mta-sts.<domain>/.well-known/mta-sts.txt (RFC 8461
// 3.3).
func (c *Cache) fetch(ctx context.Context, domain string) (*Policy, error) {
	timeout := c.FetchTimeout
	if timeout <= 0 {
		timeout = DefaultFetchTimeout
	}
	limit := c.MaxPolicySize
	if limit <= 0 {
		limit = DefaultMaxPolicySize
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	fail := func(rt ResultType, err error) (*Policy, error) {
		return nil, &FetchError{Domain: domain, ResultType: rt, Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://mta-sts."+domain+"/.well-known/mta-sts.txt", nil)
	if err != nil {
		return fail(ResultSTSPolicyFetchError, err)
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		rt := ResultSTSPolicyFetchError
		if isCertError(err) {
			rt = ResultSTSWebPKIInvalid
		}
		return fail(rt, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		// RFC 8461 3.3: only 200 is a policy; 3xx is not followed.
		return fail(ResultSTSPolicyFetchError, errors.New("HTTP status "+strconv.Itoa(resp.StatusCode)))
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || mt != "text/plain" {
		return fail(ResultSTSPolicyInvalid, errors.New("media type "+quote(resp.Header.Get("Content-Type"))))
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return fail(ResultSTSPolicyFetchError, err)
	}
	if int64(len(b)) > limit {
		return fail(ResultSTSPolicyInvalid, errors.New("policy larger than "+strconv.FormatInt(limit, 10)+" bytes"))
	}
	p, err := ParsePolicy(b)
	if err != nil {
		return fail(ResultSTSPolicyInvalid, err)
	}
	return p, nil
}

// isCertError reports a failure to verify the HTTPS server's certificate.
func isCertError(err error) bool {
	var cv *tls.CertificateVerificationError
	return errors.As(err, &cv)
}
