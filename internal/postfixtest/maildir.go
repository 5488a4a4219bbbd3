package postfixtest

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// sharedMaildir is the maildir, under MailDir, that receives all mail.
const sharedMaildir = "all"

// Maildir returns the maildir virtual(8) delivers all mail into.
func (s *Server) Maildir() string {
	return filepath.Join(s.MailDir, sharedMaildir)
}

// Messages returns the messages delivered to addr (by the Delivered-To
// field virtual(8) prepends), or every message if addr is "", oldest
// first (maildir names start with the delivery time in seconds).
func (s *Server) Messages(addr string) ([][]byte, error) {
	dir := s.Maildir()
	want := "delivered-to: " + strings.ToLower(addr) + "\n"
	var names []string
	for _, sub := range []string{"new", "cur"} {
		ents, err := os.ReadDir(filepath.Join(dir, sub))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("postfixtest: %w", err)
		}
		for _, e := range ents {
			names = append(names, filepath.Join(dir, sub, e.Name()))
		}
	}
	sort.Slice(names, func(i, j int) bool { return filepath.Base(names[i]) < filepath.Base(names[j]) })
	out := make([][]byte, 0, len(names))
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, fmt.Errorf("postfixtest: %w", err)
		}
		if addr == "" || deliveredTo(b, want) {
			out = append(out, b)
		}
	}
	return out, nil
}

// Delivered counts every message delivered into any maildir.
func (s *Server) Delivered() (int, error) {
	return CountMaildirs(s.MailDir)
}

// CountMaildirs counts the files in every new/ and cur/ directory under
// root: the messages delivered into all the maildirs there.
func CountMaildirs(root string) (int, error) {
	n := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // a maildir being created right now
			}
			return err
		}
		if !d.IsDir() {
			return nil
		}
		switch d.Name() {
		case "new", "cur":
			ents, err := os.ReadDir(p)
			if err != nil {
				return err
			}
			n += len(ents)
			return fs.SkipDir
		case "tmp":
			return fs.SkipDir
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("postfixtest: %w", err)
	}
	return n, nil
}

// WaitDelivered waits until at least n messages are in the maildirs, or
// until limit passes. Postfix delivers asynchronously and tells nobody,
// so this polls the maildirs (every 10 ms): it waits on another program,
// never on our own goroutines.
func (s *Server) WaitDelivered(n int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		got, err := s.Delivered()
		if err != nil {
			return err
		}
		if got >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postfixtest: %d of %d messages delivered after %v\n%s", got, n, limit, s.LogTail(10))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// deliveredTo reports whether the header of msg has the Delivered-To line
// want (lower case, LF-terminated as maildir files are).
func deliveredTo(msg []byte, want string) bool {
	for len(msg) > 0 {
		n := bytes.IndexByte(msg, '\n')
		if n < 0 {
			return false
		}
		line := msg[:n+1]
		if n == 0 || (n == 1 && line[0] == '\r') {
			return false // end of header
		}
		if strings.EqualFold(string(line), want) {
			return true
		}
		msg = msg[n+1:]
	}
	return false
}
