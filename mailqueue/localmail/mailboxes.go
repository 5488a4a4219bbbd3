package localmail

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/relaykit/relaykit/mailbox"
)

// Mailboxes is the set of local Maildirs: Root/<domain>/<local-part> for
// each address of a local domain, both lower case, with every octet of
// the local part outside [a-z0-9._+=-] (and a leading dot) written as
// %XX, so no address can name a path outside its domain's directory.
// Create it with its fields set and share it by pointer; it is safe for
// concurrent use. A Maildir is created on its first delivery.
type Mailboxes struct {
	// Root holds one directory per local domain, with one Maildir per
	// user inside.
	Root string
	// Domains are the local domains (compared without case, a trailing
	// dot ignored).
	Domains []string
	// Users, if not nil, are the only local addresses (lower case) that
	// exist: mail for any other address of a local domain is refused
	// with 550 5.1.1 (RFC 3463: bad destination mailbox). Nil accepts
	// every local part.
	Users map[string]bool
	// Options open each Maildir (Create is set for you); Host and Now
	// also name the files a Writer writes.
	Options mailbox.Options

	made sync.Map // Maildir path -> *mailbox.Maildir, known to exist
}

// IsLocal reports whether domain is one of the local domains.
func (m *Mailboxes) IsLocal(domain string) bool {
	domain = strings.TrimSuffix(domain, ".")
	for _, d := range m.Domains {
		if strings.EqualFold(strings.TrimSuffix(d, "."), domain) {
			return true
		}
	}
	return false
}

// Exists reports whether addr, an address of a local domain, is a
// mailbox here: any address when Users is nil.
func (m *Mailboxes) Exists(addr string) bool {
	return m.Users == nil || m.Users[strings.ToLower(addr)]
}

func (m *Mailboxes) options() mailbox.Options {
	o := m.Options
	o.Create = true
	return o
}

func (m *Mailboxes) now() time.Time {
	if m.Options.Now != nil {
		return m.Options.Now()
	}
	return time.Now()
}

// open returns the mailbox.Maildir of rcpt and its path, creating it
// (and flushing the directories above it) the first time.
func (m *Mailboxes) open(rcpt string) (*mailbox.Maildir, string, error) {
	dir, err := m.Path(rcpt)
	if err != nil {
		return nil, "", err
	}
	if mb, ok := m.made.Load(dir); ok {
		return mb.(*mailbox.Maildir), dir, nil
	}
	mb, err := mailbox.Open(dir, m.options())
	if err != nil {
		return nil, "", fmt.Errorf("localmail: %w", err)
	}
	// The new directories must be durable before a file in them is
	// acknowledged: flush the parents once, when the maildir is made
	// (mailbox.Open flushes the maildir and its parent).
	for p := filepath.Dir(dir); strings.HasPrefix(p, m.Root) && p != filepath.Dir(m.Root); p = filepath.Dir(p) {
		if err := syncDir(p); err != nil {
			return nil, "", fmt.Errorf("localmail: %w", err)
		}
	}
	actual, _ := m.made.LoadOrStore(dir, mb)
	return actual.(*mailbox.Maildir), dir, nil
}

// ErrBadAddress reports a recipient without a domain.
var ErrBadAddress = errors.New("localmail: address has no domain")

// Path returns the maildir of addr: root/<domain>/<local-part>, both in
// lower case, with every byte outside [a-z0-9._+=-] of the local part
// (and a leading dot) written as %XX, so no address can name a path
// outside its domain's directory.
func (m *Mailboxes) Path(addr string) (string, error) {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return "", ErrBadAddress
	}
	return filepath.Join(m.Root, safeName(strings.ToLower(addr[at+1:])), safeName(strings.ToLower(addr[:at]))), nil
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
func (m *Mailboxes) Messages(addr string) ([][]byte, error) {
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
			return nil, fmt.Errorf("localmail: %w", err)
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
			return nil, fmt.Errorf("localmail: %w", err)
		}
		out = append(out, b)
	}
	return out, nil
}

// Count returns the number of messages in every maildir under the root.
func (m *Mailboxes) Count() (int, error) {
	n := 0
	err := filepath.WalkDir(m.Root, func(p string, d fs.DirEntry, err error) error {
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
		return 0, fmt.Errorf("localmail: %w", err)
	}
	return n, nil
}
