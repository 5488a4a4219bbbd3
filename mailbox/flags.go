package mailbox

import "strings"

// Flags is a set of Maildir flag letters (the characters after ":2,"
// in a file name). Bits 0-25 are 'A'-'Z', bits 32-57 are 'a'-'z'
// (keywords); the standard ones have names.
type Flags uint64

// The standard Maildir flags (https://cr.yp.to/proto/maildir.html) and
// the IMAP system flags they stand for.
const (
	Draft   Flags = 1 << ('D' - 'A') // \Draft
	Flagged Flags = 1 << ('F' - 'A') // \Flagged
	Passed  Flags = 1 << ('P' - 'A') // forwarded (no IMAP flag)
	Replied Flags = 1 << ('R' - 'A') // \Answered
	Seen    Flags = 1 << ('S' - 'A') // \Seen
	Trashed Flags = 1 << ('T' - 'A') // \Deleted
)

// flagBit returns the bit for letter c, or 0 if c is not a flag letter.
func flagBit(c byte) Flags {
	switch {
	case c >= 'A' && c <= 'Z':
		return 1 << (c - 'A')
	case c >= 'a' && c <= 'z':
		return 1 << (32 + c - 'a')
	}
	return 0
}

// ParseFlags returns the flags named by the letters in s; other
// characters are ignored.
func ParseFlags(s string) Flags {
	var f Flags
	for i := 0; i < len(s); i++ {
		f |= flagBit(s[i])
	}
	return f
}

// String returns the flag letters in ASCII order, as Maildir file names
// require.
func (f Flags) String() string {
	var b strings.Builder
	for c := byte('A'); c <= 'Z'; c++ {
		if f&flagBit(c) != 0 {
			b.WriteByte(c)
		}
	}
	for c := byte('a'); c <= 'z'; c++ {
		if f&flagBit(c) != 0 {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// splitName splits a Maildir file name into its key (up to the first
// ':') and flags (after ":2,"; an info of another version is kept in the
// key's place by returning ok false).
func splitName(name string) (key string, flags Flags) {
	i := strings.IndexByte(name, ':')
	if i < 0 {
		return name, 0
	}
	key, info := name[:i], name[i+1:]
	if strings.HasPrefix(info, "2,") {
		flags = ParseFlags(info[2:])
	}
	return key, flags
}

// fileName is key with flags in the ":2," form; cur/ files always carry
// the info part, even without flags.
func fileName(key string, flags Flags) string {
	return key + ":2," + flags.String()
}

// sizeField returns the value of a Maildir++ ",X=<n>" field in key
// (X is 'S' or 'W'), or -1.
func sizeField(key string, x byte) int64 {
	for i := strings.IndexByte(key, ','); i >= 0; {
		rest := key[i+1:]
		j := strings.IndexByte(rest, ',')
		field := rest
		if j >= 0 {
			field = rest[:j]
		}
		if len(field) > 2 && field[0] == x && field[1] == '=' {
			var n int64
			for _, c := range []byte(field[2:]) {
				if c < '0' || c > '9' || n > 1<<50 {
					return -1
				}
				n = n*10 + int64(c-'0')
			}
			return n
		}
		if j < 0 {
			break
		}
		i = i + 1 + j
	}
	return -1
}
