package smtp

import (
	"context"
	"io"
)

// Envelope is one message for Client.SendBatch.
type Envelope struct {
	From string
	To   []string
	Msg  io.Reader
	Opts *SendOptions // may be nil
}

// BatchResult is the outcome of one message of SendBatch, with the same
// meaning as SendMail's two results.
type BatchResult struct {
	Result *SendResult
	Err    error
}

// SendBatch sends several messages over the connection, each with the
// outcome SendMail would give it. When the server offers PIPELINING, a
// message's data and end of data go out together with the next message's
// MAIL, RCPT and DATA (RFC 2920 3.1 allows message content to start a
// group), so each message costs about one round trip instead of two.
// Messages asking for Chunking are sent with BDAT, one round trip each.
// After an I/O error the Client is closed and the remaining messages get
// that error.
func (c *Client) SendBatch(ctx context.Context, msgs []Envelope) []BatchResult {
	out := make([]BatchResult, len(msgs))
	fillFrom := func(i int, err error) {
		for ; i < len(out); i++ {
			if out[i].Err == nil && out[i].Result == nil {
				out[i].Err = err
			}
		}
	}
	if err := c.usable(); err != nil {
		fillFrom(0, err)
		return out
	}
	if err := c.hello(ctx); err != nil {
		fillFrom(0, err)
		return out
	}
	if !c.has("PIPELINING") {
		for i, m := range msgs {
			out[i].Result, out[i].Err = c.SendMail(ctx, m.From, m.To, m.Msg, m.Opts)
		}
		return out
	}
	stop := c.watch(ctx)
	defer stop()
	c.pending = c.pending[:0]
	prev := -1 // the message whose final reply is still to be read
	var prevSt *sendState
	finishPrev := func() {
		if prev >= 0 {
			out[prev].Result, out[prev].Err = c.finish(prevSt)
			prev, prevSt = -1, nil
		}
	}
	// failPrev settles the previous message after an error on the
	// connection. If its final reply was already read (the error came
	// with a later reply, e.g. 421 to the next MAIL), that reply is its
	// outcome: reporting an accepted message as failed would make a queue
	// send it twice.
	failPrev := func(err error) {
		if prev < 0 {
			return
		}
		if prevSt.finalDone {
			finishPrev()
			return
		}
		out[prev] = BatchResult{prevSt.res, err}
		prev, prevSt = -1, nil
	}
	cmdTimeout := c.timeout(c.cfg.Timeouts.Command, DefaultMailTimeout)
	termTimeout := c.timeout(c.cfg.Timeouts.DataTerm, DefaultDataTermTimeout)
	for i := range msgs {
		m := &msgs[i]
		var o SendOptions
		if m.Opts != nil {
			o = *m.Opts
		}
		utf8, err := c.checkSend(m.From, m.To, &o)
		if err != nil {
			out[i].Err = err
			continue
		}
		if o.Chunking && c.has("CHUNKING") {
			// BDAT is one round trip already: finish the pipeline, then
			// send it on its own.
			if err := c.drain(ctx, nil, termTimeout); err != nil {
				failPrev(err)
				fillFrom(i, err)
				return out
			}
			finishPrev()
			out[i].Result, out[i].Err = c.SendMail(ctx, m.From, m.To, m.Msg, m.Opts)
			if c.broken != nil {
				fillFrom(i+1, c.usable())
				return out
			}
			continue
		}
		st := &sendState{res: &SendResult{Recipients: make([]RecipientResult, len(m.To))}}
		for j, t := range m.To {
			st.res.Recipients[j].To = t
		}
		c.buf = c.appendMail(c.buf[:0], m.From, &o.Mail, utf8)
		c.bw.Write(c.buf)
		c.pending = append(c.pending, pendingReply{kind: kindMail, st: st})
		for j, t := range m.To {
			if err := c.window(ctx, nil, true, termTimeout); err != nil {
				fillFrom(i, err)
				failPrev(err)
				return out
			}
			var ro *RcptOptions
			if o.Rcpt != nil {
				ro = &o.Rcpt[j]
			}
			c.buf = c.appendRcpt(c.buf[:0], t, ro)
			c.bw.Write(c.buf)
			c.pending = append(c.pending, pendingReply{kind: kindRcpt, idx: j, st: st})
		}
		c.bw.WriteString("DATA\r\n")
		c.pending = append(c.pending, pendingReply{kind: kindData, st: st})
		// One flush: the previous message's data and end of data, and
		// this message's commands; then all their replies.
		if err := c.drain(ctx, nil, max(termTimeout, cmdTimeout)); err != nil {
			failPrev(err)
			fillFrom(i, err)
			return out
		}
		finishPrev()
		switch {
		case st.dataCode != 354:
			out[i] = BatchResult{st.res, c.abort(ctx, st)}
			continue
		case st.accepted == 0:
			// RFC 2920 3.1: 354 with no valid recipient; send an empty
			// message and reset, as SendMail does.
			c.bw.WriteString(".\r\n")
			c.pending = append(c.pending, pendingReply{kind: kindReset, st: st})
			if err := c.drain(ctx, nil, termTimeout); err != nil {
				fillFrom(i, err)
				return out
			}
			out[i] = BatchResult{st.res, c.abort(ctx, st)}
			continue
		}
		if err := c.writeData(ctx, m.Msg, o.Normalize); err != nil {
			out[i] = BatchResult{st.res, err}
			fillFrom(i+1, c.usable())
			return out
		}
		c.pending = append(c.pending, pendingReply{kind: kindFinal, st: st})
		prev, prevSt = i, st
	}
	if err := c.drain(ctx, nil, termTimeout); err != nil {
		failPrev(err)
		return out
	}
	finishPrev()
	return out
}
