package mailqueue

import "bytes"

// MaxLineLength is the longest line, CRLF excluded, that the queue sends:
// RFC 5322 2.1.1 and RFC 5321 4.5.3.1.6 allow 998 octets.
const MaxLineLength = 998

// FoldLongLines returns msg with every line no longer than MaxLineLength
// octets (CRLF excluded), so a message a server accepted with longer lines
// (Postfix accepts up to its line_length_limit of 2048) is still sent
// legally. A long header line is folded (RFC 5322 2.2.3): a CRLF is
// inserted before the last space or tab that keeps the line within the
// limit, so the field unfolds to the same value; a header line with no
// such blank gets CRLF SP inserted at the limit, as Postfix's
// smtp_line_length_limit does, and loses its trailing blanks. A long body line is split with a CRLF at
// the limit. msg is returned as it is, without copying, when no line is
// too long (the usual case, so the queue can call this on every message).
func FoldLongLines(msg []byte) []byte {
	if !hasLongLine(msg) {
		return msg
	}
	out := make([]byte, 0, len(msg)+len(msg)/MaxLineLength*3+3)
	inHeader := true
	for rest := msg; len(rest) > 0; {
		line, after, found := bytes.Cut(rest, []byte("\n"))
		rest = after
		eol := ""
		if found {
			eol = "\n"
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line, eol = line[:n-1], "\r\n"
			}
		}
		if inHeader && len(line) == 0 {
			inHeader = false
		}
		if inHeader && len(line) > MaxLineLength {
			// Trailing blanks carry no meaning and could become a
			// continuation line of blanks only.
			line = bytes.TrimRight(line, " \t")
		}
		lim := MaxLineLength // for the next output line; less after CRLF SP
		for len(line) > lim {
			if inHeader {
				// The last blank that leaves something other than blanks
				// before it (a line of blanks could end the header).
				cut := bytes.LastIndexAny(line[1:lim+1], " \t") + 1
				if cut > 0 && len(bytes.TrimLeft(line[:cut], " \t")) > 0 {
					out = append(out, line[:cut]...)
					out = append(out, "\r\n"...)
					line = line[cut:] // starts with the blank
					lim = MaxLineLength
					continue
				}
				out = append(out, line[:lim]...)
				out = append(out, "\r\n "...)
				line = line[lim:]
				lim = MaxLineLength - 1
				continue
			}
			out = append(out, line[:lim]...)
			out = append(out, "\r\n"...)
			line = line[lim:]
		}
		out = append(out, line...)
		out = append(out, eol...)
	}
	return out
}

// hasLongLine reports whether some line of msg is longer than
// MaxLineLength octets, CRLF excluded.
func hasLongLine(msg []byte) bool {
	for len(msg) > MaxLineLength {
		i := bytes.IndexByte(msg, '\n')
		if i < 0 {
			return len(msg) > MaxLineLength
		}
		line := msg[:i]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if len(line) > MaxLineLength {
			return true
		}
		msg = msg[i+1:]
	}
	return false
}
