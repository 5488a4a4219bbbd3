package mailbox

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

// listFile is what a Folder remembers of its UID list file between
// operations, so that an operation reads only the records appended
// since (by this or another process) and a new message costs one
// appended record, not a rewrite of the whole list. All of it is used
// and changed only with the folder's lock held.
type listFile struct {
	// list is the list as last read or written; nil means read the
	// file whole next time.
	list *uidList
	ino  int64 // the file's inode (a rewrite replaces the file)
	off  int64 // length of the whole lines read
	size int64 // the file's size (more than off: a torn tail to cut)
	// head and last are the header line and the last record read,
	// checked again before only the tail is read: a list replaced in
	// place by another program is read whole.
	head, last []byte
}

// loadList returns the folder's UID list: the remembered one plus the
// records appended since, or the file read whole. Missing is (nil,
// nil); unparsable has a *UIDListError and the list as far as it was
// read. The remembered list is detached: storeList attaches it again.
func (f *Folder) loadList(path string) (*uidList, error) {
	lf := &f.lf
	c := lf.list
	lf.list = nil
	fh, err := os.Open(path)
	if notExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("mailbox: %w", err)
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("mailbox: %w", err)
	}
	size, ino := fi.Size(), inode(fi)
	if c != nil && ino != 0 && ino == lf.ino && size >= lf.off && lf.unchanged(fh) {
		tail := make([]byte, size-lf.off)
		if _, err := io.ReadFull(io.NewSectionReader(fh, lf.off, int64(len(tail))), tail); err == nil {
			good := bytes.LastIndexByte(tail, '\n') + 1
			if _, msg := c.parseRecords(tail[:good], 0, false); msg == "" {
				if good > 0 {
					lf.last = lastLine(tail[:good])
				}
				lf.off += int64(good)
				lf.size = size
				return c, nil
			}
			// Not what an append makes: read the whole file (c is
			// spoilt) and let the parser judge it.
		}
	}
	data, err := io.ReadAll(fh)
	if err != nil {
		return nil, fmt.Errorf("mailbox: %w", err)
	}
	l, good, err := parseUIDList(path, data)
	if err != nil {
		return l, err
	}
	lf.ino, lf.off, lf.size = ino, int64(good), int64(len(data))
	head, _, _ := bytes.Cut(data, []byte{'\n'})
	lf.head = append(lf.head[:0], head...)
	lf.last = lastLine(data[:good])
	return l, nil
}

// lastLine returns a copy of the last line of data (which ends in a
// newline), the newline left out.
func lastLine(data []byte) []byte {
	data = data[:len(data)-1]
	return bytes.Clone(data[bytes.LastIndexByte(data, '\n')+1:])
}

// unchanged reports whether fh still holds the header and last record
// read before where they were.
func (lf *listFile) unchanged(fh *os.File) bool {
	check := func(want []byte, at int64) bool {
		got := make([]byte, len(want))
		n, _ := fh.ReadAt(got, at)
		return n == len(got) && bytes.Equal(got, want)
	}
	return check(lf.head, 0) && check(lf.last, lf.off-1-int64(len(lf.last)))
}

// storeList writes l back and remembers it: the whole list through a
// new file when rewrite is set (entries were dropped or changed),
// otherwise the entries added (l.entries[from:]) appended as records
// and flushed (fdatasync) before it returns, after cutting any torn
// tail. On failure the file is left as it was before and nothing is
// remembered.
func (f *Folder) storeList(path string, l *uidList, rewrite bool, from int) error {
	lf := &f.lf
	if rewrite {
		data := l.marshal()
		if err := writeFileAtomic(path, data); err != nil {
			return err
		}
		fi, err := os.Stat(path)
		if err != nil {
			return fmt.Errorf("mailbox: %w", err)
		}
		l.rebuildKeys()
		lf.list, lf.ino, lf.off, lf.size = l, inode(fi), int64(len(data)), int64(len(data))
		head, _, _ := bytes.Cut(data, []byte{'\n'})
		lf.head = append(lf.head[:0], head...)
		lf.last = lastLine(data)
		return nil
	}
	added := l.entries[from:]
	if len(added) == 0 {
		lf.list = l
		return nil
	}
	var b []byte
	for i := range added {
		b = append(b, '+')
		b = added[i].appendRecord(b)
	}
	fh, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("mailbox: %w", err)
	}
	if lf.size > lf.off {
		err = fh.Truncate(lf.off) // the torn tail of a crashed append
	}
	if err == nil {
		_, err = fh.WriteAt(b, lf.off)
	}
	if err == nil {
		// The records must be on disk before any UID in them is
		// reported: a crash must not hand the same UIDs to other files.
		err = datasync(fh)
	}
	if err != nil {
		fh.Truncate(lf.off) // best effort: no record without its flush
		fh.Close()
		return fmt.Errorf("mailbox: uid list append: %w", err)
	}
	if err := fh.Close(); err != nil {
		return fmt.Errorf("mailbox: %w", err)
	}
	lf.off += int64(len(b))
	lf.size = lf.off
	lf.last = lastLine(b)
	lf.list = l
	return nil
}
