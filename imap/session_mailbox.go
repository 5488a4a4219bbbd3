package imap

import (
	"errors"
	"slices"
	"strings"
	"time"
)

// authCommand runs the commands of the authenticated state (RFC 9051
// 6.3), which are valid in the selected state too; false if cmd is not
// one of them.
func (ss *session) authCommand(cmd *Command) bool {
	t := cmd.Tag
	switch cmd.Name {
	case "ENABLE":
		var on []string
		for _, c := range cmd.Capabilities {
			switch c {
			case "IMAP4REV2":
				ss.rev2, ss.utf8 = true, true
				on = append(on, "IMAP4rev2")
			case "CONDSTORE":
				ss.condstore = true
				on = append(on, "CONDSTORE")
			case "UTF8=ACCEPT":
				// RFC 6855 3: mailbox names and strings in UTF-8.
				ss.utf8 = true
				on = append(on, "UTF8=ACCEPT")
			}
		}
		if len(on) > 0 {
			ss.untagged("ENABLED " + strings.Join(on, " "))
		}
		ss.tagged(t, "OK ENABLE completed")
	case "SELECT", "EXAMINE":
		ss.selectMailbox(cmd)
	case "GETQUOTAROOT", "GETQUOTA":
		ss.getQuota(cmd)
	case "CREATE":
		ss.result(t, "CREATE", ss.user.Create(ss.ctx, strings.TrimSuffix(cmd.Mailbox, "/")))
	case "DELETE":
		if isInbox(cmd.Mailbox) {
			ss.tagged(t, "NO [CANNOT] INBOX cannot be deleted")
			return true
		}
		ss.result(t, "DELETE", ss.user.Delete(ss.ctx, cmd.Mailbox))
	case "RENAME":
		ss.result(t, "RENAME", ss.user.Rename(ss.ctx, canonMailbox(cmd.Mailbox), cmd.NewName))
	case "SUBSCRIBE", "UNSUBSCRIBE":
		ss.result(t, cmd.Name, ss.user.SetSubscribed(ss.ctx, canonMailbox(cmd.Mailbox), cmd.Name == "SUBSCRIBE"))
	case "LIST", "LSUB":
		ss.list(cmd)
	case "NAMESPACE":
		ss.untagged(`NAMESPACE (("" "/")) NIL NIL`)
		ss.tagged(t, "OK NAMESPACE completed")
	case "STATUS":
		if err := ss.status(canonMailbox(cmd.Mailbox), cmd.StatusItems); err != nil {
			ss.result(t, "STATUS", err)
			return true
		}
		ss.tagged(t, "OK STATUS completed")
	case "APPEND":
		ss.appendMessage(cmd)
	case "IDLE":
		ss.idle(t)
	default:
		return false
	}
	return true
}

func isInbox(name string) bool { return equalFold(name, "INBOX") }

// canonMailbox spells INBOX in upper case (RFC 9051 5.1: INBOX is
// case-insensitive).
func canonMailbox(name string) string {
	if isInbox(name) {
		return "INBOX"
	}
	return name
}

// result answers a store operation: OK, or NO with the RFC 5530 code
// for the error.
func (ss *session) result(tag, what string, err error) {
	switch {
	case err == nil:
		ss.tagged(tag, "OK "+what+" completed")
	case errors.Is(err, ErrNoMailbox):
		ss.tagged(tag, "NO [NONEXISTENT] No such mailbox")
	case errors.Is(err, ErrMailboxExists):
		ss.tagged(tag, "NO [ALREADYEXISTS] Mailbox already exists")
	case errors.Is(err, ErrOverQuota):
		ss.tagged(tag, "NO [OVERQUOTA] Over quota")
	default:
		ss.tagged(tag, "NO [SERVERBUG] "+what+" failed")
		if l := ss.c.srv.Logger; l != nil {
			l.Error("imap: store error", "op", what, "err", err)
		}
	}
}

// closeMailbox leaves the selected state.
func (ss *session) closeMailbox() {
	if ss.mbox != nil {
		ss.mbox.Close(ss.ctx)
	}
	ss.mbox, ss.mboxName, ss.snap, ss.saved = nil, "", Snapshot{}, nil
	ss.state = stateAuth
}

func (ss *session) selectMailbox(cmd *Command) {
	t := cmd.Tag
	if ss.state == stateSelected {
		ss.closeMailbox()
		if ss.rev2 {
			ss.untagged("OK [CLOSED] Previous mailbox closed") // RFC 9051 7.1
		}
	}
	readOnly := cmd.Name == "EXAMINE"
	name := canonMailbox(cmd.Mailbox)
	mb, err := ss.user.Select(ss.ctx, name, readOnly)
	if err != nil {
		ss.result(t, cmd.Name, err)
		return
	}
	snap, err := mb.Snapshot(ss.ctx)
	if err != nil {
		mb.Close(ss.ctx)
		ss.result(t, cmd.Name, err)
		return
	}
	if slices.Contains(cmd.Params, "CONDSTORE") {
		ss.condstore = true // RFC 7162 3.1.8
	}
	ss.mbox, ss.mboxName, ss.readOnly, ss.snap, ss.state = mb, name, readOnly, snap, stateSelected
	o := ss.out
	o = append(o, "* "...)
	o = AppendNumber(o, uint64(len(snap.Messages)))
	o = append(o, " EXISTS\r\n"...)
	if !ss.rev2 {
		o = append(o, "* 0 RECENT\r\n"...)
		for i, m := range snap.Messages {
			if !hasFlag(m.Flags, `\Seen`) {
				o = append(o, "* OK [UNSEEN "...)
				o = AppendNumber(o, uint64(i+1))
				o = append(o, "] First unseen\r\n"...)
				break
			}
		}
	}
	o = append(o, "* OK [UIDVALIDITY "...)
	o = AppendNumber(o, uint64(snap.UIDValidity))
	o = append(o, "] UIDs valid\r\n* OK [UIDNEXT "...)
	o = AppendNumber(o, uint64(snap.UIDNext))
	o = append(o, "] Predicted next UID\r\n"...)
	o = append(o, "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft"...)
	for _, k := range snap.Keywords {
		o = append(o, ' ')
		o = append(o, k...)
	}
	o = append(o, ")\r\n"...)
	switch {
	case readOnly:
		o = append(o, "* OK [PERMANENTFLAGS ()] Read-only mailbox\r\n"...)
	case snap.PermanentFlags != nil:
		o = append(o, "* OK [PERMANENTFLAGS "...)
		o = appendFlags(o, snap.PermanentFlags)
		o = append(o, "] Flags permitted\r\n"...)
	default:
		o = append(o, "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft"...)
		for _, k := range snap.Keywords {
			o = append(o, ' ')
			o = append(o, k...)
		}
		o = append(o, " \\*)] Flags permitted\r\n"...)
	}
	switch {
	case ss.condstore && snap.HighestModSeq == 0:
		o = append(o, "* OK [NOMODSEQ] No permanent modsequences\r\n"...)
	case ss.condstore:
		o = append(o, "* OK [HIGHESTMODSEQ "...)
		o = AppendNumber(o, snap.HighestModSeq)
		o = append(o, "] Highest\r\n"...)
	}
	o = append(o, t...)
	if readOnly {
		o = append(o, " OK [READ-ONLY] EXAMINE completed\r\n"...)
	} else {
		o = append(o, " OK [READ-WRITE] SELECT completed\r\n"...)
	}
	ss.out = o
}

func hasFlag(flags []string, f string) bool {
	for _, x := range flags {
		if equalFold(x, f) {
			return true
		}
	}
	return false
}

// list answers LIST and LSUB (RFC 9051 6.3.9, RFC 5258, RFC 5819).
func (ss *session) list(cmd *Command) {
	t := cmd.Tag
	if cmd.Name == "LIST" && len(cmd.Patterns) == 1 && cmd.Patterns[0] == "" {
		// RFC 9051 6.3.9: the empty pattern asks for the delimiter.
		ss.untagged(`LIST (\Noselect) "/" ""`)
		ss.tagged(t, "OK LIST completed")
		return
	}
	boxes, err := ss.user.Mailboxes(ss.ctx)
	if err != nil {
		ss.result(t, cmd.Name, err)
		return
	}
	onlySub := cmd.Name == "LSUB" || slices.Contains(cmd.List.Select, "SUBSCRIBED")
	showSub := onlySub || slices.Contains(cmd.List.Return, "SUBSCRIBED")
	for _, b := range boxes {
		if onlySub && !b.Subscribed {
			continue
		}
		name := canonMailbox(b.Name)
		matched := false
		for _, p := range cmd.Patterns {
			if matchMailbox(cmd.Reference+p, name) {
				matched = true
				break
			}
		}
		if !matched {
			continue
		}
		o := append(ss.out, "* "...)
		o = append(o, cmd.Name...)
		o = append(o, " ("...)
		attrs := b.Attributes
		if showSub && b.Subscribed && cmd.Name == "LIST" {
			attrs = append(slices.Clip(attrs), `\Subscribed`)
		}
		o = append(o, strings.Join(attrs, " ")...)
		o = append(o, `) "/" `...)
		o = ss.appendMailbox(o, name)
		ss.out = append(o, "\r\n"...)
		if len(cmd.List.ReturnStatus) > 0 && !hasFlag(b.Attributes, `\Noselect`) {
			ss.status(name, cmd.List.ReturnStatus) // RFC 5819: errors are not reported
		}
	}
	ss.tagged(t, "OK "+cmd.Name+" completed")
}

// matchMailbox matches name against a LIST pattern: "*" matches
// anything, "%" anything but the delimiter "/" (RFC 9051 6.3.9).
func matchMailbox(pattern, name string) bool {
	if isInbox(pattern) {
		return name == "INBOX"
	}
	for len(pattern) > 0 {
		switch pattern[0] {
		case '*', '%':
			rest := pattern[1:]
			for i := 0; i <= len(name); i++ {
				if matchMailbox(rest, name[i:]) {
					return true
				}
				if i < len(name) && pattern[0] == '%' && name[i] == '/' {
					return false
				}
			}
			return false
		default:
			if len(name) == 0 || name[0] != pattern[0] {
				return false
			}
			pattern, name = pattern[1:], name[1:]
		}
	}
	return len(name) == 0
}

// status writes "* STATUS" for a mailbox (RFC 9051 6.3.11).
func (ss *session) status(name string, items []string) error {
	var snap Snapshot
	if ss.state == stateSelected && ss.mboxName == name {
		snap = ss.snap
	} else {
		mb, err := ss.user.Select(ss.ctx, name, true)
		if err != nil {
			return err
		}
		snap, err = mb.Snapshot(ss.ctx)
		mb.Close(ss.ctx)
		if err != nil {
			return err
		}
	}
	o := append(ss.out, "* STATUS "...)
	o = ss.appendMailbox(o, name)
	o = append(o, " ("...)
	for i, it := range items {
		var v uint64
		switch it {
		case "MESSAGES":
			v = uint64(len(snap.Messages))
		case "UIDNEXT":
			v = uint64(snap.UIDNext)
		case "UIDVALIDITY":
			v = uint64(snap.UIDValidity)
		case "UNSEEN", "DELETED", "SIZE":
			for _, m := range snap.Messages {
				switch {
				case it == "UNSEEN" && !hasFlag(m.Flags, `\Seen`),
					it == "DELETED" && hasFlag(m.Flags, `\Deleted`):
					v++
				case it == "SIZE":
					v += uint64(m.Size)
				}
			}
		case "RECENT":
		case "HIGHESTMODSEQ":
			v = snap.HighestModSeq
		default:
			continue
		}
		if i > 0 {
			o = append(o, ' ')
		}
		o = append(o, it...)
		o = append(o, ' ')
		o = AppendNumber(o, v)
	}
	ss.out = append(o, ")\r\n"...)
	return nil
}

func (ss *session) appendMessage(cmd *Command) {
	t := cmd.Tag
	name := canonMailbox(cmd.Mailbox)
	date := cmd.Date
	if date.IsZero() {
		date = ss.c.srv.now()
	}
	v, uid, err := ss.user.Append(ss.ctx, name, cmd.Flags, date, cmd.Literal, cmd.Size)
	// Whatever the store did not read must still be read off the wire.
	ss.drainAppend(cmd)
	switch {
	case errors.Is(err, ErrNoMailbox):
		ss.tagged(t, "NO [TRYCREATE] No such mailbox")
		return
	case err != nil:
		ss.result(t, "APPEND", err)
		return
	}
	if ss.state == stateSelected {
		ss.refresh(false) // untagged EXISTS before the tagged OK
	}
	o := append(ss.out, t...)
	o = append(o, " OK [APPENDUID "...)
	o = AppendNumber(o, uint64(v))
	o = append(o, ' ')
	o = AppendNumber(o, uint64(uid))
	ss.out = append(o, "] APPEND completed\r\n"...)
}

// idle runs IDLE (RFC 2177, RFC 9051 6.3.13): changes are sent as they
// are seen, every Server.IdlePoll, until the client sends DONE.
func (ss *session) idle(tag string) {
	ss.out = append(ss.out, "+ idling\r\n"...)
	if !ss.flush() {
		ss.state = stateLogout
		return
	}
	srv := ss.c.srv
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		if ss.state != stateSelected {
			return
		}
		tick := time.NewTicker(orDur(srv.IdlePoll, DefaultIdlePoll))
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				ss.refresh(true)
				if len(ss.out) > 0 && !ss.flush() {
					return
				}
			}
		}
	}()
	ss.c.nc.SetReadDeadline(time.Now().Add(orDur(srv.IdleTimeout, DefaultIdleTimeout)))
	line, err := readLine(ss.br, 64)
	close(done)
	<-stopped
	if err != nil {
		ss.state = stateLogout
		return
	}
	if !equalFold(line, "DONE") {
		ss.tagged(tag, "BAD Expected DONE")
		return
	}
	ss.tagged(tag, "OK IDLE terminated")
}

// getQuota answers GETQUOTAROOT and GETQUOTA (RFC 9208 4.2, 4.3) for the
// one quota root, "", of a QuotaUser.
func (ss *session) getQuota(cmd *Command) {
	t := cmd.Tag
	qu, ok := ss.user.(QuotaUser)
	if !ok || ss.quotaRes == nil {
		ss.tagged(t, "BAD Unknown command") // QUOTA is not advertised
		return
	}
	if cmd.Name == "GETQUOTA" && cmd.QuotaRoot != "" {
		ss.tagged(t, "NO [NONEXISTENT] No such quota root")
		return
	}
	if cmd.Name == "GETQUOTAROOT" {
		// The mailbox must exist (RFC 9208 4.3).
		name := canonMailbox(cmd.Mailbox)
		boxes, err := ss.user.Mailboxes(ss.ctx)
		if err != nil {
			ss.result(t, cmd.Name, err)
			return
		}
		found := false
		for _, b := range boxes {
			if canonMailbox(b.Name) == name {
				found = true
			}
		}
		if !found {
			ss.tagged(t, "NO [NONEXISTENT] No such mailbox")
			return
		}
		o := append(ss.out, "* QUOTAROOT "...)
		o = ss.appendMailbox(o, name)
		ss.out = append(o, " \"\"\r\n"...)
	}
	res, ok, err := qu.Quota(ss.ctx)
	if err != nil {
		ss.result(t, cmd.Name, err)
		return
	}
	o := append(ss.out, `* QUOTA "" (`...)
	if ok {
		for i, r := range res {
			if i > 0 {
				o = append(o, ' ')
			}
			o = append(o, r.Name...)
			o = append(o, ' ')
			o = AppendNumber(o, uint64(max(r.Usage, 0)))
			o = append(o, ' ')
			o = AppendNumber(o, uint64(max(r.Limit, 0)))
		}
	}
	ss.out = append(o, ")\r\n"...)
	ss.tagged(t, "OK "+cmd.Name+" completed")
}
