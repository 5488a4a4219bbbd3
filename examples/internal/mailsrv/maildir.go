package mailsrv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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

	mu     sync.RWMutex // held for reading while sending to reqs
	closed bool
	reqs   chan *commitReq
	quit   chan struct{}
	done   chan struct{}
}

// commitReq is one delivery's files waiting for the committer.
type commitReq struct {
	files []pendingFile
	err   chan error
}

type pendingFile struct{ tmp, new, newDir string }

// NewMaildir returns a Maildir rooted at root; host goes into file names
// (the maildir convention: time, unique part, host).
func NewMaildir(root, host string, now func() time.Time) *Maildir {
	if now == nil {
		now = time.Now
	}
	m := &Maildir{
		root: root, host: strings.NewReplacer("/", "_", ":", "_").Replace(host), now: now, pid: os.Getpid(),
		reqs: make(chan *commitReq, 1024),
		quit: make(chan struct{}),
		done: make(chan struct{}),
	}
	go m.committer()
	return m
}

// Close stops the committer once the deliveries already submitted are
// committed. Deliver fails with ErrClosed afterwards.
func (m *Maildir) Close() error {
	m.mu.Lock()
	if !m.closed {
		m.closed = true
		close(m.quit)
	}
	m.mu.Unlock()
	<-m.done
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
	req := &commitReq{err: make(chan error, 1)}
	for _, rcpt := range rcpts {
		dir, err := m.ensure(rcpt)
		if err != nil {
			m.discard(req.files)
			return nil, err
		}
		name := m.uniqueName()
		p := pendingFile{
			tmp:    filepath.Join(dir, "tmp", name),
			new:    filepath.Join(dir, "new", name),
			newDir: filepath.Join(dir, "new"),
		}
		*bp = appendFile((*bp)[:0], from, rcpt, msg)
		if err := writeFile(p.tmp, *bp); err != nil {
			m.discard(req.files)
			return nil, err
		}
		req.files = append(req.files, p)
	}
	m.mu.RLock()
	if m.closed {
		m.mu.RUnlock()
		m.discard(req.files)
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
	dst = append(dst, "Return-Path: <"...)
	dst = append(dst, from...)
	dst = append(dst, ">\nDelivered-To: "...)
	dst = append(dst, rcpt...)
	dst = append(dst, '\n')
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

// writeFile writes and flushes one file in tmp/ (the maildir rule: the
// file is complete on disk before it appears in new/). Each session
// flushes its own file, so concurrent deliveries flush concurrently and
// the file system merges them into one journal commit; only the renames
// wait for the committer.
func writeFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("mailsrv: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("mailsrv: %w", err)
	}
	return nil
}

func (m *Maildir) discard(files []pendingFile) {
	for _, f := range files {
		os.Remove(f.tmp)
	}
}

// uniqueName is a maildir file name: seconds.MmicrosPpidQseq.host, the
// sequence number zero-padded so names of one second sort in delivery
// order.
func (m *Maildir) uniqueName() string {
	t := m.now()
	return fmt.Sprintf("%d.M%06dP%dQ%010d.%s", t.Unix(), t.Nanosecond()/1000, m.pid, m.seq.Add(1), m.host)
}

// committer makes batches of deliveries visible and durable together:
// the renames from tmp/ into new/ (each file already flushed by its
// writer), then one flush of each new/ directory touched (a rename is
// durable only once its directory is). Requests that arrive while a batch
// is being flushed form the next batch.
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

func (m *Maildir) commit(batch []*commitReq) {
	var files []pendingFile
	for _, r := range batch {
		files = append(files, r.files...)
	}
	var err error
	dirs := make(map[string]bool)
	for _, f := range files {
		if rerr := os.Rename(f.tmp, f.new); rerr != nil && err == nil {
			err = rerr
		}
		dirs[f.newDir] = true
	}
	for d := range dirs {
		if serr := syncDir(d); serr != nil && err == nil {
			err = serr
		}
	}
	if err != nil {
		err = fmt.Errorf("mailsrv: maildir commit: %w", err)
	}
	for _, r := range batch {
		r.err <- err
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
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
