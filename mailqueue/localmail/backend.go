package localmail

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/relaykit/relaykit/mailqueue"
	"github.com/relaykit/relaykit/smtp"
)

// Enqueuer takes relayed mail; *mailqueue.Queue is one.
type Enqueuer interface {
	Enqueue(ctx context.Context, env mailqueue.Envelope, body []byte) (mailqueue.ID, error)
}

// Config configures a Backend. The zero value accepts nothing: set
// Mailboxes to receive mail, Queue with Users or Trusted to relay.
type Config struct {
	// Hostname names this server in Received fields. Default
	// "localhost".
	Hostname string
	// Mailboxes are the local domains and their Maildirs. Nil: no local
	// domain.
	Mailboxes *Mailboxes
	// Users are the AUTH credentials, username to password. AUTH is
	// offered only when this is non-empty (and the smtp.Server offers it:
	// under TLS, or with AllowInsecureAuth).
	Users map[string]string
	// Trusted networks may relay without AUTH (Postfix's mynetworks).
	Trusted []netip.Prefix
	// Queue takes mail for other domains. Nil: no relaying at all.
	Queue Enqueuer
	// QueueLocal sends mail for the local domains through Queue too
	// (Postfix's way: the 250 follows one durable write to the queue, and
	// the queue's deliverer writes the mailboxes); the queue's deliverer
	// must then deliver the local domains itself (see LocalDeliverer).
	// False: local mail is written to the mailboxes before the 250, or
	// through Journal.
	QueueLocal bool
	// Journal, when set (and QueueLocal is not), makes local mail durable
	// in this store before the 250 and writes the maildir files right
	// after, off the reply path: one goroutine writes them, flushes a
	// whole batch (up to 256 files or 10 ms) at once, and then removes the
	// stored copies. Messages left in the store by a crash are delivered
	// when New starts, without duplicating files already delivered. Use
	// a store of its own (a mailqueue.Spool in its own directory), not
	// the queue's. Nil: each message's files are flushed before its 250.
	Journal mailqueue.Store
	// Now is the clock for Received fields and stored messages. Default
	// time.Now (the Maildir file names follow Mailboxes.Options.Now).
	Now func() time.Time
	// OnAccept, if set, is called after each message is accepted.
	OnAccept func(Accepted)
	// Logger receives one line per accepted or refused message; nil is
	// silent. Passwords are never logged.
	Logger *slog.Logger
}

// Accepted describes one accepted message, for OnAccept.
type Accepted struct {
	From    string
	Local   []string     // recipients delivered into mailboxes
	Relayed []string     // recipients handed to the queue
	QueueID mailqueue.ID // the queue's ID when Relayed is non-empty
	Size    int          // message size as received
	User    string       // authenticated user, "" if none
	Client  netip.Addr   // client address
	Files   []string     // maildir files written (none yet with a Journal)
	// Journaled: the local copies are in the journal (Config.Journal),
	// written into the Maildirs right after the 250.
	Journaled bool
}

// Backend is an smtp.Backend for a mail server's MX and submission
// service: it delivers mail for its local domains into Maildirs and hands
// mail for other domains to a queue, but only for clients that
// authenticated (RFC 4954) or connect from a trusted network, so it is
// never an open relay (RFC 5321 7.1, RFC 2505 2.4). Each accepted message
// gets a Received trace field (RFC 5321 4.4) and, in a Maildir, the
// Return-Path and Delivered-To fields.
//
// Local mail is acknowledged (250) once it is durable: written by a
// Writer (group commit) before the reply; with Config.Journal, stored in
// the journal before the reply and written into the Maildirs right after;
// with Config.QueueLocal, enqueued like relayed mail (a Deliverer then
// writes it). Create it with NewBackend.
type Backend struct {
	cfg     Config
	writer  *Writer
	journal *journal
	seq     atomic.Uint64
	bufs    sync.Pool // *bytes.Buffer for message data, reused across messages
}

// NewBackend returns a Backend for cfg. Close it to stop its Maildir
// writer.
func NewBackend(cfg Config) *Backend {
	if cfg.Hostname == "" {
		cfg.Hostname = "localhost"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Mailboxes == nil {
		cfg.Mailboxes = &Mailboxes{}
	}
	host := cfg.Mailboxes.Options.Host
	if host == "" {
		host = cfg.Hostname // names the Maildir files too
	}
	b := &Backend{cfg: cfg, writer: newWriter(cfg.Mailboxes, host)}
	if cfg.Journal != nil && !cfg.QueueLocal {
		b.journal = newJournal(cfg.Journal, b.writer, b.logf)
	}
	return b
}

// Close stops the maildir writers after the deliveries in flight (with a
// Journal: writes, flushes and removes from the store every message
// accepted before). It does not close the Journal store.
func (b *Backend) Close() error {
	if b.journal != nil {
		b.journal.close()
	}
	return b.writer.Close()
}

// Writer returns the Writer that delivers the Backend's local mail, for a
// Deliverer to share (one committer, fewer flushes).
func (b *Backend) Writer() *Writer { return b.writer }

// Mailboxes returns the local Maildirs (to read them).
func (b *Backend) Mailboxes() *Mailboxes { return b.cfg.Mailboxes }

// NewSession implements smtp.Backend.
func (b *Backend) NewSession(_ context.Context, c *smtp.Conn) (smtp.Session, error) {
	s := &session{b: b, conn: c, client: clientAddr(c.RemoteAddr())}
	for _, p := range b.cfg.Trusted {
		if p.Contains(s.client) {
			s.trusted = true
		}
	}
	if len(b.cfg.Users) > 0 {
		return &authSession{s}, nil
	}
	return s, nil
}

// session is one connection's state.
type session struct {
	b       *Backend
	conn    *smtp.Conn
	client  netip.Addr
	trusted bool
	user    string // authenticated username

	from    string
	mail    smtp.MailOptions
	local   []string
	remote  []mailqueue.Recipient
	started bool
}

// authSession adds AUTH to a session; it is used only when the backend
// has users, so a server without users never offers AUTH.
type authSession struct{ *session }

// Auth implements smtp.Authenticator (RFC 4954, RFC 4616).
func (s *authSession) Auth(_ context.Context, mechanism, identity, username, password string) error {
	want, ok := s.b.cfg.Users[username]
	// RFC 4616 2: an authorization identity other than the user's own
	// would mean acting as someone else, which this server does not allow.
	if !ok || (identity != "" && identity != username) ||
		subtle.ConstantTimeCompare([]byte(want), []byte(password)) != 1 {
		s.b.logf("auth failed", "client", s.client, "mechanism", mechanism, "user", username)
		return smtp.NewError(535, smtp.EnhancedCode{Class: 5, Subject: 7, Detail: 8}, "Authentication credentials invalid")
	}
	s.user = username
	return nil
}

func (s *session) Mail(_ context.Context, from string, opts *smtp.MailOptions) error {
	s.Reset(context.Background())
	s.from = from
	s.mail = *opts
	s.started = true
	return nil
}

func (s *session) Rcpt(_ context.Context, to string, opts *smtp.RcptOptions) error {
	at := strings.LastIndexByte(to, '@')
	if at < 0 {
		// RFC 5321 4.1.1.3: "postmaster" without a domain must be
		// accepted; this server has no postmaster mailbox of its own.
		return smtp.NewError(550, smtp.EnhancedCode{Class: 5, Subject: 1, Detail: 1}, "<"+to+">: no such mailbox here")
	}
	if s.b.cfg.Mailboxes.IsLocal(to[at+1:]) {
		if !s.b.cfg.Mailboxes.Exists(to) {
			return smtp.NewError(550, smtp.EnhancedCode{Class: 5, Subject: 1, Detail: 1}, "<"+to+">: Recipient address rejected: User unknown")
		}
		if s.b.cfg.QueueLocal && s.b.cfg.Queue != nil {
			s.remote = append(s.remote, mailqueue.Recipient{Addr: to, Notify: notify(opts.Notify)})
			return nil
		}
		s.local = append(s.local, to)
		return nil
	}
	if s.b.cfg.Queue == nil || (s.user == "" && !s.trusted) {
		// RFC 5321 7.1 and RFC 2505 2.4: no open relay. Postfix says the
		// same with 554 5.7.1.
		return smtp.NewError(554, smtp.EnhancedCode{Class: 5, Subject: 7, Detail: 1}, "<"+to+">: Relay access denied")
	}
	r := mailqueue.Recipient{Addr: to, Notify: notify(opts.Notify)}
	if opts.OriginalRecipient != "" {
		r.ORCPT = opts.OriginalRecipientType + ";" + opts.OriginalRecipient
	}
	s.remote = append(s.remote, r)
	return nil
}

func notify(n smtp.DSNNotify) mailqueue.Notify {
	var out mailqueue.Notify
	if n&smtp.NotifyNever != 0 {
		out |= mailqueue.NotifyNever
	}
	if n&smtp.NotifySuccess != 0 {
		out |= mailqueue.NotifySuccess
	}
	if n&smtp.NotifyFailure != 0 {
		out |= mailqueue.NotifyFailure
	}
	if n&smtp.NotifyDelay != 0 {
		out |= mailqueue.NotifyDelay
	}
	return out
}

func (s *session) Data(ctx context.Context, r io.Reader) error {
	now := s.b.cfg.Now()
	id := s.b.seq.Add(1)
	// The queue and the maildir keep no reference to the message after
	// they return, so its buffer serves the next message.
	buf, _ := s.b.bufs.Get().(*bytes.Buffer)
	if buf == nil {
		buf = bytes.NewBuffer(make([]byte, 0, 16<<10))
	}
	defer func() {
		if buf.Cap() <= 1<<20 { // keep the pool's memory bounded
			buf.Reset()
			s.b.bufs.Put(buf)
		}
	}()
	s.appendReceived(buf, now, id)
	hdrLen := buf.Len()
	if _, err := buf.ReadFrom(r); err != nil {
		// Too large, bare CR/LF, a lost connection: the Server answers
		// with this error; nothing was stored.
		return err
	}
	msg := buf.Bytes()
	acc := Accepted{From: s.from, Size: len(msg) - hdrLen, User: s.user, Client: s.client}
	if len(s.remote) > 0 {
		env := mailqueue.Envelope{
			From:         s.from,
			Recipients:   s.remote,
			EnvID:        s.mail.EnvelopeID,
			SMTPUTF8:     s.mail.UTF8,
			EightBitMIME: s.mail.Body == smtp.Body8BitMIME,
		}
		switch s.mail.Return {
		case smtp.ReturnFull:
			env.Ret = mailqueue.RetFull
		case smtp.ReturnHeaders:
			env.Ret = mailqueue.RetHdrs
		}
		qid, err := s.b.cfg.Queue.Enqueue(ctx, env, msg)
		if err != nil {
			s.b.logf("enqueue failed", "err", err)
			// RFC 5321 4.5.3.1.10 names 452 for lack of storage.
			return smtp.NewError(452, smtp.EnhancedCode{Class: 4, Subject: 3, Detail: 1}, "Queue unavailable, try again later")
		}
		acc.QueueID = qid
		for _, r := range s.remote {
			acc.Relayed = append(acc.Relayed, r.Addr)
		}
	}
	if len(s.local) > 0 && s.b.journal != nil {
		if err := s.b.journal.put(ctx, s.from, s.local, msg, now); err != nil {
			s.b.logf("journal write failed", "err", err)
			return smtp.NewError(451, smtp.EnhancedCode{Class: 4, Subject: 3, Detail: 0}, "Local delivery failed, try again later")
		}
		acc.Local = append(acc.Local, s.local...)
		acc.Journaled = true
	} else if len(s.local) > 0 {
		files, err := s.b.writer.Deliver(ctx, s.from, s.local, msg)
		if err != nil {
			s.b.logf("maildir delivery failed", "err", err)
			return smtp.NewError(451, smtp.EnhancedCode{Class: 4, Subject: 3, Detail: 0}, "Local delivery failed, try again later")
		}
		acc.Local = append(acc.Local, s.local...)
		acc.Files = files
	}
	s.b.logf("accepted", "from", s.from, "local", len(acc.Local), "relayed", len(acc.Relayed), "size", acc.Size, "user", s.user)
	if s.b.cfg.OnAccept != nil {
		s.b.cfg.OnAccept(acc)
	}
	return nil
}

// appendReceived writes the RFC 5321 4.4 trace field through
// mailqueue.AppendReceived (RFC 3848 protocol keyword, TLS details).
func (s *session) appendReceived(buf *bytes.Buffer, now time.Time, id uint64) {
	r := mailqueue.Received{
		Helo: s.conn.Hello(), Addr: s.client, By: s.b.cfg.Hostname,
		TLS: s.conn.TLS(), Auth: s.user != "", Date: now,
	}
	var idb [16]byte
	r.ID = string(strconv.AppendUint(idb[:0], id, 16))
	if n := len(s.local) + len(s.remote); n == 1 {
		if len(s.local) == 1 {
			r.For = s.local[0]
		} else {
			r.For = s.remote[0].Addr
		}
	}
	buf.Write(mailqueue.AppendReceived(buf.AvailableBuffer(), &r))
}

func (s *session) Reset(context.Context) {
	s.from, s.started = "", false
	s.mail = smtp.MailOptions{}
	s.local = s.local[:0]
	s.remote = s.remote[:0]
}

func (s *session) Logout(context.Context) error { return nil }

func (b *Backend) logf(msg string, args ...any) {
	if b.cfg.Logger != nil {
		b.cfg.Logger.Info(msg, args...)
	}
}

// ErrClosed is returned by deliveries after Close.
var ErrClosed = errors.New("localmail: closed")

// clientAddr is the IP address of a TCP peer.
func clientAddr(a net.Addr) netip.Addr {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.AddrPort().Addr().Unmap()
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}
