package mailbox

import (
	"bytes"
	"errors"
	"hash/maphash"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"
)

// Message describes one message of a folder as of the last Sync.
type Message struct {
	UID   uint32
	Key   string // file name up to ':', unique and stable in the folder
	Flags Flags
	// Recent is true while the file is in new/ (no reader has taken it
	// into cur/ yet).
	Recent bool
	// Size is the file's size in bytes (line endings as stored).
	Size int64
	// InternalDate is the file's modification time: when it was
	// delivered, unless a program changed it (as Dovecot uses it).
	InternalDate time.Time

	name string // file name in new/ or cur/
}

// Status is a folder's UID state after a Sync.
type Status struct {
	UIDValidity uint32
	UIDNext     uint32
	Messages    int
	// Repaired is set when the UID list was missing a valid form and was
	// rebuilt with a new UIDVALIDITY: every UID a client remembers for
	// this folder is void (IMAP announces it, RFC 9051 2.3.1.1).
	Repaired bool
	// Reason says what was wrong with a repaired list.
	Reason error
}

// Folder is one Maildir++ folder. Its message list is a snapshot taken
// by the last Sync (or the operation that ran one); methods are safe for
// concurrent use.
type Folder struct {
	m    *Maildir
	name string
	dir  string

	mu     sync.Mutex
	status Status
	msgs   []Message // ascending UID
	// clean is set when the last Sync's view can be trusted while the
	// directories' and list's times stay at stamp (see Sync).
	clean bool
	stamp [5]int64
	lf    listFile  // the UID list as last read or written
	gen   uint64    // counts the operations that may have changed msgs
	seen  listState // the UID list as the last update left it
	// sum is msgsSum's cache, valid while sumOK.
	sum   uint64
	sumOK bool
	// Since generation keptGen, msgs has only grown at its end (by
	// Folder.Deliver) from its first keptLen messages: see Appended.
	keptGen uint64
	keptLen int
	// appendOnly is set by an update's op that only appended to msgs.
	appendOnly bool
}

// Name returns the folder's name ("INBOX", "Sent", "a.b").
func (f *Folder) Name() string { return f.name }

// Dir returns the folder's directory.
func (f *Folder) Dir() string { return f.dir }

// Status returns the folder's state as of the last Sync.
func (f *Folder) Status() Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status
}

// Messages returns the messages as of the last Sync, in ascending UID
// order. The slice is the caller's.
func (f *Folder) Messages() []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.msgs)
}

// Generation returns a number that changes whenever the message list
// (Messages) may have changed: a Sync that found the folder unchanged
// keeps it, so a caller holding what it built from Messages can keep
// using it while Generation stays the same.
func (f *Folder) Generation() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gen
}

// Appended returns the messages added at the end of Messages since
// Generation returned gen, given n, the length of a Messages result
// taken after that Generation call, when nothing else changed since
// (only Folder.Deliver ran): a caller holding what it built from those
// n messages can extend it with added instead of building it anew.
// now is the Generation that added brings the caller to. ok is false
// when anything else may have changed: call Generation and Messages.
func (f *Folder) Appended(gen uint64, n int) (added []Message, now uint64, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if gen < f.keptGen || gen > f.gen || n < f.keptLen || n > len(f.msgs) {
		return nil, 0, false
	}
	return slices.Clone(f.msgs[n:]), f.gen, true
}

// Message returns the message with uid as of the last Sync.
func (f *Folder) Message(uid uint32) (Message, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i, ok := f.index(uid)
	if !ok {
		return Message{}, false
	}
	return f.msgs[i], true
}

func (f *Folder) index(uid uint32) (int, bool) {
	return sort.Find(len(f.msgs), func(i int) int {
		switch {
		case uid < f.msgs[i].UID:
			return -1
		case uid > f.msgs[i].UID:
			return 1
		}
		return 0
	})
}

// Sync scans new/ and cur/, gives every file without a UID the next
// one, drops UIDs whose files are gone, and returns the folder's status.
//
// When new/, cur/ and the UID list have not changed since the last Sync
// (their modification times and the list's size are the same), Sync
// does no more than three stat(2) calls. As Dovecot does, times within
// the last two seconds are not trusted (a coarse file system clock can
// give a later change the same time), so a folder changed recently is
// always scanned again. Such a scan reads the two directories' listings
// and, when they hold exactly the message files the Folder knows (its
// own SetFlags and Deliver included) and the UID list is as the Folder
// left it, parses and merges nothing, and keeps the Generation.
func (f *Folder) Sync() (Status, error) {
	stamp, newest := f.rawStamp()
	f.mu.Lock()
	if f.clean && f.stamp == stamp {
		st := f.status
		f.mu.Unlock()
		return st, nil
	}
	f.mu.Unlock()
	var st Status
	err := f.locked(nil)
	if err == nil {
		f.mu.Lock()
		st = f.status
		// The real clock, not Maildir's: it is compared with the file
		// system's times.
		f.clean = !st.Repaired && newest < time.Now().Add(-2*time.Second).UnixNano()
		f.stamp = stamp
		f.mu.Unlock()
	}
	return st, err
}

// rawStamp returns the modification times of new/, cur/ and the UID
// list, the list's size and inode, and the newest of the times.
func (f *Folder) rawStamp() (s [5]int64, newest int64) {
	for i, p := range []string{"new", "cur", UIDListFile} {
		fi, err := os.Stat(filepath.Join(f.dir, p))
		if err != nil {
			s[i] = -1
			newest = math.MaxInt64 // nothing to trust
			continue
		}
		s[i] = fi.ModTime().UnixNano()
		newest = max(newest, s[i])
		if i == 2 {
			s[3] = fi.Size()
			s[4] = inode(fi)
		}
	}
	return s, newest
}

// locked runs op with the folder's UID list lock held, after bringing
// the list and f.msgs up to date with the files. op may change files and
// l.entries (it must keep f.msgs consistent itself or return
// changed=true for a rescan); a nil op only brings them up to date. The
// list is written back when it changed.
func (f *Folder) locked(op func(l *uidList) (changed bool, err error)) error {
	return f.update(true, op)
}

// update is locked with the scan of the files optional: without it, op
// sees the list as the file has it (read incrementally, see listFile),
// and f.msgs as the last Sync left it. A list that is missing or had to
// be repaired is always scanned. Entries only added to the list are
// appended to the file; a list that lost or changed entries is
// rewritten.
func (f *Folder) update(scan bool, op func(l *uidList) (changed bool, err error)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gen++
	f.appendOnly = false
	// Unless the op says it only appended (and nothing else moved),
	// msgs may differ from what any earlier generation had.
	kept, same := false, false
	defer func() {
		switch {
		case same:
			// A Sync that found the files the Folder knows and the
			// list it left: msgs is the previous generation's, unchanged.
			f.gen--
		case !kept:
			f.keptGen, f.keptLen = f.gen, len(f.msgs)
		}
	}()
	unlock, err := flock(filepath.Join(f.dir, LockFile))
	if err != nil {
		return err
	}
	defer unlock()
	listPath := filepath.Join(f.dir, UIDListFile)
	l, perr := f.loadList(listPath)
	repaired := false
	if perr != nil {
		var le *UIDListError
		if !errors.As(perr, &le) {
			return perr
		}
		old := f.status.UIDValidity
		if l != nil {
			old = max(old, l.validity)
		}
		l = f.newList(old)
		repaired = true
	}
	missing := l == nil
	if missing {
		l = f.newList(0)
	}
	prev, from := f.msgs, len(l.entries)
	rewrite := repaired || missing
	if scan || rewrite {
		var want uint64
		if !rewrite && f.seen.matches(l) {
			// f.msgs was made from this list as it is: if the
			// directories hold exactly f.msgs' files, a merge would
			// make f.msgs again.
			want = f.msgsSum()
		}
		files, err := f.scan(want)
		if err != nil {
			return err
		}
		if files != nil {
			rewrite = f.merge(l, files) || rewrite
			f.sumOK = false
		}
		same = files == nil && op == nil
	}
	f.seen = listState{}
	changed, err := false, error(nil)
	if op != nil {
		changed, err = op(l)
		f.sumOK = false // the op may have changed f.msgs
	}
	kept = f.appendOnly && !changed && !scan && !rewrite && err == nil
	if changed {
		if files, err2 := f.scan(0); err2 == nil {
			rewrite = f.merge(l, files) || rewrite
		}
	}
	if werr := f.storeList(listPath, l, rewrite, from); werr != nil {
		// UIDs not on disk are not shown: the next operation reads the
		// list again and hands them out anew.
		f.msgs = prev
		f.sumOK = false
		kept, same = false, false
		if err == nil {
			err = werr
		}
	}
	if err == nil {
		f.seen = listState{list: l, n: len(l.entries), next: l.next}
	}
	f.status = Status{UIDValidity: l.validity, UIDNext: l.next, Messages: len(f.msgs)}
	if repaired {
		f.status.Repaired, f.status.Reason = true, perr
	}
	return err
}

// newList starts a UID list with a fresh UIDVALIDITY, later than old.
func (f *Folder) newList(old uint32) *uidList {
	v := uint32(f.m.now().Unix())
	if v <= old {
		v = old + 1
	}
	if v == 0 {
		v = 1
	}
	return &uidList{validity: f.m.claimValidity(v), next: 1}
}

// fileRef is a message file found by a scan.
type fileRef struct {
	name   string
	recent bool // in new/
}

// scan lists new/ then cur/ (in that order, so a file another reader
// moves from new/ to cur/ meanwhile is seen at least once), repeating
// while either directory changes during the scan, and returns the
// message files by key. When the listed message files sum (see
// fileSum) to want, it returns nil instead: the directories hold
// exactly the files whose sum want is, and no name is parsed.
func (f *Folder) scan(want uint64) (map[string]fileRef, error) {
	newDir, curDir := filepath.Join(f.dir, "new"), filepath.Join(f.dir, "cur")
	bp, _ := f.m.dirBufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	defer f.m.dirBufs.Put(bp)
	for attempt := 0; ; attempt++ {
		before := dirStamp(newDir, curDir)
		raw, err := readDirRaw(newDir, (*bp)[:0])
		cut := len(raw)
		if err == nil {
			raw, err = readDirRaw(curDir, raw)
		}
		*bp = raw
		if err != nil {
			return nil, err
		}
		if attempt < 3 && dirStamp(newDir, curDir) != before {
			continue
		}
		parts := [2][]byte{raw[:cut], raw[cut:]} // new/, cur/
		if want != 0 {
			var sum uint64
			for i, part := range parts {
				eachName(part, func(n []byte) {
					if messageName(n) {
						sum += fileSum(maphash.Bytes(f.m.seed, n), i == 0)
					}
				})
			}
			if sum == want {
				return nil, nil
			}
		}
		files := make(map[string]fileRef, len(f.msgs)+8)
		for i, part := range parts {
			eachName(part, func(b []byte) {
				if messageName(b) {
					n := string(b)
					key, _ := splitName(n)
					files[key] = fileRef{name: n, recent: i == 0}
				}
			})
		}
		return files, nil
	}
}

// messageName reports whether a name listed in new/ or cur/ is a
// message's: not a dot file, and without a line end (which the UID list
// cannot hold, and no Maildir writer makes).
func messageName(n []byte) bool {
	return len(n) > 0 && n[0] != '.' && !bytes.ContainsAny(n, "\r\n")
}

// fileSum is one message file's part of a sum over a set of files,
// from h, the hash of its name (maphash.Bytes and maphash.String give
// the same for the same octets): the sum of the parts is the same in
// any order, and two different sets of files (names, and new/ or cur/)
// have the same sum with the odds of a 64-bit hash collision (the seed
// is the Maildir's, random).
func fileSum(h uint64, recent bool) uint64 {
	if recent {
		h = h*0x9e3779b97f4a7c15 + 1 // another value for the same name in new/
	}
	return h
}

// msgsSum is the sum of fileSum over f.msgs' files (cached while
// sumOK), with f.mu held.
func (f *Folder) msgsSum() uint64 {
	if !f.sumOK {
		f.sum = 0
		for i := range f.msgs {
			f.sum += fileSum(maphash.String(f.m.seed, f.msgs[i].name), f.msgs[i].Recent)
		}
		f.sumOK = true
	}
	return max(f.sum, 1) // 0 asks for no comparison
}

// listState is the UID list as the last update left it: the same
// parsed list, its length and next UID. While the list loaded next is
// still that, f.msgs was made from it as it is.
type listState struct {
	list *uidList
	n    int
	next uint32
}

// matches reports whether l is the list s was taken of, unchanged.
func (s *listState) matches(l *uidList) bool {
	return s.list != nil && s.list == l && len(l.entries) == s.n && l.next == s.next
}

func dirStamp(dirs ...string) [2]int64 {
	var s [2]int64
	for i, d := range dirs[:2] {
		if fi, err := os.Stat(d); err == nil {
			s[i] = fi.ModTime().UnixNano()
		}
	}
	return s
}

// merge brings l and f.msgs in line with files: entries without a file
// go, files without an entry get the next UIDs (in name order, which is
// delivery order for names that start with the time). It reports whether
// l lost or changed entries (a rewrite); entries only added are at the
// end of l.entries.
func (f *Folder) merge(l *uidList, files map[string]fileRef) bool {
	if l.keys == nil {
		l.rebuildKeys()
	}
	// f.msgs and l.entries are both in ascending UID order: one walk
	// pairs each entry with its previous Message, without a map.
	prev, k := f.msgs, 0
	oldOf := func(e *uidEntry) *Message {
		for k < len(prev) && prev[k].UID < e.uid {
			k++
		}
		if k < len(prev) && prev[k].UID == e.uid && prev[k].Key == e.key {
			return &prev[k]
		}
		return nil
	}
	changed := false
	kept := l.entries[:0]
	msgs := make([]Message, 0, len(files))
	for _, e := range l.entries {
		ref, ok := files[e.key]
		if !ok {
			delete(l.keys, e.key)
			changed = true
			continue
		}
		m := f.message(&e, ref, oldOf(&e))
		changed = changed || !e.stat
		e.size, e.mtime, e.stat = m.Size, m.InternalDate.UnixNano(), m.name != ""
		kept = append(kept, e)
		msgs = append(msgs, m)
	}
	l.entries = kept
	var fresh []string
	for key := range files {
		if _, listed := l.keys[key]; !listed {
			fresh = append(fresh, key)
		}
	}
	sort.Strings(fresh)
	for _, key := range fresh {
		e := uidEntry{uid: l.next, key: key}
		l.next++
		m := f.message(&e, files[key], nil)
		e.size, e.mtime, e.stat = m.Size, m.InternalDate.UnixNano(), m.name != ""
		l.entries = append(l.entries, e)
		l.keys[key] = e.uid
		msgs = append(msgs, m)
	}
	// Files that vanished between the scan and the stat are left out of
	// msgs but keep their entry until a scan misses them.
	out := msgs[:0]
	for _, m := range msgs {
		if m.name != "" {
			out = append(out, m)
		}
	}
	f.msgs = out
	return changed
}

// message builds a Message, reusing the size and date of an unchanged
// file from the previous snapshot (o, the same UID and key, or nil), or
// those the UID list keeps (a message file's octets and time do not
// change; a flag change renames it), and otherwise from stat(2).
func (f *Folder) message(e *uidEntry, ref fileRef, o *Message) Message {
	uid, key := e.uid, e.key
	if o != nil && o.name == ref.name && o.Recent == ref.recent {
		return *o
	}
	_, flags := splitName(ref.name)
	m := Message{UID: uid, Key: key, Flags: flags, Recent: ref.recent, name: ref.name}
	if e.stat {
		m.Size, m.InternalDate = e.size, time.Unix(0, e.mtime)
		return m
	}
	fi, err := os.Stat(f.path(m))
	if err != nil {
		m.name = ""
		return m
	}
	m.Size, m.InternalDate = fi.Size(), fi.ModTime()
	return m
}

func (f *Folder) path(m Message) string {
	sub := "cur"
	if m.Recent {
		sub = "new"
	}
	return filepath.Join(f.dir, sub, m.name)
}
