package mailqueue

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/relaykit/relaykit/smtp"
)

// SMTPDeliverer is the default Deliverer: it speaks SMTP with the smtp
// package's Client and keeps connections open for the next message to the
// same address, like Postfix's connection cache. A cached connection is
// checked with RSET before it carries another message (RFC 5321 4.1.1.5),
// and retired after MaxMessagesPerConn messages or MaxConnAge. The zero
// value works; Close drops the cached connections.
type SMTPDeliverer struct {
	// Hostname is sent in EHLO (Client.LocalName wins when set). Default
	// "localhost"; Queue fills in Config.Hostname when it makes the
	// default deliverer.
	Hostname string
	// Client is the template for each connection's smtp.ClientConfig.
	Client smtp.ClientConfig
	// TLS is the base configuration for STARTTLS (RootCAs, client
	// certificates, Time); nil means the defaults. Which connections use
	// TLS and how the certificate is checked is OutboundTLS's job.
	TLS *tls.Config
	// OutboundTLS is the per-destination TLS policy (tlspolicy.go). The
	// zero value is opportunistic STARTTLS (TLSMay).
	OutboundTLS OutboundTLS
	// MaxMessagesPerConn retires a connection after this many
	// transactions. Default 100; 1 disables reuse.
	MaxMessagesPerConn int
	// MaxConnAge retires a connection this long after it was opened.
	// Default 5 minutes (Postfix smtp_connection_reuse_time_limit).
	MaxConnAge time.Duration
	// IdleTimeout closes a cached connection unused this long. Default 5
	// seconds (Postfix smtp_connection_cache_time_limit is 2).
	IdleTimeout time.Duration
	// MaxIdlePerAddr caps cached connections per address. Default 16
	// (above the queue's default MaxPerDomain, so that every delivery to
	// one domain can find its connection again).
	MaxIdlePerAddr int
	// NoChunking sends every message with DATA. By default a message
	// goes with BDAT (RFC 3030) when the server offers CHUNKING and
	// PIPELINING: MAIL, RCPT and the whole message in one round trip
	// instead of two (DATA must wait for the 354, RFC 2920 3.1).
	NoChunking bool

	mu     sync.Mutex
	idle   map[netip.AddrPort][]*pooledConn
	closed bool
	// stats for tests and benchmarks
	dials, reuses int
}

type pooledConn struct {
	c       *smtp.Client
	created time.Time
	used    int
	timer   *time.Timer
	tls     TLSResult // what the connection negotiated
}

func (d *SMTPDeliverer) maxMsgs() int {
	if d.MaxMessagesPerConn > 0 {
		return d.MaxMessagesPerConn
	}
	return 100
}

func (d *SMTPDeliverer) maxAge() time.Duration {
	if d.MaxConnAge > 0 {
		return d.MaxConnAge
	}
	return 5 * time.Minute
}

// take returns a cached connection to addr that is still young enough,
// or nil.
func (d *SMTPDeliverer) take(addr netip.AddrPort) *pooledConn {
	d.mu.Lock()
	defer d.mu.Unlock()
	for l := d.idle[addr]; len(l) > 0; l = d.idle[addr] {
		pc := l[len(l)-1]
		d.idle[addr] = l[:len(l)-1]
		if pc.timer != nil && !pc.timer.Stop() {
			continue // the idle timer is closing it
		}
		if time.Since(pc.created) >= d.maxAge() {
			go quit(pc.c)
			continue
		}
		return pc
	}
	return nil
}

// put caches pc for reuse, or closes it when it is used up.
func (d *SMTPDeliverer) put(addr netip.AddrPort, pc *pooledConn) {
	d.mu.Lock()
	defer d.mu.Unlock()
	maxIdle := d.MaxIdlePerAddr
	if maxIdle <= 0 {
		maxIdle = 16
	}
	if d.closed || pc.used >= d.maxMsgs() || time.Since(pc.created) >= d.maxAge() || len(d.idle[addr]) >= maxIdle {
		go quit(pc.c)
		return
	}
	idle := d.IdleTimeout
	if idle <= 0 {
		idle = 5 * time.Second
	}
	if d.idle == nil {
		d.idle = make(map[netip.AddrPort][]*pooledConn)
	}
	d.idle[addr] = append(d.idle[addr], pc)
	pc.timer = time.AfterFunc(idle, func() {
		d.mu.Lock()
		l := d.idle[addr]
		for i, x := range l {
			if x == pc {
				d.idle[addr] = append(l[:i:i], l[i+1:]...)
				break
			}
		}
		d.mu.Unlock()
		quit(pc.c)
	})
}

// Close closes every cached connection. Deliver still works afterwards
// but caches nothing.
func (d *SMTPDeliverer) Close() error {
	d.mu.Lock()
	d.closed = true
	all := d.idle
	d.idle = nil
	d.mu.Unlock()
	for _, l := range all {
		for _, pc := range l {
			if pc.timer == nil || pc.timer.Stop() {
				quit(pc.c)
			}
		}
	}
	return nil
}

// quit ends a cached session politely (RFC 5321 4.1.1.10), giving an
// unresponsive server a few seconds.
func quit(c *smtp.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.Quit(ctx)
}

func (d *SMTPDeliverer) dial(ctx context.Context, t Target, p tlsPlan) (*pooledConn, error) {
	cfg := d.Client
	if cfg.LocalName == "" {
		cfg.LocalName = d.Hostname
	}
	var res TLSResult
	for plain := false; ; plain = true {
		c, err := smtp.Dial(ctx, t.Addr.String(), &cfg)
		if err != nil {
			return nil, connectError(err)
		}
		if err := c.Hello(ctx); err != nil {
			c.Close()
			return nil, connectError(err)
		}
		res, err = d.negotiate(ctx, c, t, p, plain)
		if err == errPlainRetry && !plain {
			continue
		}
		if err != nil {
			return nil, err
		}
		d.mu.Lock()
		d.dials++
		d.mu.Unlock()
		return &pooledConn{c: c, created: time.Now(), tls: res}, nil
	}
}

func connectError(err error) *DeliveryError {
	de := &DeliveryError{Stage: StageConnect, Err: err}
	var se *smtp.Error
	if errors.As(err, &se) {
		de.Reply = smtpReply(se)
	}
	return de
}

func smtpReply(e *smtp.Error) Reply {
	return Reply{Code: e.Code, Enhanced: e.Enhanced.String(), Text: strings.ReplaceAll(e.Message, "\n", " ")}
}

// Deliver implements Deliverer.
func (d *SMTPDeliverer) Deliver(ctx context.Context, t Target, txn *Transaction) ([]Reply, error) {
	p, err := d.plan(ctx, t)
	if err != nil {
		return nil, err
	}
	pc := d.take(t.Addr)
	if pc != nil && !p.satisfies(pc.tls) {
		go quit(pc.c) // negotiated for a weaker policy or another name
		pc = nil
	}
	if pc != nil {
		// RFC 5321 4.1.1.5: RSET on a cached session both clears any
		// state and proves that the server is still there.
		if err := pc.c.Reset(ctx); err != nil {
			pc.c.Close()
			pc = nil
		} else {
			d.mu.Lock()
			d.reuses++
			d.mu.Unlock()
		}
	}
	if pc == nil {
		if pc, err = d.dial(ctx, t, p); err != nil {
			return nil, err
		}
	} else {
		pc.tls.Reused = true
	}
	d.reportTLS(t, pc.tls)
	to := make([]string, len(txn.Recipients))
	opts := &smtp.SendOptions{
		Mail: smtp.MailOptions{Size: normalizedSize(txn.Body), UTF8: txn.SMTPUTF8, EnvelopeID: txn.EnvID},
		Rcpt: make([]smtp.RcptOptions, len(txn.Recipients)),
		// RFC 5321 2.3.8 and 4.1.1.4: a client must not send a bare CR
		// or LF; lines end only in CRLF. The queue has already accepted
		// the message (and owes a delivery or a bounce), so a bare line
		// ending is turned into CRLF as Postfix does, rather than failing
		// the message. Without this the client refuses it with
		// ErrBareLineEnding, and over DATA it must also drop the
		// connection (DATA cannot be aborted), which the queue would
		// count as a network failure and retry until the message expires.
		Normalize: true,
		Chunking:  !d.NoChunking,
	}
	if txn.EightBitMIME {
		opts.Mail.Body = smtp.Body8BitMIME
	}
	switch txn.Ret {
	case RetFull:
		opts.Mail.Return = smtp.ReturnFull
	case RetHdrs:
		opts.Mail.Return = smtp.ReturnHeaders
	}
	for i, r := range txn.Recipients {
		to[i] = r.Addr
		opts.Rcpt[i].Notify = smtp.DSNNotify(r.Notify & (NotifyNever | NotifySuccess | NotifyFailure | NotifyDelay))
		if typ, addr, ok := strings.Cut(r.ORCPT, ";"); ok {
			opts.Rcpt[i].OriginalRecipientType = strings.TrimSpace(typ)
			opts.Rcpt[i].OriginalRecipient = strings.TrimSpace(addr)
		}
	}
	res, err := pc.c.SendMail(ctx, txn.From, to, bytes.NewReader(txn.Body), opts)
	pc.used++
	var se *smtp.Error
	switch {
	case errors.As(err, &se) && se.Code == 421:
		// RFC 5321 3.8: the server is closing the session.
		pc.c.Close()
	case err == nil || se != nil:
		d.put(t.Addr, pc) // a refusal leaves the session usable (SendMail sent RSET)
	case errors.Is(err, smtp.ErrNotSupported):
		d.put(t.Addr, pc)
		// RFC 6531 3.4 / RFC 6152: the message needs an extension this
		// server lacks; another server of the domain may have it.
		return nil, &DeliveryError{Stage: StageMail, Err: err, Reply: Reply{Code: 554, Enhanced: "5.6.7", Text: "server does not offer SMTPUTF8 or 8BITMIME, which the message needs"}}
	case errors.Is(err, smtp.ErrInvalidInput):
		d.put(t.Addr, pc)
		return nil, &DeliveryError{Stage: StageMail, Err: err, Reply: Reply{Code: 553, Enhanced: "5.1.3", Text: "address or parameter the client cannot send: " + err.Error()}}
	default:
		// I/O failure, timeout, garbage from the server, or a cancel:
		// the client closed the connection; nothing was delivered.
		pc.c.Close()
		stage := StageData
		if res == nil {
			stage = StageConnect
		}
		return nil, &DeliveryError{Stage: stage, Err: err}
	}
	if res == nil || len(res.Recipients) != len(to) {
		return nil, &DeliveryError{Stage: StageData, Err: err}
	}
	out := make([]Reply, len(to))
	same := true
	stage := StageMail
	for i, r := range res.Recipients {
		if r.Err == nil && err != nil {
			stage = StageData // some RCPT was accepted: the failure came later
			// SendMail failed as a whole: no recipient got the message,
			// whatever RCPT said. On a 421 (RFC 5321 3.8) the client stops
			// reading at once and leaves the recipients accepted so far
			// without an error, so they get the 421 here: deferred, never
			// delivered (TestSMTPDataEndFailurePerRecipient).
			r.Err = err
		}
		if r.Err == nil {
			// smtp.SendResult carries no reply for an accepted
			// recipient, so the final DATA reply's text (often a queue
			// ID) cannot be recorded.
			out[i] = Reply{Code: 250, Enhanced: "2.0.0", Text: "accepted"}
			same = false
			continue
		}
		var re *smtp.Error
		if !errors.As(r.Err, &re) {
			return nil, &DeliveryError{Stage: StageData, Err: r.Err}
		}
		out[i] = smtpReply(re)
		if r.Err != err {
			same = false
		}
	}
	if se != nil && same && !se.Permanent {
		// One transient refusal of the whole transaction (MAIL, DATA,
		// or the final reply): let the queue try the next address.
		return nil, &DeliveryError{Stage: stage, Reply: smtpReply(se), Err: err}
	}
	return out, nil
}

// normalizedSize is the size of body once each bare CR and bare LF has
// become CRLF, as sent with SendOptions.Normalize: the SIZE value
// announced at MAIL (RFC 1870 4).
func normalizedSize(body []byte) int64 {
	n := int64(len(body))
	for i, c := range body {
		switch {
		case c == '\r' && (i+1 == len(body) || body[i+1] != '\n'):
			n++
		case c == '\n' && (i == 0 || body[i-1] != '\r'):
			n++
		}
	}
	return n
}
