package resolver

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/relaykit/relaykit/dnswire"
)

// patchTransport answers from the signed lab in process, but overwrites
// the bytes of one response (the which-th) at off with patch: a forger
// or a broken server on the path of one exchange.
type patchTransport struct {
	lab   labTransport
	which int
	off   int
	patch []byte
	n     int
}

func (p *patchTransport) Exchange(ctx context.Context, network string, srv netip.AddrPort, q []byte, timeout time.Duration) ([]byte, error) {
	resp, err := p.lab.Exchange(ctx, network, srv, q, timeout)
	p.n++
	if err != nil || p.n-1 != p.which {
		return resp, err
	}
	if p.off >= len(resp) {
		return append(resp, p.patch...), nil
	}
	end := min(len(resp), p.off+len(p.patch))
	copy(resp[p.off:end], p.patch)
	return resp, nil
}

// FuzzValidatingResolver corrupts one response of a validating
// resolution over the signed lab. Oracle: no panic, and anything the
// resolver calls Secure is data the lab signed (type and data of every
// answer record found in the lab's zones): a corrupted response may
// make an answer bogus or insecure-looking, never forge a secure one.
func FuzzValidatingResolver(f *testing.F) {
	a := newLabAuth(f)
	signed := map[string]bool{}
	for _, rrs := range a.zones {
		for _, rr := range rrs {
			signed[rr.Type.String()+" "+string(rr.Data.AppendText(nil))] = true
		}
	}
	anchor := labAnchor(f)
	for i := range 8 {
		f.Add(uint8(i), uint16(40+i*7), []byte{0x01}, "mx.sec.lab.", uint16(dnswire.TypeA))
	}
	f.Add(uint8(3), uint16(60), []byte{0xC0, 0x0C}, "_25._tcp.mx.sec.lab.", uint16(dnswire.TypeTLSA))
	f.Add(uint8(1), uint16(2), []byte{0x84, 0x03}, "nope.sec.lab.", uint16(dnswire.TypeA))
	f.Add(uint8(2), uint16(100), []byte("forged"), "x.wild.sec.lab.", uint16(dnswire.TypeTXT))
	f.Add(uint8(0), uint16(30), []byte{0, 0, 0, 0}, "www.insec.lab.", uint16(dnswire.TypeA))
	f.Fuzz(func(t *testing.T, which uint8, off uint16, patch []byte, name string, qt uint16) {
		n, err := dnswire.ParseName(name)
		if err != nil || !n.IsAbsolute() || len(patch) > 64 {
			return
		}
		tr := &patchTransport{lab: labTransport{a}, which: int(which % 16), off: int(off), patch: patch}
		r := New(Config{DNSSEC: true, TrustAnchors: anchor, RootHints: labHints, AllowSpecialAddrs: true,
			Transport: tr, Now: at2030, MaxQueries: 60, Disable0x20: true})
		res, err := r.Resolve(context.Background(), n, dnswire.Type(qt))
		if errors.Is(err, ErrBogus) != (res.Security == Bogus) {
			t.Fatalf("error %v with verdict %v", err, res.Security)
		}
		if res.Security != Secure {
			return
		}
		for _, rr := range res.Answer {
			// (The lab has no DNAME, so no synthesised CNAME either.)
			if !signed[rr.Type.String()+" "+string(rr.Data.AppendText(nil))] {
				t.Fatalf("secure answer holds data the lab never signed: %v", rr)
			}
		}
	})
}
