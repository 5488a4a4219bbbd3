package imap

import (
	"bytes"
	"slices"
	"strings"

	"github.com/relaykit/relaykit/mime"

	"github.com/relaykit/relaykit/rfc5322"
)

// maxFetchMessage bounds the octets of one message read into memory to
// answer FETCH and SEARCH.
const maxFetchMessage = 256 << 20

// keepBody is the largest message buffer a session keeps for the next
// message it reads.
const keepBody = 128 << 10

// maxReadAhead bounds how far readAll grows its buffer by the size a
// store reports before the octets arrive (a size may come from a file
// name another program wrote).
const maxReadAhead = 1 << 20

// needsTree reports whether the item needs the message's MIME tree.
func needsTree(it FetchItem) bool {
	switch it.Kind {
	case FetchBodyStructure, FetchBody, FetchBinary, FetchBinarySize:
		return true
	}
	return len(it.Section.Part) > 0
}

func (ss *session) fetch(cmd *Command) {
	t := cmd.Tag
	idx, ok := ss.resolve(cmd.Seq, cmd.UID)
	if !ok {
		ss.tagged(t, "BAD Invalid sequence set")
		return
	}
	items := cmd.Fetch
	needBody, needTree, setSeen, hasUID, hasFlags, hasModSeq := false, false, false, false, false, false
	needHeader := false // only the header: from the cache when it has it
	for _, it := range items {
		if needsTree(it) {
			needBody, needTree = true, true
		}
		switch it.Kind {
		case FetchUID:
			hasUID = true
		case FetchFlags:
			hasFlags = true
		case FetchModSeq:
			hasModSeq = true
		case FetchEnvelope, FetchRFC822Header:
			needHeader = true
		case FetchBodySection:
			if headerOnly(it.Section) {
				needHeader = true
			} else {
				needBody = true
			}
			setSeen = setSeen || !it.Peek
		case FetchRFC822, FetchRFC822Text, FetchBinary:
			needBody = true
			setSeen = setSeen || !it.Peek
		}
	}
	if cmd.UID && !hasUID {
		items = append(items, FetchItem{Kind: FetchUID}) // RFC 9051 6.4.9
	}
	if cmd.ChangedSince > 0 || hasModSeq {
		ss.condstore = true
		if !hasModSeq {
			items = append(items, FetchItem{Kind: FetchModSeq}) // RFC 7162 3.1.4.1
		}
	}
	if setSeen && !ss.readOnly {
		var unseen []uint32
		own := map[uint32][]string{}
		for _, i := range idx {
			if m := ss.snap.Messages[i]; !hasFlag(m.Flags, `\Seen`) {
				unseen = append(unseen, m.UID)
				own[m.UID] = nil // reported by this FETCH's FLAGS
			}
		}
		if len(unseen) > 0 {
			if err := ss.mbox.Store(ss.ctx, unseen, StoreAdd, []string{`\Seen`}); err != nil {
				ss.result(t, "FETCH", err)
				return
			}
			ss.refreshExcept(false, own)
			if !hasFlags {
				items = append(items, FetchItem{Kind: FetchFlags}) // RFC 9051 6.4.5
			}
		}
	}
	for _, i := range idx {
		if i >= len(ss.snap.Messages) {
			continue
		}
		m := ss.snap.Messages[i]
		if cmd.ChangedSince > 0 && m.ModSeq <= cmd.ChangedSince {
			continue
		}
		var msg []byte
		if needBody {
			var err error
			if msg, err = ss.load(&m); err != nil {
				continue // expunged meanwhile: RFC 9051 7.5.1 lets it be left out
			}
		}
		var info *msgInfo
		if needHeader {
			var err error
			if info, err = ss.info(&m, msg); err != nil {
				continue
			}
		}
		var tree *mime.Tree
		if needTree {
			// A message the parser cannot read whole still has the tree
			// it could read (lenient parsing; limits end it early).
			tree = ss.parseMIME(msg)
			if tree == nil || tree.Root == nil {
				tree = &mime.Tree{Root: &mime.Part{MediaType: "text/plain", BodyStart: 0, End: int64(len(msg))}}
			}
		}
		if !ss.fetchOne(i+1, &m, msg, info, tree, items) {
			ss.tagged(t, "NO [UNKNOWN-CTE] Cannot decode the part's Content-Transfer-Encoding")
			return
		}
		if len(ss.out) > 64<<10 && !ss.flush() {
			ss.state = stateLogout
			return
		}
	}
	ss.tagged(t, "OK FETCH completed")
}

// load reads message m whole (at most maxFetchMessage octets) into the
// session's message buffer: what it returns stays valid until the next
// load. A buffer larger than keepBody is not kept for the next message,
// so an idle session holds at most that much.
func (ss *session) load(m *Message) ([]byte, error) {
	var b []byte
	var err error
	if mr, ok := ss.mbox.(MessageReader); ok {
		b, err = mr.ReadMessageTo(ss.ctx, m.UID, ss.body[:0])
		b = b[:min(len(b), maxFetchMessage)]
	} else {
		b, err = ss.readAll(m)
	}
	ss.body = keep(b)
	return b, err
}

// parseMIME is mime.Parse with the session's Walker, which keeps its
// read buffer from one message to the next (mime.Walker.Tree): nil if
// the message is over the parser's limits.
func (ss *session) parseMIME(msg []byte) *mime.Tree {
	ss.msgReader.Reset(msg)
	if ss.walker == nil {
		ss.walker = mime.NewWalker(&ss.msgReader, nil)
	} else {
		ss.walker.Reset(&ss.msgReader)
	}
	tree, _ := ss.walker.Tree()
	return tree
}

// keep returns b emptied for the next read, or nil when it is larger
// than keepBody, so that an idle session holds at most that much.
func keep(b []byte) []byte {
	if cap(b) > keepBody {
		return nil
	}
	return b[:0]
}

// readAll reads message m with Mailbox.Open into the session's buffer,
// grown to one octet more than its RFC822.SIZE (at most maxReadAhead)
// so that the read that finds the end needs no larger buffer. It reads
// at most maxFetchMessage octets.
func (ss *session) readAll(m *Message) ([]byte, error) {
	rc, err := ss.mbox.Open(ss.ctx, m.UID)
	if err != nil {
		return ss.body[:0], err
	}
	defer rc.Close()
	return readInto(slices.Grow(ss.body[:0], int(min(max(m.Size, 0), maxReadAhead))+1), rc, maxFetchMessage)
}

// headerOnly reports whether a BODY[section] needs only the message's
// header (RFC 9051 6.4.5 HEADER, HEADER.FIELDS, HEADER.FIELDS.NOT of the
// message itself).
func headerOnly(s Section) bool {
	if len(s.Part) > 0 {
		return false
	}
	switch s.Text {
	case SectionHeader, SectionHeaderFields, SectionHeaderFieldsNot:
		return true
	}
	return false
}

// fetchOne writes one FETCH response; false if a BINARY item names a
// part whose encoding cannot be undone (nothing is written then). msg is
// the message when an item needs its body, info its header when an item
// needs that.
func (ss *session) fetchOne(seq int, m *Message, msg []byte, info *msgInfo, tree *mime.Tree, items []FetchItem) bool {
	o := append(ss.out, "* "...)
	o = AppendNumber(o, uint64(seq))
	o = append(o, " FETCH ("...)
	for n, it := range items {
		if n > 0 {
			o = append(o, ' ')
		}
		switch it.Kind {
		case FetchUID:
			o = append(o, "UID "...)
			o = AppendNumber(o, uint64(m.UID))
		case FetchFlags:
			o = append(o, "FLAGS "...)
			o = appendFlags(o, m.Flags)
		case FetchInternalDate:
			o = append(o, "INTERNALDATE "...)
			o = AppendDateTime(o, m.InternalDate)
		case FetchRFC822Size:
			o = append(o, "RFC822.SIZE "...)
			o = AppendNumber(o, uint64(m.Size))
		case FetchModSeq:
			o = append(o, "MODSEQ ("...)
			o = AppendNumber(o, m.ModSeq)
			o = append(o, ')')
		case FetchEnvelope:
			o = append(o, "ENVELOPE "...)
			o = append(o, ss.envelope(m, info)...)
		case FetchRFC822:
			o = append(o, "RFC822 "...)
			o = appendLiteral(o, msg)
		case FetchRFC822Header:
			o = append(o, "RFC822.HEADER "...)
			o = appendLiteral(o, info.header)
		case FetchRFC822Text:
			_, b := splitMessage(msg)
			o = append(o, "RFC822.TEXT "...)
			o = appendLiteral(o, b)
		case FetchBodyStructure, FetchBody:
			if it.Kind == FetchBodyStructure {
				o = append(o, "BODYSTRUCTURE "...)
			} else {
				o = append(o, "BODY "...)
			}
			o = appendBodyStructure(o, msg, tree.Root, it.Kind == FetchBodyStructure, ss.utf8)
		case FetchBinary, FetchBinarySize:
			data, decoded, ok := binarySection(msg, tree, it.Section.Part)
			if !ok {
				return false
			}
			if it.Kind == FetchBinarySize {
				o = append(o, "BINARY.SIZE["...)
				o = it.Section.AppendText(o)
				o = append(o, "] "...)
				o = AppendNumber(o, uint64(len(data)))
				continue
			}
			o = append(o, "BINARY["...)
			o = it.Section.AppendText(o)
			o = append(o, ']')
			if it.HasPartial {
				o = append(o, '<')
				o = AppendNumber(o, uint64(it.Offset))
				o = append(o, '>')
				data = partial(data, it.Offset, it.Count)
			}
			// RFC 3516 4.3: literal8 for data that may hold NUL: what a
			// base64 or quoted-printable encoding hid and is not 7-bit
			// (as Dovecot decides), and anything holding a NUL.
			if bytes.IndexByte(data, 0) >= 0 || (decoded && !is7bit(data)) {
				o = append(o, " ~"...)
			} else {
				o = append(o, ' ')
			}
			o = appendLiteral(o, data)
		case FetchBodySection:
			var data []byte
			if headerOnly(it.Section) {
				data = sectionData(info.header, it.Section)
			} else {
				data = sectionData(msg, it.Section)
			}
			if len(it.Section.Part) > 0 {
				data, _ = mimeSection(msg, tree, it.Section)
			}
			o = append(o, "BODY["...)
			o = it.Section.AppendText(o)
			o = append(o, ']')
			if it.HasPartial {
				o = append(o, '<')
				o = AppendNumber(o, uint64(it.Offset))
				o = append(o, '>')
				data = partial(data, it.Offset, it.Count)
			}
			o = append(o, ' ')
			o = appendLiteral(o, data)
		}
	}
	ss.out = append(o, ")\r\n"...)
	return true
}

func appendLiteral(dst, data []byte) []byte {
	dst = append(dst, '{')
	dst = AppendNumber(dst, uint64(len(data)))
	dst = append(dst, "}\r\n"...)
	return append(dst, data...)
}

func partial(b []byte, off, n uint32) []byte {
	if int64(off) >= int64(len(b)) {
		return nil
	}
	b = b[off:]
	if int64(n) < int64(len(b)) {
		b = b[:n]
	}
	return b
}

// splitMessage splits a message into its header (with the empty line
// that ends it) and body (RFC 9051 6.4.5 HEADER and TEXT).
func splitMessage(msg []byte) (header, body []byte) {
	if i := bytes.Index(msg, []byte("\r\n\r\n")); i >= 0 {
		return msg[:i+4], msg[i+4:]
	}
	if i := bytes.Index(msg, []byte("\n\n")); i >= 0 {
		return msg[:i+2], msg[i+2:]
	}
	return msg, nil
}

// sectionData returns the octets of a section of a message that is not
// multipart (part 1 of such a message is its body, RFC 9051 6.4.5).
func sectionData(msg []byte, s Section) []byte {
	h, b := splitMessage(msg)
	if len(s.Part) == 1 {
		return b
	}
	switch s.Text {
	case SectionHeader:
		return h
	case SectionBodyText:
		return b
	case SectionHeaderFields, SectionHeaderFieldsNot:
		return headerFields(h, s.Fields, s.Text == SectionHeaderFieldsNot)
	}
	return msg
}

// headerFields returns the fields of a header whose names are (or, with
// not, are not) in names, followed by the empty line.
func headerFields(h []byte, names []string, not bool) []byte {
	var out []byte
	keep := false
	for len(h) > 0 {
		i := bytes.IndexByte(h, '\n')
		line := h
		if i >= 0 {
			line = h[:i+1]
		}
		h = h[len(line):]
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			break
		}
		if line[0] != ' ' && line[0] != '\t' {
			name := line
			if c := bytes.IndexByte(line, ':'); c >= 0 {
				name = bytes.TrimRight(line[:c], " \t")
			}
			in := false
			for _, n := range names {
				if strings.EqualFold(string(name), n) {
					in = true
					break
				}
			}
			keep = in != not
		}
		if keep {
			out = append(out, line...)
		}
	}
	return append(out, "\r\n"...)
}

// appendEnvelope writes the ENVELOPE structure (RFC 9051 7.5.2).
func appendEnvelope(dst, msg []byte, utf8 bool) []byte {
	h, _ := splitMessage(msg)
	hdr, _, err := rfc5322.ParseHeader(h)
	if err != nil {
		hdr = &rfc5322.Header{}
	}
	return appendEnvelopeHeader(dst, hdr, utf8)
}

// appendEnvelopeHeader writes the ENVELOPE of a parsed header.
func appendEnvelopeHeader(dst []byte, hdr *rfc5322.Header, utf8 bool) []byte {
	nstr := func(dst []byte, name string) []byte {
		f, ok := hdr.Lookup(name)
		if !ok {
			return append(dst, "NIL"...)
		}
		return AppendString(dst, f.Value(), utf8)
	}
	addrs := func(dst []byte, name string) []byte {
		list, _ := hdr.AddressList(name)
		if len(list) == 0 {
			return append(dst, "NIL"...)
		}
		dst = append(dst, '(')
		for _, a := range list {
			dst = append(dst, '(')
			dst = AppendNString(dst, a.Name, a.Name != "", utf8)
			dst = append(dst, " NIL "...)
			local, host := a.Addr, ""
			if at := strings.LastIndexByte(a.Addr, '@'); at >= 0 {
				local, host = a.Addr[:at], a.Addr[at+1:]
			}
			dst = AppendString(dst, local, utf8)
			dst = append(dst, ' ')
			dst = AppendString(dst, host, utf8)
			dst = append(dst, ')')
		}
		return append(dst, ')')
	}
	dst = append(dst, '(')
	dst = nstr(dst, "Date")
	dst = append(dst, ' ')
	dst = nstr(dst, "Subject")
	dst = append(dst, ' ')
	dst = addrs(dst, "From")
	for _, name := range []string{"Sender", "Reply-To"} {
		dst = append(dst, ' ')
		// RFC 9051 7.5.2: Sender and Reply-To default to From.
		if hdr.Has(name) {
			dst = addrs(dst, name)
		} else {
			dst = addrs(dst, "From")
		}
	}
	for _, name := range []string{"To", "Cc", "Bcc"} {
		dst = append(dst, ' ')
		dst = addrs(dst, name)
	}
	dst = append(dst, ' ')
	dst = nstr(dst, "In-Reply-To")
	dst = append(dst, ' ')
	dst = nstr(dst, "Message-ID")
	return append(dst, ')')
}

// is7bit reports whether b holds no NUL and no octet over 127.
func is7bit(b []byte) bool {
	for _, c := range b {
		if c == 0 || c >= 0x80 {
			return false
		}
	}
	return true
}
