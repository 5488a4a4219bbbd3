//go:build interop

package imap

import (
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestInteropDovecotStoreSilent runs the same two-session STORE script
// against Dovecot and our server and compares the answers: .SILENT
// with and without CONDSTORE, with another session's changes pending.
// Named differences, normalised away: Dovecot's \Recent, the order of
// flags inside FLAGS (), of items inside FETCH () and of FETCH lines,
// MODSEQ values (each store counts its own), and the UID our server puts
// in every unsolicited FETCH FLAGS (Dovecot only under QRESYNC, where
// RFC 7162 3.2.4 asks for it).
func TestInteropDovecotStoreSilent(t *testing.T) {
	msg := "Subject: s\r\n\r\nx\r\n"
	dv := startDovecot(t, [][]byte{[]byte(msg), []byte(msg), []byte(msg)})
	ts := startServer(t, nil)
	for range 3 {
		ts.be.deliver("INBOX", msg)
	}
	type step struct {
		other bool // run by the second session
		cmd   string
	}
	script := []step{
		{false, "LOGIN bob secret"}, {false, "SELECT INBOX"},
		{true, "LOGIN bob secret"}, {true, "SELECT INBOX"},
		{false, `UID STORE 1 +FLAGS.SILENT (\Seen)`},
		{false, `STORE 1 +FLAGS.SILENT (\Flagged)`},
		{false, `STORE 1 FLAGS.SILENT (\Seen \Flagged)`},
		{false, `STORE 2 +FLAGS (\Answered)`},
		{true, `STORE 2 +FLAGS.SILENT (\Draft)`},
		{true, `STORE 1 +FLAGS.SILENT (\Draft)`},
		{false, `UID STORE 1 +FLAGS.SILENT (\Answered)`},
		{false, "ENABLE CONDSTORE"},
		{false, `UID STORE 1 +FLAGS.SILENT (\Seen)`},
		{false, `UID STORE 1 +FLAGS.SILENT (\Deleted)`},
		{false, `STORE 1 +FLAGS.SILENT (\Deleted)`},
		{false, `STORE 3 -FLAGS.SILENT (\Deleted)`},
		{true, `STORE 3 +FLAGS.SILENT (\Flagged)`},
		{false, `STORE 1 -FLAGS (\Deleted)`},
		{false, `STORE 1:3 FLAGS.SILENT (\Seen)`},
		{false, `UID STORE 2:3 -FLAGS.SILENT (\Seen)`},
	}
	ours := [2]*rawClient{dialRaw(t, ts.addr), dialRaw(t, ts.addr)}
	theirs := [2]*rawClient{dialRaw(t, dv), dialRaw(t, dv)}
	for _, s := range script {
		i := 0
		if s.other {
			i = 1
		}
		a, sa := ours[i].do(s.cmd)
		b, sb := theirs[i].do(s.cmd)
		if strings.HasPrefix(s.cmd, "LOGIN") || strings.HasPrefix(s.cmd, "SELECT") || strings.HasPrefix(s.cmd, "ENABLE") {
			continue
		}
		if a, b = normStore(a), normStore(b); sa != sb || a != b {
			t.Errorf("%s:\n ours    %s %q\n dovecot %s %q", s.cmd, sa, a, sb, b)
		}
	}
}

var (
	flagsRE  = regexp.MustCompile(`FLAGS \(([^)]*)\)`)
	modseqRE = regexp.MustCompile(`MODSEQ \(\d+\)`)
	uidRE    = regexp.MustCompile(` UID \d+$`)
)

// normStore removes what may differ between two servers' FETCH
// responses: \Recent, flag order, MODSEQ values, and the order of the
// items inside FETCH ().
func normStore(s string) string {
	s = modseqRE.ReplaceAllString(s, "MODSEQ (n)")
	s = flagsRE.ReplaceAllStringFunc(s, func(m string) string {
		fs := strings.Fields(m[len("FLAGS (") : len(m)-1])
		fs = slicesDelete(fs, `\Recent`)
		sort.Strings(fs)
		return "FLAGS (" + strings.Join(fs, " ") + ")"
	})
	var out []string
	for _, line := range strings.Split(strings.TrimSuffix(s, "\r\n"), "\r\n") {
		head, items, ok := strings.Cut(line, " FETCH (")
		if !ok {
			out = append(out, line)
			continue
		}
		items = sortItems(strings.TrimSuffix(items, ")"))
		if strings.Contains(items, "FLAGS (") {
			items = uidRE.ReplaceAllString(items, "")
		}
		out = append(out, head+" FETCH ("+items+")")
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// sortItems orders "NAME value" pairs of a FETCH response whose values
// are atoms or one parenthesised list.
func sortItems(s string) string {
	var items []string
	for s != "" {
		name, rest, _ := strings.Cut(s, " ")
		val := rest
		if strings.HasPrefix(rest, "(") {
			end := strings.IndexByte(rest, ')') + 1
			val, rest = rest[:end], rest[end:]
		} else {
			val, rest, _ = strings.Cut(rest, " ")
		}
		items = append(items, name+" "+val)
		s = strings.TrimPrefix(rest, " ")
	}
	sort.Strings(items)
	return strings.Join(items, " ")
}

func slicesDelete(fs []string, x string) []string {
	out := fs[:0]
	for _, f := range fs {
		if f != x {
			out = append(out, f)
		}
	}
	return out
}
