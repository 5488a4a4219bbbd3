package mailbox

import (
	"errors"
	"fmt"
	"hash/maphash"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Options configure a Maildir. The zero value works.
type Options struct {
	// Host goes into the names of delivered files (default: os.Hostname).
	// "/" and ":" are replaced, as the Maildir convention asks.
	Host string
	// Now is the clock for file names and the initial UIDVALIDITY
	// (default time.Now).
	Now func() time.Time
	// Quota, when non-zero, is written to the Maildir++ maildirsize file
	// on Open; a maildirsize already present is honoured either way.
	Quota Quota
	// Create makes the maildir (tmp/, new/, cur/) if it does not exist;
	// otherwise Open fails on a missing maildir.
	Create bool
}

// Maildir is one user's Maildir with its Maildir++ folders. Methods are
// safe for concurrent use by several goroutines and, through the UID
// list lock, by several processes.
type Maildir struct {
	root string
	host string
	now  func() time.Time

	// seed keys the hashes of directory listings (see Folder.scan);
	// dirBufs holds the buffers scans read listings into, shared by
	// the folders so that none keeps one between scans.
	seed    maphash.Seed
	dirBufs sync.Pool
}

// Inbox is the name of the root folder.
const Inbox = "INBOX"

// Open opens the Maildir at root.
func Open(root string, opts Options) (*Maildir, error) {
	if !lockSupported {
		return nil, ErrNoLocking
	}
	host := opts.Host
	if host == "" {
		host, _ = os.Hostname()
		if host == "" {
			host = "localhost"
		}
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	m := &Maildir{
		root: root,
		host: strings.NewReplacer("/", `\057`, ":", `\072`, ",", `\054`).Replace(host),
		now:  now,
		seed: maphash.MakeSeed(),
	}
	if opts.Create {
		if err := makeMaildir(root, false); err != nil {
			return nil, err
		}
	} else if !isMaildir(root) {
		return nil, fmt.Errorf("mailbox: %s is not a maildir: %w", root, ErrNoFolder)
	}
	if !opts.Quota.IsZero() {
		if err := writeQuota(root, opts.Quota); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Root returns the Maildir's directory.
func (m *Maildir) Root() string { return m.root }

func isMaildir(dir string) bool {
	for _, sub := range []string{"cur", "new", "tmp"} {
		if fi, err := os.Stat(filepath.Join(dir, sub)); err != nil || !fi.IsDir() {
			return false
		}
	}
	return true
}

// makeMaildir creates dir with tmp/, new/, cur/ and, for a folder, the
// maildirfolder marker, and flushes the new directory entries.
func makeMaildir(dir string, folder bool) error {
	for _, sub := range []string{"tmp", "new", "cur"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return fmt.Errorf("mailbox: %w", err)
		}
	}
	if folder {
		f, err := os.OpenFile(filepath.Join(dir, "maildirfolder"), os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			return fmt.Errorf("mailbox: %w", err)
		}
		f.Close()
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	return syncDir(filepath.Dir(dir))
}

// checkName validates a folder name: "INBOX" (any case) or dot-separated
// non-empty components without "/", control characters or a leading
// "." in the directory name they make.
func checkName(name string) error {
	if strings.EqualFold(name, Inbox) {
		return nil
	}
	if name == "" || name == "." || name == ".." {
		return ErrFolderName
	}
	for _, comp := range strings.Split(name, ".") {
		if comp == "" {
			return ErrFolderName
		}
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 0x20 || c == 0x7f || c == '/' || c == '\\' {
			return ErrFolderName
		}
	}
	return nil
}

// dir returns the directory of folder name.
func (m *Maildir) dir(name string) string {
	if strings.EqualFold(name, Inbox) {
		return m.root
	}
	return filepath.Join(m.root, "."+name)
}

// Folders returns the folder names, INBOX first, the others sorted.
func (m *Maildir) Folders() ([]string, error) {
	ents, err := os.ReadDir(m.root)
	if err != nil {
		return nil, fmt.Errorf("mailbox: %w", err)
	}
	var out []string
	for _, e := range ents {
		n := e.Name()
		if len(n) < 2 || n[0] != '.' || n == ".." || !e.IsDir() {
			continue
		}
		if checkName(n[1:]) != nil || !isMaildir(filepath.Join(m.root, n)) {
			continue
		}
		out = append(out, n[1:])
	}
	sort.Strings(out)
	return append([]string{Inbox}, out...), nil
}

// CreateFolder creates folder name (Maildir++: the directory "."+name
// with a maildirfolder file). Parents of a nested name need not exist:
// Maildir++ keeps every folder directly under the root.
func (m *Maildir) CreateFolder(name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	if strings.EqualFold(name, Inbox) {
		return ErrFolderExists
	}
	d := m.dir(name)
	if _, err := os.Stat(d); err == nil {
		return ErrFolderExists
	}
	return makeMaildir(d, true)
}

// DeleteFolder removes folder name and every message in it.
func (m *Maildir) DeleteFolder(name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	if strings.EqualFold(name, Inbox) {
		return ErrInbox
	}
	d := m.dir(name)
	if !isMaildir(d) {
		return ErrNoFolder
	}
	// Rename first so no reader sees a half-removed folder, then remove.
	tmp := filepath.Join(m.root, "tmp", "deleted-"+m.uniqueKey(0, 0))
	if err := os.Rename(d, tmp); err != nil {
		return fmt.Errorf("mailbox: %w", err)
	}
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("mailbox: %w", err)
	}
	return syncDir(m.root)
}

// RenameFolder renames folder from to to; nested folders under from
// move with it.
func (m *Maildir) RenameFolder(from, to string) error {
	if err := checkName(from); err != nil {
		return err
	}
	if err := checkName(to); err != nil {
		return err
	}
	if strings.EqualFold(from, Inbox) || strings.EqualFold(to, Inbox) {
		return ErrInbox
	}
	if _, err := os.Stat(m.dir(to)); err == nil {
		return ErrFolderExists
	}
	names, err := m.Folders()
	if err != nil {
		return err
	}
	found := false
	for _, n := range names {
		if n == from || strings.HasPrefix(n, from+".") {
			if err := os.Rename(m.dir(n), m.dir(to+n[len(from):])); err != nil {
				return fmt.Errorf("mailbox: %w", err)
			}
			found = true
		}
	}
	if !found {
		return ErrNoFolder
	}
	return syncDir(m.root)
}

// Folder opens folder name, building its UID list if it has none.
func (m *Maildir) Folder(name string) (*Folder, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	if strings.EqualFold(name, Inbox) {
		name = Inbox
	}
	d := m.dir(name)
	if !isMaildir(d) {
		return nil, fmt.Errorf("mailbox: folder %q: %w", name, ErrNoFolder)
	}
	f := &Folder{m: m, name: name, dir: d}
	if _, err := f.Sync(); err != nil {
		return nil, err
	}
	return f, nil
}

// Inbox opens the INBOX folder.
func (m *Maildir) Inbox() (*Folder, error) { return m.Folder(Inbox) }

func notExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
