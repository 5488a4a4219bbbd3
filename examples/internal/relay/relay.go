package relay

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/relaykit/relaykit/mailqueue"
	"github.com/relaykit/relaykit/mailqueue/dnsroute"
	"github.com/relaykit/relaykit/mailqueue/localmail"
	"github.com/relaykit/relaykit/mailqueue/queuectl"
	"github.com/relaykit/relaykit/resolver"
	"github.com/relaykit/relaykit/smtp"
)

// Config is the relay's configuration, from flags.
type Config struct {
	Listen, Submission string
	Hostname           string
	Domains, Mailboxes []string
	Maildir, Spool     string
	Users              map[string]string
	Trusted            []netip.Prefix
	TLS, InsecureAuth  bool
	MaxSize            int64
	MaxRecipients      int
	LineLimit          int // longest accepted data line, CRLF included; 0: 2048
	Roots              []netip.AddrPort
	RemotePort         int
	Retry              time.Duration
	Hold               bool
	QueueLocal         bool // local mail through the queue, as Postfix does
	Journal            bool // local mail: 250 after a journal write, mailboxes written in batches
	Verbose            bool
	CPUProfile         string
	// Metrics, if set, is a host:port where GET /metrics answers the
	// queue's event counters as JSON (expvar's format).
	Metrics string
	// OnAccept, if set, is called after each accepted message (tests
	// wait on it instead of polling mailboxes).
	OnAccept func(localmail.Accepted)
	// MailLog, if set, receives the mail log: a line per accepted message
	// and per recipient outcome (maillog.go). The command's -maillog
	// sends it to stderr by default.
	MailLog     io.Writer
	MailLogPath string // -maillog: "-" for stderr, "none", or a file
	// Postgres is the -postgres DSN; Main opens it into Store.
	Postgres string
	// Store, if set, holds the queue instead of the spool directory
	// (which still holds the lock, the control socket and the journal).
	// A LeaseStore that is not a Spool is shared with other relay nodes
	// (mailqueue Config.Shared). The relay does not close it.
	Store mailqueue.Store
	// Node and LeaseTTL name this node and size its leases on a shared
	// store (mailqueue.Config).
	Node     string
	LeaseTTL time.Duration
}

// Relay is a running relay.
type Relay struct {
	cfg       Config
	backend   *localmail.Backend
	spool     *mailqueue.Spool
	journal   *mailqueue.Spool // nil without Config.Journal
	queue     *mailqueue.Queue
	store     mailqueue.Store // the queue's
	servers   []*smtp.Server
	listeners []net.Listener
	control   *queuectl.Server
	counters  mailqueue.Counters // the queue's events, counted
	done      chan error
}

// Start opens the spool, starts the queue (unless Hold), and listens.
func Start(cfg Config) (*Relay, error) {
	var logger *slog.Logger
	if cfg.Verbose {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if err := os.MkdirAll(cfg.Spool, 0o700); err != nil {
		return nil, fmt.Errorf("relay: %w", err)
	}
	spool, err := mailqueue.OpenSpool(cfg.Spool, mailqueue.SpoolConfig{Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("relay: %w", err)
	}
	r := &Relay{cfg: cfg, spool: spool, done: make(chan error, 4)}
	var journal mailqueue.Store
	if cfg.Journal && !cfg.QueueLocal {
		// A store of its own: the queue never sees journal records.
		r.journal, err = mailqueue.OpenSpool(filepath.Join(cfg.Spool, "journal"), mailqueue.SpoolConfig{Logger: logger})
		if err != nil {
			spool.Close()
			return nil, fmt.Errorf("relay: %w", err)
		}
		journal = r.journal
	}
	// The backend and the queue need each other: the backend enqueues,
	// the queue delivers the local domains into the backend's maildirs.
	// enq gets its queue before any connection is served.
	enq := &queueEnqueuer{held: cfg.Hold}
	onAccept := cfg.OnAccept
	var observer mailqueue.Observer = &r.counters
	if cfg.MailLog != nil {
		ml := &localmail.MailLog{W: cfg.MailLog, Held: cfg.Hold}
		onAccept = func(a localmail.Accepted) {
			ml.Accepted(a)
			if cfg.OnAccept != nil {
				cfg.OnAccept(a)
			}
		}
		observer = mailqueue.Observers{&r.counters, ml}
	}
	boxes := &localmail.Mailboxes{Root: cfg.Maildir, Domains: cfg.Domains}
	if len(cfg.Mailboxes) > 0 {
		boxes.Users = make(map[string]bool, len(cfg.Mailboxes))
		for _, m := range cfg.Mailboxes {
			boxes.Users[strings.ToLower(m)] = true
		}
	}
	r.backend = localmail.NewBackend(localmail.Config{
		Hostname:  cfg.Hostname,
		Mailboxes: boxes,
		Users:     cfg.Users,
		Trusted:   cfg.Trusted,
		Queue:     enq,
		// Held mail is never delivered, so local mail never waits on hold.
		QueueLocal: cfg.QueueLocal && !cfg.Hold,
		Journal:    journal,
		OnAccept:   onAccept,
		Logger:     logger,
	})
	res := resolver.New(resolver.Config{RootHints: cfg.Roots, GluePort: gluePort(cfg.Roots), AllowSpecialAddrs: len(cfg.Roots) > 0})
	var store mailqueue.Store = spool
	if cfg.Store != nil {
		store = cfg.Store
	}
	r.store = store
	r.queue, err = mailqueue.New(store, mailqueue.Config{
		Resolver:  localmail.Routes{Mailboxes: boxes, Next: dnsroute.Resolver{R: res}},
		Deliverer: localmail.Deliverer{Mailboxes: boxes, Writer: r.backend.Writer(), Next: &mailqueue.SMTPDeliverer{Hostname: cfg.Hostname}},
		Port:      uint16(cfg.RemotePort),
		Schedule:  mailqueue.Fixed(cfg.Retry),
		Hostname:  cfg.Hostname,
		Logger:    logger,
		Observer:  observer,
		Node:      cfg.Node,
		LeaseTTL:  cfg.LeaseTTL,
	})
	if err != nil {
		r.closeStores()
		return nil, fmt.Errorf("relay: %w", err)
	}
	enq.q = r.queue
	var tlsConfig *tls.Config
	if cfg.TLS {
		if tlsConfig, err = selfSigned(cfg.Hostname); err != nil {
			r.closeStores()
			return nil, err
		}
	}
	for _, addr := range []string{cfg.Listen, cfg.Submission} {
		if addr == "" {
			continue
		}
		// No TCP keepalive: the server's RFC 5321 4.5.3.2 timeouts already
		// end idle sessions, and keepalive costs four setsockopt calls
		// per accepted connection (Postfix's smtpd does not set it either).
		lc := net.ListenConfig{KeepAlive: -1}
		l, err := lc.Listen(context.Background(), "tcp", addr)
		if err != nil {
			r.closeListeners()
			r.closeStores()
			return nil, fmt.Errorf("relay: %w", err)
		}
		srv := &smtp.Server{
			Backend:           r.backend,
			Hostname:          cfg.Hostname,
			TLSConfig:         tlsConfig,
			AllowInsecureAuth: cfg.InsecureAuth,
			MaxMessageBytes:   cfg.MaxSize,
			MaxRecipients:     cfg.MaxRecipients,
			MaxDataLine:       lineLimit(cfg.LineLimit),
			Logger:            logger,
		}
		r.servers = append(r.servers, srv)
		r.listeners = append(r.listeners, l)
	}
	if err := r.listenControl(); err != nil {
		r.closeListeners()
		r.closeStores()
		return nil, err
	}
	for i, srv := range r.servers {
		go func(srv *smtp.Server, l net.Listener) {
			err := srv.Serve(l)
			if errors.Is(err, smtp.ErrServerClosed) {
				err = nil
			}
			r.done <- err
		}(srv, r.listeners[i])
	}
	return r, nil
}

// queueEnqueuer hands accepted mail to the queue; with held set, on hold:
// durable in the queue, never attempted until released (Postfix's hold
// queue).
type queueEnqueuer struct {
	q    *mailqueue.Queue
	held bool
}

func (e *queueEnqueuer) Enqueue(ctx context.Context, env mailqueue.Envelope, body []byte) (mailqueue.ID, error) {
	if e.held {
		return e.q.EnqueueHeld(ctx, env, body)
	}
	return e.q.Enqueue(ctx, env, body)
}

// lineLimit is the server's MaxDataLine: Postfix's line_length_limit of
// 2048 by default. The queue folds longer lines to 998 octets
// (mailqueue.FoldLongLines) before it stores them.
func lineLimit(n int) int {
	if n == 0 {
		return 2048
	}
	return n
}

// gluePort is the port of the root hints when they all share one: a
// private hierarchy on loopback runs every server on one port.
func gluePort(roots []netip.AddrPort) uint16 {
	if len(roots) == 0 {
		return 0
	}
	p := roots[0].Port()
	for _, r := range roots {
		if r.Port() != p {
			return 0
		}
	}
	return p
}

// Addr is the SMTP listener's address.
func (r *Relay) Addr() string { return r.listeners[0].Addr().String() }

// SubmissionAddr is the submission listener's address, or "".
func (r *Relay) SubmissionAddr() string {
	if r.cfg.Submission == "" || len(r.listeners) < 2 {
		return ""
	}
	return r.listeners[1].Addr().String()
}

// Backend is the mail server behind the listeners.
func (r *Relay) Backend() *localmail.Backend { return r.backend }

// Queue is the outbound queue.
func (r *Relay) Queue() *mailqueue.Queue { return r.queue }

// Counters returns the queue's event counters (accepted, attempt,
// delivered, deferred, bounced, expired); they print as JSON, so
// expvar.Publish exports them.
func (r *Relay) Counters() *mailqueue.Counters { return &r.counters }

// Shutdown stops accepting, lets transactions in flight finish (until
// ctx ends), stops the queue and closes the stores.
func (r *Relay) Shutdown(ctx context.Context) error {
	var errs []error
	for _, srv := range r.servers {
		if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			errs = append(errs, err)
		}
	}
	for range r.servers {
		if err := <-r.done; err != nil {
			errs = append(errs, err)
		}
	}
	if r.control != nil {
		r.control.Shutdown(ctx)
	}
	if err := r.queue.Shutdown(ctx); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, r.closeStores())
	return errors.Join(errs...)
}

func (r *Relay) closeListeners() {
	for _, l := range r.listeners {
		l.Close()
	}
}

func (r *Relay) closeStores() error {
	var errs []error
	if r.backend != nil {
		errs = append(errs, r.backend.Close())
	}
	if r.journal != nil {
		errs = append(errs, r.journal.Close())
	}
	errs = append(errs, r.spool.Close())
	return errors.Join(errs...)
}

func parsePrefixes(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("bad network %q", s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

func parseAddrPorts(list []string) ([]netip.AddrPort, error) {
	var out []netip.AddrPort
	for _, s := range list {
		ap, err := netip.ParseAddrPort(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("bad address %q", s)
			}
			ap = netip.AddrPortFrom(a, 53)
		}
		out = append(out, ap)
	}
	return out, nil
}

// controlPath is the control socket of the relay using spool.
func controlPath(spool string) string { return filepath.Join(spool, "control.sock") }
