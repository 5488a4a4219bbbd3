package imap

import (
	"slices"
	"strings"
	"time"

	"github.com/relaykit/relaykit/mime"
	"github.com/relaykit/relaykit/rfc5322"
)

// searchMsg is one message as a search program sees it; its content is
// read only when a key needs it.
type searchMsg struct {
	ss     *session
	seq    uint32
	m      Message
	loaded bool
	msg    []byte
	hdr    *rfc5322.Header
	tree   *mime.Part // the MIME structure, parsed for BODY and TEXT
}

// content returns the whole message.
func (sm *searchMsg) content() []byte {
	if !sm.loaded {
		sm.loaded = true
		sm.msg, _ = sm.ss.load(&sm.m)
	}
	return sm.msg
}

// header returns the message's parsed header, from the server's cache
// when it has it.
func (sm *searchMsg) header() *rfc5322.Header {
	if sm.hdr == nil {
		var msg []byte
		if sm.loaded {
			msg = sm.msg
		}
		if e, err := sm.ss.info(&sm.m, msg); err == nil {
			sm.hdr = e.hdr
		} else {
			sm.hdr = &rfc5322.Header{}
		}
	}
	return sm.hdr
}

func day(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// match evaluates a search key against one message.
func (sm *searchMsg) match(k *SearchKey) bool {
	star := uint32(len(sm.ss.snap.Messages))
	var maxUID uint32
	if star > 0 {
		maxUID = sm.ss.snap.Messages[star-1].UID
	}
	switch k.Op {
	case SearchAll:
		return true
	case SearchAnd:
		for i := range k.Keys {
			if !sm.match(&k.Keys[i]) {
				return false
			}
		}
		return true
	case SearchNot:
		return !sm.match(&k.Keys[0])
	case SearchOr:
		return sm.match(&k.Keys[0]) || sm.match(&k.Keys[1])
	case SearchSeq:
		if k.Seq.Saved {
			return containsSorted(sm.ss.saved, sm.m.UID)
		}
		return k.Seq.Contains(sm.seq, star)
	case SearchUID:
		if k.Seq.Saved {
			return containsSorted(sm.ss.saved, sm.m.UID)
		}
		return k.Seq.Contains(sm.m.UID, maxUID)
	case SearchAnswered, SearchDeleted, SearchDraft, SearchFlagged, SearchSeen:
		return hasFlag(sm.m.Flags, `\`+string(k.Op[:1])+strings.ToLower(string(k.Op[1:])))
	case SearchUnanswered, SearchUndeleted, SearchUndraft, SearchUnflagged, SearchUnseen:
		name := string(k.Op[2:])
		return !hasFlag(sm.m.Flags, `\`+name[:1]+strings.ToLower(name[1:]))
	case SearchNew:
		return false // no \Recent in this server (RFC 9051 removed it)
	case SearchOld:
		return true
	case SearchRecent:
		return false
	case SearchKeyword:
		return hasFlag(sm.m.Flags, k.Value)
	case SearchUnkeyword:
		return !hasFlag(sm.m.Flags, k.Value)
	case SearchLarger:
		return uint64(sm.m.Size) > k.Number
	case SearchSmaller:
		return uint64(sm.m.Size) < k.Number
	case SearchModSeq:
		return sm.m.ModSeq >= k.Number
	case SearchBefore:
		return day(sm.m.InternalDate).Before(k.Date)
	case SearchOn:
		return day(sm.m.InternalDate).Equal(k.Date)
	case SearchSince:
		return !day(sm.m.InternalDate).Before(k.Date)
	case SearchSentBefore, SearchSentOn, SearchSentSince:
		h := sm.header()
		sent, err := rfc5322.ParseDate(h.Get("Date"))
		if err != nil {
			return false
		}
		d := day(sent)
		switch k.Op {
		case SearchSentBefore:
			return d.Before(k.Date)
		case SearchSentOn:
			return d.Equal(k.Date)
		}
		return !d.Before(k.Date)
	case SearchBcc, SearchCc, SearchFrom, SearchTo, SearchSubject, SearchHeader:
		h := sm.header()
		field := k.Field
		if k.Op != SearchHeader {
			field = string(k.Op)
		}
		for _, f := range h.Fields() {
			if f.Is(field) {
				v, _ := f.Text()
				if containsFold(v, k.Value) || containsFold(f.Value(), k.Value) {
					return true
				}
			}
		}
		return false
	case SearchBody:
		return sm.bodyContains(k.Value)
	case SearchText:
		return sm.textContains(k.Value)
	}
	return false
}

// search answers SEARCH and UID SEARCH (RFC 9051 6.4.4), with ESEARCH
// results (RFC 4731) for RETURN options or IMAP4rev2 clients, and SAVE
// (RFC 5182).
func (ss *session) search(cmd *Command) {
	t := cmd.Tag
	if cmd.Charset != "" && cmd.Charset != "UTF-8" && cmd.Charset != "US-ASCII" {
		ss.tagged(t, "NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset")
		return
	}
	var hits []uint32 // sequence numbers or UIDs
	var hitUIDs []uint32
	var maxMod uint64
	usesModSeq := hasModSeqKey(&cmd.Search)
	for i, m := range ss.snap.Messages {
		sm := searchMsg{ss: ss, seq: uint32(i + 1), m: m}
		if !sm.match(&cmd.Search) {
			continue
		}
		if cmd.UID {
			hits = append(hits, m.UID)
		} else {
			hits = append(hits, uint32(i+1))
		}
		hitUIDs = append(hitUIDs, m.UID)
		maxMod = max(maxMod, m.ModSeq)
	}
	opts := cmd.SearchReturn
	if cmd.HasReturn && len(opts) == 0 {
		opts = []string{"ALL"} // RFC 4731 3.1: RETURN () means ALL
	}
	if slices.Contains(opts, "SAVE") {
		ss.saved = hitUIDs
		if len(opts) == 1 {
			ss.tagged(t, "OK SEARCH completed, result saved")
			return
		}
	}
	o := ss.out
	if !cmd.HasReturn && !ss.rev2 {
		o = append(o, "* SEARCH"...)
		for _, n := range hits {
			o = append(o, ' ')
			o = AppendNumber(o, uint64(n))
		}
		if usesModSeq && len(hits) > 0 {
			o = append(o, " (MODSEQ "...)
			o = AppendNumber(o, maxMod)
			o = append(o, ')')
		}
		ss.out = append(o, "\r\n"...)
		ss.tagged(t, "OK SEARCH completed")
		return
	}
	if !cmd.HasReturn {
		opts = []string{"ALL"}
	}
	o = append(o, `* ESEARCH (TAG `...)
	o = AppendString(o, t, false)
	o = append(o, ')')
	if cmd.UID {
		o = append(o, " UID"...)
	}
	if len(hits) > 0 {
		for _, opt := range opts {
			switch opt {
			case "MIN":
				o = append(o, " MIN "...)
				o = AppendNumber(o, uint64(slices.Min(hits)))
			case "MAX":
				o = append(o, " MAX "...)
				o = AppendNumber(o, uint64(slices.Max(hits)))
			case "ALL":
				o = append(o, " ALL "...)
				sorted := slices.Clone(hits)
				slices.Sort(sorted)
				o = SeqSet{Ranges: compressList(sorted)}.AppendText(o)
			}
		}
		if usesModSeq {
			o = append(o, " MODSEQ "...)
			o = AppendNumber(o, maxMod)
		}
	}
	if slices.Contains(opts, "COUNT") {
		o = append(o, " COUNT "...)
		o = AppendNumber(o, uint64(len(hits)))
	}
	ss.out = append(o, "\r\n"...)
	ss.tagged(t, "OK SEARCH completed")
}

func hasModSeqKey(k *SearchKey) bool {
	if k.Op == SearchModSeq {
		return true
	}
	for i := range k.Keys {
		if hasModSeqKey(&k.Keys[i]) {
			return true
		}
	}
	return false
}
