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
)

// Maildir stores messages in maildirs (one per recipient) under a root
// directory, with group commit. Create it with NewMaildir.
type Maildir struct {
	root, host string
	now        func() time.Time
	pid        int
	seq        atomic.Uint64
	made       sync.Map  // maildir paths known to exist
	bufs       sync.Pool // *[]byte file contents, reused

	lifecycle // mu held for reading while sending to reqs
	reqs      chan *commitReq
}

// commitReq is one delivery's files waiting for the committer.
type commitReq struct {
	files []pendingFile
	err   chan error
}

// pendingFile is one file of a delivery: its contents, and once the
// committer has created it in tmp/, its open descriptor.
type pendingFile struct {
	head, body       []byte // the file is head then body; body is shared by a delivery's files
	f                tmpFile
	created          bool
	tmp, new, newDir string
}

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
	bp, _ := m.bufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	defer func() {
		if cap(*bp) <= 1<<20 {
			m.bufs.Put(bp)
		}
	}()
	// The message is converted once and shared by every recipient's file:
	// only the two fields in front differ, so memory does not grow with
	// the number of recipients.
	*bp = appendLF(slices.Grow((*bp)[:0], len(msg)), msg)
	req := &commitReq{err: make(chan error, 1)}
	var heads []byte // every file's head, one allocation
	ends := make([]int, 0, 8)
	for _, rcpt := range rcpts {
		heads = appendHead(heads, from, rcpt)
		ends = append(ends, len(heads))
	}
	for i, rcpt := range rcpts {
		dir, err := m.ensure(rcpt)
		if err != nil {
			return nil, err
		}
		name := m.uniqueName()
		headStart := 0
		if i > 0 {
			headStart = ends[i-1]
		}
		p := pendingFile{
			head:   heads[headStart:ends[i]:ends[i]],
			body:   *bp,
			tmp:    filepath.Join(dir, "tmp", name),
			new:    filepath.Join(dir, "new", name),
			newDir: filepath.Join(dir, "new"),
		}
		req.files = append(req.files, p)
	}
	m.mu.RLock()
	if m.closed {
		m.mu.RUnlock()
		return nil, ErrClosed
	}
	m.reqs <- req
	m.mu.RUnlock()
	// Once submitted the files are the committer's; wait for it even if
	// ctx ends, so a 250 is never sent for a message not on disk and an
	// error never for one that is.
	if err := <-req.err; err != nil {
		return nil, err
	}
	out := make([]string, len(req.files))
	for i, f := range req.files {
		out[i] = f.new
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
func appendLF(dst, msg []byte) []byte {
	for len(msg) > 0 {
		i := bytes.Index(msg, []byte("\r\n"))
		if i < 0 {
			return append(dst, msg...)
		}
		dst = append(dst, msg[:i]...)
		dst = append(dst, '\n')
		msg = msg[i+2:]
	}
	return dst
}

// uniqueName is a maildir file name: seconds.MmicrosPpidQseq.host, the
// sequence number zero-padded so names of one second sort in delivery
// order.
func (m *Maildir) uniqueName() string {
	t := m.now()
	return fmt.Sprintf("%d.M%06dP%dQ%010d.%s", t.Unix(), t.Nanosecond()/1000, m.pid, m.seq.Add(1), m.host)
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

// commit follows the maildir rule (a file is complete on disk before its
// name appears in new/) for a whole batch:
//
//  1. create and write every file in tmp/, and start writing its data to
//     disk, so the writes overlap;
//  2. flush each file (its data and the metadata needed to read it);
//  3. rename each into new/;
//  4. flush each new/ directory touched once (a rename is durable only
//     once its directory is).
//
// One goroutine does all of it, so a batch blocks one thread however many
// sessions wait on it, and only the committer changes tmp/ (a file's
// first flush also flushes the directory it was created in, so sessions
// creating files meanwhile would make every flush write tmp/ again).
// A request fails as a whole if any of its files fails; the others go on.
func (m *Maildir) commit(batch []*commitReq) {
	failed := make([]error, len(batch))
	// Starting a file's writeback early only helps when other files' are
	// started before its flush waits.
	overlap := len(batch) > 1 || len(batch[0].files) > 1
	for i, r := range batch {
		for j := range r.files {
			f := &r.files[j]
			fd, err := createTmp(f.tmp, f.head, f.body)
			if err != nil {
				failed[i] = err
				break
			}
			f.f, f.created = fd, true
			if overlap {
				f.f.startWriteback()
			}
		}
	}
	for i, r := range batch {
		for j := range r.files {
			f := &r.files[j]
			if !f.created {
				continue
			}
			var err error
			if failed[i] == nil {
				err = f.f.datasync()
			}
			if cerr := f.f.close(); err == nil {
				err = cerr
			}
			if err != nil && failed[i] == nil {
				failed[i] = err
			}
		}
	}
	dirs := make(map[string][]int) // new/ directory -> requests renamed into it
	for i, r := range batch {
		if failed[i] != nil {
			continue
		}
		for _, f := range r.files {
			if err := rename(f.tmp, f.new); err != nil {
				failed[i] = err
				break
			}
			dirs[f.newDir] = append(dirs[f.newDir], i)
		}
	}
	for d, reqs := range dirs {
		if err := syncDir(d); err != nil {
			for _, i := range reqs {
				if failed[i] == nil {
					failed[i] = err
				}
			}
		}
	}
	for i, r := range batch {
		err := failed[i]
		if err != nil {
			// Nothing of a failed request is acknowledged; what is left
			// in tmp/ is removed (a file already in new/ stays: it is
			// complete, and the client's retry makes a duplicate at
			// worst, never a loss).
			for _, f := range r.files {
				if f.created {
					os.Remove(f.tmp)
				}
			}
			err = fmt.Errorf("mailsrv: maildir commit: %w", err)
		}
		r.err <- err
	}
}

// ensure creates the maildir of rcpt (tmp, new, cur) if needed and
// returns its path.
func (m *Maildir) ensure(rcpt string) (string, error) {
	dir, err := m.Path(rcpt)
	if err != nil {
		return "", err
	}
	if _, ok := m.made.Load(dir); ok {
		return dir, nil
	}
	for _, sub := range []string{"tmp", "new", "cur"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return "", fmt.Errorf("mailsrv: %w", err)
		}
	}
	// The new directories must be durable before a file in them is
	// acknowledged: flush the parents once, when the maildir is made.
	for p := dir; strings.HasPrefix(p, m.root) && p != filepath.Dir(m.root); p = filepath.Dir(p) {
		if err := syncDir(p); err != nil {
			return "", fmt.Errorf("mailsrv: %w", err)
		}
	}
	m.made.Store(dir, true)
	return dir, nil
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
