package mailbox

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Delivery is one message for DeliverBatch: the input fields say where
// and what, the output fields report the result.
type Delivery struct {
	Maildir *Maildir
	Folder  string // "" means INBOX
	// Data is the message as it is stored. Maildir readers expect LF
	// line endings; AppendLF converts network (CRLF) text.
	Data []byte
	// Flags, when non-zero, deliver straight into cur/ with these flags
	// (a copy saved to Sent with Seen, say); otherwise into new/.
	Flags Flags
	// Date, when non-zero, becomes the file's modification time: the
	// internal date IMAP APPEND may give (RFC 9051 6.3.12).
	Date time.Time
	// Group, when non-zero, ties the deliveries of a batch that share it
	// together (the files of one message for several recipients): if one
	// of them fails before its file is renamed into place, none of them
	// is renamed, and each reports an error. A failure of the rename or
	// of the directory flush itself can still leave part of a group in
	// place, complete and durable.
	Group int

	// Key is the delivered file's key (its name up to ':'). Left empty,
	// DeliverBatch makes a unique one; a caller that must be able to
	// repeat a delivery without duplicating it (a journal replayed after
	// a crash) sets its own, unique in the folder, and a repeat replaces
	// the file of the same name. It holds the key on success, "" on
	// failure.
	Key string
	// Err is this delivery's error, or nil once the file is durable and
	// visible.
	Err error
}

// Deliver stores data in folder ("" for INBOX) and returns the file's
// key once the file and its directory are flushed to disk.
func (m *Maildir) Deliver(ctx context.Context, folder string, data []byte, flags Flags) (string, error) {
	b := []Delivery{{Maildir: m, Folder: folder, Data: data, Flags: flags}}
	if err := DeliverBatch(ctx, b); err != nil {
		return "", err
	}
	return b[0].Key, nil
}

// DeliverBatch stores every delivery (in any number of maildirs and
// folders) and returns when each is durable or has failed, following
// the Maildir rule for the batch as a whole:
//
//  1. create and write every file in its tmp/ under a unique name;
//  2. flush each file (fdatasync on Linux, after starting every file's
//     writeback so the writes overlap; fsync elsewhere or with Date);
//  3. rename each into new/ (or cur/);
//  4. flush each target directory once.
//
// A delivery's Err says whether it succeeded; the returned error is the
// first of them (or ctx's, if ctx ended before anything was written).
// Once writing starts the batch is finished even if ctx ends, so no
// success is ever reported for a message not on disk.
func DeliverBatch(ctx context.Context, batch []Delivery) error {
	dirs, err := placeBatch(ctx, batch)
	if err != nil {
		return err
	}
	for dir, idx := range dirs {
		flushed(batch, idx, syncDir(dir))
	}
	return firstErr(batch)
}

// placeBatch does steps 1 to 3 of DeliverBatch and returns the target
// directories to flush, each with the indexes of its deliveries.
func placeBatch(ctx context.Context, batch []Delivery) (map[string][]int, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	type pending struct {
		f        *os.File
		tmp, dst string
		dir      string // target directory
	}
	ps := make([]pending, len(batch))
	for i := range batch {
		d := &batch[i]
		given := d.Key
		d.Key, d.Err = "", nil
		if given != "" && (strings.ContainsAny(given, "/:\x00\r\n") || given[0] == '.') {
			d.Err = fmt.Errorf("mailbox: deliver: invalid key %q", given)
			continue
		}
		folder := d.Folder
		if folder == "" {
			folder = Inbox
		}
		if err := checkName(folder); err != nil {
			d.Err = err
			continue
		}
		dir := d.Maildir.dir(folder)
		if err := checkQuota(d.Maildir.root, int64(len(d.Data))); err != nil {
			d.Err = err
			continue
		}
		key := given
		if key == "" {
			key = d.Maildir.uniqueKey(int64(len(d.Data)), virtualSize(d.Data))
		}
		name, sub := key, "new"
		if d.Flags != 0 {
			name, sub = fileName(key, d.Flags), "cur"
		}
		p := &ps[i]
		p.tmp = filepath.Join(dir, "tmp", key)
		p.dir = filepath.Join(dir, sub)
		p.dst = filepath.Join(p.dir, name)
		flags := os.O_CREATE | os.O_EXCL | os.O_WRONLY
		if given != "" {
			flags = os.O_CREATE | os.O_TRUNC | os.O_WRONLY // a leftover of a crashed attempt
		}
		f, err := os.OpenFile(p.tmp, flags, 0o600)
		if err != nil {
			d.Err = fmt.Errorf("mailbox: deliver: %w", err)
			continue
		}
		p.f = f
		if _, err := f.Write(d.Data); err != nil {
			d.Err = fmt.Errorf("mailbox: deliver: %w", err)
		} else if !d.Date.IsZero() {
			if err := os.Chtimes(p.tmp, d.Date, d.Date); err != nil {
				d.Err = fmt.Errorf("mailbox: deliver: %w", err)
			}
		}
		d.Key = key
		if len(batch) > 1 && d.Err == nil {
			startWriteback(f)
		}
	}
	for i := range batch {
		p := &ps[i]
		if p.f == nil {
			continue
		}
		if batch[i].Err == nil {
			// A new file needs its data and size flushed; its times
			// only when Date set the modification time.
			sync := datasync
			if !batch[i].Date.IsZero() {
				sync = (*os.File).Sync
			}
			if err := sync(p.f); err != nil {
				batch[i].Err = fmt.Errorf("mailbox: deliver: fsync: %w", err)
			}
		}
		if err := p.f.Close(); err != nil && batch[i].Err == nil {
			batch[i].Err = fmt.Errorf("mailbox: deliver: %w", err)
		}
	}
	failGroups(batch)
	dirs := map[string][]int{}
	for i := range batch {
		p := &ps[i]
		if p.f == nil {
			continue
		}
		if batch[i].Err == nil {
			if err := os.Rename(p.tmp, p.dst); err != nil {
				batch[i].Err = fmt.Errorf("mailbox: deliver: %w", err)
			} else {
				dirs[p.dir] = append(dirs[p.dir], i)
				continue
			}
		}
		os.Remove(p.tmp)
	}
	return dirs, nil
}

// flushed records the outcome of the flush of the directory of the
// deliveries idx: their error, or their quota (Maildir++ quota is a soft
// accounting: a failure to record it does not undo a durable delivery).
func flushed(batch []Delivery, idx []int, err error) {
	for _, i := range idx {
		if err != nil {
			batch[i].Err = err
			continue
		}
		addQuota(batch[i].Maildir.root, int64(len(batch[i].Data)), 1)
	}
}

// firstErr clears the keys of failed deliveries and returns the first
// error.
func firstErr(batch []Delivery) error {
	var first error
	for i := range batch {
		if batch[i].Err != nil {
			batch[i].Key = ""
			if first == nil {
				first = batch[i].Err
			}
		}
	}
	return first
}

// failGroups fails every delivery of a group one of whose deliveries has
// failed.
func failGroups(batch []Delivery) {
	var failed map[int]error
	for i := range batch {
		if d := &batch[i]; d.Group != 0 && d.Err != nil {
			if failed == nil {
				failed = map[int]error{}
			}
			if failed[d.Group] == nil {
				failed[d.Group] = d.Err
			}
		}
	}
	for i := range batch {
		if d := &batch[i]; d.Group != 0 && d.Err == nil && failed[d.Group] != nil {
			d.Err = fmt.Errorf("mailbox: deliver: another delivery of group %d failed: %w", d.Group, failed[d.Group])
		}
	}
}

// uniqueKey is a Maildir file name: seconds.M<micro>P<pid>R<random>.host
// with the Maildir++ size fields when size >= 0. The 64 random bits keep
// names unique between processes and Maildir values without shared
// state; O_EXCL in tmp/ catches the impossible collision.
func (m *Maildir) uniqueKey(size, vsize int64) string {
	t := m.now()
	b := make([]byte, 0, 96)
	b = strconv.AppendInt(b, t.Unix(), 10)
	b = append(b, ".M"...)
	b = fmt.Appendf(b, "%06dP%dR%016x.", t.Nanosecond()/1000, os.Getpid(), rand.Uint64())
	b = append(b, m.host...)
	if size > 0 || vsize > 0 {
		b = append(b, ",S="...)
		b = strconv.AppendInt(b, size, 10)
		b = append(b, ",W="...)
		b = strconv.AppendInt(b, vsize, 10)
	}
	return string(b)
}

// virtualSize is the size of data with every line ending as CRLF (what
// POP3 and IMAP report, RFC 1939 and RFC 9051 RFC822.SIZE).
func virtualSize(data []byte) int64 {
	n := int64(len(data))
	prev := byte(0)
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			return n
		}
		if i > 0 {
			prev = data[i-1]
		}
		if prev != '\r' {
			n++
		}
		prev = '\n'
		data = data[i+1:]
	}
}

// AppendLF appends src to dst with every CRLF turned into LF, the form
// Maildir files conventionally have.
func AppendLF(dst, src []byte) []byte {
	for {
		i := bytes.Index(src, []byte("\r\n"))
		if i < 0 {
			return append(dst, src...)
		}
		dst = append(dst, src[:i]...)
		dst = append(dst, '\n')
		src = src[i+2:]
	}
}

// syncDir flushes directory dir, making renames and creations in it
// durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("mailbox: %w", err)
	}
	err = d.Sync()
	d.Close()
	if err != nil {
		return fmt.Errorf("mailbox: fsync %s: %w", dir, err)
	}
	return nil
}

// writeFileAtomic writes data to path through a temporary file in the
// same directory: write, fsync, rename, fsync the directory.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp" + strconv.FormatUint(rand.Uint64(), 36)
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("mailbox: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("mailbox: %w", err)
	}
	return syncDir(filepath.Dir(path))
}

// Deliver stores data in the folder as Maildir.Deliver does (durably,
// into new/, or into cur/ with flags; date, when non-zero, becomes the
// internal date) and gives it the next UID at once: the UID list gains
// one appended record, flushed before Deliver returns, and the folder
// is not scanned, so the cost does not grow with the folder's size.
// Files that other programs delivered meanwhile get their UIDs at the
// next Sync (higher ones). The returned Message is also in Messages.
// An error after the file was placed leaves the message in the folder
// (a later Sync gives it a UID).
func (f *Folder) Deliver(ctx context.Context, data []byte, flags Flags, date time.Time) (Message, error) {
	d := []Delivery{{Maildir: f.m, Folder: f.name, Data: data, Flags: flags, Date: date}}
	dirs, err := placeBatch(ctx, d)
	if err != nil {
		return Message{}, err
	}
	if d[0].Err != nil {
		return Message{}, d[0].Err
	}
	// The directory flush that makes the rename durable runs while the
	// UID is appended and flushed; both end before Deliver returns. (A
	// crash between them can leave a record without its file: the next
	// scan drops it, and its UID stays used.)
	var dir string
	var idx []int
	for k, v := range dirs { // the one directory
		dir, idx = k, v
	}
	dirErr := make(chan error, 1)
	go func() { dirErr <- syncDir(dir) }()
	msg, lerr := f.listDelivered(d[0].Key, flags)
	flushed(d, idx, <-dirErr)
	if d[0].Err != nil {
		return Message{}, d[0].Err
	}
	return msg, lerr
}

// listDelivered gives the file just delivered with key the next UID,
// appending it to the list and to f.msgs without a scan.
func (f *Folder) listDelivered(key string, flags Flags) (Message, error) {
	msg := Message{Key: key, Flags: flags, Recent: flags == 0, name: key}
	if flags != 0 {
		msg.name = fileName(key, flags)
	}
	fi, err := os.Stat(f.path(msg))
	if err != nil {
		// Another reader took it into cur/ already: find it the slow way.
		uids, err := f.uidsOf([]string{key})
		if err != nil {
			return Message{}, err
		}
		if m, ok := f.Message(uids[0]); ok {
			return m, nil
		}
		return Message{}, fmt.Errorf("mailbox: deliver: %s vanished: %w", key, ErrNoMessage)
	}
	msg.Size, msg.InternalDate = fi.Size(), fi.ModTime()
	err = f.update(false, func(l *uidList) (bool, error) {
		uid, listed := l.keys[key] // by another process, or by a scan
		if !listed {
			uid = l.next
			l.next++
			l.entries = append(l.entries, uidEntry{uid: uid, key: key, size: msg.Size, mtime: msg.InternalDate.UnixNano(), stat: true})
			if l.keys == nil {
				l.keys = map[string]uint32{}
			}
			l.keys[key] = uid
		}
		msg.UID = uid
		if i, ok := f.index(uid); ok {
			msg = f.msgs[i]
			return false, nil
		}
		if n := len(f.msgs); n > 0 && f.msgs[n-1].UID > uid {
			return true, nil // listed by another process after others: rescan
		}
		f.msgs = append(f.msgs, msg)
		f.appendOnly = true
		return false, nil
	})
	if err != nil {
		return Message{}, err
	}
	if m, ok := f.Message(msg.UID); ok {
		return m, nil
	}
	return msg, nil
}
