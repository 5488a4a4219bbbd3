package imap

import (
	"bufio"
	"io"
	"strconv"
	"unicode/utf8"
)

// Limits bound what a Decoder accepts from a peer. Zero fields take the
// defaults below; they are what keep a hostile client from making a
// command cost unbounded memory or time.
type Limits struct {
	// MaxLine bounds the octets of one command line outside literals
	// (default 64 KiB; RFC 9051 4 sets no limit, RFC 7162 3 asks for at
	// least 8192).
	MaxLine int
	// MaxLiteral bounds a literal held in memory: a mailbox name, a
	// password, a search string (default 64 KiB). APPEND's message
	// literal is streamed and bounded by MaxAppend instead.
	MaxLiteral int64
	// MaxAppend bounds an APPEND message literal (default 64 MiB).
	MaxAppend int64
	// MaxRanges bounds the ranges of one sequence set (default 10,000).
	MaxRanges int
	// MaxDepth bounds the nesting of parenthesised lists and search
	// programs (default 16).
	MaxDepth int
	// MaxItems bounds the elements of one list and the keys of one search
	// program (default 1,000).
	MaxItems int
}

// Default limits.
const (
	DefaultMaxLine    = 64 << 10
	DefaultMaxLiteral = 64 << 10
	DefaultMaxAppend  = 64 << 20
	DefaultMaxRanges  = 10000
	DefaultMaxDepth   = 16
	DefaultMaxItems   = 1000
	// maxDiscard bounds the octets SkipCommand reads past an error before
	// it gives up on the connection (a non-synchronizing literal the
	// server refused is still sent by the client, RFC 7888 4).
	maxDiscard = 1 << 20
)

func (l Limits) line() int {
	if l.MaxLine <= 0 {
		return DefaultMaxLine
	}
	return l.MaxLine
}

func (l Limits) literal() int64 {
	if l.MaxLiteral <= 0 {
		return DefaultMaxLiteral
	}
	return l.MaxLiteral
}

func (l Limits) appendSize() int64 {
	if l.MaxAppend <= 0 {
		return DefaultMaxAppend
	}
	return l.MaxAppend
}

func (l Limits) ranges() int {
	if l.MaxRanges <= 0 {
		return DefaultMaxRanges
	}
	return l.MaxRanges
}

func (l Limits) depth() int {
	if l.MaxDepth <= 0 {
		return DefaultMaxDepth
	}
	return l.MaxDepth
}

func (l Limits) items() int {
	if l.MaxItems <= 0 {
		return DefaultMaxItems
	}
	return l.MaxItems
}

// Decoder reads IMAP command lines (RFC 9051 9) from a buffered reader, one
// token at a time. It keeps no more than one token and the literal being
// read in memory; an APPEND message literal is handed out as a reader.
type Decoder struct {
	r *bufio.Reader
	// Limits bound the input.
	Limits Limits
	// Continue is called when the client announces a synchronizing
	// literal of n octets ("{n}" CRLF, RFC 9051 4.3) that the Decoder
	// will accept. It must send the continuation request ("+ ...") and
	// flush; an error stops the read. Nil means nothing is sent (for
	// reading responses, where literals are never synchronizing).
	Continue func(n int64) error

	off     int64 // octets read since BeginCommand, literals included
	lineLen int   // octets of the current line outside literals
	depth   int
	// pending is the octet count of a literal announced but not read
	// (after an error), and whether it was synchronizing.
	pending     int64
	pendingSync bool
}

// NewDecoder returns a Decoder reading from r.
func NewDecoder(r *bufio.Reader) *Decoder { return &Decoder{r: r} }

// Reset makes d read from r with its limits and hook kept.
func (d *Decoder) Reset(r *bufio.Reader) {
	d.r = r
	d.begin()
}

func (d *Decoder) begin() {
	d.off, d.lineLen, d.depth, d.pending, d.pendingSync = 0, 0, 0, 0, false
}

func (d *Decoder) syntax(want string) error {
	return &SyntaxError{Offset: d.off, Want: want, Err: ErrSyntax}
}

func (d *Decoder) fail(err error, want string) error {
	return &SyntaxError{Offset: d.off, Want: want, Err: err}
}

// peek returns the next octet without consuming it.
func (d *Decoder) peek() (byte, error) {
	b, err := d.r.Peek(1)
	if err != nil {
		return 0, d.ioErr(err)
	}
	return b[0], nil
}

func (d *Decoder) ioErr(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// readByte consumes one octet of the line.
func (d *Decoder) readByte() (byte, error) {
	b, err := d.r.ReadByte()
	if err != nil {
		return 0, d.ioErr(err)
	}
	d.off++
	d.lineLen++
	if d.lineLen > d.Limits.line() {
		return 0, d.fail(ErrLineTooLong, "")
	}
	return b, nil
}

// accept consumes c if it is next and reports whether it was.
func (d *Decoder) accept(c byte) (bool, error) {
	b, err := d.peek()
	if err != nil {
		return false, err
	}
	if b != c {
		return false, nil
	}
	_, err = d.readByte()
	return err == nil, err
}

func (d *Decoder) expect(c byte, want string) error {
	ok, err := d.accept(c)
	if err != nil {
		return err
	}
	if !ok {
		return d.syntax(want)
	}
	return nil
}

// SP reads one space.
func (d *Decoder) SP() error { return d.expect(' ', "SP") }

// CRLF reads the end of the line.
func (d *Decoder) CRLF() error {
	if err := d.expect('\r', "CRLF"); err != nil {
		return err
	}
	if err := d.expect('\n', "CRLF"); err != nil {
		return err
	}
	d.lineLen = 0
	return nil
}

// AtEOL reports whether the line ends here (CR next).
func (d *Decoder) AtEOL() (bool, error) {
	b, err := d.peek()
	return b == '\r', err
}

// Peek returns the next octet without consuming it.
func (d *Decoder) Peek() (byte, error) { return d.peek() }

// Accept consumes c if it is next and reports whether it was.
func (d *Decoder) Accept(c byte) (bool, error) { return d.accept(c) }

// Expect consumes c or fails with a SyntaxError.
func (d *Decoder) Expect(c byte) error { return d.expect(c, strconv.QuoteRune(rune(c))) }

// isAtomChar reports ATOM-CHAR (RFC 9051 9): any CHAR except
// atom-specials "(" ")" "{" SP CTL list-wildcards quoted-specials
// resp-specials.
func isAtomChar(c byte) bool {
	if c <= 0x20 || c >= 0x7f {
		return false
	}
	switch c {
	case '(', ')', '{', '%', '*', '"', '\\', ']':
		return false
	}
	return true
}

// isAstringChar: ATOM-CHAR / resp-specials.
func isAstringChar(c byte) bool { return isAtomChar(c) || c == ']' }

// isListChar: ATOM-CHAR / list-wildcards / resp-specials (RFC 9051 9
// list-char).
func isListChar(c byte) bool { return isAstringChar(c) || c == '%' || c == '*' }

// isTagChar: ASTRING-CHAR except "+" (RFC 9051 9 tag).
func isTagChar(c byte) bool { return isAstringChar(c) && c != '+' }

// run reads 1*octet that satisfies ok.
func (d *Decoder) run(ok func(byte) bool, want string) (string, error) {
	var buf []byte
	for {
		b, err := d.peek()
		if err != nil {
			return "", err
		}
		if !ok(b) {
			break
		}
		if _, err := d.readByte(); err != nil {
			return "", err
		}
		buf = append(buf, b)
	}
	if len(buf) == 0 {
		return "", d.syntax(want)
	}
	return string(buf), nil
}

// Atom reads an atom.
func (d *Decoder) Atom() (string, error) { return d.run(isAtomChar, "atom") }

// Tag reads a command tag.
func (d *Decoder) Tag() (string, error) { return d.run(isTagChar, "tag") }

// Number reads a number (RFC 9051 9: up to 2^32-1).
func (d *Decoder) Number() (uint32, error) {
	n, err := d.number64()
	if err != nil {
		return 0, err
	}
	if n > 1<<32-1 {
		return 0, d.syntax("number below 2^32")
	}
	return uint32(n), nil
}

// Number64 reads a number64 (RFC 9051 9: up to 2^63-1).
func (d *Decoder) Number64() (uint64, error) { return d.number64() }

func (d *Decoder) number64() (uint64, error) {
	var n uint64
	digits := 0
	for {
		b, err := d.peek()
		if err != nil {
			return 0, err
		}
		if b < '0' || b > '9' {
			break
		}
		if _, err := d.readByte(); err != nil {
			return 0, err
		}
		n = n*10 + uint64(b-'0')
		digits++
		if n > 1<<63-1 || digits > 19 {
			return 0, d.syntax("number below 2^63")
		}
	}
	if digits == 0 {
		return 0, d.syntax("number")
	}
	return n, nil
}

// Quoted reads a quoted string (RFC 9051 9 quoted, UTF-8 allowed) and
// returns its value.
func (d *Decoder) Quoted() (string, error) {
	if err := d.expect('"', "quoted string"); err != nil {
		return "", err
	}
	var buf []byte
	for {
		b, err := d.readByte()
		if err != nil {
			return "", err
		}
		switch b {
		case '"':
			if !utf8.Valid(buf) {
				return "", d.syntax("UTF-8 in quoted string")
			}
			return string(buf), nil
		case '\\':
			b, err = d.readByte()
			if err != nil {
				return "", err
			}
			if b != '"' && b != '\\' {
				return "", d.syntax(`quoted-special after "\"`)
			}
		case '\r', '\n', 0:
			return "", d.syntax("TEXT-CHAR in quoted string")
		}
		buf = append(buf, b)
	}
}

// LiteralHeader reads "{n}" or "{n+}" (or "~{n}" for literal8 when
// binary is true) and CRLF, and returns n and whether the literal is
// synchronizing. It does not read the octets or call Continue.
func (d *Decoder) LiteralHeader(binary bool) (n int64, sync bool, err error) {
	if binary {
		if _, err := d.accept('~'); err != nil {
			return 0, false, err
		}
	}
	if err := d.expect('{', "literal"); err != nil {
		return 0, false, err
	}
	v, err := d.number64()
	if err != nil {
		return 0, false, err
	}
	plus, err := d.accept('+') // RFC 7888 LITERAL+ / LITERAL-
	if err != nil {
		return 0, false, err
	}
	if err := d.expect('}', "}"); err != nil {
		return 0, false, err
	}
	if err := d.CRLF(); err != nil {
		return 0, false, err
	}
	d.pending, d.pendingSync = int64(v), !plus
	return int64(v), !plus, nil
}

// startLiteral checks n against max and, for a synchronizing literal,
// asks the client to send it. A refused synchronizing literal leaves the
// stream at a command boundary (the client sends nothing more).
func (d *Decoder) startLiteral(n int64, sync bool, max int64) error {
	if n > max {
		return d.fail(ErrLiteralTooLarge, "")
	}
	if sync && d.Continue != nil {
		if err := d.Continue(n); err != nil {
			return err
		}
	}
	d.pendingSync = false
	return nil
}

// Literal reads a literal into memory (bounded by Limits.MaxLiteral).
func (d *Decoder) Literal() ([]byte, error) {
	n, sync, err := d.LiteralHeader(false)
	if err != nil {
		return nil, err
	}
	if err := d.startLiteral(n, sync, d.Limits.literal()); err != nil {
		return nil, err
	}
	buf := make([]byte, n) // n <= MaxLiteral, checked above
	if _, err := io.ReadFull(d.r, buf); err != nil {
		return nil, d.ioErr(err)
	}
	d.off += n
	d.pending = 0
	return buf, nil
}

// LiteralReader reads a literal header, asks for the octets if the
// literal is synchronizing, and returns a reader of exactly n octets
// taken straight from the connection, for APPEND. The caller must read
// it to EOF before reading more of the command.
func (d *Decoder) LiteralReader(binary bool) (io.Reader, int64, error) {
	n, sync, err := d.LiteralHeader(binary)
	if err != nil {
		return nil, 0, err
	}
	if err := d.startLiteral(n, sync, d.Limits.appendSize()); err != nil {
		return nil, 0, err
	}
	return &literalReader{d: d, n: n}, n, nil
}

type literalReader struct {
	d *Decoder
	n int64
}

func (l *literalReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.d.r.Read(p)
	l.n -= int64(n)
	l.d.off += int64(n)
	l.d.pending = l.n
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// String reads a string: quoted or literal.
func (d *Decoder) String() (string, error) {
	b, err := d.peek()
	if err != nil {
		return "", err
	}
	if b == '"' {
		return d.Quoted()
	}
	if b == '{' {
		v, err := d.Literal()
		return string(v), err
	}
	return "", d.syntax("string")
}

// Astring reads an astring: 1*ASTRING-CHAR or a string.
func (d *Decoder) Astring() (string, error) {
	b, err := d.peek()
	if err != nil {
		return "", err
	}
	if b == '"' || b == '{' {
		return d.String()
	}
	return d.run(isAstringChar, "astring")
}

// ListMailbox reads a LIST pattern: 1*list-char or a string.
func (d *Decoder) ListMailbox() (string, error) {
	b, err := d.peek()
	if err != nil {
		return "", err
	}
	if b == '"' || b == '{' {
		return d.String()
	}
	return d.run(isListChar, "list-mailbox")
}

// NString reads NIL or a string; ok is false for NIL.
func (d *Decoder) NString() (s string, ok bool, err error) {
	b, err := d.peek()
	if err != nil {
		return "", false, err
	}
	if b == 'N' || b == 'n' {
		a, err := d.Atom()
		if err != nil {
			return "", false, err
		}
		if !equalFold(a, "NIL") {
			return "", false, d.syntax("NIL or string")
		}
		return "", false, nil
	}
	s, err = d.String()
	return s, err == nil, err
}

// List calls item for each element of a parenthesised, space-separated
// list; the opening parenthesis must be next. An empty list "()" is
// allowed when empty is true.
func (d *Decoder) List(empty bool, item func() error) error {
	if err := d.expect('(', "("); err != nil {
		return err
	}
	d.depth++
	defer func() { d.depth-- }()
	if d.depth > d.Limits.depth() {
		return d.fail(ErrTooComplex, "shallower nesting")
	}
	if ok, err := d.accept(')'); err != nil || ok {
		if err == nil && !empty {
			return d.syntax("list element")
		}
		return err
	}
	for n := 0; ; n++ {
		if n >= d.Limits.items() {
			return d.fail(ErrTooComplex, "fewer list elements")
		}
		if err := item(); err != nil {
			return err
		}
		b, err := d.readByte()
		if err != nil {
			return err
		}
		switch b {
		case ')':
			return nil
		case ' ':
		default:
			return d.syntax(`SP or ")"`)
		}
	}
}

// SkipCommand discards what is left of a command after an error so the
// next command can be read: the rest of the line, and the octets of a
// non-synchronizing literal the client sends without waiting (RFC 7888
// 4). It stops after a synchronizing literal's header (the client waits
// for a continuation that is never sent). It reports an error when the
// stream cannot be resynchronised within a bounded number of octets; the
// caller should then close the connection.
func (d *Decoder) SkipCommand() error {
	discarded := int64(0)
	if d.pending > 0 && !d.pendingSync {
		if d.pending > maxDiscard {
			return d.fail(ErrLiteralTooLarge, "")
		}
		n, err := d.r.Discard(int(d.pending))
		discarded += int64(n)
		if err != nil {
			return d.ioErr(err)
		}
	} else if d.pending > 0 && d.pendingSync {
		d.begin()
		return nil
	}
	d.pending = 0
	// Scan to CRLF, remembering the tail to spot a literal header.
	var tail []byte
	for {
		b, err := d.r.ReadByte()
		if err != nil {
			return d.ioErr(err)
		}
		discarded++
		if discarded > maxDiscard {
			return d.fail(ErrLineTooLong, "")
		}
		if b != '\n' {
			if len(tail) < 32 {
				tail = append(tail, b)
			} else {
				copy(tail, tail[1:])
				tail[len(tail)-1] = b
			}
			continue
		}
		n, sync, ok := literalTail(tail)
		if !ok {
			d.begin()
			return nil
		}
		if sync {
			d.begin()
			return nil
		}
		if n > maxDiscard-discarded {
			return d.fail(ErrLiteralTooLarge, "")
		}
		m, err := d.r.Discard(int(n))
		discarded += int64(m)
		if err != nil {
			return d.ioErr(err)
		}
		tail = tail[:0]
	}
}

// literalTail reports whether a line ends with a literal header "{n}\r"
// or "{n+}\r".
func literalTail(t []byte) (n int64, sync bool, ok bool) {
	if len(t) < 4 || t[len(t)-1] != '\r' || t[len(t)-2] != '}' {
		return 0, false, false
	}
	t = t[:len(t)-2]
	sync = true
	if t[len(t)-1] == '+' {
		sync = false
		t = t[:len(t)-1]
	}
	i := len(t)
	for i > 0 && t[i-1] >= '0' && t[i-1] <= '9' {
		i--
	}
	if i == len(t) || i == 0 || t[i-1] != '{' {
		return 0, false, false
	}
	v, err := strconv.ParseInt(string(t[i:]), 10, 64)
	if err != nil {
		return 0, false, false
	}
	return v, sync, true
}

// equalFold compares ASCII case-insensitively.
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'a' <= x && x <= 'z' {
			x -= 'a' - 'A'
		}
		if 'a' <= y && y <= 'z' {
			y -= 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// upper returns s in ASCII upper case.
func upper(s string) string {
	for i := 0; i < len(s); i++ {
		if 'a' <= s[i] && s[i] <= 'z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'a' <= b[j] && b[j] <= 'z' {
					b[j] -= 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
