package mailbox

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// Open opens the message with uid for reading (an *os.File is an
// io.ReaderAt and an io.ReadCloser). If another process renamed the file
// since the last Sync (a flag change), Open syncs and tries again.
func (f *Folder) Open(uid uint32) (*os.File, error) {
	return retryGone(f, uid, func(m Message) (*os.File, error) { return os.Open(f.path(m)) })
}

// retryGone calls read for the message with uid. If its file is gone
// (another process renamed it since the last Sync, a flag change), it
// syncs and tries once more; a message still gone is ErrNoMessage.
func retryGone[T any](f *Folder, uid uint32, read func(Message) (T, error)) (T, error) {
	var zero T
	for attempt := 0; ; attempt++ {
		m, ok := f.Message(uid)
		if !ok {
			return zero, ErrNoMessage
		}
		v, err := read(m)
		if err == nil {
			return v, nil
		}
		if !notExist(err) {
			return zero, fmt.Errorf("mailbox: %w", err)
		}
		if attempt == 1 {
			return zero, ErrNoMessage
		}
		if _, err := f.Sync(); err != nil {
			return zero, err
		}
	}
}

// VirtualSize returns the size of the message with every line ending as
// CRLF (what POP3 LIST and IMAP RFC822.SIZE report): from the name's
// W= field when present, otherwise by reading the file.
func (f *Folder) VirtualSize(uid uint32) (int64, error) {
	m, ok := f.Message(uid)
	if !ok {
		return 0, ErrNoMessage
	}
	if w := sizeField(m.Key, 'W'); w >= 0 {
		return w, nil
	}
	r, err := f.Open(uid)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	return countVirtual(r)
}

func countVirtual(r io.Reader) (int64, error) {
	br := bufio.NewReaderSize(r, 32<<10)
	var n int64
	prev := byte(0)
	for {
		chunk, err := br.ReadSlice('\n')
		n += int64(len(chunk))
		if l := len(chunk); l > 0 && chunk[l-1] == '\n' {
			p := prev
			if l > 1 {
				p = chunk[l-2]
			}
			if p != '\r' {
				n++
			}
		}
		if l := len(chunk); l > 0 {
			prev = chunk[l-1]
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil && err != bufio.ErrBufferFull {
			return n, fmt.Errorf("mailbox: %w", err)
		}
	}
}

// FlagOp says how SetFlags combines flags with a message's flags.
type FlagOp int

// Flag operations (IMAP STORE FLAGS, +FLAGS, -FLAGS).
const (
	FlagsReplace FlagOp = iota
	FlagsAdd
	FlagsRemove
)

// SetFlags changes the flags of the messages with uids (missing ones are
// skipped) by renaming their files; a message in new/ moves to cur/ (it
// is no longer Recent). It returns the messages as they are afterwards.
//
// Each file is renamed by the name the last Sync saw, without listing
// the folder first; only if a file is gone by that name (another
// program renamed or removed it since) is the folder scanned, under
// the same lock, and the rest done by the names found (as Dovecot's
// maildir_file_do does). A STORE into a large folder thus costs its
// renames, not a scan of the folder.
func (f *Folder) SetFlags(uids []uint32, op FlagOp, flags Flags) ([]Message, error) {
	var out []Message
	for pass := 0; ; pass++ {
		missed := false
		out = out[:0]
		err := f.update(pass > 0, func(*uidList) (bool, error) {
			for _, uid := range uids {
				i, ok := f.index(uid)
				if !ok {
					continue
				}
				m := &f.msgs[i]
				nf := flags
				switch op {
				case FlagsAdd:
					nf = m.Flags | flags
				case FlagsRemove:
					nf = m.Flags &^ flags
				}
				name := fileName(m.Key, nf)
				if name != m.name || m.Recent {
					err := os.Rename(f.path(*m), filepath.Join(f.dir, "cur", name))
					if pass == 0 && notExist(err) {
						missed = true // scanned for on the second pass
						continue
					}
					if err != nil {
						return false, fmt.Errorf("mailbox: %w", err)
					}
					m.name, m.Flags, m.Recent = name, nf, false
				}
				out = append(out, *m)
			}
			return false, nil
		})
		if err != nil || !missed {
			return out, err
		}
	}
}

// Expunge removes the messages with uids (missing ones are skipped).
func (f *Folder) Expunge(uids []uint32) error {
	return f.locked(func(*uidList) (bool, error) {
		var bytes, count int64
		for _, uid := range uids {
			i, ok := f.index(uid)
			if !ok {
				continue
			}
			m := f.msgs[i]
			if err := os.Remove(f.path(m)); err != nil && !notExist(err) {
				return true, fmt.Errorf("mailbox: %w", err)
			}
			bytes += m.Size
			count++
		}
		if count > 0 {
			addQuota(f.m.root, -bytes, -count)
		}
		return count > 0, nil
	})
}

// CopyTo copies the messages with uids into dst with their flags (a hard
// link where the file system allows it, a durable copy otherwise) and
// returns the UIDs they got in dst, in the order of uids (0 for a UID
// that no longer exists): what IMAP's COPYUID needs.
func (f *Folder) CopyTo(dst *Folder, uids []uint32) ([]uint32, error) {
	keys := make([]string, len(uids))
	curDir := filepath.Join(dst.dir, "cur")
	for i, uid := range uids {
		m, ok := f.Message(uid)
		if !ok {
			continue
		}
		key := dst.m.uniqueKey(sizeField(m.Key, 'S'), sizeField(m.Key, 'W'))
		target := filepath.Join(curDir, fileName(key, m.Flags))
		err := os.Link(f.path(m), target)
		if notExist(err) {
			if _, serr := f.Sync(); serr != nil {
				return nil, serr
			}
			if m, ok = f.Message(uid); !ok {
				continue
			}
			err = os.Link(f.path(m), target)
		}
		if err != nil && !errors.Is(err, syscall.EXDEV) && !errors.Is(err, syscall.EPERM) {
			return nil, fmt.Errorf("mailbox: copy: %w", err)
		}
		if err != nil {
			if err := f.copyFile(m, filepath.Join(dst.dir, "tmp", key), target); err != nil {
				return nil, err
			}
		}
		addQuota(dst.m.root, m.Size, 1)
		keys[i] = key
	}
	if err := syncDir(curDir); err != nil {
		return nil, err
	}
	return dst.uidsOf(keys)
}

// copyFile copies m's file through tmp into target durably.
func (f *Folder) copyFile(m Message, tmp, target string) error {
	r, err := os.Open(f.path(m))
	if err != nil {
		return fmt.Errorf("mailbox: copy: %w", err)
	}
	defer r.Close()
	w, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("mailbox: copy: %w", err)
	}
	_, err = io.Copy(w, r)
	if err == nil {
		err = w.Sync()
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, target)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("mailbox: copy: %w", err)
	}
	return nil
}

// uidsOf syncs f and returns the UIDs of keys ("" gives 0).
func (f *Folder) uidsOf(keys []string) ([]uint32, error) {
	if _, err := f.Sync(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	byKey := make(map[string]uint32, len(f.msgs))
	for _, m := range f.msgs {
		byKey[m.Key] = m.UID
	}
	out := make([]uint32, len(keys))
	for i, k := range keys {
		if k != "" {
			out[i] = byKey[k]
		}
	}
	return out, nil
}

// MoveTo moves the messages with uids into dst (a rename, keeping flags
// and keys) and returns their UIDs in dst, in the order of uids (0 for
// a UID that no longer exists).
func (f *Folder) MoveTo(dst *Folder, uids []uint32) ([]uint32, error) {
	keys := make([]string, len(uids))
	curDir := filepath.Join(dst.dir, "cur")
	err := f.locked(func(*uidList) (bool, error) {
		moved := false
		for i, uid := range uids {
			j, ok := f.index(uid)
			if !ok {
				continue
			}
			m := f.msgs[j]
			if err := os.Rename(f.path(m), filepath.Join(curDir, fileName(m.Key, m.Flags))); err != nil {
				if notExist(err) {
					continue
				}
				return moved, fmt.Errorf("mailbox: move: %w", err)
			}
			keys[i], moved = m.Key, true
		}
		if moved {
			if err := syncDir(curDir); err != nil {
				return true, err
			}
		}
		return moved, nil
	})
	if err != nil {
		return nil, err
	}
	return dst.uidsOf(keys)
}

// Stamp is a cheap fingerprint of a folder's state: the modification
// times of new/, cur/ and the UID list. When two Stamps differ, Sync
// finds something new; an IMAP server can poll Stamp for IDLE or NOOP.
type Stamp struct {
	New, Cur, List int64
}

// Stamp returns the folder's current Stamp (three stat(2) calls).
func (f *Folder) Stamp() Stamp {
	var s Stamp
	for i, p := range []string{"new", "cur", UIDListFile} {
		var t int64
		if fi, err := os.Stat(filepath.Join(f.dir, p)); err == nil {
			t = fi.ModTime().UnixNano() ^ fi.Size()<<1
		}
		switch i {
		case 0:
			s.New = t
		case 1:
			s.Cur = t
		default:
			s.List = t
		}
	}
	return s
}

// ReadMessage returns the whole message with uid. Like Open, it syncs
// and tries again if another process renamed the file since the last
// Sync.
func (f *Folder) ReadMessage(uid uint32) ([]byte, error) {
	return f.ReadMessageTo(nil, uid)
}

// ReadMessageTo appends the whole message with uid to dst and returns the
// extended slice: ReadMessage into a buffer the caller reuses, which
// allocates nothing for the content once dst has room for it. On an
// error it returns dst as given.
func (f *Folder) ReadMessageTo(dst []byte, uid uint32) ([]byte, error) {
	b, err := retryGone(f, uid, func(m Message) ([]byte, error) { return appendFile(dst, f.path(m), m.Size) })
	if err != nil {
		return dst, err
	}
	return b, nil
}

// maxReadGrow bounds how far appendFile grows its buffer ahead of the
// data by the size the Folder recorded (Message.Size, from the UID list,
// which other programs may write, or an earlier stat): a larger file
// grows the buffer as its data arrives.
const maxReadGrow = 1 << 20
