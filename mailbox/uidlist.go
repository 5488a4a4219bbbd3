package mailbox

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// File names of the UID list and its lock, in each folder's directory.
const (
	UIDListFile = "relaykit-uidlist"
	LockFile    = "relaykit-uidlist.lock"
)

// uidList is a parsed UID list: entries in ascending UID order.
type uidList struct {
	validity, next uint32
	entries        []uidEntry
}

// uidEntry is one message of the list. size and mtime (the file's size
// and modification time in Unix nanoseconds, known when stat is set)
// spare a new Folder a stat(2) per file; they are kept as Dovecot keeps
// sizes in its uidlist, as extension fields before the key.
type uidEntry struct {
	uid   uint32
	key   string
	size  int64
	mtime int64
	stat  bool
}

// parseUIDList parses a UID list. A list that is malformed or disagrees
// with itself returns a *UIDListError, with the list as far as it was
// read (its validity, if the header was good, so a repair can pick a
// later one).
func parseUIDList(path string, data []byte) (*uidList, error) {
	l := &uidList{}
	bad := func(line int, msg string) error { return &UIDListError{Path: path, Line: line, Msg: msg} }
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 64<<10)
	lineNo := 0
	keys := map[string]bool{}
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		if lineNo == 1 {
			f := strings.Fields(line)
			if len(f) != 3 || f[0] != "1" || !strings.HasPrefix(f[1], "V") || !strings.HasPrefix(f[2], "N") {
				return nil, bad(1, "bad header")
			}
			v, err1 := strconv.ParseUint(f[1][1:], 10, 32)
			n, err2 := strconv.ParseUint(f[2][1:], 10, 32)
			if err1 != nil || err2 != nil || v == 0 || n == 0 {
				return nil, bad(1, "bad header")
			}
			l.validity, l.next = uint32(v), uint32(n)
			continue
		}
		sp := strings.Index(line, " :")
		if sp < 0 {
			return l, bad(lineNo, "bad record")
		}
		// "<uid> [S<size> T<mtime>] :<key>"; unknown extension fields
		// are skipped (a later version's).
		head, key := line[:sp], line[sp+2:]
		num, ext, _ := strings.Cut(head, " ")
		u, err := strconv.ParseUint(num, 10, 32)
		if err != nil || u == 0 || key == "" || strings.ContainsAny(key, ":/") {
			return l, bad(lineNo, "bad record")
		}
		e := uidEntry{uid: uint32(u), key: key}
		var hasS, hasT bool
		for _, x := range strings.Fields(ext) {
			if x[0] != 'S' && x[0] != 'T' {
				continue
			}
			n, err := strconv.ParseInt(x[1:], 10, 64)
			if err != nil || n < 0 {
				return l, bad(lineNo, "bad extension field")
			}
			if x[0] == 'S' {
				e.size, hasS = n, true
			} else {
				e.mtime, hasT = n, true
			}
		}
		e.stat = hasS && hasT
		uid := e.uid
		if uid >= l.next {
			return l, bad(lineNo, "uid not below next uid")
		}
		if n := len(l.entries); n > 0 && l.entries[n-1].uid >= uid {
			return l, bad(lineNo, "uids not ascending")
		}
		if keys[key] {
			return l, bad(lineNo, "key listed twice")
		}
		keys[key] = true
		l.entries = append(l.entries, e)
	}
	if err := sc.Err(); err != nil {
		return l, bad(lineNo+1, err.Error())
	}
	if lineNo == 0 {
		return l, bad(0, "empty")
	}
	return l, nil
}

func (l *uidList) marshal() []byte {
	b := make([]byte, 0, 32+len(l.entries)*112)
	b = fmt.Appendf(b, "1 V%d N%d\n", l.validity, l.next)
	for _, e := range l.entries {
		b = strconv.AppendUint(b, uint64(e.uid), 10)
		if e.stat {
			b = append(b, " S"...)
			b = strconv.AppendInt(b, e.size, 10)
			b = append(b, " T"...)
			b = strconv.AppendInt(b, e.mtime, 10)
		}
		b = append(b, " :"...)
		b = append(b, e.key...)
		b = append(b, '\n')
	}
	return b
}

// readUIDList reads path; missing is (nil, nil), unparsable has a
// *UIDListError.
func readUIDList(path string) (*uidList, error) {
	data, err := os.ReadFile(path)
	if notExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("mailbox: %w", err)
	}
	return parseUIDList(path, data)
}
