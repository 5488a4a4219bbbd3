package mtasts

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaykit/relaykit/tlstest"
)

// txtMap is a TXTLookup over a map; fail makes every lookup fail.
type txtMap struct {
	mu   sync.Mutex
	m    map[string][]string
	fail bool
}

func (t *txtMap) LookupTXT(ctx context.Context, name string) ([]string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.fail {
		return nil, errors.New("SERVFAIL")
	}
	return t.m[name], nil
}

func (t *txtMap) set(name string, v ...string) {
	t.mu.Lock()
	t.m[name] = v
	t.mu.Unlock()
}

// policyServer serves mta-sts.example.com over HTTPS with a certificate
// from its own CA, and counts fetches.
type policyServer struct {
	mu      sync.Mutex
	body    string
	status  int
	ctype   string
	fetches int
	srv     *httptest.Server
	ca      *tlstest.CA
}

func (s *policyServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fetches++
	if r.URL.Path != "/.well-known/mta-sts.txt" || r.Host != "mta-sts.example.com" {
		http.NotFound(w, r)
		return
	}
	if s.status == http.StatusFound {
		http.Redirect(w, r, "https://elsewhere.example/policy", http.StatusFound)
		return
	}
	w.Header().Set("Content-Type", s.ctype)
	if s.status != 0 {
		w.WriteHeader(s.status)
	}
	w.Write([]byte(s.body))
}

func (s *policyServer) set(f func(*policyServer)) {
	s.mu.Lock()
	f(s)
	s.mu.Unlock()
}

func (s *policyServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches
}

const enforcePolicy = "version: STSv1\r\nmode: enforce\r\nmx: mx.example.com\r\nmax_age: 86400\r\n"

func startPolicyServer(t *testing.T, names ...string) *policyServer {
	t.Helper()
	ca, err := tlstest.New("web CA")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		names = []string{"mta-sts.example.com"}
	}
	leaf, err := ca.Issue(names, tlstest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ps := &policyServer{body: enforcePolicy, ctype: "text/plain; charset=utf-8", ca: ca}
	ps.srv = httptest.NewUnstartedServer(ps)
	ps.srv.TLS = &tls.Config{Certificates: []tls.Certificate{leaf.TLS}}
	ps.srv.StartTLS()
	t.Cleanup(ps.srv.Close)
	return ps
}

// transport reaches ps for any host name and trusts roots.
func (ps *policyServer) transport(trust bool) *http.Transport {
	addr := ps.srv.Listener.Addr().String()
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
		TLSClientConfig: &tls.Config{},
	}
	if trust {
		tr.TLSClientConfig.RootCAs = ps.ca.Pool()
	}
	return tr
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newCache(ps *policyServer, txt *txtMap, clk *clock) *Cache {
	return &Cache{TXT: txt, Transport: ps.transport(true), Now: clk.now}
}

func TestCacheFetchAndReuse(t *testing.T) {
	ps := startPolicyServer(t)
	txt := &txtMap{m: map[string][]string{"_mta-sts.example.com": {"v=STSv1; id=1"}}}
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	c := newCache(ps, txt, clk)
	ctx := context.Background()
	p, err := c.Policy(ctx, "Example.COM.")
	if err != nil {
		t.Fatal(err)
	}
	if p.Mode != ModeEnforce || !p.Match("mx.example.com") || p.ID != "1" {
		t.Fatalf("%+v", p)
	}
	// Same id: the cache answers.
	if _, err := c.Policy(ctx, "example.com"); err != nil || ps.count() != 1 {
		t.Fatal(err, ps.count())
	}
	// A new id: fetched again.
	txt.set("_mta-sts.example.com", "v=STSv1; id=2")
	ps.set(func(s *policyServer) { s.body = strings.Replace(enforcePolicy, "enforce", "testing", 1) })
	if p, err := c.Policy(ctx, "example.com"); err != nil || p.Mode != ModeTesting || ps.count() != 2 {
		t.Fatal(p, err, ps.count())
	}
	// The record disappears or DNS fails: the cached policy applies
	// until max_age ends (RFC 8461 5.1).
	txt.set("_mta-sts.example.com")
	if p, err := c.Policy(ctx, "example.com"); err != nil || p.Mode != ModeTesting {
		t.Fatal(p, err)
	}
	txt.fail = true
	clk.add(86399 * time.Second)
	if p, err := c.Policy(ctx, "example.com"); err != nil || p.Mode != ModeTesting {
		t.Fatal(p, err)
	}
	clk.add(time.Second)
	if _, err := c.Policy(ctx, "example.com"); !errors.Is(err, ErrNoPolicy) {
		t.Fatal(err)
	}
	// A new id whose fetch fails: the cached policy stays.
	txt.fail = false
	txt.set("_mta-sts.example.com", "v=STSv1; id=3")
	ps.set(func(s *policyServer) { s.body = enforcePolicy })
	if _, err := c.Policy(ctx, "example.com"); err != nil {
		t.Fatal(err)
	}
	txt.set("_mta-sts.example.com", "v=STSv1; id=4")
	ps.set(func(s *policyServer) { s.status = 500 })
	if p, err := c.Policy(ctx, "example.com"); err != nil || p.ID != "3" {
		t.Fatal(p, err)
	}
	c.Forget("example.com")
	var fe *FetchError
	if _, err := c.Policy(ctx, "example.com"); !errors.As(err, &fe) || fe.ResultType != ResultSTSPolicyFetchError {
		t.Fatal(err)
	}
}

func TestCacheFetchFailures(t *testing.T) {
	big := enforcePolicy + strings.Repeat("x: "+strings.Repeat("y", 60)+"\n", 1200)
	for _, tc := range []struct {
		name  string
		set   func(*policyServer)
		trust bool
		names []string
		want  ResultType
	}{
		{"redirect", func(s *policyServer) { s.status = http.StatusFound }, true, nil, ResultSTSPolicyFetchError},
		{"404", func(s *policyServer) { s.status = 404 }, true, nil, ResultSTSPolicyFetchError},
		{"html", func(s *policyServer) { s.ctype = "text/html" }, true, nil, ResultSTSPolicyInvalid},
		{"too big", func(s *policyServer) { s.body = big }, true, nil, ResultSTSPolicyInvalid},
		{"bad policy", func(s *policyServer) { s.body = "version: STSv1\n" }, true, nil, ResultSTSPolicyInvalid},
		{"untrusted", func(*policyServer) {}, false, nil, ResultSTSWebPKIInvalid},
		{"wrong name", func(*policyServer) {}, true, []string{"www.example.com"}, ResultSTSWebPKIInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := startPolicyServer(t, tc.names...)
			ps.set(tc.set)
			txt := &txtMap{m: map[string][]string{"_mta-sts.example.com": {"v=STSv1; id=1"}}}
			c := &Cache{TXT: txt, Transport: ps.transport(tc.trust)}
			var fe *FetchError
			_, err := c.Policy(context.Background(), "example.com")
			if !errors.As(err, &fe) || fe.ResultType != tc.want {
				t.Fatalf("err %v, want %s", err, tc.want)
			}
		})
	}
}

func TestCacheNoRecord(t *testing.T) {
	ps := startPolicyServer(t)
	for _, txts := range [][]string{nil, {"v=spf1 -all"}, {"v=STSv1; id=1", "v=STSv1; id=2"}, {"v=STSv1; id=!"}} {
		c := &Cache{TXT: &txtMap{m: map[string][]string{"_mta-sts.example.com": txts}}, Transport: ps.transport(true)}
		if _, err := c.Policy(context.Background(), "example.com"); !errors.Is(err, ErrNoPolicy) {
			t.Fatalf("%q: %v", txts, err)
		}
	}
	if ps.count() != 0 {
		t.Fatal("fetched without a record")
	}
}

func TestCacheTimeout(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	srv.StartTLS()
	defer srv.Close()
	defer close(block)
	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, srv.Listener.Addr().String())
	}
	tr.TLSClientConfig.ServerName = "example.com" // httptest's certificate name
	c := &Cache{TXT: &txtMap{m: map[string][]string{"_mta-sts.example.com": {"v=STSv1; id=1"}}}, Transport: tr, FetchTimeout: 50 * time.Millisecond}
	var fe *FetchError
	if _, err := c.Policy(context.Background(), "example.com"); !errors.As(err, &fe) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatal(err)
	}
}
