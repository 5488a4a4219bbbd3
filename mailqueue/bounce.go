package mailqueue

import (
	"bytes"
	"context"
	"log/slog"
	"strings"

	"github.com/relaykit/relaykit/rfc5322"
)

type dsnAction uint8

const (
	actionFailed dsnAction = iota
	actionDelayed
)

// report sends an RFC 3464 delivery status notification about the
// recipients idx of m to m's sender, through the queue itself. A message
// with the null reverse-path never causes one (RFC 5321 4.5.5, RFC 3461
// 6.2): its failure is logged, and copied to Config.Postmaster if set.
func (q *Queue) report(m *Message, idx []int, action dsnAction) {
	to := m.Envelope.From
	if to == "" {
		args := []any{"id", m.ID, "rcpts", len(idx)}
		for _, i := range idx {
			args = append(args, "rcpt", m.Envelope.Recipients[i].Addr, "reply", m.State.Rcpts[i].Reply)
		}
		q.log(slog.LevelWarn, "mailqueue: message with null reverse-path failed; no bounce", args...)
		if q.cfg.Postmaster == "" || action != actionFailed {
			return
		}
		to = q.cfg.Postmaster
	}
	body := q.composeDSN(m, idx, action, to)
	env := Envelope{From: "", Recipients: []Recipient{{Addr: to, Notify: NotifyNever}}, EightBitMIME: m.Envelope.EightBitMIME}
	id, err := q.enqueue(context.Background(), env, body, false)
	if err != nil {
		q.log(slog.LevelError, "mailqueue: cannot queue delivery status notification", "id", m.ID, "to", to, "err", err)
		return
	}
	q.log(slog.LevelInfo, "mailqueue: delivery status notification queued", "id", m.ID, "dsn", id, "to", to, "action", action.String())
}

func (a dsnAction) String() string {
	if a == actionDelayed {
		return "delayed"
	}
	return "failed"
}

// composeDSN builds the report (RFC 3464 2, RFC 6522 multipart/report):
// a human-readable part, a message/delivery-status part with per-message
// and per-recipient fields, and the original message (RET=FULL, within
// BounceReturnLimit) or its header section (text/rfc822-headers).
func (q *Queue) composeDSN(m *Message, idx []int, action dsnAction, to string) []byte {
	now := q.now()
	host := q.cfg.Hostname
	boundary := "=_" + newID().String() + "/" + host
	subject := "Undelivered Mail Returned to Sender"
	if action == actionDelayed {
		subject = "Delayed Mail (still being retried)"
	}
	var b bytes.Buffer
	b.WriteString("This is a MIME-encapsulated message.\r\n\r\n")

	// Human-readable part.
	b.WriteString("--" + boundary + "\r\n")
	b.WriteString("Content-Description: Notification\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n")
	b.WriteString("This is the mail system at host " + host + ".\r\n\r\n")
	if action == actionFailed {
		b.WriteString("Your message could not be delivered to one or more recipients.\r\nIt is attached below.\r\n\r\n")
	} else {
		until := m.State.Created.Add(q.cfg.Lifetime)
		b.WriteString("Your message could not be delivered yet. The mail system will keep\r\ntrying until " + rfc5322.FormatDate(until) + ".\r\nYou do not need to send it again.\r\n\r\n")
	}
	for _, i := range idx {
		r := m.State.Rcpts[i]
		b.WriteString("<" + asciiOnly(m.Envelope.Recipients[i].Addr) + ">: " + asciiOnly(r.Reply) + "\r\n")
	}
	b.WriteString("\r\n")

	// RFC 3464 2.2 per-message fields, 2.3 per-recipient fields.
	b.WriteString("--" + boundary + "\r\n")
	b.WriteString("Content-Description: Delivery report\r\nContent-Type: message/delivery-status\r\n\r\n")
	b.WriteString("Reporting-MTA: dns; " + host + "\r\n")
	if m.Envelope.EnvID != "" {
		b.WriteString("Original-Envelope-Id: " + asciiOnly(m.Envelope.EnvID) + "\r\n")
	}
	b.WriteString("Arrival-Date: " + rfc5322.FormatDate(m.State.Created) + "\r\n")
	for _, i := range idx {
		rc := m.Envelope.Recipients[i]
		r := m.State.Rcpts[i]
		b.WriteString("\r\n")
		b.WriteString("Final-Recipient: rfc822; " + asciiOnly(rc.Addr) + "\r\n")
		if rc.ORCPT != "" {
			b.WriteString("Original-Recipient: " + asciiOnly(rc.ORCPT) + "\r\n")
		}
		b.WriteString("Action: " + action.String() + "\r\n")
		b.WriteString("Status: " + dsnStatus(r, action) + "\r\n")
		if r.RemoteMTA != "" {
			b.WriteString("Remote-MTA: dns; " + asciiOnly(r.RemoteMTA) + "\r\n")
		}
		if r.Reply != "" {
			kind := "smtp"
			if r.RemoteMTA == "" {
				kind = "x-mailqueue" // our own diagnosis, not a server's reply
			}
			b.WriteString("Diagnostic-Code: " + kind + "; " + asciiOnly(r.Reply) + "\r\n")
		}
		if !r.Updated.IsZero() {
			b.WriteString("Last-Attempt-Date: " + rfc5322.FormatDate(r.Updated) + "\r\n")
		}
		if action == actionDelayed {
			b.WriteString("Will-Retry-Until: " + rfc5322.FormatDate(m.State.Created.Add(q.cfg.Lifetime)) + "\r\n")
		}
	}
	b.WriteString("\r\n")

	// The original: RFC 3461 4.3 RET=FULL asks for the whole message,
	// otherwise (and when it is too large) the header section only.
	b.WriteString("--" + boundary + "\r\n")
	full := m.Envelope.Ret == RetFull && len(m.Body) <= q.cfg.BounceReturnLimit && action == actionFailed
	if full {
		b.WriteString("Content-Description: Undelivered Message\r\nContent-Type: message/rfc822\r\n\r\n")
		b.Write(m.Body)
		if !bytes.HasSuffix(m.Body, []byte("\r\n")) {
			b.WriteString("\r\n")
		}
	} else {
		b.WriteString("Content-Description: Undelivered Message Headers\r\nContent-Type: text/rfc822-headers\r\n\r\n")
		b.Write(headerSection(m.Body, q.cfg.BounceReturnLimit))
	}
	b.WriteString("\r\n--" + boundary + "--\r\n")

	// RFC 3464 is carried by RFC 6522 multipart/report; RFC 3834 5:
	// Auto-Submitted: auto-replied marks it as a machine's answer.
	bd := &rfc5322.Builder{
		From:    []rfc5322.Address{{Name: "Mail Delivery System", Addr: "MAILER-DAEMON@" + host}},
		To:      []rfc5322.Address{{Addr: to}},
		Subject: subject,
		Date:    now,
		Body:    b.Bytes(),
		Now:     q.now,
	}
	bd.Header.Add("Auto-Submitted", "auto-replied")
	bd.Header.Add("MIME-Version", "1.0")
	bd.Header.Add("Content-Type", "multipart/report; report-type=delivery-status; boundary=\""+boundary+"\"")
	msg, _, err := bd.Message()
	if err == nil {
		return msg
	}
	// The envelope sender may be a mailbox that the message header
	// cannot name as is (a quoted local part rfc5322 would rewrite):
	// write the same header by hand, with the address in angle brackets.
	q.log(slog.LevelDebug, "mailqueue: composing report header by hand", "err", err)
	var h bytes.Buffer
	hdr := func(name, value string) { h.WriteString(name + ": " + value + "\r\n") }
	hdr("Date", rfc5322.FormatDate(now))
	hdr("From", "Mail Delivery System <MAILER-DAEMON@"+host+">")
	hdr("To", "<"+asciiOnly(to)+">")
	hdr("Subject", subject)
	hdr("Message-ID", rfc5322.NewMessageID(host))
	hdr("Auto-Submitted", "auto-replied")
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "multipart/report; report-type=delivery-status;\r\n\tboundary=\""+boundary+"\"")
	h.WriteString("\r\n")
	h.Write(b.Bytes())
	return h.Bytes()
}

// headerSection returns the header section of msg (up to and including
// the last CRLF before the empty line), at most limit bytes, cut at a
// line end.
func headerSection(msg []byte, limit int) []byte {
	end := bytes.Index(msg, []byte("\r\n\r\n"))
	h := msg
	if end >= 0 {
		h = msg[:end+2]
	}
	if len(h) > limit {
		h = h[:limit]
		i := bytes.LastIndex(h, []byte("\r\n"))
		h = h[:i+2] // i == -1: not even one whole line fits
		if i < 0 {
			h = nil
		}
	}
	if len(h) > 0 && !bytes.HasSuffix(h, []byte("\r\n")) {
		h = append(append([]byte(nil), h...), '\r', '\n')
	}
	return h
}

// dsnStatus is the RFC 3464 2.3.4 Status: the enhanced code if the
// reply had one whose class matches the action, otherwise a generic one
// (RFC 3463: 5.0.0 permanent, 4.0.0 transient).
func dsnStatus(r RcptState, action dsnAction) string {
	e := r.Enhanced
	if action == actionFailed {
		if strings.HasPrefix(e, "5.") || e == "4.4.7" {
			return e
		}
		if strings.HasPrefix(e, "4.") && r.Status == StatusFailed && strings.HasPrefix(r.Reply, "message expired") {
			return e
		}
		return "5.0.0"
	}
	if strings.HasPrefix(e, "4.") {
		return e
	}
	return "4.0.0"
}

// asciiOnly keeps report fields within US-ASCII and on one line.
func asciiOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\r' || r == '\n' || r == '\t':
			b.WriteByte(' ')
		case r < 0x20 || r >= 0x7f:
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
