package mailbox

import (
	"bytes"
	"fmt"
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
	// keys maps each listed key to its UID (a key listed twice is an
	// error; a record appended by another process is found here).
	keys map[string]uint32
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

// parseUIDList parses a UID list: the header, the records of the last
// rewrite (UIDs below the header's next UID) and the records appended
// since ("+" before the UID; each above the one before, and the next
// UID then follows the last). Octets after the last newline are a torn
// tail (an append cut short by a crash, never acknowledged) and are
// ignored: good is the length of the part read. A list that is
// malformed or disagrees with itself returns a *UIDListError, with the
// list as far as it was read (its validity, if the header was good, so
// a repair can pick a later one).
func parseUIDList(path string, data []byte) (l *uidList, good int, err error) {
	good = bytes.LastIndexByte(data, '\n') + 1
	data = data[:good]
	l = &uidList{}
	bad := func(line int, msg string) error { return &UIDListError{Path: path, Line: line, Msg: msg} }
	header, rest, ok := bytes.Cut(data, []byte{'\n'})
	if !ok {
		return l, good, bad(0, "empty")
	}
	f := strings.Fields(string(header))
	if len(f) != 3 || f[0] != "1" || !strings.HasPrefix(f[1], "V") || !strings.HasPrefix(f[2], "N") {
		return nil, good, bad(1, "bad header")
	}
	v, err1 := strconv.ParseUint(f[1][1:], 10, 32)
	n, err2 := strconv.ParseUint(f[2][1:], 10, 32)
	if err1 != nil || err2 != nil || v == 0 || n == 0 {
		return nil, good, bad(1, "bad header")
	}
	l.validity, l.next = uint32(v), uint32(n)
	l.keys = make(map[string]uint32, bytes.Count(rest, []byte{'\n'}))
	if line, msg := l.parseRecords(rest, 2, true); msg != "" {
		return l, good, bad(line, msg)
	}
	return l, good, nil
}

// parseRecords adds the records of data (whole lines) to l; lineNo is
// the first line's number. Records of the last rewrite are allowed only
// while base is true and no appended record came before. It returns the
// line and reason of the first bad record ("" when all are good).
func (l *uidList) parseRecords(data []byte, lineNo int, base bool) (int, string) {
	if l.keys == nil {
		l.keys = map[string]uint32{}
	}
	for ; len(data) > 0; lineNo++ {
		var raw []byte
		raw, data, _ = bytes.Cut(data, []byte{'\n'})
		raw = bytes.TrimSuffix(raw, []byte{'\r'})
		if len(raw) > 64<<10 {
			return lineNo, "line too long"
		}
		line := string(raw)
		appended := strings.HasPrefix(line, "+")
		if appended {
			line, base = line[1:], false
		} else if !base {
			return lineNo, "record of a rewrite after appended records"
		}
		sp := strings.Index(line, " :")
		if sp < 0 {
			return lineNo, "bad record"
		}
		// "<uid> [S<size> T<mtime>] :<key>"; unknown extension fields
		// are skipped (a later version's).
		head, key := line[:sp], line[sp+2:]
		num, ext, _ := strings.Cut(head, " ")
		u, err := strconv.ParseUint(num, 10, 32)
		if err != nil || u == 0 || key == "" || strings.ContainsAny(key, ":/\r") {
			return lineNo, "bad record"
		}
		e := uidEntry{uid: uint32(u), key: key}
		var hasS, hasT bool
		for _, x := range strings.Fields(ext) {
			if x[0] != 'S' && x[0] != 'T' {
				continue
			}
			n, err := strconv.ParseInt(x[1:], 10, 64)
			if err != nil || n < 0 {
				return lineNo, "bad extension field"
			}
			if x[0] == 'S' {
				e.size, hasS = n, true
			} else {
				e.mtime, hasT = n, true
			}
		}
		e.stat = hasS && hasT
		if !appended && e.uid >= l.next {
			return lineNo, "uid not below next uid"
		}
		if appended && e.uid == ^uint32(0) {
			return lineNo, "uid out of range"
		}
		if n := len(l.entries); n > 0 && l.entries[n-1].uid >= e.uid {
			return lineNo, "uids not ascending"
		}
		if _, dup := l.keys[key]; dup {
			return lineNo, "key listed twice"
		}
		l.keys[key] = e.uid
		l.entries = append(l.entries, e)
		if appended {
			l.next = max(l.next, e.uid+1)
		}
	}
	return 0, ""
}

// marshal writes the whole list (a rewrite: the header and every entry
// as a record of the rewrite).
func (l *uidList) marshal() []byte {
	b := make([]byte, 0, 32+len(l.entries)*112)
	b = fmt.Appendf(b, "1 V%d N%d\n", l.validity, l.next)
	for _, e := range l.entries {
		b = e.appendRecord(b)
	}
	return b
}

// appendRecord appends e's record (without the "+" of an appended one).
func (e *uidEntry) appendRecord(b []byte) []byte {
	b = strconv.AppendUint(b, uint64(e.uid), 10)
	if e.stat {
		b = append(b, " S"...)
		b = strconv.AppendInt(b, e.size, 10)
		b = append(b, " T"...)
		b = strconv.AppendInt(b, e.mtime, 10)
	}
	b = append(b, " :"...)
	b = append(b, e.key...)
	return append(b, '\n')
}

// rebuildKeys makes l.keys match l.entries (after entries were dropped).
func (l *uidList) rebuildKeys() {
	l.keys = make(map[string]uint32, len(l.entries))
	for _, e := range l.entries {
		l.keys[e.key] = e.uid
	}
}
