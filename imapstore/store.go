// Package imapstore gives the mailbox package's Maildir store an IMAP
// face: NewUser returns an imap.User over one user's Maildir, so an
// imap.Server can serve Maildir++ folders that Postfix, Dovecot and mutt
// share.
//
// IMAP names use "/" as the hierarchy delimiter and Maildir++ folders use
// ".", so a mailbox name holding "." is refused. The system flags map to
// the Maildir letters as Dovecot maps them (\Answered R, \Flagged F,
// \Deleted T, \Seen S, \Draft D); keywords ($Forwarded, $Junk, a
// user's own) are the letters 'a' to 'z', named in the Maildir's
// dovecot-keywords file as Dovecot names them, up to 26 of them
// (PERMANENTFLAGS then loses \*). Departure: one table serves all the
// user's folders (Dovecot keeps one per folder), so a message copied
// between folders keeps its keywords. Subscriptions are kept in a file
// "subscriptions" in the Maildir's root, one name per line, as older
// Dovecot versions keep them. Messages are stored with LF line ends and served with CRLF.
//
// APPEND stores through mailbox.Folder.Deliver: one appended UID list
// record, no scan of the folder, so its cost does not grow with the
// folder. The EXISTS that answers an APPEND into the selected folder
// comes from the folder as that delivery left it; what other programs
// changed meanwhile is reported by the next command. That answer's
// Snapshot extends the previous one with the new message
// (mailbox.Folder.Appended) rather than rebuilding and copying the
// folder's list, and Snapshots share one array with the server (which
// only reads it). Header-only FETCH
// items and SEARCH by header read a message's header alone
// (imap.HeaderReader), and FETCH of bodies reads each message into one
// buffer the session reuses (imap.MessageReader).
package imapstore

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/relaykit/relaykit/imap"
	"github.com/relaykit/relaykit/mailbox"
)

// imapStore gives a mailbox.Maildir an IMAP face: it satisfies imap.User
// for one user. IMAP names use "/" as the hierarchy delimiter; Maildir++
// folders use ".", so a name holding "." is refused.
type imapStore struct {
	md *mailbox.Maildir
	mu sync.Mutex // guards the subscriptions file and folders
	// folders are the folders opened so far, kept so a second SELECT or
	// an APPEND does not read a folder's UID list and directories anew
	// (mailbox.Folder.Sync does nothing while they are unchanged), nor
	// build the messages of an unchanged folder's Snapshot again.
	// Of the folders no selection holds, only the keepIdle used last
	// are kept (a client that polls every folder with STATUS would
	// otherwise keep every folder's messages until it logs out).
	folders map[string]*openFolder
	tick    uint64 // counts uses of folders, for openFolder.used
	// appended is the folder of the last APPEND until the next Snapshot:
	// if that Snapshot is of the same folder (the EXISTS the server
	// sends with the APPEND's answer), it takes the folder as
	// Folder.Deliver left it, new message included, without a Sync (a
	// scan of the whole folder while it keeps changing); any later
	// Snapshot syncs, and reports what other programs did meanwhile.
	appended *mailbox.Folder
}

// openFolder is an open folder and the messages of its last Snapshot.
type openFolder struct {
	f *mailbox.Folder

	// The last Snapshot's messages and what they were made from: a
	// message whose file is unchanged since (same name, flags, size and
	// date, same keyword table) is taken over as it was, so a NOOP or
	// IDLE poll that finds nothing new, or a second SELECT of a folder
	// nobody changed, builds no message anew. Kept with the folder (not
	// the selection), since its sessions and its SELECTs share it; a
	// folder opened anew (deleted, renamed) starts empty, as its
	// Generation does.
	mu       sync.Mutex
	lastKW   []string
	lastFrom []mailbox.Message
	last     []imap.Message
	lastGen  uint64 // the folder's Generation when last was built
	lastN    int    // how many messages Messages gave for it

	// Guarded by imapStore.mu: the selections open on the folder, and
	// the imapStore.tick of its last use.
	refs int
	used uint64
}

// keepIdle is how many folders no selection holds an imapStore keeps
// open (with their last Snapshot), the most recently used.
const keepIdle = 4

// folder returns the named Maildir++ folder, opened once.
func (s *imapStore) folder(fn string) (*openFolder, error) {
	s.mu.Lock()
	of := s.folders[fn]
	s.mu.Unlock()
	if of != nil {
		if _, err := of.f.Sync(); err == nil {
			s.mu.Lock()
			s.use(fn, of)
			s.mu.Unlock()
			return of, nil
		}
		s.forget(fn) // deleted or renamed meanwhile: open it anew
	}
	f, err := s.md.Folder(fn)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if of = s.folders[fn]; of == nil {
		of = &openFolder{f: f}
	} // else another session of the user opened it meanwhile
	s.use(fn, of)
	return of, nil
}

// use marks of, the folder fn, as used now (with s.mu held), keeps it
// (again, if it was let go meanwhile) and lets the least recently used
// idle folders go beyond keepIdle.
func (s *imapStore) use(fn string, of *openFolder) {
	s.tick++
	of.used = s.tick
	if s.folders == nil {
		s.folders = map[string]*openFolder{}
	}
	s.folders[fn] = of
	s.trim()
}

// trim lets go of the least recently used folders no selection holds,
// beyond keepIdle (with s.mu held).
func (s *imapStore) trim() {
	for {
		idle, oldest := 0, ""
		for name, of := range s.folders {
			if of.refs > 0 {
				continue
			}
			idle++
			if oldest == "" || of.used < s.folders[oldest].used {
				oldest = name
			}
		}
		if idle <= keepIdle {
			return
		}
		delete(s.folders, oldest)
	}
}

// forget drops fn and the folders below it from the open folders.
func (s *imapStore) forget(fn string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name := range s.folders {
		if name == fn || strings.HasPrefix(name, fn+".") {
			delete(s.folders, name)
		}
	}
}

// systemFlag pairs an IMAP system flag with its Maildir letter.
type systemFlag struct {
	imap string
	f    mailbox.Flags
}

// systemFlags maps IMAP system flags to Maildir letters (the Maildir
// specification's letters, as Dovecot maps them).
func systemFlags() [5]systemFlag {
	return [...]systemFlag{
		{`\Answered`, mailbox.Replied},
		{`\Flagged`, mailbox.Flagged},
		{`\Deleted`, mailbox.Trashed},
		{`\Seen`, mailbox.Seen},
		{`\Draft`, mailbox.Draft},
	}
}

// permanentFlags are the system flags; keywords are kept too, as
// Maildir letters 'a' to 'z' named in KeywordsFile (RFC 9051 7.1).
func permanentFlags() []string {
	return []string{`\Answered`, `\Flagged`, `\Deleted`, `\Seen`, `\Draft`}
}

func toMaildirFlags(flags []string) mailbox.Flags {
	var f mailbox.Flags
	for _, name := range flags {
		for _, s := range systemFlags() {
			if strings.EqualFold(name, s.imap) {
				f |= s.f
			}
		}
	}
	return f
}

// toIMAPFlags names the system flags and keyword letters of f (kw names
// the letters 'a' onwards).
func toIMAPFlags(f mailbox.Flags, kw []string) []string {
	out := []string{}
	for _, s := range systemFlags() {
		if f&s.f != 0 {
			out = append(out, s.imap)
		}
	}
	for i, k := range kw {
		if k != "" && f&mailbox.ParseFlags(string(rune('a'+i))) != 0 {
			out = append(out, k)
		}
	}
	return out
}

// maildirFlags returns the Maildir letters for IMAP flags, keywords
// included (given letters when add is set).
func (s *imapStore) maildirFlags(flags []string, add bool) (mailbox.Flags, error) {
	kf, err := s.keywordFlags(flags, add)
	return toMaildirFlags(flags) | kf, err
}

func folderName(mbox string) (string, error) {
	if strings.EqualFold(mbox, "INBOX") {
		return mailbox.Inbox, nil
	}
	if strings.Contains(mbox, ".") || mbox == "" {
		return "", fmt.Errorf("mailaccess: %q: %w", mbox, imap.ErrNoMailbox)
	}
	return strings.ReplaceAll(mbox, "/", "."), nil
}

func imapName(folder string) string { return strings.ReplaceAll(folder, ".", "/") }

// storeErr maps mailbox errors to the ones the IMAP server answers for.
func storeErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mailbox.ErrNoFolder), errors.Is(err, mailbox.ErrFolderName):
		return fmt.Errorf("%w (%v)", imap.ErrNoMailbox, err)
	case errors.Is(err, mailbox.ErrFolderExists):
		return fmt.Errorf("%w (%v)", imap.ErrMailboxExists, err)
	case errors.Is(err, mailbox.ErrQuota):
		return fmt.Errorf("%w (%v)", imap.ErrOverQuota, err)
	}
	return err
}

// specialUse returns the RFC 6154 attribute for a folder named as
// clients name them, or "".
func specialUse(name string) string {
	switch strings.ToLower(name) {
	case "sent":
		return `\Sent`
	case "trash":
		return `\Trash`
	case "drafts":
		return `\Drafts`
	case "junk":
		return `\Junk`
	case "archive":
		return `\Archive`
	}
	return ""
}

func (s *imapStore) Mailboxes(context.Context) ([]imap.MailboxInfo, error) {
	names, err := s.md.Folders()
	if err != nil {
		return nil, storeErr(err)
	}
	subs := s.subscriptions()
	var out []imap.MailboxInfo
	for _, n := range names {
		name := imapName(n)
		info := imap.MailboxInfo{Name: name, Subscribed: slices.Contains(subs, name) || n == mailbox.Inbox}
		if a := specialUse(name); a != "" {
			info.Attributes = []string{a}
		}
		out = append(out, info)
	}
	return out, nil
}

func (s *imapStore) Select(_ context.Context, name string, readOnly bool) (imap.Mailbox, error) {
	fn, err := folderName(name)
	if err != nil {
		return nil, err
	}
	of, err := s.folder(fn)
	if err != nil {
		return nil, storeErr(err)
	}
	s.mu.Lock()
	of.refs++
	s.mu.Unlock()
	// folder has just synced it: the selection's first Snapshot, which
	// the server asks for at once, need not scan the files again.
	return &imapFolder{s: s, v: of, synced: true}, nil
}

func (s *imapStore) Create(_ context.Context, name string) error {
	fn, err := folderName(name)
	if err != nil {
		return err
	}
	return storeErr(s.md.CreateFolder(fn))
}

func (s *imapStore) Delete(_ context.Context, name string) error {
	fn, err := folderName(name)
	if err != nil {
		return err
	}
	s.forget(fn)
	return storeErr(s.md.DeleteFolder(fn))
}

func (s *imapStore) Rename(_ context.Context, from, to string) error {
	a, err := folderName(from)
	if err != nil {
		return err
	}
	b, err := folderName(to)
	if err != nil {
		return err
	}
	s.forget(a)
	s.forget(b)
	return storeErr(s.md.RenameFolder(a, b))
}

// subscriptions are kept one name per line in the maildir's
// "subscriptions" file (the format of Dovecot's older versions).
func (s *imapStore) subscriptions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := os.ReadFile(filepath.Join(s.md.Root(), "subscriptions"))
	if err != nil {
		return nil
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func (s *imapStore) SetSubscribed(_ context.Context, name string, on bool) error {
	subs := slices.DeleteFunc(s.subscriptions(), func(n string) bool { return n == name })
	if on {
		subs = append(subs, name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	path := filepath.Join(s.md.Root(), "subscriptions")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strings.Join(subs, "\n")+"\n"), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func (s *imapStore) Append(ctx context.Context, name string, flags []string, date time.Time, r io.Reader, size int64) (uint32, uint32, error) {
	fn, err := folderName(name)
	if err != nil {
		return 0, 0, err
	}
	data, err := io.ReadAll(io.LimitReader(r, size))
	if err != nil {
		return 0, 0, err
	}
	mf, err := s.maildirFlags(flags, true)
	if err != nil {
		return 0, 0, err
	}
	data = mailbox.AppendLF(data[:0], data)
	// The folder as opened before, not synced: Folder.Deliver appends
	// one record to the UID list and does not scan the folder.
	s.mu.Lock()
	of := s.folders[fn]
	if of != nil {
		s.use(fn, of)
	}
	s.mu.Unlock()
	if of == nil {
		if of, err = s.folder(fn); err != nil {
			return 0, 0, storeErr(err)
		}
	}
	f := of.f
	msg, err := f.Deliver(ctx, data, mf, date)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			// Deleted or renamed meanwhile.
			s.forget(fn)
			if _, err2 := s.folder(fn); err2 != nil {
				return 0, 0, storeErr(err2)
			}
		}
		return 0, 0, storeErr(err)
	}
	s.mu.Lock()
	s.appended = f
	s.mu.Unlock()
	return f.Status().UIDValidity, msg.UID, nil
}

func (s *imapStore) Logout(context.Context) error { return nil }

// Quota reports the Maildir++ quota of the maildirsize file (RFC 9208
// STORAGE in units of 1024 octets, rounded up as Dovecot rounds usage,
// and MESSAGE), ok false when the maildir has none.
func (s *imapStore) Quota(context.Context) ([]imap.QuotaResource, bool, error) {
	q, u, ok, err := s.md.QuotaUsage()
	if err != nil || !ok || q.IsZero() {
		return nil, false, storeErr(err)
	}
	var res []imap.QuotaResource
	if q.Bytes > 0 {
		res = append(res, imap.QuotaResource{Name: "STORAGE", Usage: (max(u.Bytes, 0) + 1023) / 1024, Limit: q.Bytes / 1024})
	}
	if q.Messages > 0 {
		res = append(res, imap.QuotaResource{Name: "MESSAGE", Usage: max(u.Messages, 0), Limit: q.Messages})
	}
	return res, true, nil
}

// imapFolder is a selected folder.
type imapFolder struct {
	s *imapStore
	v *openFolder // the folder, with its last Snapshot

	closed bool // Close has run (guarded by imapStore.mu)

	// synced: Select has just synced the folder, so the next Snapshot
	// takes its status as it is. A folder written within the last two
	// seconds is scanned by every Sync (see mailbox.Folder.Sync), and
	// without this a SELECT of one scanned it twice.
	synced bool
}

func (m *imapFolder) Snapshot(context.Context) (imap.Snapshot, error) {
	m.s.mu.Lock()
	appended := m.s.appended == m.v.f
	m.s.appended = nil
	m.s.mu.Unlock()
	st := m.v.f.Status()
	synced := m.synced
	m.synced = false
	if !appended && !synced {
		var err error
		if st, err = m.v.f.Sync(); err != nil {
			return imap.Snapshot{}, storeErr(err)
		}
	}
	kw := m.s.keywords()
	snap := imap.Snapshot{UIDValidity: st.UIDValidity, UIDNext: st.UIDNext}
	for _, k := range kw {
		if k != "" {
			snap.Keywords = append(snap.Keywords, k)
		}
	}
	if len(snap.Keywords) >= maxKeywords {
		// RFC 9051 7.1: no \* once no new keyword can be kept.
		snap.PermanentFlags = append(permanentFlags(), snap.Keywords...)
	}
	gen := m.v.f.Generation() // before Messages: a change between is seen next time
	v := m.v
	v.mu.Lock()
	defer v.mu.Unlock()
	reuse := slices.Equal(kw, v.lastKW)
	if reuse && v.last != nil {
		if gen == v.lastGen {
			// Nothing changed since the last Snapshot (a NOOP or IDLE
			// poll of a quiet folder): no message is looked at.
			snap.Messages = v.last[:len(v.last):len(v.last)]
			return snap, nil
		}
		if added, now, ok := m.v.f.Appended(v.lastGen, v.lastN); ok {
			// Only Folder.Deliver ran since (this session's APPENDs):
			// the new messages go on the end, nothing else is looked
			// at or copied. The server only reads what it is given, and
			// the slices it holds end before what is appended here.
			for _, msg := range added {
				size, err := m.v.f.VirtualSize(msg.UID)
				if err != nil {
					continue // expunged by another process meanwhile
				}
				v.last = append(v.last, imap.Message{UID: msg.UID, Flags: toIMAPFlags(msg.Flags, kw), Size: size, InternalDate: msg.InternalDate})
				v.lastFrom = append(v.lastFrom, msg)
			}
			v.lastGen, v.lastN = now, v.lastN+len(added)
			snap.Messages = v.last[:len(v.last):len(v.last)]
			return snap, nil
		}
	}
	from := m.v.f.Messages()
	if reuse && v.last != nil && slices.Equal(from, v.lastFrom) {
		// Scanned again (a folder changed within the last two seconds,
		// see mailbox.Folder.Sync) and found as it was: another SELECT
		// or poll of a folder whose files nobody touched since.
		v.lastGen, v.lastN = gen, len(from)
		snap.Messages = v.last[:len(v.last):len(v.last)]
		return snap, nil
	}
	out := make([]imap.Message, 0, len(from))
	j, k := 0, 0 // k: from[:k] are the messages of out, index by index
	for _, msg := range from {
		if reuse {
			// Both lists are in ascending UID order.
			for j < len(v.lastFrom) && v.lastFrom[j].UID < msg.UID {
				j++
			}
			if j < len(v.lastFrom) && v.lastFrom[j] == msg {
				out = append(out, v.last[j])
				from[k] = msg
				k++
				continue
			}
		}
		size, err := m.v.f.VirtualSize(msg.UID)
		if err != nil {
			continue // expunged by another process since the Sync
		}
		out = append(out, imap.Message{UID: msg.UID, Flags: toIMAPFlags(msg.Flags, kw), Size: size, InternalDate: msg.InternalDate})
		from[k] = msg
		k++
	}
	v.lastKW, v.lastFrom, v.last, v.lastGen, v.lastN = kw, from[:k], out, gen, len(from)
	// The server only reads what it is given (imap.Mailbox.Snapshot),
	// so it shares out; its capacity is cut so that what a later
	// Snapshot appends is not in this one.
	snap.Messages = out[:len(out):len(out)]
	return snap, nil
}

func (m *imapFolder) Open(_ context.Context, uid uint32) (io.ReadCloser, error) {
	data, err := m.v.f.ReadMessage(uid)
	if err != nil {
		return nil, storeErr(err)
	}
	return io.NopCloser(bytes.NewReader(crlfTail(data, 0))), nil
}

// ReadMessageTo appends the message with uid, with CRLF line ends, to
// dst (imap.MessageReader): FETCH BODY[] reads every message into one
// buffer it reuses, with no copy or allocation per message beyond the
// file's open. On an error it returns dst as given.
func (m *imapFolder) ReadMessageTo(_ context.Context, uid uint32, dst []byte) ([]byte, error) {
	b, err := m.v.f.ReadMessageTo(dst, uid)
	if err != nil {
		return dst, storeErr(err)
	}
	return crlfTail(b, len(dst)), nil
}

// ReadHeader returns the start of the message with uid, with CRLF line
// ends, up to at least the empty line that ends its header
// (imap.HeaderReader): the header of a large message is read alone.
func (m *imapFolder) ReadHeader(_ context.Context, uid uint32) ([]byte, error) {
	r, err := m.v.f.Open(uid)
	if err != nil {
		return nil, storeErr(err)
	}
	defer r.Close()
	buf := make([]byte, 0, 8<<10)
	for !hasEmptyLine(buf) {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, len(buf))
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	return crlfTail(buf, 0), nil
}

// hasEmptyLine reports whether b (as stored: LF or CRLF line ends)
// holds a line end followed by an empty line, which crlfTail makes
// CRLF CRLF.
func hasEmptyLine(b []byte) bool {
	for {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return false
		}
		b = b[i+1:]
		if len(b) > 0 && b[0] == '\n' || len(b) > 1 && b[0] == '\r' && b[1] == '\n' {
			return true
		}
	}
}

func (m *imapFolder) Store(_ context.Context, uids []uint32, op imap.StoreOp, flags []string) error {
	var fop mailbox.FlagOp
	switch op {
	case imap.StoreAdd:
		fop = mailbox.FlagsAdd
	case imap.StoreRemove:
		fop = mailbox.FlagsRemove
	default:
		fop = mailbox.FlagsReplace
	}
	mf, err := m.s.maildirFlags(flags, op != imap.StoreRemove)
	if err != nil {
		return err
	}
	_, err = m.v.f.SetFlags(uids, fop, mf)
	return storeErr(err)
}

func (m *imapFolder) Expunge(_ context.Context, uids []uint32) error {
	return storeErr(m.v.f.Expunge(uids))
}

func (m *imapFolder) Copy(_ context.Context, uids []uint32, dest string) (uint32, []uint32, error) {
	fn, err := folderName(dest)
	if err != nil {
		return 0, nil, err
	}
	dst, err := m.s.folder(fn)
	if err != nil {
		return 0, nil, storeErr(err)
	}
	out, err := m.v.f.CopyTo(dst.f, uids)
	if err != nil {
		return 0, nil, storeErr(err)
	}
	return dst.f.Status().UIDValidity, out, nil
}

// Close ends the selection: the folder stays open (with its last
// Snapshot) while other selections hold it, or as one of the keepIdle
// idle folders used last.
func (m *imapFolder) Close(context.Context) error {
	s := m.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if !m.closed {
		m.closed = true
		m.v.refs--
		s.trim()
	}
	return nil
}

// NewUser returns an imap.User serving md, one user's Maildir. It is
// also an imap.QuotaUser: a Maildir++ quota (maildirsize) is reported
// through GETQUOTA and GETQUOTAROOT. The
// value is safe for the sessions of that user at once; several
// processes may use the same Maildir (mailbox locks its UID lists).
func NewUser(md *mailbox.Maildir) imap.User { return &imapStore{md: md} }
