package mailqueue

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"strconv"
	"sync/atomic"

	"github.com/relaykit/relaykit/smtp"
)

// Backend is an smtp.Backend whose sessions put every accepted message
// into a Queue: the building block of a relay or a submission server.
// Each message gets a Received trace field (RFC 5321 4.4, AppendReceived)
// and is answered 250 only once Enqueue says it is durable. The replies
// for what can go wrong are the RFC's:
//
//   - the store cannot take it (a full disk, a database down): 452 4.3.1
//     (RFC 5321 4.5.3.1.10 names 452 for insufficient storage; RFC 3463
//     4.3.1: mail system full), so the client keeps the message and
//     retries;
//   - larger than the queue's Config.MaxMessageSize: 552 5.3.4 (RFC 5321
//     4.5.3.1.10, RFC 3463 5.3.4);
//   - the queue is shutting down: 421 4.3.2, and the client tries later.
//
// Which recipients may be relayed is Rcpt's decision: a relay must not
// be open (RFC 5321 7.1). Local delivery and other policy are the
// caller's, through Rcpt and the smtp.Server's own limits.
type Backend struct {
	// Queue receives the messages. Required.
	Queue *Queue
	// Hostname names this server in the Received field. Default: the
	// queue's Config.Hostname.
	Hostname string
	// Rcpt decides whether to accept a recipient; an *smtp.Error it
	// returns is the reply. Nil accepts every recipient, which only a
	// server whose clients are all trusted (submission after AUTH, say)
	// may do.
	Rcpt func(ctx context.Context, c *smtp.Conn, from, to string) error
	// OnEnqueue, if set, is called with each message's queue ID after its
	// 250 is decided (for a mail log).
	OnEnqueue func(id ID, env *Envelope, size int)

	seq atomic.Uint64
}

// NewSession implements smtp.Backend.
func (b *Backend) NewSession(_ context.Context, c *smtp.Conn) (smtp.Session, error) {
	return &backendSession{b: b, conn: c}, nil
}

type backendSession struct {
	b    *Backend
	conn *smtp.Conn
	env  Envelope
	buf  bytes.Buffer
}

func (s *backendSession) Mail(_ context.Context, from string, opts *smtp.MailOptions) error {
	s.env = Envelope{From: from, EnvID: opts.EnvelopeID, SMTPUTF8: opts.UTF8, EightBitMIME: opts.Body == smtp.Body8BitMIME}
	switch opts.Return {
	case smtp.ReturnFull:
		s.env.Ret = RetFull
	case smtp.ReturnHeaders:
		s.env.Ret = RetHdrs
	}
	return nil
}

func (s *backendSession) Rcpt(ctx context.Context, to string, opts *smtp.RcptOptions) error {
	if s.b.Rcpt != nil {
		if err := s.b.Rcpt(ctx, s.conn, s.env.From, to); err != nil {
			return err
		}
	}
	r := Recipient{Addr: to, Notify: notifyOf(opts.Notify)}
	if opts.OriginalRecipient != "" {
		r.ORCPT = opts.OriginalRecipientType + ";" + opts.OriginalRecipient
	}
	s.env.Recipients = append(s.env.Recipients, r)
	return nil
}

// notifyOf maps the smtp package's NOTIFY bits to the queue's (RFC 3461
// 4.1).
func notifyOf(n smtp.DSNNotify) Notify {
	var out Notify
	if n&smtp.NotifyNever != 0 {
		out |= NotifyNever
	}
	if n&smtp.NotifySuccess != 0 {
		out |= NotifySuccess
	}
	if n&smtp.NotifyFailure != 0 {
		out |= NotifyFailure
	}
	if n&smtp.NotifyDelay != 0 {
		out |= NotifyDelay
	}
	return out
}

// The replies are made per call: an *smtp.Error shared between sessions
// could be changed by one of them.
func replyStorage(err error) error {
	e := smtp.NewError(452, smtp.EnhancedCode{Class: 4, Subject: 3, Detail: 1}, "Insufficient system storage, try again later")
	e.Err = err
	return e
}

func replyTooLarge() error {
	return smtp.NewError(552, smtp.EnhancedCode{Class: 5, Subject: 3, Detail: 4}, "Message too big for system")
}

func replyClosing() error {
	return smtp.NewError(421, smtp.EnhancedCode{Class: 4, Subject: 3, Detail: 2}, "Service shutting down, try again later")
}

func (s *backendSession) Data(ctx context.Context, r io.Reader) error {
	s.buf.Reset()
	host := s.b.Hostname
	if host == "" {
		host = s.b.Queue.cfg.Hostname
	}
	rc := Received{Helo: s.conn.Hello(), Addr: addrOf(s.conn.RemoteAddr()), By: host,
		TLS: s.conn.TLS(), Date: s.b.Queue.now(), ID: strconv.FormatUint(s.b.seq.Add(1), 16)}
	if len(s.env.Recipients) == 1 {
		rc.For = s.env.Recipients[0].Addr
	}
	s.buf.Write(AppendReceived(s.buf.AvailableBuffer(), &rc))
	hdr := s.buf.Len()
	if _, err := s.buf.ReadFrom(r); err != nil {
		return err // the server answers it; nothing was stored
	}
	id, err := s.b.Queue.Enqueue(ctx, s.env, s.buf.Bytes())
	switch {
	case errors.Is(err, ErrTooLarge):
		return replyTooLarge()
	case errors.Is(err, ErrClosed):
		return replyClosing()
	case err != nil:
		return replyStorage(err)
	}
	if s.b.OnEnqueue != nil {
		s.b.OnEnqueue(id, &s.env, s.buf.Len()-hdr)
	}
	return nil
}

func (s *backendSession) Reset(context.Context) {
	s.env = Envelope{}
	if s.buf.Cap() > 1<<20 {
		s.buf = bytes.Buffer{} // do not keep a large message's buffer
	}
}

func (s *backendSession) Logout(context.Context) error { return nil }

func addrOf(a net.Addr) netip.Addr {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.AddrPort().Addr().Unmap()
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return ap.Addr().Unmap()
}
