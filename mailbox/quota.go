package mailbox

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Quota is a Maildir++ quota: a limit on the bytes and on the number of
// messages in all folders together. A zero field means no limit on it.
type Quota struct {
	Bytes    int64
	Messages int64
}

// IsZero reports whether q sets no limit.
func (q Quota) IsZero() bool { return q.Bytes <= 0 && q.Messages <= 0 }

// String is the quota definition line of maildirsize: "<bytes>S,<n>C".
func (q Quota) String() string {
	var parts []string
	if q.Bytes > 0 {
		parts = append(parts, strconv.FormatInt(q.Bytes, 10)+"S")
	}
	if q.Messages > 0 {
		parts = append(parts, strconv.FormatInt(q.Messages, 10)+"C")
	}
	return strings.Join(parts, ",")
}

// Usage is what the maildirsize file counts.
type Usage struct {
	Bytes    int64
	Messages int64
}

// maildirsizeRecalc is the size past which Maildir++ readers recount the
// folders and rewrite maildirsize (the Maildir++ specification's 5120).
const maildirsizeRecalc = 5120

func parseQuota(line string) Quota {
	var q Quota
	for _, p := range strings.Split(line, ",") {
		if len(p) < 2 {
			continue
		}
		n, err := strconv.ParseInt(p[:len(p)-1], 10, 64)
		if err != nil {
			continue
		}
		switch p[len(p)-1] {
		case 'S':
			q.Bytes = n
		case 'C':
			q.Messages = n
		}
	}
	return q
}

// readQuota reads root's maildirsize: the quota and the current usage.
// ok is false when there is no maildirsize (no quota).
func readQuota(root string) (q Quota, u Usage, ok bool, err error) {
	data, err := os.ReadFile(filepath.Join(root, "maildirsize"))
	if notExist(err) {
		return q, u, false, nil
	}
	if err != nil {
		return q, u, false, fmt.Errorf("mailbox: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	first := true
	for sc.Scan() {
		if first {
			q, first = parseQuota(sc.Text()), false
			continue
		}
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			continue
		}
		b, err1 := strconv.ParseInt(f[0], 10, 64)
		c, err2 := strconv.ParseInt(f[1], 10, 64)
		if err1 == nil && err2 == nil {
			u.Bytes += b
			u.Messages += c
		}
	}
	if len(data) > maildirsizeRecalc {
		u, err = recalcQuota(root, q)
	}
	return q, u, true, err
}

// recalcQuota counts every folder's messages and rewrites maildirsize.
func recalcQuota(root string, q Quota) (Usage, error) {
	var u Usage
	dirs := []string{root}
	ents, err := os.ReadDir(root)
	if err != nil {
		return u, fmt.Errorf("mailbox: %w", err)
	}
	for _, e := range ents {
		if n := e.Name(); e.IsDir() && len(n) > 1 && n[0] == '.' && n != ".." {
			dirs = append(dirs, filepath.Join(root, n))
		}
	}
	for _, d := range dirs {
		for _, sub := range []string{"new", "cur"} {
			es, err := os.ReadDir(filepath.Join(d, sub))
			if err != nil {
				continue
			}
			for _, e := range es {
				key, _ := splitName(e.Name())
				size := sizeField(key, 'S')
				if size < 0 {
					if fi, err := e.Info(); err == nil {
						size = fi.Size()
					} else {
						continue
					}
				}
				u.Bytes += size
				u.Messages++
			}
		}
	}
	data := fmt.Sprintf("%s\n%d %d\n", q, u.Bytes, u.Messages)
	return u, writeFileAtomic(filepath.Join(root, "maildirsize"), []byte(data))
}

// writeQuota sets the quota definition, counting usage afresh.
func writeQuota(root string, q Quota) error {
	_, err := recalcQuota(root, q)
	return err
}

// QuotaUsage returns the Maildir++ quota and usage; ok is false when
// the maildir has no maildirsize file.
func (m *Maildir) QuotaUsage() (q Quota, u Usage, ok bool, err error) {
	return readQuota(m.root)
}

// checkQuota fails with ErrQuota if adding size bytes and one message
// would pass root's quota.
func checkQuota(root string, size int64) error {
	q, u, ok, err := readQuota(root)
	if err != nil || !ok {
		return err
	}
	if q.Bytes > 0 && u.Bytes+size > q.Bytes || q.Messages > 0 && u.Messages+1 > q.Messages {
		return ErrQuota
	}
	return nil
}

// addQuota appends a usage change to root's maildirsize, if it has one
// (Maildir++: one write(2) with O_APPEND, so concurrent writers do not
// interleave).
func addQuota(root string, bytes, count int64) {
	f, err := os.OpenFile(filepath.Join(root, "maildirsize"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return
	}
	f.WriteString(strconv.FormatInt(bytes, 10) + " " + strconv.FormatInt(count, 10) + "\n")
	f.Close()
}
