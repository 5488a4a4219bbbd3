package resolver

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// ErrBadCookie is returned by Client.Exchange for a response whose DNS
// Cookie does not carry the client cookie sent (RFC 7873 5.3: it is
// discarded as forged), or when the server keeps answering BADCOOKIE.
const ErrBadCookie = sentinel("resolver: response cookie does not match (RFC 7873)")

// Client sends one query to one server and returns its response, for a
// dig-like tool or a monitor that needs no resolver: UDP first, TCP when
// the answer is truncated (RFC 7766 5), EDNS0 (RFC 6891), DNS Cookies
// (RFC 7873) and a timeout. Its zero value is ready to use; it is safe
// for concurrent use and remembers each server's cookie.
type Client struct {
	// Transport sends the query. Default NetTransport{}.
	Transport Transport
	// Timeout bounds each attempt (UDP, then TCP). Default 5 s.
	Timeout time.Duration
	// UDPSize is the EDNS0 UDP payload size advertised when the query
	// has no OPT record of its own. Default 1232.
	UDPSize uint16
	// NoEDNS sends queries without an OPT record (and so without a
	// cookie) unless the query has one.
	NoEDNS bool
	// NoCookie leaves the COOKIE option out.
	NoCookie bool
	// TCP sends over TCP only.
	TCP bool

	mu      sync.Mutex
	cookies map[netip.AddrPort]*dnswire.Cookie
}

// Exchange sends q to server and returns the response. q is not
// modified: the message sent is a copy with an OPT record added (unless
// NoEDNS, or q has one) and a COOKIE option in it (unless NoCookie, or
// q has one): a client cookie random per server and kept for it, with
// the server cookie last returned (RFC 7873 5.1, 5.3). A response whose
// cookie does not echo the client cookie is rejected (ErrBadCookie); a
// BADCOOKIE answer is retried once with the server cookie it carries
// (RFC 7873 5.3). A truncated UDP answer is asked again over TCP. The
// response must match q's ID and question (RFC 5452 9.1); a query that
// gets no answer in time gives an error matching os.ErrDeadlineExceeded.
func (c *Client) Exchange(ctx context.Context, server netip.AddrPort, q *dnswire.Msg) (*dnswire.Msg, error) {
	tr := c.Transport
	if tr == nil {
		tr = NetTransport{}
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	network := "udp"
	if c.TCP {
		network = "tcp"
	}
	for attempt := 0; ; attempt++ {
		m := *q
		var sent *dnswire.Cookie
		if m.EDNS == nil && !c.NoEDNS {
			size := c.UDPSize
			if size == 0 {
				size = 1232
			}
			m.EDNS = &dnswire.EDNS{UDPSize: size}
		}
		if m.EDNS != nil && !c.NoCookie && !hasOption(m.EDNS, dnswire.OptionCookie) {
			e := *m.EDNS
			sent = c.cookie(server)
			e.Options = append(append([]dnswire.EDNSOption(nil), e.Options...), dnswire.CookieOption(*sent))
			m.EDNS = &e
		}
		query, err := m.Pack()
		if err != nil {
			return nil, fmt.Errorf("resolver: query: %w", err)
		}
		raw, err := tr.Exchange(ctx, network, server, query, timeout)
		if err != nil {
			return nil, err
		}
		resp := new(dnswire.Msg)
		if err := resp.Unpack(raw); err != nil {
			return nil, fmt.Errorf("%w: %w", errBadResponse, err)
		}
		if sent != nil {
			got, ok := responseCookie(resp)
			switch {
			case ok && got.Client != sent.Client:
				// RFC 7873 5.3: a wrong client cookie: forged.
				return nil, ErrBadCookie
			case ok && len(got.Server) > 0:
				c.setServerCookie(server, got)
			}
			if resp.Header.RCode == dnswire.RCodeBadCookie {
				if attempt > 0 || !ok {
					return nil, ErrBadCookie
				}
				continue // RFC 7873 5.3: once more, with the new server cookie
			}
		}
		if resp.Header.Truncated && network == "udp" {
			network = "tcp" // RFC 1035 4.2.1, RFC 7766 5
			continue
		}
		return resp, nil
	}
}

// Exchange sends q to server with a zero Client (see Client.Exchange).
func Exchange(ctx context.Context, server netip.AddrPort, q *dnswire.Msg) (*dnswire.Msg, error) {
	return new(Client).Exchange(ctx, server, q)
}

func hasOption(e *dnswire.EDNS, code dnswire.OptionCode) bool {
	for _, o := range e.Options {
		if o.Code == code {
			return true
		}
	}
	return false
}

// responseCookie returns the response's well-formed COOKIE option.
func responseCookie(m *dnswire.Msg) (dnswire.Cookie, bool) {
	if m.EDNS == nil {
		return dnswire.Cookie{}, false
	}
	for _, o := range m.EDNS.Options {
		if o.Code == dnswire.OptionCookie {
			ck, err := o.Cookie()
			return ck, err == nil
		}
	}
	return dnswire.Cookie{}, false
}

// maxCookies bounds the servers whose cookies are remembered.
const maxCookies = 1024

// cookie returns the cookie to send to server: its client cookie
// (random, made on first use, RFC 7873 5.1) and last server cookie.
func (c *Client) cookie(server netip.AddrPort) *dnswire.Cookie {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ck := c.cookies[server]; ck != nil {
		cp := *ck
		return &cp
	}
	if c.cookies == nil || len(c.cookies) >= maxCookies {
		c.cookies = make(map[netip.AddrPort]*dnswire.Cookie)
	}
	ck := new(dnswire.Cookie)
	rand.Read(ck.Client[:])
	c.cookies[server] = ck
	cp := *ck
	return &cp
}

func (c *Client) setServerCookie(server netip.AddrPort, got dnswire.Cookie) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ck := c.cookies[server]; ck != nil && ck.Client == got.Client {
		ck.Server = append([]byte(nil), got.Server...)
	}
}
