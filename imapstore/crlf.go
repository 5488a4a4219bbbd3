package imapstore

import (
	"bytes"
	"slices"
)

// crlfTail turns every LF in b[from:] that does not follow a CR into
// CRLF, in place (Maildir files have LF line ends; IMAP serves CRLF,
// RFC 9051 2.2). An LF at b[from] counts as bare whatever precedes it.
// It returns b, grown by one octet per bare LF (reallocated only when b
// lacks the room). The work is done a line at a time with IndexByte and
// copy, not an octet at a time.
func crlfTail(b []byte, from int) []byte {
	bare := 0
	for i := from; ; {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			break
		}
		j += i
		if j == from || b[j-1] != '\r' {
			bare++
		}
		i = j + 1
	}
	if bare == 0 {
		return b
	}
	end := len(b)
	b = slices.Grow(b, bare)[:end+bare]
	// Move the lines back from the end, each by the bare LFs before it:
	// w-r is the number of CRs still to insert, so what is read next
	// (below r) is never overwritten before it is read.
	w, r := end+bare, end
	for w > r {
		j := from + bytes.LastIndexByte(b[from:r], '\n')
		w -= r - (j + 1)
		copy(b[w:], b[j+1:r])
		w--
		b[w] = '\n'
		if j == from || b[j-1] != '\r' {
			w--
			b[w] = '\r'
		}
		r = j
	}
	return b
}
