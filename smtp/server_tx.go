package smtp

import (
	"errors"
	"io"
)

// RFC 3461 4.4: ENVID is at most 100 characters; RFC 3461 4.2: ORCPT's
// xtext is at most 500.
const (
	maxEnvID = 100
	maxORcpt = 500
)

func (c *Conn) handleMail(cmd *Command) {
	switch {
	case c.helo == "":
		c.bw.WriteString("503 5.5.1 Send HELO/EHLO first\r\n")
		return
	case c.inTx:
		c.bw.WriteString("503 5.5.1 Nested MAIL command\r\n")
		return
	}
	o := &c.mailOpts
	*o = MailOptions{}
	var seen uint8
	it := cmd.ParamIter()
	for it.Next() {
		if !c.esmtp {
			// RFC 5321 4.1.1.11: parameters need EHLO.
			c.bw.WriteString("555 5.5.4 MAIL parameters not recognized\r\n")
			return
		}
		k, v := it.Key(), it.Value()
		var bit uint8
		switch {
		case equalFold(k, "SIZE"):
			// RFC 1870 6: SIZE=size-value, 1*20DIGIT
			bit = 1
			n, ok := parseDecimal(v, 20)
			if !ok {
				c.bw.WriteString("501 5.5.4 Malformed SIZE parameter\r\n")
				return
			}
			o.Size = n
		case equalFold(k, "BODY"):
			// RFC 6152 2
			bit = 2
			switch {
			case equalFold(v, "7BIT"):
				o.Body = Body7Bit
			case equalFold(v, "8BITMIME"):
				o.Body = Body8BitMIME
			default:
				c.bw.WriteString("555 5.5.4 Unsupported BODY type\r\n")
				return
			}
		case equalFold(k, "SMTPUTF8"):
			// RFC 6531 3.4: no value.
			bit = 4
			if v != nil {
				c.bw.WriteString("501 5.5.4 SMTPUTF8 takes no value\r\n")
				return
			}
			o.UTF8 = true
		case equalFold(k, "RET"):
			// RFC 3461 4.3
			bit = 8
			switch {
			case equalFold(v, "FULL"):
				o.Return = ReturnFull
			case equalFold(v, "HDRS"):
				o.Return = ReturnHeaders
			default:
				c.bw.WriteString("501 5.5.4 Malformed RET parameter\r\n")
				return
			}
		case equalFold(k, "ENVID"):
			// RFC 3461 4.4: ENVID=xtext, at most 100 characters.
			bit = 16
			s, ok := c.decodeXtext(v, maxEnvID)
			if !ok {
				c.bw.WriteString("501 5.5.4 Malformed ENVID parameter\r\n")
				return
			}
			o.EnvelopeID = s
		case equalFold(k, "AUTH"):
			// RFC 4954 5: AUTH=xtext or "<>".
			bit = 32
			if string(v) == "<>" {
				o.Auth = "<>"
				break
			}
			s, ok := c.decodeXtext(v, 500)
			if !ok {
				c.bw.WriteString("501 5.5.4 Malformed AUTH parameter\r\n")
				return
			}
			o.Auth = s
		default:
			// RFC 5321 4.1.1.11
			c.bw.WriteString("555 5.5.4 MAIL parameter not recognized\r\n")
			return
		}
		if seen&bit != 0 {
			c.bw.WriteString("501 5.5.4 Duplicate MAIL parameter\r\n")
			return
		}
		seen |= bit
	}
	if it.Err() != nil {
		c.bw.WriteString("501 5.5.4 Malformed MAIL parameters\r\n")
		return
	}
	if max := c.srv.maxMessage(); max > 0 && o.Size > max {
		// RFC 1870 6.1: 552 when the declared size is too large.
		c.bw.WriteString("552 5.3.4 Message size exceeds fixed maximum message size\r\n")
		return
	}
	if cmd.NonASCII && !o.UTF8 {
		// RFC 6531 3.7.4.1
		c.bw.WriteString("553 5.6.7 Non-ASCII address requires SMTPUTF8\r\n")
		return
	}
	if err := c.sess.Mail(c.ctx, c.internFrom(cmd.Arg), o); err != nil {
		c.replyError(err, 451, EnhancedCode{4, 3, 0}, "Requested action aborted: local error in processing")
		return
	}
	c.inTx, c.utf8 = true, o.UTF8
	c.bw.WriteString("250 2.1.0 Sender OK\r\n")
}

func (c *Conn) decodeXtext(v []byte, max int) (string, bool) {
	if len(v) > max {
		return "", false
	}
	b, err := AppendXtextDecoded(c.scratch[:0], v)
	c.scratch = b[:0]
	if err != nil {
		return "", false
	}
	return string(b), true
}

func parseDecimal(v []byte, maxDigits int) (int64, bool) {
	if len(v) == 0 || len(v) > maxDigits {
		return 0, false
	}
	var n int64
	for _, d := range v {
		if d < '0' || d > '9' {
			return 0, false
		}
		if n > (1<<63-1-9)/10 {
			// Beyond int64: larger than any limit, so saturate.
			n = 1<<63 - 1
			continue
		}
		n = n*10 + int64(d-'0')
	}
	return n, true
}

func (c *Conn) handleRcpt(cmd *Command) {
	if !c.inTx {
		c.bw.WriteString("503 5.5.1 Need MAIL before RCPT\r\n")
		return
	}
	c.rcptAttempts++
	if c.rcpts >= c.srv.maxRecipients() {
		// RFC 5321 4.5.3.1.10: "452 Too many recipients".
		c.bw.WriteString("452 4.5.3 Too many recipients\r\n")
		return
	}
	o := &c.rcptOpts
	*o = RcptOptions{}
	var seen uint8
	it := cmd.ParamIter()
	for it.Next() {
		if !c.esmtp {
			c.bw.WriteString("555 5.5.4 RCPT parameters not recognized\r\n")
			return
		}
		k, v := it.Key(), it.Value()
		var bit uint8
		switch {
		case equalFold(k, "NOTIFY"):
			// RFC 3461 4.1: NEVER, or a list of SUCCESS, FAILURE, DELAY.
			bit = 1
			n, ok := parseNotify(v)
			if !ok {
				c.bw.WriteString("501 5.5.4 Malformed NOTIFY parameter\r\n")
				return
			}
			o.Notify = n
		case equalFold(k, "ORCPT"):
			// RFC 3461 4.2: ORCPT=addr-type ";" xtext
			bit = 2
			semi := -1
			for i, b := range v {
				if b == ';' {
					semi = i
					break
				}
			}
			if semi <= 0 || len(v) > maxORcpt {
				c.bw.WriteString("501 5.5.4 Malformed ORCPT parameter\r\n")
				return
			}
			addr, ok := c.decodeXtext(v[semi+1:], maxORcpt)
			if !ok {
				c.bw.WriteString("501 5.5.4 Malformed ORCPT parameter\r\n")
				return
			}
			o.OriginalRecipientType = string(v[:semi])
			o.OriginalRecipient = addr
		default:
			c.bw.WriteString("555 5.5.4 RCPT parameter not recognized\r\n")
			return
		}
		if seen&bit != 0 {
			c.bw.WriteString("501 5.5.4 Duplicate RCPT parameter\r\n")
			return
		}
		seen |= bit
	}
	if it.Err() != nil {
		c.bw.WriteString("501 5.5.4 Malformed RCPT parameters\r\n")
		return
	}
	if cmd.NonASCII && !c.utf8 {
		c.bw.WriteString("553 5.6.7 Non-ASCII address requires SMTPUTF8\r\n")
		return
	}
	if err := c.sess.Rcpt(c.ctx, c.internRcpt(cmd.Arg), o); err != nil {
		c.replyError(err, 451, EnhancedCode{4, 3, 0}, "Requested action aborted: local error in processing")
		return
	}
	c.rcpts++
	c.bw.WriteString("250 2.1.5 Recipient OK\r\n")
}

func parseNotify(v []byte) (DSNNotify, bool) {
	var n DSNNotify
	for len(v) > 0 {
		i := 0
		for i < len(v) && v[i] != ',' {
			i++
		}
		w := v[:i]
		switch {
		case equalFold(w, "NEVER"):
			n |= NotifyNever
		case equalFold(w, "SUCCESS"):
			n |= NotifySuccess
		case equalFold(w, "FAILURE"):
			n |= NotifyFailure
		case equalFold(w, "DELAY"):
			n |= NotifyDelay
		default:
			return 0, false
		}
		if i == len(v) {
			break
		}
		v = v[i+1:]
		if len(v) == 0 {
			return 0, false
		}
	}
	// RFC 3461 4.1: NEVER must appear alone.
	if n == 0 || n&NotifyNever != 0 && n != NotifyNever {
		return 0, false
	}
	return n, true
}

// checkDataStart answers DATA or BDAT in the wrong state and reports
// whether the data may be received.
func (c *Conn) checkDataStart() bool {
	switch {
	case !c.inTx:
		c.bw.WriteString("503 5.5.1 Need MAIL before DATA\r\n")
	case c.rcpts == 0 && c.rcptAttempts > 0:
		// RFC 2920 3.1: every recipient was refused.
		c.bw.WriteString("554 5.5.1 No valid recipients\r\n")
	case c.rcpts == 0:
		c.bw.WriteString("503 5.5.1 Need RCPT before DATA\r\n")
	default:
		return true
	}
	return false
}

func (c *Conn) handleData() {
	if !c.checkDataStart() {
		return
	}
	if c.bdatFailed {
		c.bw.WriteString("503 5.5.1 DATA not allowed after BDAT\r\n")
		return
	}
	// RFC 5321 4.1.1.4
	c.bw.WriteString("354 Start mail input; end with <CRLF>.<CRLF>\r\n")
	c.setInData(true)
	c.dr.Reset(c.br)
	err := c.deliver(&c.dr)
	derr := c.dr.Discard()
	c.setInData(false)
	c.finishData(err, derr)
}

// deliver hands the message to the session (LMTP: filling lmtpResults).
func (c *Conn) deliver(r io.Reader) error {
	if !c.srv.LMTP {
		return c.sess.Data(c.ctx, r)
	}
	if cap(c.lmtpResults) < c.rcpts {
		c.lmtpResults = make([]error, c.rcpts)
	}
	res := c.lmtpResults[:c.rcpts]
	clear(res)
	if ls, ok := c.sess.(LMTPSession); ok {
		return ls.DataLMTP(c.ctx, r, res)
	}
	return c.sess.Data(c.ctx, r)
}

// finishData sends the final reply (one per recipient in LMTP) after the
// data: derr, the reader's own verdict (bare line ending, too large, line
// too long, connection failure), wins over err, the session's.
func (c *Conn) finishData(err, derr error) {
	defer c.resetTx()
	n := 1
	if c.srv.LMTP {
		n = c.rcpts
	}
	for i := range n {
		switch {
		case derr != nil:
			c.replyDataError(derr)
		case err != nil:
			c.replyError(err, 451, EnhancedCode{4, 3, 0}, "Requested action aborted: local error in processing")
		case c.srv.LMTP && c.lmtpResults[i] != nil:
			c.replyError(c.lmtpResults[i], 451, EnhancedCode{4, 3, 0}, "Requested action aborted: local error in processing")
		default:
			c.bw.WriteString("250 2.0.0 OK: queued\r\n")
		}
	}
}

func (c *Conn) replyDataError(err error) {
	switch {
	case errors.Is(err, ErrBareLineEnding):
		// RFC 5321 2.3.8 / 4.1.1.4: not a line ending, not a message.
		c.bw.WriteString("554 5.6.0 Message refused: bare CR or LF in data\r\n")
	case errors.Is(err, ErrMessageTooLarge):
		// RFC 1870 6.2
		c.bw.WriteString("552 5.3.4 Message size exceeds fixed maximum message size\r\n")
	case errors.Is(err, errDataAbandoned):
		c.bw.WriteString("552 5.3.4 Message size exceeds fixed maximum message size, closing connection\r\n")
		c.quit = true
	case errors.Is(err, ErrLineTooLong):
		// RFC 5321 4.5.3.1.10
		c.bw.WriteString("500 5.5.0 Line too long\r\n")
	default:
		// A connection failure: the reply will most likely not arrive and
		// the read loop ends the session.
		c.bw.WriteString("451 4.3.0 Error reading message data\r\n")
		c.quit = true
	}
}
