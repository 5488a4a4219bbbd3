package smtp

// Verb is an SMTP command verb.
type Verb uint8

// The command verbs the codec knows (RFC 5321 4.1.1 and extensions).
const (
	VerbUnknown  Verb = iota
	VerbHELO          // RFC 5321 4.1.1.1
	VerbEHLO          // RFC 5321 4.1.1.1
	VerbLHLO          // RFC 2033 4.1
	VerbMAIL          // RFC 5321 4.1.1.2
	VerbRCPT          // RFC 5321 4.1.1.3
	VerbDATA          // RFC 5321 4.1.1.4
	VerbBDAT          // RFC 3030 2
	VerbRSET          // RFC 5321 4.1.1.5
	VerbVRFY          // RFC 5321 4.1.1.6
	VerbEXPN          // RFC 5321 4.1.1.7
	VerbHELP          // RFC 5321 4.1.1.8
	VerbNOOP          // RFC 5321 4.1.1.9
	VerbQUIT          // RFC 5321 4.1.1.10
	VerbSTARTTLS      // RFC 3207 4
	VerbAUTH          // RFC 4954 4
)

var verbNames = [...]string{"", "HELO", "EHLO", "LHLO", "MAIL", "RCPT", "DATA", "BDAT", "RSET", "VRFY", "EXPN", "HELP", "NOOP", "QUIT", "STARTTLS", "AUTH"}

// String returns the verb in upper case, or "" for VerbUnknown.
func (v Verb) String() string {
	if int(v) < len(verbNames) {
		return verbNames[v]
	}
	return ""
}

// Command is one parsed command line. Its byte slices alias the line given
// to ParseCommand and are valid only as long as that line is.
type Command struct {
	Verb Verb
	// Arg is the argument: the domain or address literal for
	// HELO/EHLO/LHLO, the Mailbox for MAIL and RCPT (without angle brackets
	// and source route; empty for the null reverse-path "<>"), and the rest
	// of the line for the other verbs.
	Arg []byte
	// Params holds the raw ESMTP parameters of MAIL and RCPT
	// (RFC 5321 4.1.2 Mail-parameters / Rcpt-parameters); iterate with
	// Command.ParamIter.
	Params []byte
	// NonASCII reports a MAIL or RCPT path with UTF-8 (RFC 6531): the
	// server must refuse it unless SMTPUTF8 was given on MAIL.
	NonASCII bool
}

// ParamIter returns an iterator over c.Params.
func (c *Command) ParamIter() ParamIter { return ParamIter{rest: c.Params} }

// CommandParser parses command lines. Its zero value uses the RFC 5321
// 4.5.3.1 limits.
type CommandParser struct {
	Limits PathLimits
}

// ParseCommand parses one command line with the default limits. See
// CommandParser.Parse.
func ParseCommand(line []byte) (Command, error) {
	var p CommandParser
	return p.Parse(line)
}

// Parse parses one command line, given without its CRLF. It does not
// allocate. A verb that is not known yields VerbUnknown and a nil error;
// a known verb with malformed arguments yields ErrCommandSyntax,
// ErrPathSyntax or ErrPathTooLong; a CR or LF inside the line yields
// ErrBareLineEnding. Line length is the caller's to bound.
func (p *CommandParser) Parse(line []byte) (Command, error) {
	var c Command
	for _, b := range line {
		if b == '\r' || b == '\n' {
			return c, ErrBareLineEnding
		}
	}
	n := 0
	for n < len(line) && line[n] != ' ' {
		n++
	}
	c.Verb = lookupVerb(line[:n])
	rest := line[n:]
	switch c.Verb {
	case VerbUnknown:
		return c, nil
	case VerbMAIL, VerbRCPT:
		return p.parseMailRcpt(c, rest)
	case VerbHELO, VerbEHLO, VerbLHLO:
		// RFC 5321 4.1.1.1: "EHLO" SP ( Domain / address-literal ). The
		// value is checked by the server, which tolerates bad HELO names
		// the way RFC 5321 4.1.4 asks ("MUST NOT ... refuse").
		arg := trimSpace(rest)
		if len(rest) == 0 || rest[0] != ' ' || len(arg) == 0 {
			return c, ErrCommandSyntax
		}
		for _, b := range arg {
			if b < ' ' || b == 127 {
				return c, ErrCommandSyntax
			}
		}
		c.Arg = arg
		return c, nil
	case VerbDATA, VerbRSET, VerbQUIT, VerbSTARTTLS:
		// RFC 5321 4.1.1.4, 4.1.1.5, 4.1.1.10; RFC 3207 4: no arguments.
		if len(trimSpace(rest)) != 0 {
			return c, ErrCommandSyntax
		}
		return c, nil
	default:
		if len(rest) > 0 && rest[0] != ' ' {
			return c, ErrCommandSyntax
		}
		c.Arg = trimSpace(rest)
		return c, nil
	}
}

func (p *CommandParser) parseMailRcpt(c Command, rest []byte) (Command, error) {
	// "MAIL FROM:" Reverse-path / "RCPT TO:" Forward-path. A space after
	// the colon is tolerated (common in practice, RFC 5321 4.1.1.2 does not
	// allow it); nothing else is.
	kw := "FROM:"
	if c.Verb == VerbRCPT {
		kw = "TO:"
	}
	if len(rest) < len(kw)+1 || rest[0] != ' ' || !equalFold(rest[1:1+len(kw)], kw) {
		return c, ErrCommandSyntax
	}
	rest = rest[1+len(kw):]
	for len(rest) > 0 && rest[0] == ' ' {
		rest = rest[1:]
	}
	mb, end, na, err := parsePath(rest, c.Verb == VerbMAIL, c.Verb == VerbRCPT, p.Limits)
	if err != nil {
		return c, err
	}
	c.Arg, c.NonASCII = mb, na
	rest = rest[end:]
	if len(rest) > 0 {
		if rest[0] != ' ' {
			return c, ErrCommandSyntax
		}
		c.Params = trimSpace(rest)
	}
	return c, nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

func lookupVerb(b []byte) Verb {
	switch len(b) {
	case 4:
		// Fold to upper case in a register and switch on the 4 bytes.
		v := uint32(b[0]&^0x20)<<24 | uint32(b[1]&^0x20)<<16 | uint32(b[2]&^0x20)<<8 | uint32(b[3]&^0x20)
		for _, c := range b {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				return VerbUnknown
			}
		}
		switch v {
		case 'H'<<24 | 'E'<<16 | 'L'<<8 | 'O':
			return VerbHELO
		case 'E'<<24 | 'H'<<16 | 'L'<<8 | 'O':
			return VerbEHLO
		case 'L'<<24 | 'H'<<16 | 'L'<<8 | 'O':
			return VerbLHLO
		case 'M'<<24 | 'A'<<16 | 'I'<<8 | 'L':
			return VerbMAIL
		case 'R'<<24 | 'C'<<16 | 'P'<<8 | 'T':
			return VerbRCPT
		case 'D'<<24 | 'A'<<16 | 'T'<<8 | 'A':
			return VerbDATA
		case 'B'<<24 | 'D'<<16 | 'A'<<8 | 'T':
			return VerbBDAT
		case 'R'<<24 | 'S'<<16 | 'E'<<8 | 'T':
			return VerbRSET
		case 'V'<<24 | 'R'<<16 | 'F'<<8 | 'Y':
			return VerbVRFY
		case 'E'<<24 | 'X'<<16 | 'P'<<8 | 'N':
			return VerbEXPN
		case 'H'<<24 | 'E'<<16 | 'L'<<8 | 'P':
			return VerbHELP
		case 'N'<<24 | 'O'<<16 | 'O'<<8 | 'P':
			return VerbNOOP
		case 'Q'<<24 | 'U'<<16 | 'I'<<8 | 'T':
			return VerbQUIT
		case 'A'<<24 | 'U'<<16 | 'T'<<8 | 'H':
			return VerbAUTH
		}
	case 8:
		if equalFold(b, "STARTTLS") {
			return VerbSTARTTLS
		}
	}
	return VerbUnknown
}

// ParamIter walks ESMTP parameters (RFC 5321 4.1.2: esmtp-param =
// esmtp-keyword ["=" esmtp-value]) without allocating:
//
//	it := cmd.ParamIter()
//	for it.Next() {
//		use(it.Key(), it.Value())
//	}
//	if it.Err() != nil { ... }
type ParamIter struct {
	rest       []byte
	key, value []byte
	err        error
}

// Next advances to the next parameter, reporting false at the end or on
// a malformed parameter (see Err).
func (it *ParamIter) Next() bool {
	for len(it.rest) > 0 && it.rest[0] == ' ' {
		it.rest = it.rest[1:]
	}
	if len(it.rest) == 0 || it.err != nil {
		return false
	}
	n := 0
	for n < len(it.rest) && it.rest[n] != ' ' {
		n++
	}
	p := it.rest[:n]
	it.rest = it.rest[n:]
	eq := -1
	for i, c := range p {
		if c == '=' {
			eq = i
			break
		}
	}
	it.key, it.value = p, nil
	if eq >= 0 {
		it.key, it.value = p[:eq], p[eq+1:]
		// esmtp-value = 1*(%d33-60 / %d62-126), RFC 6531 adds UTF-8.
		if len(it.value) == 0 {
			it.err = ErrParamSyntax
			return false
		}
		for _, c := range it.value {
			if c < 33 || c == '=' || c == 127 {
				it.err = ErrParamSyntax
				return false
			}
		}
	}
	// esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
	if len(it.key) == 0 || !isLetDig(it.key[0]) {
		it.err = ErrParamSyntax
		return false
	}
	for _, c := range it.key {
		if !isLetDig(c) && c != '-' {
			it.err = ErrParamSyntax
			return false
		}
	}
	return true
}

// Key returns the current parameter's keyword, as sent (compare with
// case-insensitive equality).
func (it *ParamIter) Key() []byte { return it.key }

// Value returns the current parameter's value, nil if it has none.
func (it *ParamIter) Value() []byte { return it.value }

// Err returns the syntax error that stopped the iteration, if any.
func (it *ParamIter) Err() error { return it.err }
