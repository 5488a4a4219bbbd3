package mime

import (
	"bytes"
	"encoding/base64"
	"errors"
	"hash/fnv"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/relaykit/relaykit/rfc5322"
)

// ErrEmptyMultipart: a multipart Node has no Parts (RFC 2046 5.1.1
// requires at least one).
var ErrEmptyMultipart = errors.New("mime: multipart without parts")

const maxBuildDepth = 64

// A prepared part: everything about a Node decided before its body is
// written (header fields, encoding, boundary), so the body can be
// encoded straight into the output, front to back, without holding an
// encoded copy of any part.
type prepared struct {
	n        *Node
	h        rfc5322.Header // the MIME fields and n.Header's
	hdr      []byte         // h written out, for a body part
	cte      string         // "7bit", "quoted-printable", "base64"; "" for a multipart
	text     bool
	boundary string
	parts    []prepared
	size     int // estimate of the encoded body's size
}

// prepare decides n's header, encoding and (for a multipart) boundary,
// and its children's.
func (n *Node) prepare(depth int) (*prepared, error) {
	pr := new(prepared)
	var scratch []byte
	if err := n.prepareInto(pr, depth, &scratch); err != nil {
		return nil, err
	}
	return pr, nil
}

func (n *Node) prepareInto(pr *prepared, depth int, scratch *[]byte) error {
	if depth > maxBuildDepth {
		return ErrTooDeep
	}
	pr.n = n
	mt := strings.ToLower(n.MediaType)
	if mt == "" {
		mt = "text/plain"
		if len(n.Parts) > 0 {
			mt = "multipart/mixed"
		}
	}
	params := make(map[string]string, len(n.Params)+2)
	for k, v := range n.Params {
		params[strings.ToLower(k)] = v
	}
	if strings.HasPrefix(mt, "multipart/") {
		if len(n.Parts) == 0 {
			return ErrEmptyMultipart
		}
		pr.parts = make([]prepared, len(n.Parts))
		for i, c := range n.Parts {
			if err := c.prepareInto(&pr.parts[i], depth+1, scratch); err != nil {
				return err
			}
			pr.size += len(pr.parts[i].hdr) + pr.parts[i].size + 100
		}
		pr.boundary = pr.chooseBoundary(depth)
		params["boundary"] = pr.boundary
		pr.h.Add("Content-Type", FormatMediaType(mt, params))
		n.addCommon(&pr.h)
		return pr.writeHeader(scratch)
	}
	pr.text = strings.HasPrefix(mt, "text/")
	ascii := false
	if n.Body == nil && n.Reader != nil {
		pr.cte = "base64"
		pr.size = 64 << 10
	} else {
		pr.cte, ascii = chooseEncoding(n.Body, pr.text)
		switch pr.cte {
		case "base64":
			pr.size = (len(n.Body)+2)/3*4*78/76 + 4
			if pr.text {
				pr.size += pr.size / 16 // CRs added to LF line ends
			}
		case "quoted-printable":
			pr.size = len(n.Body)*5/4 + 64
		default:
			pr.size = len(n.Body) + len(n.Body)/32 + 2
		}
	}
	if pr.text {
		if ascii {
			params["charset"] = "us-ascii"
		} else if _, ok := params["charset"]; !ok {
			params["charset"] = "utf-8"
		}
	}
	if n.Filename != "" {
		params["name"] = n.Filename // for readers older than RFC 2183
	}
	pr.h.Add("Content-Type", FormatMediaType(mt, params))
	if pr.cte != "7bit" {
		pr.h.Add("Content-Transfer-Encoding", pr.cte)
	}
	n.addCommon(&pr.h)
	return pr.writeHeader(scratch)
}

func (pr *prepared) writeHeader(scratch *[]byte) error {
	b, err := pr.h.AppendHeader((*scratch)[:0])
	*scratch = b
	if err != nil {
		return err
	}
	pr.hdr = append(make([]byte, 0, len(b)+2), b...)
	pr.hdr = append(pr.hdr, '\r', '\n')
	return nil
}

func (n *Node) addCommon(h *rfc5322.Header) {
	disp := n.Disposition
	if disp == "" && n.Filename != "" {
		disp = "attachment"
	}
	if disp != "" {
		var dp map[string]string
		if n.Filename != "" {
			dp = map[string]string{"filename": n.Filename}
		}
		h.Add("Content-Disposition", FormatMediaType(disp, dp))
	}
	if n.ContentID != "" {
		h.Add("Content-ID", "<"+strings.Trim(n.ContentID, "<>")+">")
	}
	for _, f := range n.Header.Fields() {
		h.AddField(f)
	}
}

// chooseBoundary picks a boundary that no line of the multipart's
// content can start with (RFC 2046 5.1.1). Boundaries hold "=_", which
// quoted-printable and base64 output never does, and end in the depth,
// so they differ from each other; only 7bit bodies and part headers,
// which hold what the user gave, are searched. The seed only spreads
// boundaries, so a prefix of each part is enough to hash.
func (pr *prepared) chooseBoundary(depth int) string {
	hash := fnv.New64a()
	var num [20]byte
	pr.walkVerbatim(func(b []byte) {
		hash.Write(b[:min(len(b), 256)])
		hash.Write(strconv.AppendInt(num[:0], int64(len(b)), 10))
	})
	seed := hash.Sum64() ^ uint64(depth)
	for try := uint64(0); ; try++ {
		boundary := "=_rk" + strconv.FormatUint(seed+try, 36) + "_" + strconv.Itoa(depth)
		clash := false
		pr.walkVerbatim(func(b []byte) {
			clash = clash || bytes.Contains(b, []byte(boundary))
		})
		if !clash {
			return boundary
		}
	}
}

// walkVerbatim calls f with every part header and 7bit body below pr.
func (pr *prepared) walkVerbatim(f func([]byte)) {
	for i := range pr.parts {
		c := &pr.parts[i]
		f(c.hdr)
		if c.cte == "7bit" {
			f(c.n.Body)
		}
		c.walkVerbatim(f)
	}
}

// output is where the writer puts its octets: buf alone when appending,
// or buf flushed to w whenever it holds flushAt octets when streaming.
type output struct {
	w   io.Writer
	buf []byte
	err error
}

const (
	flushAt    = 64 << 10
	flushSlack = 4 << 10
)

func (o *output) maybeFlush() {
	if o.w != nil && len(o.buf) >= flushAt {
		o.flush()
	}
}

func (o *output) flush() error {
	if o.w != nil && o.err == nil && len(o.buf) > 0 {
		_, o.err = o.w.Write(o.buf)
		o.buf = o.buf[:0]
	}
	return o.err
}

// entity writes pr's header, the empty line and its body.
func (o *output) entity(pr *prepared) {
	o.buf = append(o.buf, pr.hdr...)
	o.body(pr)
}

// body writes pr's encoded body.
func (o *output) body(pr *prepared) {
	if o.err != nil {
		return
	}
	if pr.parts != nil {
		for i := range pr.parts {
			o.buf = append(o.buf, "--"...)
			o.buf = append(o.buf, pr.boundary...)
			o.buf = append(o.buf, '\r', '\n')
			o.entity(&pr.parts[i])
			o.buf = append(o.buf, '\r', '\n')
			o.maybeFlush()
		}
		o.buf = append(o.buf, "--"...)
		o.buf = append(o.buf, pr.boundary...)
		o.buf = append(o.buf, "--\r\n"...)
		return
	}
	n := pr.n
	if n.Body == nil && n.Reader != nil {
		o.base64Reader(n.Reader, pr.text)
		return
	}
	switch pr.cte {
	case "base64":
		body := n.Body
		if pr.text {
			// RFC 2046 4.1.1: text is encoded in canonical form,
			// CRLF line breaks.
			body = appendCRLF(make([]byte, 0, len(body)+len(body)/16), body)
		}
		o.base64(body)
	case "quoted-printable":
		o.chunks(n.Body, appendQP, true)
	default:
		if pr.text {
			o.chunks(n.Body, appendCRLF, false)
		} else {
			o.chunks(n.Body, func(dst, b []byte) []byte { return append(dst, b...) }, false)
		}
	}
}

// chunks appends body through enc a bounded run of whole lines at a
// time, flushing between runs. A run ends at a line end; only a
// quoted-printable line can be longer than a run (7bit lines are at
// most 998 octets), and it is cut with a soft line break.
func (o *output) chunks(body []byte, enc func(dst, text []byte) []byte, qp bool) {
	if o.w == nil {
		o.buf = enc(o.buf, body)
		return
	}
	for len(body) > 0 && o.err == nil {
		n := min(len(body), flushAt)
		soft := false
		if n < len(body) {
			if i := bytes.LastIndexByte(body[:n], '\n'); i >= 0 {
				n = i + 1
			} else {
				soft = qp
			}
		}
		if soft {
			o.buf = appendQPLine(o.buf, body[:n], true)
			o.buf = append(o.buf, '=', '\r', '\n')
		} else {
			o.buf = enc(o.buf, body[:n])
		}
		body = body[n:]
		o.maybeFlush()
	}
}

// base64 appends data in base64 with lines of 76 characters (RFC 2045
// 6.8), flushing every flushAt octets or so.
func (o *output) base64(data []byte) {
	const run = 57 * 1024
	for len(data) > 0 && o.err == nil {
		n := min(len(data), run)
		o.buf = appendBase64(o.buf, data[:n])
		data = data[n:]
		o.maybeFlush()
	}
}

// base64Reader streams r through base64, text line ends made CRLF.
func (o *output) base64Reader(r io.Reader, text bool) {
	const run = 57 * 256
	in := make([]byte, run)
	var crlf []byte
	if text {
		crlf = make([]byte, 0, 2*run+1)
	}
	var pending []byte // encoded-side octets not yet a multiple of 57
	cr := false        // text: the last chunk ended in CR
	for o.err == nil {
		k, err := io.ReadFull(r, in)
		chunk := in[:k]
		if text {
			crlf = crlf[:0]
			if cr {
				crlf = append(crlf, '\r')
			}
			cr = len(chunk) > 0 && chunk[len(chunk)-1] == '\r' && err == nil
			if cr {
				chunk = chunk[:len(chunk)-1]
			}
			crlf = appendCRLF(crlf, chunk)
			chunk = crlf
		}
		if len(pending) > 0 || len(chunk)%57 != 0 {
			pending = append(pending, chunk...)
			m := len(pending) / 57 * 57
			if err != nil {
				m = len(pending)
			}
			o.buf = appendBase64(o.buf, pending[:m])
			pending = append(pending[:0], pending[m:]...)
		} else {
			o.buf = appendBase64(o.buf, chunk)
		}
		o.maybeFlush()
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return
		}
		if err != nil {
			o.err = err
			return
		}
	}
}

// chooseEncoding picks the Content-Transfer-Encoding of a body (RFC 2045
// 6): 7bit for ASCII text in lines of at most 998 octets without NUL or
// a bare CR; quoted-printable for text that is mostly ASCII; base64 for
// the rest. Non-text data is 7bit only if it is such text already with
// CRLF line ends, as a reader gets it back octet for octet only then.
func chooseEncoding(body []byte, text bool) (cte string, ascii bool) {
	high, ctl, line, long, bare := 0, 0, 0, false, false
	for i := 0; i < len(body); i++ {
		c := body[i]
		if plain[c] {
			// A run of printable ASCII: skip it a word at a time.
			j := i + 1
			for j+8 <= len(body) && plainWord(body[j:j+8]) {
				j += 8
			}
			for j < len(body) && plain[body[j]] {
				j++
			}
			line += j - i
			i = j - 1
			if line > rfc5322.MaxLineLength-2 {
				long = true
				if !text {
					return "base64", high == 0
				}
			}
			continue
		}
		switch {
		case c == '\n':
			if !text && (i == 0 || body[i-1] != '\r') {
				bare = true
			}
			line = 0
			continue
		case c == '\r':
			if i+1 >= len(body) || body[i+1] != '\n' {
				bare = true
			}
			continue
		case c >= 0x80:
			high++
		case c == 0 || c < ' ' && c != '\t' || c == 0x7f:
			ctl++
		}
		line++
		if line > rfc5322.MaxLineLength-2 {
			long = true
		}
		if !text && (high > 0 || ctl > 0 || bare || long) {
			return "base64", high == 0 // binary: no need to look further
		}
	}
	ascii = high == 0
	switch {
	case high == 0 && ctl == 0 && !long && !bare:
		return "7bit", ascii
	case text && ctl == 0 && !bare && high <= len(body)/6:
		return "quoted-printable", ascii
	}
	return "base64", ascii
}

// plain marks the octets that need no attention: printable ASCII,
// space and tab.
var plain = func() (t [256]bool) {
	for c := ' '; c < 0x7f; c++ {
		t[c] = true
	}
	t['\t'] = true
	return t
}()

// plainWord reports whether 8 octets are all printable ASCII or space
// (tab is left to the byte loop): each is >= 0x20 and < 0x7f.
func plainWord(b []byte) bool {
	x := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	// x < 0x20 in some octet: (x - 0x20..) borrows into the high bit;
	// x >= 0x7f: x + 0x01.. sets the high bit. Either, or a high bit
	// already set, means not plain.
	return (x|(x-0x20*lo)|(x+0x01*lo))&hi == 0
}

// appendBase64 appends data in base64 with lines of 76 characters (RFC
// 2045 6.8).
func appendBase64(dst, data []byte) []byte {
	const lineBytes = 57 // 76 characters
	enc := base64.StdEncoding
	dst = slices.Grow(dst, (len(data)+lineBytes-1)/lineBytes*78)
	for len(data) > 0 {
		n := min(len(data), lineBytes)
		dst = enc.AppendEncode(dst, data[:n])
		dst = append(dst, '\r', '\n')
		data = data[n:]
	}
	return dst
}

// appendCRLF appends text with LF and CRLF line ends written as CRLF.
func appendCRLF(dst, text []byte) []byte {
	for {
		i := bytes.IndexByte(text, '\n')
		if i < 0 {
			return append(dst, text...)
		}
		line := text[:i]
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		dst = append(dst, line...)
		dst = append(dst, '\r', '\n')
		text = text[i+1:]
	}
}

const upperHex = "0123456789ABCDEF"

// appendQP appends text in quoted-printable (RFC 2045 6.7): LF and CRLF
// line ends become CRLF hard breaks; '=', controls and octets over 126
// become =XX (rule 1), as do a space or tab at the end of a line (rule
// 3); lines are broken with a soft "=" line break so none exceeds 76
// characters (rule 5).
func appendQP(dst, text []byte) []byte {
	dst = slices.Grow(dst, len(text)+len(text)/8)
	for len(text) > 0 {
		var line []byte
		hard := false
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			line, text, hard = text[:i], text[i+1:], true
			if len(line) > 0 && line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
			}
		} else {
			line, text = text, nil
		}
		dst = appendQPLine(dst, line, false)
		if hard {
			dst = append(dst, '\r', '\n')
		}
	}
	return dst
}

// appendQPLine appends one line of text (no line end) in
// quoted-printable with soft breaks. If more is set the line goes on
// after a soft break the caller writes, so its last character needs
// room for that "=" and is not at the end of the line. Runs of octets
// that stand for themselves are copied whole.
func appendQPLine(dst, line []byte, more bool) []byte {
	col, n := 0, len(line)
	for i := 0; i < n; {
		j := i
		for j < n && qpLiteral[line[j]] {
			j++
		}
		if j == n && !more && j > i && (line[n-1] == ' ' || line[n-1] == '\t') {
			j-- // rule 3: white space ending a line is encoded
		}
		for i < j {
			if !more && j == n && j-i <= 76-col {
				// The rest of the line fits: no soft break.
				dst = append(dst, line[i:j]...)
				col += j - i
				i = j
				break
			}
			if col >= 75 {
				dst = append(dst, '=', '\r', '\n')
				col = 0
			}
			k := min(j-i, 75-col)
			dst = append(dst, line[i:i+k]...)
			col += k
			i += k
		}
		if i < n {
			c := line[i]
			limit := 75 // room for a soft break's "="
			if i == n-1 && !more {
				limit = 76
			}
			if col+3 > limit {
				dst = append(dst, '=', '\r', '\n')
				col = 0
			}
			dst = append(dst, '=', upperHex[c>>4], upperHex[c&15])
			col += 3
			i++
		}
	}
	return dst
}

// qpLiteral marks the octets quoted-printable writes as themselves
// (RFC 2045 6.7 rules 2 and 3): printable ASCII but '=', space, tab.
var qpLiteral = func() (t [256]bool) {
	for c := ' '; c <= '~'; c++ {
		t[c] = c != '='
	}
	t['\t'] = true
	return t
}()

// growBy makes room for n more octets in b.
func growBy(b []byte, n int) []byte { return slices.Grow(b, n) }
