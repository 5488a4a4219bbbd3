package dnstest

import (
	"context"
	"crypto/ed25519"
	crand "crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/relaykit/relaykit/dnswire"
	"github.com/relaykit/relaykit/zone"
)

// signed is the outcome of signAll.
type signed struct {
	zones  []*zone.Zone
	anchor []dnswire.RR
	keys   map[dnswire.Name][]zone.SigningKey
}

// signAll signs the zones from the deepest up, so that each parent gets
// its signed children's DS records (RFC 4035 2.4) before it is signed.
func signAll(all []*zone.Zone, sg *Signing, ttl uint32) (*signed, error) {
	unsigned := make(map[dnswire.Name]bool)
	for _, o := range sg.Unsigned {
		n, err := dnswire.ParseName(o)
		if err != nil {
			return nil, fmt.Errorf("dnstest: Sign.Unsigned: %w", err)
		}
		unsigned[n.Lower()] = true
	}
	given := make(map[dnswire.Name][]zone.SigningKey)
	for o, ks := range sg.Keys {
		n, err := dnswire.ParseName(o)
		if err != nil {
			return nil, fmt.Errorf("dnstest: Sign.Keys: %w", err)
		}
		given[n.Lower()] = ks
	}
	byOrigin := make(map[dnswire.Name]*zone.Zone, len(all))
	for _, z := range all {
		byOrigin[z.Origin().Lower()] = z
	}
	order := slices.Clone(all)
	slices.SortStableFunc(order, func(a, b *zone.Zone) int { return b.Origin().NumLabels() - a.Origin().NumLabels() })
	out := &signed{keys: make(map[dnswire.Name][]zone.SigningKey)}
	ds := make(map[dnswire.Name][]dnswire.RR) // by the child's origin
	for _, z := range order {
		o := z.Origin().Lower()
		// The DS records of the signed children this zone delegates to.
		var extra []dnswire.RR
		for _, rr := range z.Records() {
			if rr.Type == dnswire.TypeNS && !rr.Name.Equal(z.Origin()) {
				if d := ds[rr.Name.Lower()]; d != nil {
					extra = append(extra, d...)
					delete(ds, rr.Name.Lower())
				}
			}
		}
		if len(extra) > 0 {
			nz, err := zone.New(z.Origin(), append(z.Records(), extra...))
			if err != nil {
				return nil, fmt.Errorf("dnstest: adding DS to %s: %w", z.Origin(), err)
			}
			z = nz
		}
		if unsigned[o] {
			byOrigin[o] = z
			continue
		}
		keys := given[o]
		if len(keys) == 0 {
			_, priv, err := ed25519.GenerateKey(crand.Reader)
			if err != nil {
				return nil, err
			}
			keys = []zone.SigningKey{{Signer: priv}}
		}
		sz, err := zone.Sign(z, zone.SignConfig{Keys: keys, Now: sg.Now, Validity: sg.Validity, NSEC3: sg.NSEC3})
		if err != nil {
			return nil, fmt.Errorf("dnstest: signing %s: %w", z.Origin(), err)
		}
		byOrigin[o] = sz
		out.keys[o] = keys
		// RFC 4035 2.4: the parent's DS names the child's KSKs (keys
		// with the SEP flag), or every key when none has it.
		var rrs []dnswire.RR
		for _, sep := range []bool{true, false} {
			for _, k := range keys {
				pub, err := k.DNSKEY()
				if err != nil {
					return nil, err
				}
				if sep && pub.Flags&dnswire.DNSKEYSEP == 0 {
					continue
				}
				d, err := k.DS(z.Origin())
				if err != nil {
					return nil, err
				}
				rrs = append(rrs, dnswire.RR{
					RRHeader: dnswire.RRHeader{Name: z.Origin(), Type: dnswire.TypeDS, Class: dnswire.ClassINET, TTL: ttl},
					Data:     d,
				})
			}
			if len(rrs) > 0 {
				break
			}
		}
		if z.Origin().IsRoot() {
			out.anchor = rrs
		} else {
			ds[o] = rrs
		}
	}
	for _, z := range all {
		out.zones = append(out.zones, byOrigin[z.Origin().Lower()])
	}
	return out, nil
}

// TrustAnchor returns the DS records of the signed root zone's key, for
// a validator (resolver.Validator.Anchors); nil when the hierarchy is
// not signed.
func (h *Hierarchy) TrustAnchor() []dnswire.RR { return slices.Clone(h.anchor) }

// SigningKeys returns the keys the zone at origin was signed with, so a
// test can re-sign it (zone.Sign) after changing it; nil for an unsigned
// zone.
func (h *Hierarchy) SigningKeys(origin string) []zone.SigningKey {
	o, err := dnswire.ParseName(origin)
	if err != nil {
		return nil
	}
	return slices.Clone(h.keys[o.Lower()])
}

// ErrNoServer: Query found no server for the name (the hierarchy is
// closed).
var ErrNoServer = errors.New("dnstest: no server for the name")

// Query asks the hierarchy's server for the zone that holds name (the
// parent's, for DS at a zone's apex, RFC 4035 3.1.4.1) with the DO bit
// set, over UDP and again over TCP when the answer is truncated, and
// returns the answer. It has the shape of resolver.DNSSECQuery, so a
// resolver.Validator can walk the hierarchy with it.
func (h *Hierarchy) Query(ctx context.Context, name dnswire.Name, t dnswire.Type) (*dnswire.Msg, error) {
	srv := h.serverFor(name, t)
	if srv == nil {
		return nil, fmt.Errorf("%w: %s", ErrNoServer, name)
	}
	id := uint16(rand.Uint32())
	var q dnswire.Msg
	q.ID = id
	q.SetQuestion(name, t)
	q.SetEDNS(4096, true)
	wire, err := q.Pack()
	if err != nil {
		return nil, err
	}
	for _, network := range []string{"udp", "tcp"} {
		m, err := exchange(ctx, network, srv.Addr.String(), wire)
		if err != nil {
			return nil, err
		}
		if m.ID != id || len(m.Question) != 1 || !m.Question[0].Name.Equal(name) {
			return nil, errors.New("dnstest: answer does not match the query")
		}
		if !m.Truncated {
			return m, nil
		}
	}
	return nil, errors.New("dnstest: truncated over TCP")
}

// serverFor returns the server of the deepest zone holding name.
func (h *Hierarchy) serverFor(name dnswire.Name, t dnswire.Type) *Server {
	for k := name.NumLabels(); k >= 0; k-- {
		a := name.Ancestor(k)
		if t == dnswire.TypeDS && k == name.NumLabels() && k > 0 {
			continue
		}
		for _, s := range h.servers {
			for _, o := range s.Origins {
				if o.Equal(a) {
					return s
				}
			}
		}
	}
	return nil
}

// exchange sends one query and reads one answer.
func exchange(ctx context.Context, network, addr string, wire []byte) (*dnswire.Msg, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	deadline := time.Now().Add(5 * time.Second)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	c.SetDeadline(deadline)
	var raw []byte
	if network == "udp" {
		if _, err := c.Write(wire); err != nil {
			return nil, err
		}
		buf := make([]byte, 65535)
		n, err := c.Read(buf)
		if err != nil {
			return nil, err
		}
		raw = buf[:n]
	} else {
		if _, err := c.Write(append([]byte{byte(len(wire) >> 8), byte(len(wire))}, wire...)); err != nil {
			return nil, err
		}
		var l [2]byte
		if _, err := io.ReadFull(c, l[:]); err != nil {
			return nil, err
		}
		raw = make([]byte, int(l[0])<<8|int(l[1]))
		if _, err := io.ReadFull(c, raw); err != nil {
			return nil, err
		}
	}
	m := &dnswire.Msg{}
	if err := m.Unpack(raw); err != nil {
		return nil, err
	}
	return m, nil
}

// SetZone replaces the zone at origin on every server that serves it
// with text (as Config.Zones gives it, default TTL 3600), signed with the
// zone's keys when it was signed (validity from now, or the Clock).
func (h *Hierarchy) SetZone(origin, text string) error {
	o, err := dnswire.ParseName(origin)
	if err != nil || !o.IsAbsolute() {
		return fmt.Errorf("dnstest: zone origin %q must be an absolute name", origin)
	}
	z, err := zone.Parse(strings.NewReader(text), o, zone.LoadConfig{TTL: 3600, File: origin})
	if err != nil {
		return fmt.Errorf("dnstest: %w", err)
	}
	if keys := h.keys[o.Lower()]; len(keys) > 0 {
		cfg := zone.SignConfig{Keys: keys}
		if h.clock != nil {
			cfg.Now = h.clock.Now
		}
		if z, err = zone.Sign(z, cfg); err != nil {
			return fmt.Errorf("dnstest: signing %s: %w", origin, err)
		}
	}
	found := false
	for _, s := range h.servers {
		for _, so := range s.Origins {
			if so.Equal(o) {
				if err := s.AddZone(z); err != nil {
					return err
				}
				found = true
			}
		}
	}
	if !found {
		return fmt.Errorf("dnstest: no server serves %s", origin)
	}
	return nil
}
