package smtp

import (
	"context"
	"errors"
	"io"
	"strconv"
	"time"
)

// SendOptions are per-message options for Client.SendMail. The zero value
// sends a plain message.
type SendOptions struct {
	// Mail holds the MAIL parameters. SIZE, RET, ENVID and AUTH are sent
	// only when the server offers the extension (SIZE, DSN, AUTH);
	// Body8BitMIME and UTF8 fail with ErrNotSupported when it does not
	// (RFC 6152 3, RFC 6531 3.4). UTF8 is set by itself when an address
	// is not ASCII.
	Mail MailOptions
	// Rcpt holds per-recipient DSN parameters, parallel to the recipient
	// list, or nil. They are sent only when the server offers DSN.
	Rcpt []RcptOptions
	// Chunking sends the message with BDAT (RFC 3030) when the server
	// offers CHUNKING and PIPELINING, so the whole transaction takes one
	// round trip.
	Chunking bool
	// Normalize turns bare CR and bare LF in the message into CRLF;
	// without it such a message is refused with ErrBareLineEnding.
	Normalize bool
}

// RecipientResult is the outcome for one recipient: Err is nil when the
// server accepted it (in LMTP: delivered), else an *Error.
type RecipientResult struct {
	To  string
	Err error
}

// SendResult reports per-recipient outcomes of SendMail.
type SendResult struct {
	Recipients []RecipientResult
}

// Accepted returns the number of recipients the message was accepted for.
func (r *SendResult) Accepted() int {
	n := 0
	for _, x := range r.Recipients {
		if x.Err == nil {
			n++
		}
	}
	return n
}

type replyKind uint8

const (
	kindMail replyKind = iota
	kindRcpt
	kindData  // DATA -> 354
	kindChunk // BDAT without LAST
	kindFinal // end of data: 1 reply, one per accepted recipient in LMTP
	kindReset // RSET after a failed transaction
)

type pendingReply struct {
	kind replyKind
	idx  int
	st   *sendState // the transaction it belongs to; nil: the caller's
}

// sendState tracks one SendMail transaction's replies.
type sendState struct {
	res      *SendResult
	mailErr  error
	dataCode int
	dataErr  error
	finalErr error
	accepted int
	// finalDone: every reply to the end of data has been read, so the
	// message's outcome is known whatever happens on the connection later.
	finalDone bool
}

// SendMail sends one message: MAIL, RCPT for each recipient, then DATA
// (or BDAT). When the server offers PIPELINING (RFC 2920) the commands go
// out together and the message takes two round trips (one with BDAT).
// from may be "" for the null reverse-path. The message must use CRLF line
// endings unless Normalize is set.
//
// The result has one entry per recipient. The error is nil when the
// message was accepted for at least one recipient; otherwise it is the
// *Error that refused it (MAIL, all recipients, or the data), or an I/O
// error. After a refusal the connection is reset (RSET) and ready for the
// next message; after an I/O error, a timeout, ctx cancellation, or a
// failure while the data was being sent, the Client is closed.
func (c *Client) SendMail(ctx context.Context, from string, to []string, msg io.Reader, opts *SendOptions) (*SendResult, error) {
	if err := c.usable(); err != nil {
		return nil, err
	}
	var o SendOptions
	if opts != nil {
		o = *opts
	}
	if len(to) == 0 || o.Rcpt != nil && len(o.Rcpt) != len(to) {
		return nil, ErrInvalidInput
	}
	if err := c.hello(ctx); err != nil {
		return nil, err
	}
	utf8, err := c.checkSend(from, to, &o)
	if err != nil {
		return nil, err
	}
	pipelining := c.has("PIPELINING")
	chunking := o.Chunking && pipelining && c.has("CHUNKING")

	stop := c.watch(ctx)
	defer stop()
	st := sendState{res: &SendResult{Recipients: make([]RecipientResult, len(to))}}
	for i, t := range to {
		st.res.Recipients[i].To = t
	}
	c.pending = c.pending[:0]
	cmdTimeout := c.timeout(c.cfg.Timeouts.Command, DefaultMailTimeout)

	var prevCR bool
	var chunk []byte
	var eof bool
	if chunking {
		// Prepare the first chunk before sending anything, so a message
		// refused for bare line endings costs no round trip.
		var err error
		chunk, eof, err = c.nextChunk(msg, &prevCR, o.Normalize)
		if err != nil {
			return nil, err
		}
	}

	c.buf = c.appendMail(c.buf[:0], from, &o.Mail, utf8)
	c.bw.Write(c.buf)
	c.pending = append(c.pending, pendingReply{kind: kindMail})
	for i, t := range to {
		if err := c.window(ctx, &st, pipelining, cmdTimeout); err != nil {
			return st.res, err
		}
		if !pipelining && st.mailErr != nil {
			return st.res, c.abort(ctx, &st)
		}
		var ro *RcptOptions
		if o.Rcpt != nil {
			ro = &o.Rcpt[i]
		}
		c.buf = c.appendRcpt(c.buf[:0], t, ro)
		c.bw.Write(c.buf)
		c.pending = append(c.pending, pendingReply{kind: kindRcpt, idx: i})
	}
	if chunking {
		return c.sendChunks(ctx, &st, msg, chunk, eof, &prevCR, o.Normalize)
	}
	if !pipelining {
		if err := c.drain(ctx, &st, cmdTimeout); err != nil {
			return st.res, err
		}
		if st.accepted == 0 {
			return st.res, c.abort(ctx, &st)
		}
	}
	c.bw.WriteString("DATA\r\n")
	c.pending = append(c.pending, pendingReply{kind: kindData})
	if err := c.drain(ctx, &st, c.timeout(c.cfg.Timeouts.DataInit, DefaultDataInitTimeout)); err != nil {
		return st.res, err
	}
	if st.dataCode != 354 {
		return st.res, c.abort(ctx, &st)
	}
	if st.accepted == 0 {
		// RFC 2920 3.1: the server said 354 although no recipient was
		// accepted; send an empty message, whose reply is ignored.
		c.bw.WriteString(".\r\n")
		c.pending = append(c.pending, pendingReply{kind: kindReset})
		if err := c.drain(ctx, &st, c.timeout(c.cfg.Timeouts.DataTerm, DefaultDataTermTimeout)); err != nil {
			return st.res, err
		}
		return st.res, c.abort(ctx, &st)
	}
	if err := c.writeData(ctx, msg, o.Normalize); err != nil {
		return st.res, err
	}
	c.pending = append(c.pending, pendingReply{kind: kindFinal})
	if err := c.drain(ctx, &st, c.timeout(c.cfg.Timeouts.DataTerm, DefaultDataTermTimeout)); err != nil {
		return st.res, err
	}
	return c.finish(&st)
}

func deadlineFor(ctx context.Context, d time.Duration) time.Time {
	t := time.Now().Add(d)
	if cd, ok := ctx.Deadline(); ok && cd.Before(t) {
		t = cd
	}
	return t
}

// finish turns the final replies into SendMail's result.
func (c *Client) finish(st *sendState) (*SendResult, error) {
	if st.finalErr != nil && !c.cfg.LMTP {
		for i := range st.res.Recipients {
			if st.res.Recipients[i].Err == nil {
				st.res.Recipients[i].Err = st.finalErr
			}
		}
		return st.res, st.finalErr
	}
	if st.res.Accepted() == 0 {
		return st.res, st.finalErr
	}
	return st.res, nil
}

// abort ends a transaction that will not carry a message: RSET if MAIL
// was accepted, and returns the error that explains the refusal.
func (c *Client) abort(ctx context.Context, st *sendState) error {
	err := st.mailErr
	if err == nil {
		err = st.dataErr
		for _, r := range st.res.Recipients {
			if r.Err != nil && st.accepted == 0 {
				err = r.Err
				break
			}
		}
		if err == nil {
			err = st.finalErr
		}
		c.bw.WriteString("RSET\r\n")
		c.pending = append(c.pending, pendingReply{kind: kindReset})
		if derr := c.drain(ctx, st, c.timeout(c.cfg.Timeouts.Command, DefaultMailTimeout)); derr != nil {
			return derr
		}
	}
	for i := range st.res.Recipients {
		if st.res.Recipients[i].Err == nil {
			st.res.Recipients[i].Err = err
		}
	}
	if err == nil {
		err = c.fail(ctx, ErrReplySyntax)
	}
	return err
}

// window reads replies while too many are outstanding: one without
// pipelining, pipelineWindow with it.
func (c *Client) window(ctx context.Context, st *sendState, pipelining bool, d time.Duration) error {
	limit := 1
	if pipelining {
		limit = pipelineWindow
	}
	for len(c.pending) >= limit {
		if err := c.readPending(ctx, st, d); err != nil {
			return err
		}
	}
	return nil
}

// drain reads every outstanding reply.
func (c *Client) drain(ctx context.Context, st *sendState, d time.Duration) error {
	for len(c.pending) > 0 {
		if err := c.readPending(ctx, st, d); err != nil {
			return err
		}
	}
	return nil
}

// readPending reads the reply to the oldest command not yet answered.
func (c *Client) readPending(ctx context.Context, st *sendState, d time.Duration) error {
	p := c.pending[0]
	if p.st != nil {
		st = p.st
	}
	code, enh, text, err := c.read(ctx, d)
	if err != nil {
		return c.fail(ctx, err)
	}
	var rerr error
	if code >= 400 {
		rerr = c.replyErrorEnh(code, enh, text)
	}
	if code == 421 {
		// RFC 5321 3.8: the server is closing; nothing more will come.
		return c.fail(ctx, rerr)
	}
	switch p.kind {
	case kindMail:
		st.mailErr = rerr
	case kindRcpt:
		st.res.Recipients[p.idx].Err = rerr
		if rerr == nil {
			st.accepted++
		}
	case kindData:
		st.dataCode, st.dataErr = code, rerr
	case kindChunk:
		if rerr != nil && st.finalErr == nil {
			st.finalErr = rerr
		}
	case kindFinal:
		if c.cfg.LMTP {
			// RFC 2033 4.2: one reply per accepted recipient, in order.
			for i := p.idx; i < len(st.res.Recipients); i++ {
				if st.res.Recipients[i].Err == nil {
					if rerr != nil {
						st.res.Recipients[i].Err = rerr
					}
					p.idx = i + 1
					break
				}
			}
			more := false
			for i := p.idx; i < len(st.res.Recipients); i++ {
				if st.res.Recipients[i].Err == nil {
					more = true
				}
			}
			if more {
				c.pending[0] = p
				return nil
			}
		} else if rerr != nil {
			st.finalErr = rerr
		}
		st.finalDone = true
	case kindReset:
	}
	// Pop the front, keeping the array's start so the queue's storage is
	// reused from message to message (it holds at most pipelineWindow+2).
	n := copy(c.pending, c.pending[1:])
	c.pending = c.pending[:n]
	return nil
}

// appendMail appends the MAIL command line.
func (c *Client) appendMail(b []byte, from string, o *MailOptions, utf8 bool) []byte {
	b = append(b, "MAIL FROM:<"...)
	b = append(b, from...)
	b = append(b, '>')
	if o.Size > 0 && c.has("SIZE") {
		b = append(b, " SIZE="...)
		b = strconv.AppendInt(b, o.Size, 10)
	}
	switch o.Body {
	case Body7Bit:
		if c.has("8BITMIME") {
			b = append(b, " BODY=7BIT"...)
		}
	case Body8BitMIME:
		b = append(b, " BODY=8BITMIME"...)
	}
	if utf8 {
		b = append(b, " SMTPUTF8"...)
	}
	if c.has("DSN") {
		switch o.Return {
		case ReturnFull:
			b = append(b, " RET=FULL"...)
		case ReturnHeaders:
			b = append(b, " RET=HDRS"...)
		}
		if o.EnvelopeID != "" {
			b = append(b, " ENVID="...)
			b = AppendXtext(b, o.EnvelopeID)
		}
	}
	if o.Auth != "" && c.has("AUTH") {
		b = append(b, " AUTH="...)
		if o.Auth == "<>" {
			b = append(b, "<>"...)
		} else {
			b = AppendXtext(b, o.Auth)
		}
	}
	return append(b, "\r\n"...)
}

// appendRcpt appends a RCPT command line.
func (c *Client) appendRcpt(b []byte, to string, o *RcptOptions) []byte {
	b = append(b, "RCPT TO:<"...)
	b = append(b, to...)
	b = append(b, '>')
	if o != nil && c.has("DSN") {
		if o.Notify != 0 {
			b = append(b, " NOTIFY="...)
			first := true
			for _, f := range [...]struct {
				bit  DSNNotify
				name string
			}{{NotifyNever, "NEVER"}, {NotifySuccess, "SUCCESS"}, {NotifyFailure, "FAILURE"}, {NotifyDelay, "DELAY"}} {
				if o.Notify&f.bit != 0 {
					if !first {
						b = append(b, ',')
					}
					b = append(b, f.name...)
					first = false
				}
			}
		}
		if o.OriginalRecipient != "" {
			t := o.OriginalRecipientType
			if t == "" {
				t = "rfc822"
			}
			b = append(b, " ORCPT="...)
			b = append(b, t...)
			b = append(b, ';')
			b = AppendXtext(b, o.OriginalRecipient)
		}
	}
	return append(b, "\r\n"...)
}

// validAddrType checks an ORCPT addr-type (RFC 3461 4.2: an atom).
func validAddrType(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isAtext(s[i]) {
			return false
		}
	}
	return true
}

// copyMessage copies src to dst through buf. Unlike io.CopyBuffer it never
// uses src's WriteTo: *os.File's would allocate a 32 KiB buffer per call
// and *strings.Reader's a copy of the whole message.
func copyMessage(dst io.Writer, src io.Reader, buf []byte) error {
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// checkSend validates a message's envelope before anything is sent and
// reports whether it needs SMTPUTF8.
func (c *Client) checkSend(from string, to []string, o *SendOptions) (bool, error) {
	if len(to) == 0 || o.Rcpt != nil && len(o.Rcpt) != len(to) {
		return false, ErrInvalidInput
	}
	utf8 := o.Mail.UTF8
	if from != "" {
		na, err := checkMailbox(from, PathLimits{})
		if err != nil {
			return false, errors.Join(ErrInvalidInput, err)
		}
		utf8 = utf8 || na
	}
	for _, t := range to {
		if equalFold(t, "postmaster") {
			continue
		}
		na, err := checkMailbox(t, PathLimits{})
		if err != nil {
			return false, errors.Join(ErrInvalidInput, err)
		}
		utf8 = utf8 || na
	}
	if utf8 && !c.has("SMTPUTF8") || o.Mail.Body == Body8BitMIME && !c.has("8BITMIME") {
		return false, ErrNotSupported
	}
	for _, r := range o.Rcpt {
		if !validAddrType(r.OriginalRecipientType) {
			return false, ErrInvalidInput
		}
	}
	return utf8, nil
}

// writeData writes the message data and the end-of-data line into the
// buffer (flushed as it fills). Failing mid-DATA drops the connection:
// there is no other way to abort a message (RFC 5321 has no cancel).
func (c *Client) writeData(ctx context.Context, msg io.Reader, normalize bool) error {
	c.wctx, c.wblock = ctx, c.timeout(c.cfg.Timeouts.DataBlock, DefaultDataBlockTimeout)
	defer func() { c.wctx, c.wblock = nil, 0 }()
	c.dw.Reset(c.bw)
	c.dw.Normalize = normalize
	if c.chunkBuf == nil {
		c.chunkBuf = make([]byte, 32<<10)
	}
	if err := copyMessage(&c.dw, msg, c.chunkBuf); err != nil {
		return c.fail(ctx, err)
	}
	if err := c.dw.Close(); err != nil {
		return c.fail(ctx, err)
	}
	return nil
}
