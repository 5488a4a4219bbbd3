package smtp

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// DefaultMaxReplyLine is the default bound on a reply line read by
// ReplyReader. RFC 5321 4.5.3.1.5 sets 512 octets as the minimum a
// receiver must take and says implementations SHOULD accept longer
// objects; real servers send longer EHLO and error lines, so the reader
// takes 2048 unless told otherwise.
const DefaultMaxReplyLine = 2048

// DefaultMaxReplyLines bounds the lines of one multi-line reply.
const DefaultMaxReplyLines = 128

// Reply is a parsed server reply (RFC 5321 4.2).
type Reply struct {
	Code     int
	Enhanced EnhancedCode // RFC 3463 code from the first line, zero if none
	// Lines holds the text of each line, without the code and without the
	// enhanced code when the line starts with it.
	Lines []string
}

// Err returns the reply as an *Error if its code reports failure (4xx or
// 5xx), and nil otherwise.
func (r *Reply) Err() error {
	if r.Code < 400 {
		return nil
	}
	return NewError(r.Code, r.Enhanced, strings.Join(r.Lines, "\n"))
}

// ReplyReader reads replies from a buffered reader in time and memory
// linear in the reply: each line is appended once to one reused buffer
// (the net/textproto quadratic-concatenation class, CVE-2025-61724, cannot
// happen), and line length and count are bounded.
type ReplyReader struct {
	R             *bufio.Reader
	MaxLineLength int // default DefaultMaxReplyLine
	MaxLines      int // default DefaultMaxReplyLines

	code int
	enh  EnhancedCode
	text []byte // lines joined by '\n'
}

// NewReplyReader returns a ReplyReader reading from r.
func NewReplyReader(r *bufio.Reader) *ReplyReader { return &ReplyReader{R: r} }

// Read reads the next reply. The returned text (lines joined by "\n",
// enhanced codes removed) is valid until the next call.
func (rr *ReplyReader) Read() (code int, enh EnhancedCode, text []byte, err error) {
	maxLine := rr.MaxLineLength
	if maxLine <= 0 {
		maxLine = DefaultMaxReplyLine
	}
	maxLines := rr.MaxLines
	if maxLines <= 0 {
		maxLines = DefaultMaxReplyLines
	}
	rr.text = rr.text[:0]
	rr.code, rr.enh = 0, EnhancedCode{}
	for n := 0; ; n++ {
		if n >= maxLines {
			return 0, enh, nil, ErrReplySyntax
		}
		line, err := readLine(rr.R, maxLine)
		if err != nil {
			return 0, enh, nil, err
		}
		c, more, rest, err := parseReplyLine(line)
		if err != nil {
			return 0, enh, nil, err
		}
		if n == 0 {
			rr.code = c
			if e, after, ok := parseEnhanced(rest, c); ok {
				rr.enh, rest = e, after
			}
		} else {
			// RFC 5321 4.2.1: every line of a multi-line reply has the
			// same code.
			if c != rr.code {
				return 0, enh, nil, ErrReplySyntax
			}
			if !rr.enh.IsZero() {
				if e, after, ok := parseEnhanced(rest, c); ok && e == rr.enh {
					rest = after
				}
			}
			rr.text = append(rr.text, '\n')
		}
		rr.text = append(rr.text, rest...)
		if !more {
			return rr.code, rr.enh, rr.text, nil
		}
	}
}

// ReadReply reads one reply, allocating its text lines.
func (rr *ReplyReader) ReadReply() (*Reply, error) {
	code, enh, text, err := rr.Read()
	if err != nil {
		return nil, err
	}
	return &Reply{Code: code, Enhanced: enh, Lines: strings.Split(string(text), "\n")}, nil
}

// readLine reads one line ending in LF and returns it without CR LF. A
// line longer than max is read to its end and reported as ErrLineTooLong
// (so the stream stays in sync); memory stays bounded by the bufio size.
func readLine(r *bufio.Reader, max int) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	if err == bufio.ErrBufferFull || (err == nil && len(line) > max+2) {
		for err == bufio.ErrBufferFull {
			_, err = r.ReadSlice('\n')
		}
		if err != nil {
			return nil, err
		}
		return nil, ErrLineTooLong
	}
	if err != nil {
		if err == io.EOF && len(line) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	line = line[:len(line)-1]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	if len(line) > max {
		return nil, ErrLineTooLong
	}
	return line, nil
}

// parseReplyLine parses Reply-code [ ( SP / "-" ) textstring ]
// (RFC 5321 4.2). more reports a "-" continuation.
func parseReplyLine(line []byte) (code int, more bool, text []byte, err error) {
	if len(line) < 3 {
		return 0, false, nil, ErrReplySyntax
	}
	// Reply-code = %x32-35 %x30-35 %x30-39
	a, b, c := line[0], line[1], line[2]
	if a < '2' || a > '5' || b < '0' || b > '5' || c < '0' || c > '9' {
		return 0, false, nil, ErrReplySyntax
	}
	code = int(a-'0')*100 + int(b-'0')*10 + int(c-'0')
	if len(line) == 3 {
		return code, false, nil, nil
	}
	switch line[3] {
	case ' ':
	case '-':
		more = true
	default:
		return 0, false, nil, ErrReplySyntax
	}
	return code, more, line[4:], nil
}

// parseEnhanced parses an RFC 3463 status code at the start of text
// (RFC 2034 3: it follows the reply code and a space): class "."
// subject "." detail, class matching the reply code's first digit,
// subject and detail 1-3 digits.
func parseEnhanced(text []byte, code int) (EnhancedCode, []byte, bool) {
	var parts [3]uint16
	i := 0
	for p := 0; p < 3; p++ {
		n, digits := 0, 0
		for i < len(text) && text[i] >= '0' && text[i] <= '9' && digits < 4 {
			n = n*10 + int(text[i]-'0')
			i++
			digits++
		}
		if digits == 0 || digits > 3 || (p == 0 && digits != 1) {
			return EnhancedCode{}, text, false
		}
		parts[p] = uint16(n)
		if p < 2 {
			if i >= len(text) || text[i] != '.' {
				return EnhancedCode{}, text, false
			}
			i++
		}
	}
	if i < len(text) && text[i] != ' ' {
		return EnhancedCode{}, text, false
	}
	if int(parts[0]) != code/100 || parts[0] < 2 || parts[0] > 5 {
		return EnhancedCode{}, text, false
	}
	if i < len(text) {
		i++
	}
	return EnhancedCode{parts[0], parts[1], parts[2]}, text[i:], true
}

// AppendReply appends a reply to dst: one line per "\n"-separated line of
// text, "code-" on all but the last (RFC 5321 4.2.1), each carrying enh
// unless it is zero (RFC 2034). CR and other control characters in text
// are replaced by spaces so text cannot inject reply lines.
func AppendReply(dst []byte, code int, enh EnhancedCode, text string) []byte {
	for {
		line, rest, more := strings.Cut(text, "\n")
		dst = strconv.AppendInt(dst, int64(code), 10)
		if more {
			dst = append(dst, '-')
		} else {
			dst = append(dst, ' ')
		}
		if !enh.IsZero() {
			dst = enh.AppendText(dst)
			if line != "" {
				dst = append(dst, ' ')
			}
		}
		for i := 0; i < len(line); i++ {
			c := line[i]
			if c < 32 && c != '\t' || c == 127 {
				c = ' '
			}
			dst = append(dst, c)
		}
		dst = append(dst, '\r', '\n')
		if !more {
			return dst
		}
		text = rest
	}
}
