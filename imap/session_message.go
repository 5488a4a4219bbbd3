package imap

import (
	"errors"
	"slices"
)

// refresh takes a new snapshot of the selected mailbox and tells the
// client what changed: EXPUNGE (only when expunges is true: never while
// a command that uses sequence numbers runs, RFC 9051 7.5.1), EXISTS,
// and FETCH FLAGS for changed flags.
func (ss *session) refresh(expunges bool) { ss.refreshExcept(expunges, nil) }

// refreshExcept is refresh that leaves out the FETCH FLAGS of the
// session's own changes: a message in own whose flags are now what the
// command under way made them (own[uid]; nil means whatever they are)
// is the command's to report. A message another session changed too is
// reported here. It returns the UIDs it sent FETCH FLAGS for.
func (ss *session) refreshExcept(expunges bool, own map[uint32][]string) map[uint32]bool {
	if ss.state != stateSelected {
		return nil
	}
	snap, err := ss.mbox.Snapshot(ss.ctx)
	if err != nil {
		return nil
	}
	old, cur := ss.snap.Messages, snap.Messages
	if len(old) > 0 && len(cur) >= len(old) && &old[0] == &cur[0] {
		// The store extended the array it gave last time (Snapshot's
		// contract: it never changes what it handed out), so old is
		// a prefix of cur: messages came, none went or changed.
		if len(cur) > len(old) {
			ss.out = append(AppendNumber(append(ss.out, "* "...), uint64(len(cur))), " EXISTS\r\n"...)
		}
		ss.snap = snap
		return nil
	}
	// Both lists are in ascending UID order (Snapshot's contract), so
	// one walk finds the old messages that are gone, without a map.
	var gone []int
	for i, j := 0, 0; i < len(old); i++ {
		for j < len(cur) && cur[j].UID < old[i].UID {
			j++
		}
		if j == len(cur) || cur[j].UID != old[i].UID {
			gone = append(gone, i)
		}
	}
	if len(gone) > 0 && !expunges {
		// Keep expunged messages in the client's view until it may be
		// told; a later refresh that may expunge will catch up.
		return nil
	}
	o := ss.out
	for x := len(gone) - 1; x >= 0; x-- {
		o = append(o, "* "...)
		o = AppendNumber(o, uint64(gone[x]+1))
		o = append(o, " EXPUNGE\r\n"...)
	}
	// The count changed, or the client's count after those EXPUNGEs
	// is not the mailbox's (messages went and others came).
	if n := len(cur); n != len(old) || n != len(old)-len(gone) {
		o = append(o, "* "...)
		o = AppendNumber(o, uint64(n))
		o = append(o, " EXISTS\r\n"...)
	}
	var reported map[uint32]bool
	for i, j := 0, 0; i < len(cur); i++ {
		m := cur[i]
		for j < len(old) && old[j].UID < m.UID {
			j++
		}
		if j == len(old) || old[j].UID != m.UID || slices.Equal(old[j].Flags, m.Flags) {
			continue
		}
		if want, mine := own[m.UID]; mine && (want == nil || sameFlags(want, m.Flags)) {
			continue
		}
		if reported == nil {
			reported = map[uint32]bool{}
		}
		reported[m.UID] = true
		o = append(o, "* "...)
		o = AppendNumber(o, uint64(i+1))
		o = append(o, " FETCH (FLAGS "...)
		o = appendFlags(o, m.Flags)
		o = append(o, " UID "...)
		o = AppendNumber(o, uint64(m.UID))
		if ss.condstore && snap.HighestModSeq > 0 {
			o = append(o, " MODSEQ ("...)
			o = AppendNumber(o, m.ModSeq)
			o = append(o, ')')
		}
		o = append(o, ")\r\n"...)
	}
	ss.out = o
	ss.snap = snap
	return reported
}

// applyStore returns flags changed by a STORE operation (RFC 9051
// 6.4.6), flag names compared without regard to case.
func applyStore(flags []string, op StoreOp, given []string) []string {
	switch op {
	case StoreReplace:
		return given
	case StoreAdd:
		out := slices.Clone(flags)
		for _, f := range given {
			if !hasFlag(out, f) {
				out = append(out, f)
			}
		}
		return out
	}
	return slices.DeleteFunc(slices.Clone(flags), func(f string) bool { return hasFlag(given, f) })
}

// sameFlags reports whether a and b hold the same flags in any order.
func sameFlags(a, b []string) bool {
	for _, f := range a {
		if !hasFlag(b, f) {
			return false
		}
	}
	for _, f := range b {
		if !hasFlag(a, f) {
			return false
		}
	}
	return true
}

func appendFlags(dst []byte, flags []string) []byte {
	dst = append(dst, '(')
	for i, f := range flags {
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = append(dst, f...)
	}
	return append(dst, ')')
}

// resolve turns a sequence set into indexes of ss.snap.Messages, in
// ascending order. For UID sets, UIDs not present are skipped (RFC 9051
// 6.4.8); for sequence numbers, a number past the end is an error.
func (ss *session) resolve(set SeqSet, uid bool) ([]int, bool) {
	msgs := ss.snap.Messages
	if set.Saved {
		var idx []int
		for i, m := range msgs {
			if containsSorted(ss.saved, m.UID) {
				idx = append(idx, i)
			}
		}
		return idx, true
	}
	var idx []int
	if uid {
		var star uint32
		if len(msgs) > 0 {
			star = msgs[len(msgs)-1].UID
		}
		for i, m := range msgs {
			if set.Contains(m.UID, star) {
				idx = append(idx, i)
			}
		}
		return idx, true
	}
	n := uint32(len(msgs))
	for _, r := range set.Ranges {
		if (r.Start != Star && r.Start > n) || (r.Stop != Star && r.Stop > n) || n == 0 {
			return nil, false
		}
	}
	for i := range msgs {
		if set.Contains(uint32(i+1), n) {
			idx = append(idx, i)
		}
	}
	return idx, true
}

// selectedCommand runs the commands of the selected state (RFC 9051
// 6.4); false if cmd is not one of them.
func (ss *session) selectedCommand(cmd *Command) bool {
	t := cmd.Tag
	switch cmd.Name {
	case "CHECK":
		ss.refresh(true)
		ss.tagged(t, "OK CHECK completed")
	case "CLOSE":
		if !ss.readOnly {
			ss.expungeDeleted(nil, false) // RFC 9051 6.4.1: silently
		}
		ss.closeMailbox()
		ss.tagged(t, "OK CLOSE completed")
	case "UNSELECT":
		ss.closeMailbox()
		ss.tagged(t, "OK UNSELECT completed")
	case "EXPUNGE":
		if ss.readOnly {
			ss.tagged(t, "NO [READ-ONLY] Mailbox is read-only")
			return true
		}
		var only []int
		if cmd.UID {
			var ok bool
			if only, ok = ss.resolve(cmd.Seq, true); !ok {
				ss.tagged(t, "BAD Invalid sequence set")
				return true
			}
		}
		if err := ss.expungeDeleted(only, true); err != nil {
			ss.result(t, "EXPUNGE", err)
			return true
		}
		ss.refresh(true)
		ss.tagged(t, "OK EXPUNGE completed")
	case "FETCH":
		ss.fetch(cmd)
	case "STORE":
		ss.store(cmd)
	case "SEARCH":
		ss.search(cmd)
	case "COPY", "MOVE":
		ss.copyMove(cmd)
	default:
		return false
	}
	return true
}

// expungeDeleted removes the \Deleted messages (only those at the given
// indexes when only is not nil), telling the client when tell is true.
func (ss *session) expungeDeleted(only []int, tell bool) error {
	var uids []uint32
	var idx []int
	for i, m := range ss.snap.Messages {
		if only != nil && !containsSorted(only, i) {
			continue
		}
		if hasFlag(m.Flags, `\Deleted`) {
			uids = append(uids, m.UID)
			idx = append(idx, i)
		}
	}
	if len(uids) == 0 {
		return nil
	}
	if err := ss.mbox.Expunge(ss.ctx, uids); err != nil {
		return err
	}
	if tell {
		o := ss.out
		for j := len(idx) - 1; j >= 0; j-- {
			o = append(o, "* "...)
			o = AppendNumber(o, uint64(idx[j]+1))
			o = append(o, " EXPUNGE\r\n"...)
		}
		ss.out = o
	}
	ss.snap.Messages = slices.DeleteFunc(slices.Clone(ss.snap.Messages), func(m Message) bool { return containsSorted(uids, m.UID) })
	return nil
}

func (ss *session) uidsAt(idx []int) []uint32 {
	uids := make([]uint32, len(idx))
	for i, j := range idx {
		uids[i] = ss.snap.Messages[j].UID
	}
	return uids
}

func (ss *session) store(cmd *Command) {
	t := cmd.Tag
	if ss.readOnly {
		ss.tagged(t, "NO [READ-ONLY] Mailbox is read-only")
		return
	}
	idx, ok := ss.resolve(cmd.Seq, cmd.UID)
	if !ok {
		ss.tagged(t, "BAD Invalid sequence set")
		return
	}
	// RFC 7162 3.1.3: messages changed since UNCHANGEDSINCE are left
	// alone and reported in MODIFIED.
	var modified []uint32
	if cmd.HasUnchanged {
		ss.condstore = true
		kept := idx[:0:0]
		for _, i := range idx {
			m := ss.snap.Messages[i]
			if m.ModSeq > cmd.UnchangedSince {
				if cmd.UID {
					modified = append(modified, m.UID)
				} else {
					modified = append(modified, uint32(i+1))
				}
				continue
			}
			kept = append(kept, i)
		}
		idx = kept
	}
	if len(idx) > 0 {
		if err := ss.mbox.Store(ss.ctx, ss.uidsAt(idx), cmd.StoreOp, cmd.Flags); err != nil {
			ss.result(t, "STORE", err)
			return
		}
	}
	// The command's own changes: what each message's flags become.
	own := make(map[uint32][]string, len(idx))
	prev := make(map[uint32]Message, len(idx))
	for _, i := range idx {
		m := ss.snap.Messages[i]
		own[m.UID] = applyStore(m.Flags, cmd.StoreOp, cmd.Flags)
		prev[m.UID] = m
	}
	reported := ss.refreshExcept(cmd.UID, own)
	modseqs := ss.condstore && ss.snap.HighestModSeq > 0
	for j, m := range ss.snap.Messages {
		p, mine := prev[m.UID]
		if !mine || reported[m.UID] {
			continue
		}
		if cmd.Silent {
			// RFC 9051 6.4.6: .SILENT asks for no FETCH of the flags the
			// client set. RFC 7162 3.1.3 (as Dovecot answers): with
			// CONDSTORE on, a message whose MODSEQ moved is still
			// reported, with its UID (UID STORE) and MODSEQ only.
			if !modseqs || m.ModSeq == p.ModSeq {
				continue
			}
			o := append(ss.out, "* "...)
			o = AppendNumber(o, uint64(j+1))
			o = append(o, " FETCH ("...)
			if cmd.UID {
				o = append(o, "UID "...)
				o = AppendNumber(o, uint64(m.UID))
				o = append(o, ' ')
			}
			o = append(o, "MODSEQ ("...)
			o = AppendNumber(o, m.ModSeq)
			ss.out = append(o, "))\r\n"...)
			continue
		}
		// RFC 9051 6.4.6: the flags of every message named, changed
		// or not.
		o := append(ss.out, "* "...)
		o = AppendNumber(o, uint64(j+1))
		o = append(o, " FETCH (FLAGS "...)
		o = appendFlags(o, m.Flags)
		if cmd.UID {
			o = append(o, " UID "...)
			o = AppendNumber(o, uint64(m.UID))
		}
		if modseqs {
			o = append(o, " MODSEQ ("...)
			o = AppendNumber(o, m.ModSeq)
			o = append(o, ')')
		}
		ss.out = append(o, ")\r\n"...)
	}
	if modified != nil {
		o := append(ss.out, t...)
		o = append(o, " OK [MODIFIED "...)
		o = SeqSet{Ranges: compressList(modified)}.AppendText(o)
		ss.out = append(o, "] Conditional STORE failed for some\r\n"...)
		return
	}
	ss.tagged(t, "OK STORE completed")
}

func (ss *session) copyMove(cmd *Command) {
	t := cmd.Tag
	if cmd.Name == "MOVE" && ss.readOnly {
		ss.tagged(t, "NO [READ-ONLY] Mailbox is read-only")
		return
	}
	idx, ok := ss.resolve(cmd.Seq, cmd.UID)
	if !ok {
		ss.tagged(t, "BAD Invalid sequence set")
		return
	}
	if len(idx) == 0 {
		ss.tagged(t, "OK "+cmd.Name+" completed (no messages)")
		return
	}
	src := ss.uidsAt(idx)
	v, dst, err := ss.mbox.Copy(ss.ctx, src, canonMailbox(cmd.Mailbox))
	if err != nil {
		if isNoMailbox(err) {
			ss.tagged(t, "NO [TRYCREATE] No such mailbox")
			return
		}
		ss.result(t, cmd.Name, err)
		return
	}
	code := []byte("[COPYUID ")
	code = AppendNumber(code, uint64(v))
	code = append(code, ' ')
	code = SeqSet{Ranges: compressList(src)}.AppendText(code)
	code = append(code, ' ')
	code = SeqSet{Ranges: compressList(dst)}.AppendText(code)
	code = append(code, ']')
	if cmd.Name == "COPY" {
		ss.tagged(t, "OK "+string(code)+" COPY completed")
		return
	}
	// RFC 6851 4.3: COPYUID in an untagged OK before the EXPUNGEs.
	ss.untagged("OK " + string(code) + " Moved")
	if err := ss.mbox.Expunge(ss.ctx, src); err != nil {
		ss.result(t, "MOVE", err)
		return
	}
	o := ss.out
	for j := len(idx) - 1; j >= 0; j-- {
		o = append(o, "* "...)
		o = AppendNumber(o, uint64(idx[j]+1))
		o = append(o, " EXPUNGE\r\n"...)
	}
	ss.out = o
	ss.snap.Messages = slices.DeleteFunc(slices.Clone(ss.snap.Messages), func(m Message) bool { return containsSorted(src, m.UID) })
	ss.tagged(t, "OK MOVE completed")
}

// compressList turns numbers in any order into ranges, keeping order
// (COPYUID's two sets must correspond element by element).
func compressList(ns []uint32) []Range {
	var rs []Range
	for _, n := range ns {
		if l := len(rs); l > 0 && rs[l-1].Stop+1 == n {
			rs[l-1].Stop = n
			continue
		}
		rs = append(rs, Range{n, n})
	}
	return rs
}

func isNoMailbox(err error) bool { return errors.Is(err, ErrNoMailbox) }

// containsSorted reports whether the ascending list s holds v (UID lists
// and indexes here are built in ascending order; a linear search made
// EXPUNGE of many messages quadratic).
func containsSorted[T uint32 | int](s []T, v T) bool {
	_, ok := slices.BinarySearch(s, v)
	return ok
}
