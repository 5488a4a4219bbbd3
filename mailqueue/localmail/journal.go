package localmail

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/relaykit/relaykit/mailqueue"
)

// journal delivers local mail the way Postfix does, 250 after one durable
// write, but without a queue manager in between: the session stores the
// message in a mailqueue.Store (group commit) and returns; one goroutine
// writes the maildir files, makes a whole batch of them durable at once,
// and only then removes the stored copies. A crash in between loses
// nothing: on start every message still in the store is delivered again,
// and a maildir file that already made it into new/ or cur/ is not
// written twice (file names are derived from the message ID).
//
// A batch keeps the maildir rule (a file is complete on disk before its
// name appears in new/): its files are written into tmp/, flushed, renamed
// into new/, and the new names flushed, before the stored copies go: an
// fdatasync(2) of each file (its writeback started when it was written,
// so the flushes overlap) and an fsync(2) of each new/ directory the
// batch renamed into, once per batch; not syncfs(2), which would flush
// the whole file system's dirty pages, other programs' too. The flushes
// run off the SMTP reply path, so their latency is not the client's.
type journal struct {
	store mailqueue.Store
	md    *Writer
	root  string
	logf  func(msg string, args ...any)

	// batchFiles and batchAge bound a batch: it is committed when it
	// holds that many files or its first file is that old.
	batchFiles int
	batchAge   time.Duration
	// retry is how long a message whose delivery failed waits before the
	// next attempt.
	retry time.Duration

	in        chan journalItem
	lifecycle // mu held for reading while sending to in
}

// journalItem is one stored message to deliver. body is nil when the
// message is read back from the store (a retry, a recovery, or a message
// too large to keep in memory while it waits).
type journalItem struct {
	id      mailqueue.ID
	from    string
	rcpts   []string
	created time.Time
	body    []byte
}

// journalMemLimit is the largest message handed to the writer in memory;
// larger ones are read back from the store, so what waits in the channel
// stays bounded (journalQueue items of at most this size).
const (
	journalMemLimit = 64 << 10
	journalQueue    = 1024
)

// newJournal starts the writer. Messages already in the store (left by a
// crash or a failed delivery) are listed first, before any session can
// add one, and delivered before new ones. A full channel makes sessions
// wait, which slows clients down instead of refusing mail.
func newJournal(store mailqueue.Store, md *Writer, logf func(string, ...any)) *journal {
	j := &journal{
		store: store, md: md, root: md.mb.Root, logf: logf,
		batchFiles: 256, batchAge: 10 * time.Millisecond, retry: time.Minute,
		in:        make(chan journalItem, journalQueue),
		lifecycle: newLifecycle(),
	}
	retries := map[mailqueue.ID]time.Time{}
	err := store.Scan(context.Background(), func(s mailqueue.Summary) error {
		if s.Err != nil {
			logf("journal: unreadable stored message", "err", s.Err)
			return nil
		}
		retries[s.ID] = time.Time{}
		return nil
	})
	if err != nil {
		logf("journal: cannot list stored messages", "err", err)
	}
	go j.run(retries)
	return j
}

// put stores a message for local delivery; it returns once the message is
// durable in the store, and the maildir files follow shortly.
func (j *journal) put(ctx context.Context, from string, rcpts []string, body []byte, now time.Time) error {
	m := &mailqueue.Message{
		ID:       mailqueue.ID(rand.Uint64() | 1), // nonzero; the store refuses a duplicate
		Envelope: mailqueue.Envelope{From: from},
		State:    mailqueue.State{Created: now, NextAttempt: now, Rcpts: make([]mailqueue.RcptState, len(rcpts))},
		Body:     body,
	}
	for _, r := range rcpts {
		m.Envelope.Recipients = append(m.Envelope.Recipients, mailqueue.Recipient{Addr: r})
	}
	if err := j.store.Put(ctx, m); err != nil {
		return err
	}
	it := journalItem{id: m.ID, from: from, rcpts: append([]string(nil), rcpts...), created: now}
	if len(body) <= journalMemLimit {
		it.body = append([]byte(nil), body...)
	}
	j.mu.RLock()
	defer j.mu.RUnlock()
	if j.closed {
		// Stored but not delivered: the next start delivers it.
		return nil
	}
	j.in <- it
	return nil
}

// close delivers what was submitted, commits it, and stops the writer.
func (j *journal) close() { j.stop() }

// journalFile is one maildir file of a batch, written in tmp/ and open
// until the batch is flushed.
type journalFile struct {
	f        tmpFile
	tmp, new string
}

// journalBatch is what the writer has written but not yet committed: the
// files, the new/ directories whose names must be flushed (those of files
// found already delivered by a retry too), the messages.
type journalBatch struct {
	files []journalFile
	dirs  map[string]bool
	ids   []mailqueue.ID
	first time.Time
}

// run is the writer. retries holds the messages to read back from the
// store, with the time of their next attempt.
func (j *journal) run(retries map[mailqueue.ID]time.Time) {
	defer close(j.done)
	var b journalBatch
	tick := time.NewTicker(j.batchAge / 2)
	defer tick.Stop()
	var due time.Time // no retry is due before this
	for {
		now := time.Now()
		if len(retries) > 0 && !now.Before(due) {
			due = j.retryDue(&b, retries, now)
		}
		if len(b.files) >= j.batchFiles || (len(b.ids) > 0 && now.Sub(b.first) >= j.batchAge) {
			j.commit(&b, retries)
		}
		select {
		case it := <-j.in:
			if err := j.write(&b, it, nil); err != nil {
				j.logf("journal: delivery failed; retrying later", "id", it.id, "err", err)
				retries[it.id] = time.Now().Add(j.retry)
			}
		case <-tick.C:
		case <-j.quit:
			// Nothing is sent on in after quit: write what is there.
			for len(j.in) > 0 {
				it := <-j.in
				if err := j.write(&b, it, nil); err != nil {
					j.logf("journal: delivery failed; left for the next start", "id", it.id, "err", err)
				}
			}
			j.commit(&b, retries)
			return
		}
	}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// retryDue writes the files of the messages in retries that are due
// (recovered at start, or failed before), a batch's worth at a time,
// committing each full batch so that open files stay bounded however
// many wait. It returns when the next of those not due is.
func (j *journal) retryDue(b *journalBatch, retries map[mailqueue.ID]time.Time, now time.Time) time.Time {
	next := now.Add(j.retry)
	var ids []mailqueue.ID
	for id, at := range retries {
		if at.After(now) {
			next = minTime(next, at)
			continue
		}
		ids = append(ids, id)
	}
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), j.batchFiles)]
		ids = ids[len(chunk):]
		items := make([]journalItem, 0, len(chunk))
		for _, id := range chunk {
			delete(retries, id)
			it, err := j.load(id)
			if errors.Is(err, mailqueue.ErrNotFound) {
				continue
			}
			if err != nil {
				j.logf("journal: delivery failed; retrying later", "id", id, "err", err)
				retries[id] = now.Add(j.retry)
				continue
			}
			items = append(items, it)
		}
		done := j.alreadyDelivered(items)
		for _, it := range items {
			if err := j.write(b, it, done); err != nil {
				j.logf("journal: delivery failed; retrying later", "id", it.id, "err", err)
				retries[it.id] = now.Add(j.retry)
			}
			if len(b.files) >= j.batchFiles {
				j.commit(b, retries)
			}
		}
	}
	return next
}

// load reads a stored message back as an item; a body too large to keep
// in memory is read again when its files are written.
func (j *journal) load(id mailqueue.ID) (journalItem, error) {
	m, err := j.store.Get(context.Background(), id)
	if err != nil {
		return journalItem{}, err
	}
	it := journalItem{id: id, from: m.Envelope.From, created: m.State.Created}
	if len(m.Body) <= journalMemLimit {
		it.body = m.Body
	}
	for _, r := range m.Envelope.Recipients {
		it.rcpts = append(it.rcpts, r.Addr)
	}
	return it, nil
}

// alreadyDelivered returns the new/ paths of the items' files that are
// in new/, or in cur/ as name:2,flags once a reader has seen them. Every
// new/ name is looked up first and each cur/ read once after that: a
// reader only moves files from new/ to cur/, so a file missed in new/
// was moved before the cur/ listing and is in it. One listing per
// mailbox, not one per file, keeps recovery linear in the mailbox size.
func (j *journal) alreadyDelivered(items []journalItem) map[string]bool {
	done := map[string]bool{}
	missing := map[string][]string{} // maildir -> names not in new/
	for _, it := range items {
		for i, rcpt := range it.rcpts {
			_, dir, err := j.md.mb.open(rcpt)
			if err != nil {
				continue // write reports it
			}
			name := j.journalName(it, i)
			p := filepath.Join(dir, "new", name)
			if _, err := os.Lstat(p); err == nil {
				done[p] = true
			} else {
				missing[dir] = append(missing[dir], name)
			}
		}
	}
	for dir, names := range missing {
		cur, err := readNames(filepath.Join(dir, "cur"))
		if err != nil {
			continue
		}
		for _, name := range names {
			if cur[name] {
				done[filepath.Join(dir, "new", name)] = true
			}
		}
	}
	return done
}

// readNames returns the names in a maildir's cur/, each without its
// ":2,flags" suffix.
func readNames(dir string) (map[string]bool, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	set := make(map[string]bool, len(names))
	for _, n := range names {
		base, _, _ := strings.Cut(n, ":")
		set[base] = true
	}
	return set, nil
}

// journalName is the maildir file name of recipient i of message id:
// the maildir convention (time.unique.host) with the unique part derived
// from the ID, so a delivery repeated after a crash finds its own files.
func (j *journal) journalName(it journalItem, i int) string {
	return strconv.FormatInt(it.created.Unix(), 10) + ".J" + it.id.String() + "I" + strconv.Itoa(i) + "." + j.md.host
}

// write creates the item's files in tmp/ and adds them to the batch. For
// a retry or recovery, done is non-nil (alreadyDelivered): a file whose
// new/ path is in it is skipped and a leftover in tmp/ is replaced. On
// error nothing of the item stays in the batch or in tmp/.
func (j *journal) write(b *journalBatch, it journalItem, done map[string]bool) error {
	body := it.body
	if body == nil {
		m, err := j.store.Get(context.Background(), it.id)
		if err != nil {
			return err
		}
		body = m.Body
	}
	start := len(b.files)
	bp, _ := j.md.bufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	defer func() {
		if cap(*bp) <= 1<<20 { // keep the pool's memory bounded, as Deliver does
			j.md.bufs.Put(bp)
		}
	}()
	*bp = (*bp)[:0]
	for i, rcpt := range it.rcpts {
		_, dir, err := j.md.mb.open(rcpt)
		if err != nil {
			j.drop(b, start)
			return err
		}
		name := j.journalName(it, i)
		f := journalFile{
			tmp: filepath.Join(dir, "tmp", name),
			new: filepath.Join(dir, "new", name),
		}
		if b.dirs == nil {
			b.dirs = map[string]bool{}
		}
		b.dirs[filepath.Join(dir, "new")] = true
		if done != nil {
			if done[f.new] {
				continue
			}
			os.Remove(f.tmp)
		}
		if len(*bp) == 0 {
			*bp = appendLF(slices.Grow((*bp)[:0], len(body)), body) // once per message, shared by its files
		}
		fd, err := createTmp(f.tmp, appendHead(nil, it.from, rcpt), *bp)
		if err != nil {
			j.drop(b, start)
			return err
		}
		fd.startWriteback()
		f.f = fd
		b.files = append(b.files, f)
	}
	if len(b.ids) == 0 {
		b.first = time.Now()
	}
	b.ids = append(b.ids, it.id)
	return nil
}

// drop removes the batch's files from index start on (one item's).
func (j *journal) drop(b *journalBatch, start int) {
	for _, f := range b.files[start:] {
		f.f.close()
		os.Remove(f.tmp)
	}
	b.files = b.files[:start]
}

// commit makes the batch durable and visible, then removes the stored
// copies. If a step fails, every message of the batch is retried later
// (files already renamed into new/ are then not written again).
func (j *journal) commit(b *journalBatch, retries map[mailqueue.ID]time.Time) {
	if len(b.ids) == 0 {
		return
	}
	closeAll := func() error {
		var first error
		for i := range b.files {
			if err := b.files[i].f.close(); err != nil && first == nil {
				first = err
			}
			b.files[i].f = noFile
		}
		return first
	}
	fail := func(err error) {
		j.logf("journal: commit failed; retrying later", "messages", len(b.ids), "err", err)
		closeAll()
		for _, f := range b.files {
			os.Remove(f.tmp)
		}
		for _, id := range b.ids {
			retries[id] = time.Now().Add(j.retry)
		}
		*b = journalBatch{}
	}
	// 1. The files' contents, before any name appears in new/.
	if err := flushFiles(j.root, b.files); err != nil {
		fail(err)
		return
	}
	if err := closeAll(); err != nil {
		fail(err)
		return
	}
	// 2. The names in new/.
	for _, f := range b.files {
		if err := rename(f.tmp, f.new); err != nil {
			fail(err)
			return
		}
	}
	if err := flushNames(j.root, b.dirs); err != nil {
		fail(err)
		return
	}
	// 3. The stored copies. Removes issued together share the store's
	// group commit. A failed Remove only means the message is found again
	// at the next start, with its files already delivered.
	var wg sync.WaitGroup
	for _, id := range b.ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := j.store.Remove(context.Background(), id); err != nil && !errors.Is(err, mailqueue.ErrNotFound) {
				j.logf("journal: cannot remove a delivered message from the store", "id", id, "err", err)
			}
		}()
	}
	wg.Wait()
	clear(b.dirs)
	*b = journalBatch{files: b.files[:0], ids: b.ids[:0], dirs: b.dirs}
}
