package mailsrv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/relaykit/relaykit/mailbox"
)

// Maildir stores messages in maildirs (one per recipient) under a root
// directory through the public mailbox package, with group commit: the
// deliveries that sessions submit while a batch is being written form the
// next batch, written by one mailbox.DeliverBatch (one directory flush per
// maildir per batch). Create it with NewMaildir.
type Maildir struct {
	root, host string
	now        func() time.Time
	pid        int
	seq        atomic.Uint64
	made       sync.Map  // maildir path -> *mailbox.Maildir, known to exist
	bufs       sync.Pool // *[]byte file contents, reused

	lifecycle // mu held for reading while sending to reqs
	reqs      chan *commitReq
}

// commitReq is one delivery's files waiting for the committer.
type commitReq struct {
	files []mailbox.Delivery
	err   chan error
}

// copyBudget bounds the bytes of file contents one Deliver holds at once:
// mailbox.Delivery takes each file as one slice, so every recipient's
// file is its own copy, and a big message to many recipients is written
// in turns of at most this many bytes (at least one file a turn).
const copyBudget = 4 << 20

// NewMaildir returns a Maildir rooted at root; host goes into file names
// (the maildir convention: time, unique part, host).
func NewMaildir(root, host string, now func() time.Time) *Maildir {
	if now == nil {
		now = time.Now
	}
	m := &Maildir{
		root: root, host: strings.NewReplacer("/", "_", ":", "_").Replace(host), now: now, pid: os.Getpid(),
		reqs:      make(chan *commitReq, 1024),
		lifecycle: newLifecycle(),
	}
	go m.committer()
	return m
}

// Close stops the committer once the deliveries already submitted are
// committed. Deliver fails with ErrClosed afterwards.
func (m *Maildir) Close() error {
	m.stop()
	return nil
}

// Deliver writes msg (CRLF line endings) into the maildir of each
// recipient, with Return-Path (RFC 5321 4.4) and Delivered-To fields
// prepended and line endings converted to LF as maildir readers expect. It
// returns once every file is durable and visible in new/, with the
// files' paths.
func (m *Maildir) Deliver(ctx context.Context, from string, rcpts []string, msg []byte) ([]string, error) {
	turn := max(1, copyBudget/(len(msg)+len(from)+64))
	bufs := make([]*[]byte, 0, min(turn, len(rcpts)))
	defer func() {
		for _, bp := range bufs {
			if cap(*bp) <= 1<<20 {
				m.bufs.Put(bp)
			}
		}
	}()
	out := make([]string, 0, len(rcpts))
	for start := 0; start < len(rcpts); start += turn {
		req := &commitReq{err: make(chan error, 1)}
		for i, rcpt := range rcpts[start:min(start+turn, len(rcpts))] {
			mb, dir, err := m.open(rcpt)
			if err != nil {
				return nil, err
			}
			if i == len(bufs) {
				bp, _ := m.bufs.Get().(*[]byte)
				if bp == nil {
					bp = new([]byte)
				}
				bufs = append(bufs, bp)
			}
			bp := bufs[i]
			*bp = appendFile(slices.Grow((*bp)[:0], len(msg)+len(from)+len(rcpt)+32), from, rcpt, msg)
			key := m.uniqueName(*bp)
			req.files = append(req.files, mailbox.Delivery{Maildir: mb, Data: *bp, Key: key})
			out = append(out, filepath.Join(dir, "new", key))
		}
		m.mu.RLock()
		if m.closed {
			m.mu.RUnlock()
			return nil, ErrClosed
		}
		m.reqs <- req
		m.mu.RUnlock()
		// Once submitted the files are the committer's; wait for it even
		// if ctx ends, so a 250 is never sent for a message not on disk
		// and an error never for one that is.
		if err := <-req.err; err != nil {
			return nil, err
		}
	}
	_ = ctx
	return out, nil
}

// appendFile appends the maildir file for one recipient: Return-Path and
// Delivered-To, then msg with CRLF turned into LF.
func appendFile(dst []byte, from, rcpt string, msg []byte) []byte {
	return appendLF(appendHead(dst, from, rcpt), msg)
}

// appendHead appends the Return-Path and Delivered-To fields a maildir
// file starts with.
func appendHead(dst []byte, from, rcpt string) []byte {
	dst = append(dst, "Return-Path: <"...)
	dst = append(dst, from...)
	dst = append(dst, ">\nDelivered-To: "...)
	dst = append(dst, rcpt...)
	return append(dst, '\n')
}

// appendLF appends msg with CRLF turned into LF.
func appendLF(dst, msg []byte) []byte { return mailbox.AppendLF(dst, msg) }

// uniqueName is the maildir file name (the mailbox key) of data:
// seconds.MmicrosPpidQseq.host, the sequence number zero-padded so names
// of one second sort in delivery order, then the Maildir++ size fields
// ",S=<bytes>,W=<bytes with CRLF>" that mailbox and Dovecot read sizes
// from (data has LF line endings only).
func (m *Maildir) uniqueName(data []byte) string {
	t := m.now()
	return fmt.Sprintf("%d.M%06dP%dQ%010d.%s,S=%d,W=%d", t.Unix(), t.Nanosecond()/1000, m.pid, m.seq.Add(1), m.host,
		len(data), len(data)+bytes.Count(data, []byte{'\n'}))
}

// committer makes batches of deliveries durable and visible together.
// Requests that arrive while a batch is being committed form the next
// batch.
func (m *Maildir) committer() {
	defer close(m.done)
	for {
		var first *commitReq
		select {
		case first = <-m.reqs:
		case <-m.quit:
			// Commit whatever was submitted before Close.
			for {
				select {
				case r := <-m.reqs:
					m.commit([]*commitReq{r})
				default:
					return
				}
			}
		}
		batch := []*commitReq{first}
	drain:
		for len(batch) < 256 {
			select {
			case r := <-m.reqs:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		m.commit(batch)
	}
}

// commit writes a batch with one mailbox.DeliverBatch, which follows the
// maildir rule for the batch as a whole (every file written and flushed
// in tmp/, renamed into new/, each new/ directory flushed once). One
// goroutine does all of it, so a batch blocks one thread however many
// sessions wait on it. A request fails as a whole if any of its files
// fails; the others go on. Nothing of a failed request is acknowledged
// (a file of it already in new/ stays: it is complete, and the client's
// retry makes a duplicate at worst, never a loss).
func (m *Maildir) commit(batch []*commitReq) {
	n := 0
	for _, r := range batch {
		n += len(r.files)
	}
	all := make([]mailbox.Delivery, 0, n)
	for i, r := range batch {
		start := len(all)
		all = append(all, r.files...)
		if len(r.files) > 1 {
			for j := start; j < len(all); j++ {
				all[j].Group = i + 1 // all or nothing: no half-delivered message
			}
		}
	}
	// The batch is written whatever happens to the sessions' contexts:
	// each is waiting for its answer.
	mailbox.DeliverBatch(context.Background(), all)
	i := 0
	for _, r := range batch {
		var err error
		for _, d := range all[i : i+len(r.files)] {
			if d.Err != nil {
				err = fmt.Errorf("mailsrv: maildir commit: %w", d.Err)
				break
			}
		}
		i += len(r.files)
		r.err <- err
	}
}

// ensure creates the maildir of rcpt (tmp, new, cur) if needed and
// returns its path.
func (m *Maildir) ensure(rcpt string) (string, error) {
	_, dir, err := m.open(rcpt)
	return dir, err
}

// open returns the mailbox.Maildir of rcpt and its path, creating it
// (and flushing the directories above it) the first time.
func (m *Maildir) open(rcpt string) (*mailbox.Maildir, string, error) {
	dir, err := m.Path(rcpt)
	if err != nil {
		return nil, "", err
	}
	if mb, ok := m.made.Load(dir); ok {
		return mb.(*mailbox.Maildir), dir, nil
	}
	mb, err := mailbox.Open(dir, mailbox.Options{Host: m.host, Now: m.now, Create: true})
	if err != nil {
		return nil, "", fmt.Errorf("mailsrv: %w", err)
	}
	// The new directories must be durable before a file in them is
	// acknowledged: flush the parents once, when the maildir is made
	// (mailbox.Open flushes the maildir and its parent).
	for p := filepath.Dir(dir); strings.HasPrefix(p, m.root) && p != filepath.Dir(m.root); p = filepath.Dir(p) {
		if err := syncDir(p); err != nil {
			return nil, "", fmt.Errorf("mailsrv: %w", err)
		}
	}
	actual, _ := m.made.LoadOrStore(dir, mb)
	return actual.(*mailbox.Maildir), dir, nil
}

// ErrBadAddress reports a recipient without a domain.
var ErrBadAddress = errors.New("mailsrv: address has no domain")

// Path returns the maildir of addr: root/<domain>/<local-part>, both in
// lower case, with every byte outside [a-z0-9._+=-] of the local part
// (and a leading dot) written as %XX, so no address can name a path
// outside its domain's directory.
func (m *Maildir) Path(addr string) (string, error) {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return "", ErrBadAddress
	}
	return filepath.Join(m.root, safeName(strings.ToLower(addr[at+1:])), safeName(strings.ToLower(addr[:at]))), nil
}

func safeName(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("._+=-", c) >= 0
		if i == 0 && c == '.' {
			ok = false
		}
		if ok {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// Messages returns the messages in addr's maildir (new/ and cur/), oldest
// first.
func (m *Maildir) Messages(addr string) ([][]byte, error) {
	dir, err := m.Path(addr)
	if err != nil {
		return nil, err
	}
	type file struct {
		path string
		sec  int64
		name string
	}
	var files []file
	for _, sub := range []string{"new", "cur"} {
		ents, err := os.ReadDir(filepath.Join(dir, sub))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("mailsrv: %w", err)
		}
		for _, e := range ents {
			sec, _ := strconv.ParseInt(strings.SplitN(e.Name(), ".", 2)[0], 10, 64)
			files = append(files, file{filepath.Join(dir, sub, e.Name()), sec, e.Name()})
		}
	}
	sort.Slice(files, func(i, j int) bool {
		if files[i].sec != files[j].sec {
			return files[i].sec < files[j].sec
		}
		return files[i].name < files[j].name
	})
	out := make([][]byte, 0, len(files))
	for _, f := range files {
		b, err := os.ReadFile(f.path)
		if err != nil {
			return nil, fmt.Errorf("mailsrv: %w", err)
		}
		out = append(out, b)
	}
	return out, nil
}

// Count returns the number of messages in every maildir under the root.
func (m *Maildir) Count() (int, error) {
	n := 0
	err := filepath.WalkDir(m.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() && (d.Name() == "new" || d.Name() == "cur") {
			ents, err := os.ReadDir(p)
			if err != nil {
				return err
			}
			n += len(ents)
			return fs.SkipDir
		}
		if d.IsDir() && d.Name() == "tmp" {
			return fs.SkipDir
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("mailsrv: %w", err)
	}
	return n, nil
}
