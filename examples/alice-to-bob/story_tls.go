package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/relaykit/relaykit/dane"
	"github.com/relaykit/relaykit/dnswire"
	"github.com/relaykit/relaykit/mailqueue"
	"github.com/relaykit/relaykit/resolver"
	"github.com/relaykit/relaykit/smtp"
	"github.com/relaykit/relaykit/tlstest"
	"github.com/relaykit/relaykit/zone"
)

// onPath is the network between mail.crepes.fr's resolver and the DNS
// servers. While Mallory is on it, she rewrites every TLSA record in the
// answers that cross it to name her own certificate.
type onPath struct {
	inner  resolver.Transport
	mu     sync.Mutex
	forge  *dane.TLSA // Mallory's record; nil: the path is honest
	forged int        // answers rewritten
}

func (p *onPath) Exchange(ctx context.Context, network string, server netip.AddrPort, query []byte, timeout time.Duration) ([]byte, error) {
	resp, err := p.inner.Exchange(ctx, network, server, query, timeout)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil || p.forge == nil {
		return resp, err
	}
	var m dnswire.Msg
	if m.Unpack(resp) != nil {
		return resp, nil
	}
	changed := false
	for i, rr := range m.Answer {
		if _, ok := rr.Data.(*dnswire.TLSA); ok {
			m.Answer[i].Data = &dnswire.TLSA{Usage: uint8(p.forge.Usage), Selector: uint8(p.forge.Selector),
				MatchingType: uint8(p.forge.MatchingType), Data: p.forge.Data}
			changed = true
		}
	}
	if !changed {
		return resp, nil
	}
	out, err := m.Pack()
	if err != nil {
		return resp, nil
	}
	p.forged++
	return out, nil
}

// mallory puts Mallory on the path with a TLSA record for her own
// certificate (nil takes her off it) and returns how many answers she
// rewrote while she was there.
func (p *onPath) mallory(forge *dane.TLSA) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.forge = forge
	return p.forged
}

// tlsLog keeps the TLS record of every delivery attempt the queue made.
type tlsLog struct {
	mu  sync.Mutex
	all []mailqueue.TLSResult
}

func (l *tlsLog) add(_ mailqueue.Target, r mailqueue.TLSResult) {
	l.mu.Lock()
	l.all = append(l.all, r)
	l.mu.Unlock()
}

// since returns the records after the first n.
func (l *tlsLog) since(n int) []mailqueue.TLSResult {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]mailqueue.TLSResult(nil), l.all[n:]...)
}

func (l *tlsLog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.all)
}

// changeZone adds records to a signed zone, raises its SOA serial,
// signs it again with its keys and serves the result: what the zone's operator does after
// editing it, since zone.Server does not sign by itself.
func (w *world) changeZone(origin string, add ...dnswire.RR) error {
	o := dnswire.MustName(origin)
	srv := w.dns.ServerFor(origin)
	z := srv.Zone(o)
	recs := z.Records()
	for i, rr := range recs {
		if soa, ok := rr.Data.(*dnswire.SOA); ok && rr.Name.Equal(o) {
			next := *soa
			next.Serial++
			recs[i].Data = &next
		}
	}
	z, err := zone.New(o, append(recs, add...))
	if err != nil {
		return err
	}
	signed, err := zone.Sign(z, zone.SignConfig{Keys: w.dns.SigningKeys(origin), Now: w.clock.Now})
	if err != nil {
		return err
	}
	return srv.AddZone(signed)
}

// restartBobTLS restarts Bob's server with STARTTLS (RFC 3207) offered,
// with the certificate whose key the TLSA record names.
func (w *world) restartBobTLS() error {
	backend := w.bobServer.Backend
	w.bobServer.Close()
	w.bobServer = &smtp.Server{Backend: backend, Hostname: "mail.hamburger.edu",
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{w.bobCert}}}
	return w.startBob()
}

// secureTransport is the last chapter: mail between the servers goes
// encrypted, and DANE (RFC 7672) over DNSSEC says whose key to expect,
// so that neither a passive listener nor a forged DNS answer wins.
func (s *story) secureTransport() {
	s.heading("Bob's server turns on STARTTLS, and DNSSEC vouches for its key")
	s.printf("  Every message between the two servers so far crossed the network in clear, as\n")
	s.printf("  the dialogues above show: anyone on the path could read it. Bob's administrator\n")
	s.printf("  gives mail.hamburger.edu a key and certificate, turns on STARTTLS (RFC 3207),\n")
	s.printf("  and publishes in the signed hamburger.edu zone a TLSA record (DANE, RFC 6698,\n")
	s.printf("  RFC 7672: 3 1 1 = this very key, by the SHA-256 of its public key), then signs\n")
	s.printf("  the zone again:\n\n")
	leaf, err := x509.ParseCertificate(s.w.bobCert.Certificate[0])
	if err != nil {
		s.stop("Bob's certificate", err)
		return
	}
	rec := dane.Record(dane.DANEEE, dane.SelectorSPKI, dane.MatchSHA256, leaf)
	name := dane.TLSAName("mail.hamburger.edu", uint16(s.w.port)) + "."
	tlsa := dnswire.RR{RRHeader: dnswire.RRHeader{Name: dnswire.MustName(name), Type: dnswire.TypeTLSA, Class: dnswire.ClassINET, TTL: 3600},
		Data: &dnswire.TLSA{Usage: uint8(rec.Usage), Selector: uint8(rec.Selector), MatchingType: uint8(rec.MatchingType), Data: rec.Data}}
	s.printf("    %s\n\n", tlsa.String())
	s.printf("  (the name is _port._tcp. before the host: _25._tcp.mail.hamburger.edu on the\n")
	s.printf("  Internet, _%d here).\n", s.w.port)
	if err := s.w.changeZone("hamburger.edu.", tlsa); err != nil {
		s.stop("the TLSA record is published", err)
		return
	}
	if err := s.w.restartBobTLS(); err != nil {
		s.stop("Bob's server restarts with STARTTLS", err)
		return
	}
	s.printf("\n  mail.crepes.fr has used opportunistic DANE from the start (Postfix's \"dane\"\n")
	s.printf("  level): for each MX host it asks for TLSA records. A validated one means\n")
	s.printf("  STARTTLS is required and the certificate must match it; none (proved absent by\n")
	s.printf("  DNSSEC, as until now) means STARTTLS if offered.\n")

	// Mallory rewrites the TLSA answer to name her own key.
	mcert, _, err := tlstest.SelfSigned("mail.hamburger.edu", 24*time.Hour)
	var mleaf *x509.Certificate
	if err == nil {
		mleaf, err = x509.ParseCertificate(mcert.Certificate[0])
	}
	if err != nil {
		s.stop("Mallory's certificate", err)
		return
	}
	forged := dane.Record(dane.DANEEE, dane.SelectorSPKI, dane.MatchSHA256, mleaf)
	s.printf("\n  Mallory sits on the path between mail.crepes.fr and the DNS. She rewrites the\n")
	s.printf("  TLSA answer to name her own key (3 1 1 %X...),\n", forged.Data[:8])
	s.printf("  so that a server of hers could take the mail. Alice writes again:\n\n")
	before := s.w.tlsLog.len()
	s.w.path.mallory(&forged)
	msg, err := s.composeMessage(bob, "The secret ingredient", "It's a pinch of cinnamon. Tell no one.\n")
	if err != nil {
		s.stop("fourth message composed", err)
		return
	}
	if !s.submit(msg, bob.Addr, false) {
		return
	}
	a, ok := s.waitAttempt("delivery with a forged TLSA answer")
	if !ok {
		return
	}
	n := s.w.path.mallory(nil)
	s.printf("  The resolver checks the TLSA answer's signature against hamburger.edu's key; it\n")
	s.printf("  does not verify, so the answer is bogus and no connection is made:\n")
	s.indent(wrap(replyText(a), 80))
	var bogus *resolver.BogusError
	s.expect(n > 0 && a.Err != nil && errors.As(a.Err, &bogus),
		"Mallory's forged TLSA answer fails DNSSEC validation (bogus)")
	s.waitQueue("the message waits in the queue instead of going to an unverified server", func(e []mailqueue.Entry) bool {
		return len(e) == 1 && e[0].Recipients[0].Status == mailqueue.StatusPending
	})
	s.printf("  The message is deferred (4xx), not sent in clear or to a key DANE did not name.\n")

	s.printf("\n  Mallory leaves. 30 minutes later the queue tries again:\n\n")
	due := s.w.clock.Now().Add(30 * time.Minute)
	ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
	err = s.w.clock.WaitTimer(ctx, due)
	cancel()
	if err != nil {
		s.stop("the queue schedules the retry", err)
		return
	}
	s.w.clock.Advance(30 * time.Minute)
	if a, ok = s.waitAttempt("delivery over DANE-verified TLS"); !ok {
		return
	}
	if _, ok := s.waitVerdict("verdict on the fourth message"); !ok {
		return
	}
	var used mailqueue.TLSResult
	for _, r := range s.w.tlsLog.since(before) {
		if r.TLS {
			used = r
		}
	}
	conns := s.w.bobRec.Conns()
	if len(conns) > 0 {
		s.printf("  The start of the dialogue, as mail.hamburger.edu saw it:\n\n")
		for _, l := range conns[len(conns)-1].Lines() {
			s.printf("    %s\n", l)
		}
	}
	s.printf("\n  Alice's server records what it used: STARTTLS, %s, %s;\n", used.VersionName(), tls.CipherSuiteName(used.CipherSuite))
	s.printf("  the certificate was verified by %s: its public key matches the validated\n", used.VerifiedBy)
	s.printf("  TLSA record.\n")
	s.expect(a.Err == nil && len(a.Replies) == 1 && a.Replies[0].Success() && used.TLS && used.Version >= tls.VersionTLS12 &&
		used.Verified && used.VerifiedBy == "dane-ee",
		"the message goes over STARTTLS, the server's key verified by DANE from a validated TLSA record")
	s.expect(len(conns) > 0 && strings.Contains(strings.Join(conns[len(conns)-1].Lines(), "\n"), "C: STARTTLS"),
		"the dialogue turns to TLS before MAIL FROM: nothing after STARTTLS is readable on the wire")
	s.waitQueue("the fourth message has left Alice's queue", func(e []mailqueue.Entry) bool { return len(e) == 0 })
}

// wrap breaks text into lines of at most width bytes at spaces.
func wrap(text string, width int) string {
	var b strings.Builder
	n := 0
	for i, w := range strings.Fields(text) {
		if i > 0 && n+1+len(w) > width {
			b.WriteByte('\n')
			n = 0
		} else if i > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += len(w)
	}
	return b.String()
}
