package resolver

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// cookieServer answers UDP queries on 127.0.0.1 the way RFC 7873 5.2
// describes: a query with only a client cookie gets BADCOOKIE and a
// server cookie; one with the right server cookie gets an A record.
// With forge set, every answer carries a client cookie not sent.
// It reports the cookie of each query on seen.
func cookieServer(t *testing.T, forge bool) (netip.AddrPort, chan dnswire.Cookie) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	seen := make(chan dnswire.Cookie, 16)
	serverCookie := []byte("0123456789abcdef")
	go func() {
		buf := make([]byte, 4096)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			var q, m dnswire.Msg
			if q.Unpack(buf[:n]) != nil || q.EDNS == nil {
				continue
			}
			ck, ok := responseCookie(&q)
			if !ok {
				continue
			}
			seen <- ck
			m.Reply(&q)
			m.Response = true
			if string(ck.Server) != string(serverCookie) {
				m.RCode = dnswire.RCodeBadCookie
			} else {
				m.Answer = append(m.Answer, dnswire.RR{
					RRHeader: dnswire.RRHeader{Name: q.Question[0].Name, Type: dnswire.TypeA, Class: dnswire.ClassINET, TTL: 60},
					Data:     &dnswire.A{Addr: netip.MustParseAddr("192.0.2.1")}})
			}
			back := dnswire.Cookie{Client: ck.Client, Server: serverCookie}
			if forge {
				back.Client[0] ^= 0xFF
			}
			m.EDNS.Options = []dnswire.EDNSOption{dnswire.CookieOption(back)}
			out, err := m.Pack()
			if err != nil {
				t.Error(err)
				return
			}
			pc.WriteTo(out, from)
		}
	}()
	return netip.MustParseAddrPort(pc.LocalAddr().String()), seen
}

func newQuery(name string, t dnswire.Type) *dnswire.Msg {
	q := new(dnswire.Msg)
	q.SetQuestion(dnswire.MustName(name), t)
	return q
}

func TestClientCookies(t *testing.T) {
	srv, seen := cookieServer(t, false)
	var c Client
	ctx := context.Background()
	resp, err := c.Exchange(ctx, srv, newQuery("www.example.com.", dnswire.TypeA))
	if err != nil || len(resp.Answer) != 1 {
		t.Fatalf("%v %v", resp, err)
	}
	first, second := <-seen, <-seen
	if len(first.Server) != 0 || string(second.Server) != "0123456789abcdef" || first.Client != second.Client {
		t.Fatalf("cookies sent: %x then %x", first, second)
	}
	// The server cookie is remembered: one query this time.
	if _, err := c.Exchange(ctx, srv, newQuery("www.example.com.", dnswire.TypeA)); err != nil {
		t.Fatal(err)
	}
	if third := <-seen; third.Client != first.Client || string(third.Server) != "0123456789abcdef" {
		t.Fatalf("third query cookie %x", third)
	}
	select {
	case ck := <-seen:
		t.Fatalf("one query too many: %x", ck)
	default:
	}
}

func TestClientForgedCookie(t *testing.T) {
	srv, _ := cookieServer(t, true)
	_, err := new(Client).Exchange(context.Background(), srv, newQuery("www.example.com.", dnswire.TypeA))
	if !errors.Is(err, ErrBadCookie) {
		t.Fatalf("%v, want ErrBadCookie", err)
	}
}

func TestClientTruncatedRetryTCP(t *testing.T) {
	up, _ := upstream(t)
	ctx := context.Background()
	// Without EDNS the 800-octet RRset does not fit in 512: TC, then TCP.
	resp, err := (&Client{NoEDNS: true}).Exchange(ctx, up.Addr(), newQuery("big.example.com.", dnswire.TypeTXT))
	if err != nil || resp.Truncated || len(resp.Answer) != 15 {
		t.Fatalf("%v %v", resp, err)
	}
	// With EDNS it fits over UDP; the package function works too.
	resp, err = Exchange(ctx, up.Addr(), newQuery("big.example.com.", dnswire.TypeTXT))
	if err != nil || len(resp.Answer) != 15 || resp.EDNS == nil {
		t.Fatalf("%v %v", resp, err)
	}
	resp, err = (&Client{TCP: true}).Exchange(ctx, up.Addr(), newQuery("nope.example.com.", dnswire.TypeA))
	if err != nil || resp.RCode != dnswire.RCodeNameError {
		t.Fatalf("%v %v", resp, err)
	}
}

func TestClientTimeout(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	c := Client{Timeout: 100 * time.Millisecond}
	_, err = c.Exchange(context.Background(), netip.MustParseAddrPort(pc.LocalAddr().String()), newQuery("www.example.com.", dnswire.TypeA))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("%v", err)
	}
}
