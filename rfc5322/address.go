package rfc5322

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// An Address is a mailbox (RFC 5322 3.4): an optional display name and an
// addr-spec.
type Address struct {
	// Name is the display name with quoting removed and RFC 2047
	// encoded words decoded; "" if there is none. When a mailbox has no
	// display name but a comment follows its addr-spec
	// ("jdoe@example.org (John Doe)"), the comment text is the Name, as
	// net/mail does.
	Name string
	// Addr is the addr-spec "local-part@domain" with comments and
	// folding whitespace removed, the local part written as a dot-atom
	// when it is one and as a minimal quoted-string otherwise, and the
	// domain (or domain-literal) as written.
	Addr string
}

// LocalPart returns the local part of Addr, quoting kept.
func (a Address) LocalPart() string {
	local, _ := splitAddr(a.Addr)
	return local
}

// Domain returns the domain of Addr (a domain-literal keeps its
// brackets).
func (a Address) Domain() string {
	_, domain := splitAddr(a.Addr)
	return domain
}

// splitAddr splits a canonical addr-spec at its '@': the first one after
// a quoted local part (which may hold '@'), else the first one (a
// dot-atom has none, a domain literal may).
func splitAddr(addr string) (local, domain string) {
	i := 0
	if strings.HasPrefix(addr, `"`) {
		end, _, ok := scanQuoted(addr, 0)
		if !ok {
			return addr, ""
		}
		i = end
	}
	j := strings.IndexByte(addr[i:], '@')
	if j < 0 {
		return addr, ""
	}
	return addr[:i+j], addr[i+j+1:]
}

// A Group is one element of an address list (RFC 5322 3.4): either a
// named group of mailboxes ("Friends: a@x, b@y;", IsGroup true, possibly
// with no members, Members nil) or a lone mailbox (IsGroup false, one
// member, no Name).
type Group struct {
	Name    string
	IsGroup bool
	Members []Address
}

// ParseAddress parses a single mailbox (RFC 5322 3.4 mailbox, obsolete
// forms included). See ParseAddressList for the error rules.
func ParseAddress(s string) (Address, error) {
	p := addrParser{s: s}
	if err := p.checkUTF8(); err != nil {
		return Address{}, err
	}
	var one [1]Address
	dst, ok := p.mailbox(one[:0], true)
	if ok {
		p.cfws()
		if ok = p.ok(); ok && p.i < len(p.s) {
			ok = p.fail("text after the mailbox")
		}
	}
	if !ok {
		return Address{}, p.error()
	}
	return dst[0], p.charsetErr
}

// ParseAddressList parses an address-list (RFC 5322 3.4) and returns its
// mailboxes in order, the members of groups flattened in place (group
// names are dropped; see ParseGroupList to keep them). Obsolete syntax of
// RFC 5322 4.4 is accepted: empty list elements, route addresses
// (the route is dropped), CFWS around dots and '@', and a phrase with
// dots. UTF-8 is accepted in atoms, quoted strings, comments and domain
// literals (RFC 6532) but must be valid.
//
// Parsing takes time linear in len(s). On a syntax error it returns a
// *ParseError wrapping ErrInvalidAddress (or ErrInvalidUTF8). If the only
// problem is an encoded word in an unknown charset, the full list is
// returned with a *CharsetError, the raw word kept in the name.
func ParseAddressList(s string) ([]Address, error) {
	p := addrParser{s: s}
	if err := p.checkUTF8(); err != nil {
		return nil, err
	}
	dst := make([]Address, 0, estimateAddrs(s))
	dst, ok := p.list(dst, nil)
	if !ok {
		return nil, p.error()
	}
	return dst, p.charsetErr
}

// ParseGroupList parses an address-list like ParseAddressList but keeps
// its structure: one Group per list element.
func ParseGroupList(s string) ([]Group, error) {
	p := addrParser{s: s}
	if err := p.checkUTF8(); err != nil {
		return nil, err
	}
	n := estimateAddrs(s)
	groups := make([]Group, 0, n)
	_, ok := p.list(make([]Address, 0, n), &groups)
	if !ok {
		return nil, p.error()
	}
	return groups, p.charsetErr
}

// AddressList parses the fields named name as one address list, groups
// flattened: several occurrences of a destination field are read as one
// list, their lists joined by commas (RFC 5322 4.5.3). The values are
// unfolded first. A missing field gives (nil, nil).
func (h *Header) AddressList(name string) ([]Address, error) {
	first := h.index(name, 0)
	if first < 0 {
		return nil, nil
	}
	var stack [1024]byte
	buf := appendUnfolded(stack[:0], h.fields[first].RawValue())
	for i := h.index(name, first+1); i >= 0; i = h.index(name, i+1) {
		buf = append(buf, ',')
		buf = appendUnfolded(buf, h.fields[i].RawValue())
	}
	l, err := ParseAddressList(string(buf))
	if err != nil && !errors.Is(err, ErrUnknownCharset) {
		err = &FieldError{Field: h.fields[first].Name(), Index: first, Err: err}
	}
	return l, err
}

// estimateAddrs bounds the number of mailboxes in s for the result's
// capacity: one more than the commas, and no more than one per four
// octets ("a@b,"), so a run of commas costs little.
func estimateAddrs(s string) int {
	return min(strings.Count(s, ",")+1, len(s)/4+1)
}

type addrParser struct {
	s          string
	i          int
	msg        string
	errAt      int
	failed     bool
	charsetErr error
	// comment is the last top-level comment skipped by cfws, as
	// offsets of its content; cstart < 0 if none.
	cstart, cend int
}

func (p *addrParser) checkUTF8() error {
	if !utf8.ValidString(p.s) { // fast for ASCII, eight octets at a time
		return &ParseError{What: "address", Offset: 0, Msg: "invalid UTF-8", Err: ErrInvalidUTF8}
	}
	return nil
}

func (p *addrParser) fail(msg string) bool {
	if !p.failed {
		p.failed, p.msg, p.errAt = true, msg, p.i
	}
	return false
}

func (p *addrParser) ok() bool { return !p.failed }

func (p *addrParser) error() error {
	return &ParseError{What: "address", Offset: p.errAt, Msg: p.msg, Err: ErrInvalidAddress}
}

// cfws skips CFWS (RFC 5322 3.2.2): spaces, tabs, folding (CRLF
// followed by WSP) and comments, nested, with quoted-pairs. A bare CR or
// LF is an error.
func (p *addrParser) cfws() bool {
	if s, i := p.s, p.i; i < len(s) && classTable[s[i]]&classCFWS != 0 {
		return p.cfwsSlow()
	}
	p.cstart = -1
	return true // the common case, inlined
}

func (p *addrParser) cfwsSlow() bool {
	p.cstart = -1
	for p.i < len(p.s) {
		switch c := p.s[p.i]; c {
		case ' ', '\t':
			p.i++
		case '\r', '\n':
			j := foldEnd(p.s, p.i)
			if j < 0 {
				return p.fail("line end not followed by whitespace")
			}
			p.i = j
		case '(':
			end, ok := skipComment(p.s, p.i)
			if !ok {
				return p.fail("bad or unterminated comment")
			}
			if p.cstart < 0 {
				p.cstart, p.cend = p.i+1, end-1
			}
			p.i = end
		default:
			return true
		}
	}
	return true
}

// list parses an address-list into dst; if groups is non-nil it also
// records the list's structure there.
func (p *addrParser) list(dst []Address, groups *[]Group) ([]Address, bool) {
	elements := 0
	for {
		if !p.cfws() {
			return dst, false
		}
		if p.i >= len(p.s) {
			break
		}
		if p.s[p.i] == ',' { // obs-addr-list: empty element
			p.i++
			continue
		}
		n := len(dst)
		var ok bool
		var gname string
		var isGroup bool
		dst, gname, isGroup, ok = p.element(dst)
		if !ok {
			return dst, false
		}
		elements++
		if groups != nil {
			g := Group{Name: gname, IsGroup: isGroup}
			if len(dst) > n {
				g.Members = dst[n:len(dst):len(dst)]
			}
			*groups = append(*groups, g)
		}
		if !p.cfws() {
			return dst, false
		}
		if p.i >= len(p.s) {
			break
		}
		if p.s[p.i] != ',' {
			return dst, p.fail("expected ',' between addresses")
		}
		p.i++
	}
	if elements == 0 {
		return dst, p.fail("empty address list")
	}
	return dst, true
}

// A phrase scan: what the tokens before a special character were.
type scan struct {
	start, end int  // offsets of the first token's start and last token's end
	words      int  // atoms and quoted strings
	dots       int  // '.' tokens
	lastDot    bool // the last token was a dot
	firstDot   bool // the first token was a dot
	dotted     bool // tokens alternate word, dot, word (a valid local-part)
	quoted     bool // a quoted-string was seen
	simpleName bool // the name is s[start:end] as is
	simpleAddr bool // the local part is s[start:end] as is
	qsimple    bool // one quoted-string with no quoted-pair: name is its content
}

// words scans the tokens of a phrase or local-part: atoms, quoted
// strings and dots, with CFWS between them, stopping before any other
// character. It returns what it saw; p.i is left after the trailing CFWS.
func (p *addrParser) words(sc *scan) bool {
	*sc = scan{start: -1, simpleName: true, simpleAddr: true, dotted: true}
	prevWord := false
	for p.i < len(p.s) {
		c := p.s[p.i]
		st := p.i
		switch {
		case c == '.':
			p.i++
			sc.dots++
			if sc.start < 0 {
				sc.firstDot = true
			}
			if !prevWord {
				sc.dotted = false
			}
			prevWord = false
			sc.lastDot = true
		case c == '"':
			end, bs, ok := scanQuoted(p.s, p.i)
			if !ok {
				p.i = end
				return p.fail("bad or unterminated quoted string")
			}
			if prevWord {
				sc.dotted = false
			}
			sc.quoted = true
			sc.simpleAddr = false
			sc.simpleName = false
			sc.qsimple = sc.words == 0 && sc.dots == 0 && !bs &&
				!strings.Contains(p.s[st:end], "=?") && strings.IndexByte(p.s[st:end], '\r') < 0 &&
				strings.IndexByte(p.s[st:end], '\n') < 0
			p.i = end
			sc.words++
			prevWord = true
			sc.lastDot = false
		case isAtext(c):
			p.i = phraseAtomEnd(p.s, st)
			if prevWord {
				sc.dotted = false
			}
			if isEncodedWordShape(p.s[st:p.i]) {
				sc.simpleName = false
			}
			sc.words++
			prevWord = true
			sc.lastDot = false
		default:
			if sc.words+sc.dots > 1 {
				sc.qsimple = false
			}
			return true
		}
		if sc.start < 0 {
			sc.start = st
		}
		sc.end = p.i
		at := p.i
		if !p.cfws() {
			return false
		}
		if p.i != at {
			sc.simpleAddr = false
			// One plain space between tokens keeps the name simple.
			if p.i != at+1 || p.s[at] != ' ' || p.cstart >= 0 {
				sc.simpleName = false
			}
		}
	}
	if sc.words+sc.dots > 1 {
		sc.qsimple = false
	}
	return true
}

// atomEnd returns the index of the first octet at or after i that is not
// atext.
func atomEnd(s string, i int) int {
	for i < len(s) && classTable[s[i]]&classAtext != 0 {
		i++
	}
	return i
}

// phraseAtomEnd is atomEnd, except that an encoded word whose text holds
// '.' is taken whole: RFC 2047 5(3) does not allow '.' in a Q-encoded
// word in a phrase, but mailers write "=?utf-8?q?J.R.R._Tolkien?=". The
// look-ahead stops at the first SPACE, control or stray '?', so it adds
// no more than one pass over the input.
func phraseAtomEnd(s string, i int) int {
	end := atomEnd(s, i)
	if end < len(s) && s[end] == '.' && strings.HasPrefix(s[i:], "=?") {
		if _, _, _, n, ok := parseEncodedWord(s[i:]); ok && n > end-i {
			for k := i; k < i+n; k++ {
				if !isAtext(s[k]) && s[k] != '.' {
					return end
				}
			}
			return i + n
		}
	}
	return end
}

// scanQuoted returns the index after the quoted-string starting at s[i]
// and whether it held a quoted-pair. qcontent is qtext, obs-qtext (the
// controls but NUL, CR and LF) and quoted-pairs (obs-qp allows any
// octet after the backslash); CR and LF may appear only as folding, CRLF
// before WSP (RFC 5322 3.2.4, 4.1).
func scanQuoted(s string, i int) (int, bool, bool) {
	bs := false
	for i++; i < len(s); i++ {
		switch s[i] {
		case '"':
			return i + 1, bs, true
		case '\\':
			// RFC 5322 3.2.1, 4.1: obs-qp allows %d0 and LF and CR
			// after the backslash; they are rejected, as a CR or LF
			// taken from an address into an SMTP envelope or a
			// header would inject a line.
			bs = true
			i++
			if i >= len(s) || isQPControl(s[i]) {
				return i, bs, false
			}
		case 0:
			return i, bs, false
		case '\r', '\n':
			j := foldEnd(s, i)
			if j < 0 {
				return i, bs, false
			}
			i = j - 1
		}
	}
	return i, bs, false
}

// isQPControl reports the octets a quoted-pair may not carry here.
func isQPControl(c byte) bool { return c == 0 || c == '\r' || c == '\n' }

// foldEnd returns the index after the line end at s[i] if it is folding
// (CRLF, or LF alone, followed by WSP), else -1.
func foldEnd(s string, i int) int {
	j := i + 1
	if s[i] == '\r' {
		if j >= len(s) || s[j] != '\n' {
			return -1
		}
		j++
	}
	if j >= len(s) || !isWSP(s[j]) {
		return -1
	}
	return j
}

// element parses one address-list element: a mailbox or a group. It
// returns the group's name and whether it was a group.
func (p *addrParser) element(dst []Address) ([]Address, string, bool, bool) {
	phraseAt := p.i
	var sc scan
	if !p.words(&sc) {
		return dst, "", false, false
	}
	if p.i < len(p.s) && p.s[p.i] == ':' {
		// group = display-name ":" [group-list] ";" [CFWS]
		if sc.firstDot { // obs-phrase = word *(word / "." / CFWS)
			return dst, "", false, p.fail("display name starts with '.'")
		}
		if sc.words == 0 {
			return dst, "", false, p.fail("group without a name")
		}
		name := p.name(phraseAt, &sc)
		p.i++
		for {
			if !p.cfws() {
				return dst, "", false, false
			}
			if p.i >= len(p.s) {
				return dst, "", false, p.fail("group without ';'")
			}
			switch p.s[p.i] {
			case ';':
				p.i++
				return dst, name, true, true
			case ',': // obs-group-list, obs-mbox-list empty elements
				p.i++
				continue
			}
			var ok bool
			dst, ok = p.mailbox(dst, false)
			if !ok {
				return dst, "", false, false
			}
			if !p.cfws() {
				return dst, "", false, false
			}
			if p.i < len(p.s) && p.s[p.i] == ',' {
				p.i++
			} else if p.i >= len(p.s) || p.s[p.i] != ';' {
				return dst, "", false, p.fail("expected ',' or ';' in group")
			}
		}
	}
	dst, ok := p.mailboxAfter(dst, phraseAt, &sc)
	return dst, "", false, ok
}

// mailbox parses name-addr / addr-spec.
func (p *addrParser) mailbox(dst []Address, leadingCFWS bool) ([]Address, bool) {
	if leadingCFWS && !p.cfws() {
		return dst, false
	}
	at := p.i
	var sc scan
	if !p.words(&sc) {
		return dst, false
	}
	return p.mailboxAfter(dst, at, &sc)
}

// mailboxAfter finishes a mailbox whose leading words were scanned.
func (p *addrParser) mailboxAfter(dst []Address, phraseAt int, sc *scan) ([]Address, bool) {
	if p.i >= len(p.s) {
		if sc.words == 0 {
			return dst, p.fail("missing address")
		}
		return dst, p.fail("missing '@' or '<'")
	}
	switch p.s[p.i] {
	case '<':
		// name-addr = [display-name] angle-addr
		var name string
		if sc.words > 0 || sc.dots > 0 {
			if sc.firstDot {
				return dst, p.fail("display name starts with '.'")
			}
			name = p.name(phraseAt, sc)
		}
		p.i++
		if !p.cfws() {
			return dst, false
		}
		// obs-angle-addr: a route "@a,@b:" before the addr-spec.
		if p.i < len(p.s) && (p.s[p.i] == '@' || p.s[p.i] == ',') {
			if !p.route() {
				return dst, false
			}
		}
		at := p.i
		var lsc scan
		if !p.words(&lsc) {
			return dst, false
		}
		addr, ok := p.addrSpec(at, &lsc)
		if !ok {
			return dst, false
		}
		if p.i >= len(p.s) || p.s[p.i] != '>' {
			return dst, p.fail("expected '>'")
		}
		p.i++
		return append(dst, Address{Name: name, Addr: addr}), true
	case '@':
		addr, ok := p.addrSpec(phraseAt, sc)
		if !ok {
			return dst, false
		}
		// addrSpec left p.i after the domain's trailing CFWS; a
		// comment there is the legacy form of a display name.
		var name string
		if p.cstart >= 0 {
			name = p.commentText(p.cstart, p.cend)
		}
		return append(dst, Address{Name: name, Addr: addr}), true
	}
	if sc.words == 0 && sc.dots == 0 {
		return dst, p.fail("missing address")
	}
	return dst, p.fail("missing '@' or '<'")
}

// route skips an obs-route: obs-domain-list ":" (RFC 5322 4.4).
func (p *addrParser) route() bool {
	for {
		if !p.cfws() {
			return false
		}
		if p.i >= len(p.s) {
			return p.fail("unterminated route")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case '@':
			p.i++
			if !p.cfws() {
				return false
			}
			if _, _, ok := p.domain(); !ok {
				return false
			}
		case ':':
			p.i++
			return p.cfws()
		default:
			return p.fail("bad route")
		}
	}
}

// addrSpec finishes an addr-spec whose local-part tokens were scanned
// (sc, starting at at) and p.i is at '@'.
func (p *addrParser) addrSpec(at int, sc *scan) (string, bool) {
	if p.i >= len(p.s) || p.s[p.i] != '@' {
		return "", p.fail("expected '@'")
	}
	// local-part = dot-atom / quoted-string / obs-local-part, that is
	// word *("." word).
	if sc.words == 0 || !sc.dotted || sc.lastDot || sc.firstDot {
		return "", p.fail("bad local part")
	}
	atSign := p.i
	p.i++
	if !p.cfws() {
		return "", false
	}
	domAt := p.i
	dom, simple, ok := p.domain()
	if !ok {
		return "", false
	}
	if sc.simpleAddr && simple && sc.end == atSign && domAt == atSign+1 {
		return p.s[sc.start : domAt+len(dom)], true
	}
	local := p.localPart(at, sc)
	return local + "@" + dom, true
}

// domain parses domain = dot-atom / domain-literal / obs-domain and
// leaves p.i after its trailing CFWS. simple means it is written
// without CFWS or quoted-pairs, and dom is then a slice of the input.
func (p *addrParser) domain() (string, bool, bool) {
	if p.i < len(p.s) && p.s[p.i] == '[' {
		return p.domainLiteral()
	}
	// While the domain is a plain dot-atom it is a slice of the input;
	// CFWS inside it (obs-domain) switches to building it in b.
	st := p.i
	var b []byte
	for {
		as := p.i
		p.i = atomEnd(p.s, p.i)
		if p.i == as {
			return "", false, p.fail("bad domain")
		}
		if b != nil {
			b = append(b, p.s[as:p.i]...)
		}
		ae := p.i
		if !p.cfws() {
			return "", false, false
		}
		if p.i >= len(p.s) || p.s[p.i] != '.' {
			// Trailing CFWS is not part of the domain.
			if b != nil {
				return string(b), false, true
			}
			return p.s[st:ae], true, true
		}
		if p.i != ae && b == nil {
			b = append(b, p.s[st:ae]...)
		}
		if b != nil {
			b = append(b, '.')
		}
		p.i++
		dotEnd := p.i
		if !p.cfws() {
			return "", false, false
		}
		if p.i != dotEnd && b == nil {
			b = append(b, p.s[st:dotEnd]...)
		}
	}
}

// domainLiteral parses "[" *([FWS] dtext) [FWS] "]" with obs-dtext
// quoted-pairs; whitespace inside is removed from the result.
func (p *addrParser) domainLiteral() (string, bool, bool) {
	st := p.i
	simple := true
	p.i++
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == ']':
			p.i++
			lit := p.s[st:p.i]
			if !simple {
				lit = cleanLiteral(lit)
			}
			if !p.cfws() {
				return "", false, false
			}
			return lit, simple, true
		case c == '\\' && p.i+1 < len(p.s):
			if isQPControl(p.s[p.i+1]) { // RFC 5322 4.4: see scanQuoted
				return "", false, p.fail("NUL, CR or LF in a quoted-pair")
			}
			simple = false
			p.i += 2
		case c == ' ' || c == '\t':
			simple = false
			p.i++
		case c == '\r' || c == '\n':
			j := foldEnd(p.s, p.i)
			if j < 0 {
				return "", false, p.fail("line end not followed by whitespace")
			}
			simple = false
			p.i = j
		case isDtext(c):
			p.i++
		default:
			return "", false, p.fail("bad character in domain literal")
		}
	}
	return "", false, p.fail("unterminated domain literal")
}

// cleanLiteral removes whitespace and resolves quoted-pairs in a
// domain-literal; a character that needs the pair keeps it.
func cleanLiteral(lit string) string {
	b := make([]byte, 0, len(lit))
	for i := 0; i < len(lit); i++ {
		c := lit[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
		case c == '\\' && i+1 < len(lit):
			i++
			if d := lit[i]; isDtext(d) {
				b = append(b, d)
			} else {
				b = append(b, '\\', d)
			}
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

// localPart builds the canonical local part from scanned tokens: the
// words' contents joined by dots, written as a dot-atom if it is one and
// as a quoted-string otherwise.
func (p *addrParser) localPart(at int, sc *scan) string {
	var stack [128]byte
	b := stack[:0]
	i := at
	for i < sc.end {
		c := p.s[i]
		switch {
		case c == '.':
			b = append(b, '.')
			i++
		case c == '"':
			end, _, _ := scanQuoted(p.s, i)
			b = appendUnquoted(b, p.s[i+1:end-1])
			i = end
		case isAtext(c):
			st := i
			for i < len(p.s) && isAtext(p.s[i]) {
				i++
			}
			b = append(b, p.s[st:i]...)
		case c == '(':
			i, _ = skipComment(p.s, i)
		default:
			i++
		}
	}
	if isDotAtom(string(b)) {
		return string(b)
	}
	return string(appendQuoted(nil, string(b)))
}

// appendUnquoted appends the content of a quoted-string with
// quoted-pairs resolved and folding (CRLF before WSP) removed.
func appendUnquoted(dst []byte, q string) []byte {
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\\' && i+1 < len(q):
			i++
			dst = append(dst, q[i])
		case c == '\r' || c == '\n':
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// name builds the display name from the phrase scanned at phraseAt.
func (p *addrParser) name(phraseAt int, sc *scan) string {
	if sc.simpleName {
		return p.s[sc.start:sc.end]
	}
	if sc.qsimple {
		return p.s[sc.start+1 : sc.end-1]
	}
	var stack [256]byte
	b := stack[:0]
	i := phraseAt
	pending, prevEW := false, false
	for i < sc.end {
		c := p.s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			pending = true
			i++
			continue
		case c == '(':
			i, _ = skipComment(p.s, i)
			pending = true
			continue
		case c == '"':
			end, _, _ := scanQuoted(p.s, i)
			if pending && len(b) > 0 {
				b = append(b, ' ')
			}
			content := p.s[i+1 : end-1]
			if strings.Contains(content, "=?") {
				// Not allowed by RFC 2047 5(3), but common: decode
				// encoded words inside a quoted display name too.
				var un [256]byte
				b = p.appendText(b, string(appendUnquoted(un[:0], content)))
			} else {
				b = appendUnquoted(b, content)
			}
			i = end
			prevEW = false
		case c == '.':
			if pending && len(b) > 0 {
				b = append(b, ' ')
			}
			b = append(b, '.')
			i++
			prevEW = false
		default: // atom
			st := i
			i = phraseAtomEnd(p.s, i)
			if i == st { // cannot happen after words(); never loop
				i++
				continue
			}
			w := p.s[st:i]
			if isEncodedWordShape(w) {
				var err error
				n := len(b)
				if pending && len(b) > 0 && !prevEW {
					b = append(b, ' ')
				}
				var ok bool
				b, ok, err = appendDecodedWord(b, w)
				if ok {
					if err != nil && p.charsetErr == nil {
						p.charsetErr = err
					}
					prevEW = err == nil
					pending = false
					continue
				}
				b = b[:n]
			}
			if pending && len(b) > 0 {
				b = append(b, ' ')
			}
			b = append(b, w...)
			prevEW = false
		}
		pending = false
	}
	return string(b)
}

// commentText returns a comment's content (offsets of the text inside
// the outer parentheses) as a display name: quoted-pairs resolved,
// folding removed, runs of white space made one space as between the
// words of a phrase, nested parentheses kept, and encoded words decoded
// (RFC 2047 5(2) allows them in comments).
func (p *addrParser) commentText(a, b int) string {
	c := p.s[a:b]
	if !strings.ContainsAny(c, "\\\r\n\t") && !strings.Contains(c, "  ") && !strings.Contains(c, "=?") {
		return strings.Trim(c, " ")
	}
	var stack [256]byte
	un := appendUnquoted(stack[:0], c)
	if strings.Contains(c, "=?") {
		un = p.appendText(nil, string(un))
	}
	out := make([]byte, 0, len(un))
	space := false
	for _, ch := range un {
		if ch == ' ' || ch == '\t' {
			space = true
			continue
		}
		if space && len(out) > 0 {
			out = append(out, ' ')
		}
		space = false
		out = append(out, ch)
	}
	return string(out)
}

// appendText decodes unstructured text with encoded words, recording an
// unknown charset.
func (p *addrParser) appendText(dst []byte, s string) []byte {
	dst, err := appendDecodedText(dst, s)
	if err != nil && p.charsetErr == nil {
		p.charsetErr = err
	}
	return dst
}
