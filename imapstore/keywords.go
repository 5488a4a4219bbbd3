package imapstore

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/relaykit/relaykit/mailbox"
)

// KeywordsFile is the file in a Maildir's root that names the keyword
// letters, in Dovecot's dovecot-keywords format: one "<index> <name>"
// line per keyword, index 0 being the letter 'a' and 25 'z'.
const KeywordsFile = "dovecot-keywords"

// maxKeywords is the number of Maildir keyword letters ('a' to 'z').
const maxKeywords = 26

// parseKeywords reads a keywords file; malformed lines are skipped.
func parseKeywords(data []byte) []string {
	var kw []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		num, name, ok := strings.Cut(strings.TrimRight(sc.Text(), "\r"), " ")
		i, err := strconv.Atoi(num)
		if !ok || err != nil || i < 0 || i >= maxKeywords || !validKeyword(name) {
			continue
		}
		for len(kw) <= i {
			kw = append(kw, "")
		}
		kw[i] = name
	}
	return kw
}

// validKeyword reports whether name is an IMAP flag-keyword (RFC 9051 9:
// an atom, not a system flag).
func validKeyword(name string) bool {
	if name == "" || len(name) > 100 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`(){%*"\]`, c) >= 0 {
			return false
		}
	}
	return true
}

// keywords returns the Maildir's keyword table.
func (s *imapStore) keywords() []string {
	data, err := os.ReadFile(filepath.Join(s.md.Root(), KeywordsFile))
	if err != nil {
		return nil
	}
	return parseKeywords(data)
}

// keywordFlags returns the letters of the keywords among flags, giving
// letters to new ones when add is set (the table is changed under the
// keywords lock, so other sessions and processes agree on letters).
// Keywords past the 26th are not kept.
func (s *imapStore) keywordFlags(flags []string, add bool) (mailbox.Flags, error) {
	var want []string
	for _, f := range flags {
		if !strings.HasPrefix(f, `\`) && validKeyword(f) {
			want = append(want, f)
		}
	}
	if len(want) == 0 {
		return 0, nil
	}
	kw := s.keywords()
	var letters mailbox.Flags
	var missing []string
	for _, w := range want {
		if i := keywordIndex(kw, w); i >= 0 {
			letters |= mailbox.ParseFlags(string(rune('a' + i)))
		} else {
			missing = append(missing, w)
		}
	}
	if len(missing) == 0 || !add {
		return letters, nil
	}
	unlock, err := lockFile(filepath.Join(s.md.Root(), KeywordsFile+".lock"))
	if err != nil {
		return 0, err
	}
	defer unlock()
	kw = s.keywords() // again, under the lock
	changed := false
	for _, w := range missing {
		i := keywordIndex(kw, w)
		if i < 0 {
			i = keywordIndex(kw, "")
			if i < 0 && len(kw) < maxKeywords {
				kw = append(kw, "")
				i = len(kw) - 1
			}
			if i < 0 {
				continue // all 26 letters taken
			}
			kw[i], changed = w, true
		}
		letters |= mailbox.ParseFlags(string(rune('a' + i)))
	}
	if changed {
		var b []byte
		for i, k := range kw {
			if k != "" {
				b = fmt.Appendf(b, "%d %s\n", i, k)
			}
		}
		path := filepath.Join(s.md.Root(), KeywordsFile)
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, b, 0o600); err != nil {
			return 0, err
		}
		if err := os.Rename(tmp, path); err != nil {
			return 0, err
		}
	}
	return letters, nil
}

// keywordIndex finds a keyword (case-insensitively, RFC 9051 2.3.2) in
// the table; "" finds a free slot.
func keywordIndex(kw []string, name string) int {
	for i, k := range kw {
		if strings.EqualFold(k, name) {
			return i
		}
	}
	return -1
}
