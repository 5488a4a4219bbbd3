package main

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/relaykit/relaykit/dane"
	"github.com/relaykit/relaykit/dkim"
	"github.com/relaykit/relaykit/dmarc"
	"github.com/relaykit/relaykit/dnstest"
	"github.com/relaykit/relaykit/dnswire"
	"github.com/relaykit/relaykit/imap"
	"github.com/relaykit/relaykit/mailbox"
	"github.com/relaykit/relaykit/mailqueue"
	"github.com/relaykit/relaykit/mailqueue/dnsroute"
	"github.com/relaykit/relaykit/mailqueue/localmail"
	"github.com/relaykit/relaykit/pop3"
	"github.com/relaykit/relaykit/resolver"
	"github.com/relaykit/relaykit/smtp"
	"github.com/relaykit/relaykit/tlstest"
	"github.com/relaykit/relaykit/zone"
)

// The addresses of the little Internet this program builds on loopback.
const (
	rootAddr      = "127.0.0.2" // a.root-servers.net
	frAddr        = "127.0.0.3" // d.nic.fr, for fr.
	eduAddr       = "127.0.0.4" // ns.edu, for edu.
	crepesDNS     = "127.0.0.5" // ns.crepes.fr
	hamburgerDNS  = "127.0.0.6" // ns.hamburger.edu
	localDNSAddr  = "127.0.0.9" // the local DNS server Alice's laptop asks
	aliceMailAddr = "127.0.0.10"
	bobMailAddr   = "127.0.0.20"
)

// zones are the DNS data: the root delegates fr. and edu.; fr. delegates
// crepes.fr, and edu. does not know hamburger.edu yet (the registrar adds
// it); the MX records of both name the mail servers. www.hamburger.edu is
// an alias of web.hamburger.edu, which has three addresses.
var zones = map[string]string{
	".": `@ 86400 SOA a.root-servers.net. nstld.verisign-grs.com. 1 1800 900 604800 86400
@ 518400 NS a.root-servers.net.
a.root-servers.net. 518400 A ` + rootAddr + `
fr. 172800 NS d.nic.fr.
d.nic.fr. 172800 A ` + frAddr + `
edu. 172800 NS ns.edu.
ns.edu. 172800 A ` + eduAddr,
	"fr.": `@ 3600 SOA d.nic.fr. hostmaster.nic.fr. 1 3600 600 3600000 3600
@ 172800 NS d.nic.fr.
d.nic 172800 A ` + frAddr + `
crepes 3600 NS ns.crepes.fr.
ns.crepes 3600 A ` + crepesDNS,
	"edu.": `@ 3600 SOA ns.edu. hostmaster.edu. 1 3600 600 3600000 3600
@ 172800 NS ns.edu.
ns 172800 A ` + eduAddr,
	"crepes.fr.": `@ 3600 SOA ns hostmaster 1 3600 600 86400 300
@ 3600 NS ns
ns 3600 A ` + crepesDNS + `
@ 3600 MX 10 mail
mail 3600 A ` + aliceMailAddr,
	"hamburger.edu.": `@ 3600 SOA ns hostmaster 1 3600 600 86400 300
@ 3600 NS ns
ns 3600 A ` + hamburgerDNS + `
@ 3600 MX 10 mail
mail 3600 A ` + bobMailAddr + `
waffles 3600 MX 10 mail.waffles
mail.waffles 3600 A 127.0.0.30
www 3600 CNAME web
web 300 A 127.0.1.1
web 300 A 127.0.1.2
web 300 A 127.0.1.3`,
}

// registrarKey is the TSIG key (RFC 8945) the edu. registry gave the
// registrar: the edu. server accepts UPDATE signed with it, for NS, DS and
// address records below edu. only (RFC 3007 policy).
var registrarKey = &dnswire.TSIGKey{
	Name:      dnswire.MustName("registrar.edu."),
	Algorithm: dnswire.HMACSHA256,
	Secret:    []byte("the registrar's shared secret, 32+ octets"),
}

// attempt is one delivery attempt the queue made, as the story sees it.
type attempt struct {
	Target  mailqueue.Target
	Txn     *mailqueue.Transaction
	Replies []mailqueue.Reply
	Err     error
}

// watchedDeliverer passes transactions to the real SMTP deliverer and
// reports each outcome, so the story can wait for events instead of
// sleeping.
type watchedDeliverer struct {
	inner  *mailqueue.SMTPDeliverer
	events chan attempt
}

func (w *watchedDeliverer) Deliver(ctx context.Context, t mailqueue.Target, txn *mailqueue.Transaction) ([]mailqueue.Reply, error) {
	replies, err := w.inner.Deliver(ctx, t, txn)
	w.events <- attempt{Target: t, Txn: txn, Replies: replies, Err: err}
	return replies, err
}

// Close closes the inner deliverer's cached connections.
func (w *watchedDeliverer) Close() error { return w.inner.Close() }

// traceEvent is a DNS lookup the queue made, with the resolver's trace.
type traceEvent struct {
	Question string
	Steps    []resolver.Step
	Result   resolver.Result
	Err      error
}

// tracingDNS is the queue's resolver: the first time a name is looked up
// it resolves it with a trace (reported to the story), then answers
// through the usual adapter, from the cache the traced lookup filled.
type tracingDNS struct {
	res    *resolver.Resolver
	dns    dnsroute.Resolver
	events chan traceEvent
	mu     sync.Mutex
	seen   map[string]bool
}

func (d *tracingDNS) trace(ctx context.Context, name string, t string) {
	key := t + " " + name
	d.mu.Lock()
	first := !d.seen[key]
	d.seen[key] = true
	d.mu.Unlock()
	if !first {
		return
	}
	ev := traceEvent{Question: name + ". " + t}
	qt := dnswire.TypeMX
	if t == "A" {
		qt = dnswire.TypeA
	}
	n, err := dnswire.ParseName(name + ".")
	if err != nil {
		ev.Err = err
	} else {
		ev.Result, ev.Err = d.res.ResolveTrace(ctx, n, qt, func(s resolver.Step) { ev.Steps = append(ev.Steps, s) })
	}
	d.events <- ev
}

func (d *tracingDNS) LookupMX(ctx context.Context, domain string) ([]mailqueue.MX, error) {
	d.trace(ctx, domain, "MX")
	return d.dns.LookupMX(ctx, domain)
}

func (d *tracingDNS) LookupIP(ctx context.Context, host string) ([]netip.Addr, error) {
	d.trace(ctx, host, "A")
	return d.dns.LookupIP(ctx, host)
}

// world is everything the story runs on.
type world struct {
	dir   string
	clock *simClock
	dns   *dnstest.Hierarchy
	// Alice's laptop asks this local DNS server (a caching resolver
	// with its own cache, on the simulated clock).
	localDNS     *resolver.Server
	localRes     *resolver.Resolver
	localDNSConn net.PacketConn
	port         int // SMTP port of both mail servers (their "port 25")

	aliceBackend, bobBackend *localmail.Backend
	aliceMX, aliceSub        *smtp.Server
	bobServer                *smtp.Server
	aliceMXRec, aliceSubRec  *recorder
	bobRec                   *recorder
	serveDone                chan error
	nServing                 int

	spool    *mailqueue.Spool
	queue    *mailqueue.Queue
	attempts chan attempt
	traces   chan traceEvent
	accepted chan localmail.Accepted // messages accepted into Alice's mailbox
	bobGot   chan localmail.Accepted

	uaTLS *tls.Config // what Alice's user agent trusts

	pop3     *pop3.Server // mail.hamburger.edu's POP3 server
	pop3Addr string
	imap     *imap.Server // mail.hamburger.edu's IMAP server
	imapAddr string
	bobTLS   *tls.Config // what Bob's user agent trusts
	bobCert  tls.Certificate

	path   *onPath // between mail.crepes.fr's resolver and the DNS
	tlsLog tlsLog  // what TLS each of mail.crepes.fr's deliveries used

	dkimKey  ed25519.PrivateKey  // crepes.fr's DKIM signing key
	verdicts chan *dmarc.Verdict // Bob's server's sender-authentication results
}

const (
	alicePassword = "crêpes-suzette"
	start         = "2026-11-26T09:00:00Z"
)

func newWorld() (*world, error) {
	dir, err := os.MkdirTemp("", "alice-to-bob")
	if err != nil {
		return nil, err
	}
	t0, _ := time.Parse(time.RFC3339, start)
	w := &world{
		dir:       dir,
		clock:     newSimClock(t0),
		serveDone: make(chan error, 8),
		attempts:  make(chan attempt, 64),
		traces:    make(chan traceEvent, 64),
		accepted:  make(chan localmail.Accepted, 16),
		bobGot:    make(chan localmail.Accepted, 16),
		verdicts:  make(chan *dmarc.Verdict, 16),
	}
	if _, w.dkimKey, err = ed25519.GenerateKey(nil); err != nil {
		return nil, err
	}
	if err := w.build(); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

func (w *world) build() error {
	var err error
	// The DNS: five servers on five loopback addresses, one port; which
	// address serves which zone comes from the zones' NS and glue.
	all := maps.Clone(zones)
	all["crepes.fr."] += authZoneRecords(w.dkimKey.Public().(ed25519.PublicKey))
	// Every zone is signed (DNSSEC, RFC 4035) with a key of its own, and
	// each parent holds its children's DS records; hamburger.edu's DS
	// comes with the registration.
	w.dns, err = dnstest.Start(dnstest.Config{Zones: all, Sign: &dnstest.Signing{Now: w.clock.Now}, Setup: func(addr netip.Addr, s *zone.Server) {
		s.Now = w.clock.Now // TSIG times are checked against this clock
		// Round-robin load distribution: each answer gives a set of
		// several records in the next order.
		s.Rotate = true
		if addr.String() == eduAddr {
			s.Keys = []*dnswire.TSIGKey{registrarKey}
			// The registry signs each change an UPDATE makes (new
			// RRSIGs, an NSEC chain that covers the new names).
			s.Resign = func(z *zone.Zone) (*zone.Zone, error) {
				return zone.Sign(z, zone.SignConfig{Keys: w.dns.SigningKeys("edu."), Now: w.clock.Now})
			}
			s.UpdatePolicy = []zone.UpdateRule{{
				Key: registrarKey.Name, Name: dnswire.MustName("edu."), BelowOnly: true,
				Types: []dnswire.Type{dnswire.TypeNS, dnswire.TypeDS, dnswire.TypeA, dnswire.TypeAAAA},
			}}
		}
	}})
	if err != nil {
		return fmt.Errorf("DNS servers: %w", err)
	}
	// The local DNS server of crepes.fr's network, for Alice's laptop.
	w.localRes = resolver.New(resolver.Config{RootHints: w.dns.RootHints(), GluePort: w.dns.Port(), AllowSpecialAddrs: true, Now: w.clock.Now,
		DNSSEC: true, TrustAnchors: w.dns.TrustAnchor()})
	w.localDNS = resolver.NewServer(resolver.ServerConfig{Resolver: w.localRes})
	if w.localDNSConn, err = net.ListenPacket("udp", net.JoinHostPort(localDNSAddr, strconv.Itoa(int(w.dns.Port())))); err != nil {
		return fmt.Errorf("local DNS server: %w", err)
	}
	go w.localDNS.ServeUDP(w.localDNSConn)
	// Alice's server: MX listener and submission listener. The MX port is
	// then "port 25" for the whole world: Bob's server uses it too.
	mxl, err := net.Listen("tcp", aliceMailAddr+":0")
	if err != nil {
		return err
	}
	w.port = mxl.Addr().(*net.TCPAddr).Port
	subl, err := net.Listen("tcp", aliceMailAddr+":0")
	if err != nil {
		mxl.Close()
		return err
	}
	w.aliceMXRec, w.aliceSubRec = &recorder{Listener: mxl}, &recorder{Listener: subl}

	// Alice's server's resolver validates every answer (DNSSEC) from the
	// root's key, as Unbound does by default; this Internet's root key
	// stands in for IANA's.
	w.path = &onPath{inner: resolver.NetTransport{}}
	res := resolver.New(resolver.Config{RootHints: w.dns.RootHints(), GluePort: w.dns.Port(), AllowSpecialAddrs: true,
		Now: w.clock.Now, DNSSEC: true, TrustAnchors: w.dns.TrustAnchor(), Transport: w.path})
	w.spool, err = mailqueue.OpenSpool(filepath.Join(w.dir, "alice-spool"), mailqueue.SpoolConfig{})
	if err != nil {
		return err
	}
	w.queue, err = mailqueue.New(w.spool, mailqueue.Config{
		Resolver: &tracingDNS{res: res, dns: dnsroute.Resolver{R: res}, events: w.traces, seen: map[string]bool{}},
		Deliverer: &watchedDeliverer{inner: &mailqueue.SMTPDeliverer{Hostname: "mail.crepes.fr", Client: smtp.ClientConfig{
			// Connections leave from mail.crepes.fr's own address, the
			// one its SPF record names.
			Dial: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(aliceMailAddr)}}).DialContext,
		}, OutboundTLS: mailqueue.OutboundTLS{
			// Opportunistic DANE everywhere (RFC 7672), with TLSA
			// records the resolver validated.
			Policies: mailqueue.StaticTLSPolicies{Default: mailqueue.TLSPolicy{Level: mailqueue.TLSDANE}},
			DANE:     dane.FromResolver(res),
			Report:   w.tlsLog.add,
		}}, events: w.attempts},
		// Every message the queue takes is DKIM-signed for its From domain.
		Sign:     w.signCrepes,
		Port:     uint16(w.port),
		Schedule: mailqueue.Fixed(30 * time.Minute),
		Lifetime: queueLifetime,
		// One delivery at a time per domain, so two messages due together
		// go one after the other over one cached connection.
		MaxPerDomain: 1,
		Hostname:     "mail.crepes.fr",
		Clock:        w.clock,
	})
	if err != nil {
		return err
	}
	w.aliceBackend = localmail.NewBackend(localmail.Config{
		Hostname: "mail.crepes.fr",
		Mailboxes: &localmail.Mailboxes{
			Root: filepath.Join(w.dir, "crepes-mail"), Domains: []string{"crepes.fr"},
			Users: map[string]bool{"alice@crepes.fr": true}, Options: mailbox.Options{Now: w.clock.Now},
		},
		Users: map[string]string{"alice": alicePassword},
		Queue: w.queue,
		Now:   w.clock.Now,
		OnAccept: func(a localmail.Accepted) {
			if len(a.Local) > 0 {
				w.accepted <- a
			}
		},
	})
	cert, pool, err := tlstest.SelfSigned("mail.crepes.fr", 24*time.Hour)
	if err != nil {
		return err
	}
	w.uaTLS = &tls.Config{RootCAs: pool, ServerName: "mail.crepes.fr"}
	w.aliceMX = &smtp.Server{Backend: w.aliceBackend, Hostname: "mail.crepes.fr"}
	// Submission over implicit TLS (RFC 8314 3.3, port 465): TLS from the
	// first byte, the server sees a *tls.Conn and offers AUTH.
	w.aliceSub = &smtp.Server{Backend: w.aliceBackend, Hostname: "mail.crepes.fr"}
	w.serve(w.aliceMX, w.aliceMXRec)
	w.serve(w.aliceSub, tls.NewListener(w.aliceSubRec, &tls.Config{Certificates: []tls.Certificate{cert}}))

	// Bob's server is built now but starts listening only later: at first
	// it is down.
	w.bobBackend = localmail.NewBackend(localmail.Config{
		Hostname: "mail.hamburger.edu",
		Mailboxes: &localmail.Mailboxes{
			Root: filepath.Join(w.dir, "hamburger-mail"), Domains: []string{"hamburger.edu"},
			Users: map[string]bool{"bob@hamburger.edu": true}, Options: mailbox.Options{Now: w.clock.Now},
		},
		Now:      w.clock.Now,
		OnAccept: func(a localmail.Accepted) { w.bobGot <- a },
	})
	var bobPool *x509.CertPool
	w.bobCert, bobPool, err = tlstest.SelfSigned("mail.hamburger.edu", 24*time.Hour)
	if err != nil {
		return err
	}
	w.bobTLS = &tls.Config{RootCAs: bobPool, ServerName: "mail.hamburger.edu"}
	if err := w.startPOP3(w.bobCert); err != nil {
		return err
	}
	if err := w.startIMAP(w.bobCert); err != nil {
		return err
	}
	// In front of Bob's mailbox: SPF, DKIM and DMARC checks, with Bob's
	// server's own resolver. The public suffix list is the part of
	// Debian's publicsuffix file this small Internet needs.
	psl, err := dmarc.LoadPublicSuffixList(strings.NewReader("fr\nedu\nexample\n"))
	if err != nil {
		return err
	}
	bobRes := resolver.New(resolver.Config{RootHints: w.dns.RootHints(), GluePort: w.dns.Port(), AllowSpecialAddrs: true, Now: w.clock.Now})
	w.bobServer = &smtp.Server{Backend: &authBackend{
		inner:    w.bobBackend,
		rc:       dmarc.NewReceiver("mail.hamburger.edu", resolver.NetResolver{R: bobRes}, psl),
		verdicts: w.verdicts,
	}, Hostname: "mail.hamburger.edu"}
	return nil
}

func (w *world) serve(s *smtp.Server, l net.Listener) {
	w.nServing++
	go func() { w.serveDone <- s.Serve(l) }()
}

// startBob brings Bob's server up on its MX address.
func (w *world) startBob() error {
	l, err := net.Listen("tcp", net.JoinHostPort(bobMailAddr, strconv.Itoa(w.port)))
	if err != nil {
		return err
	}
	w.bobRec = &recorder{Listener: l}
	w.serve(w.bobServer, w.bobRec)
	return nil
}

func (w *world) submissionAddr() string { return w.aliceSubRec.Addr().String() }

// Close stops everything and removes the temporary files.
func (w *world) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, s := range []*smtp.Server{w.aliceSub, w.aliceMX, w.bobServer} {
		if s != nil {
			s.Close()
		}
	}
	for i := 0; i < w.nServing; i++ {
		<-w.serveDone
	}
	if w.queue != nil {
		w.queue.Shutdown(ctx)
	}
	if w.spool != nil {
		w.spool.Close()
	}
	for _, b := range []*localmail.Backend{w.aliceBackend, w.bobBackend} {
		if b != nil {
			b.Close()
		}
	}
	if w.pop3 != nil {
		w.pop3.Close()
	}
	if w.imap != nil {
		w.imap.Close()
	}
	if w.localDNS != nil {
		w.localDNS.Close()
	}
	if w.dns != nil {
		w.dns.Close()
	}
	os.RemoveAll(w.dir)
}

// signCrepes is Alice's server's mailqueue.SignFunc: mail from crepes.fr
// is signed with its DKIM key, anything else goes unsigned.
func (w *world) signCrepes(domain string) (mailqueue.MessageSigner, error) {
	if !strings.EqualFold(domain, "crepes.fr") {
		return nil, nil
	}
	s, err := dkim.NewSigner(dkim.SignOptions{Domain: "crepes.fr", Selector: "mail", Key: w.dkimKey})
	if err != nil {
		return nil, err
	}
	return s, nil
}
