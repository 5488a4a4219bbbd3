package dnswire

import "strconv"

// Error is the type of the package's sentinel errors. Sentinels are
// constants, so no caller can change them; compare with errors.Is.
type Error string

func (e Error) Error() string { return string(e) }

// Sentinel errors. Every decoding error is a *ParseError that wraps one of
// these, so errors.Is(err, ErrTruncated) works on anything the package
// returns.
const (
	// ErrTruncated: the message ends inside a header, name or record.
	ErrTruncated Error = "dnswire: message truncated"
	// ErrTrailingBytes: bytes remain after the last record the counts claim.
	ErrTrailingBytes Error = "dnswire: trailing bytes after message"
	// ErrLabelTooLong: a label is longer than 63 octets (RFC 1035 2.3.4).
	ErrLabelTooLong Error = "dnswire: label longer than 63 octets"
	// ErrNameTooLong: a name is longer than 255 octets in wire form
	// (RFC 1035 2.3.4).
	ErrNameTooLong Error = "dnswire: name longer than 255 octets"
	// ErrEmptyLabel: a name in text has an empty label ("a..b").
	ErrEmptyLabel Error = "dnswire: empty label"
	// ErrBadPointer: a compression pointer does not point backwards to an
	// earlier name (RFC 1035 4.1.4), which also rules out loops.
	ErrBadPointer Error = "dnswire: bad compression pointer"
	// ErrPointerIntoHeader: a compression pointer points into the 12-octet
	// header, where no name can be (RFC 1035 4.1.1, 4.1.4).
	ErrPointerIntoHeader Error = "dnswire: compression pointer into the header"
	// ErrBadLabelType: a label starts with the reserved bits 01 or 10
	// (RFC 1035 4.1.4, RFC 6891 5).
	ErrBadLabelType Error = "dnswire: reserved label type"
	// ErrBadRDLength: record data is shorter or longer than its RDLENGTH
	// says, or RDLENGTH runs past the end of the message.
	ErrBadRDLength Error = "dnswire: record data does not match RDLENGTH"
	// ErrCountTooLarge: a section count claims more entries than the bytes
	// left could possibly hold.
	ErrCountTooLarge Error = "dnswire: section count exceeds message size"
	// ErrSectionDone: the section being read has no more entries. Not a
	// fault: the Parser returns it bare, not wrapped in a ParseError.
	ErrSectionDone Error = "dnswire: section done"
	// ErrSectionOrder: a Parser or Builder call asks for a section that
	// was already passed.
	ErrSectionOrder Error = "dnswire: sections out of order"
	// ErrWrongType: a typed record accessor was called on a record of
	// another type, or an RR's Data does not match its Type.
	ErrWrongType Error = "dnswire: wrong record type"
	// ErrNoRecord: a record data accessor was called with no record header
	// read, or after the data was already consumed.
	ErrNoRecord Error = "dnswire: no record header read"
	// ErrRelativeName: a relative name (no trailing dot) was given where
	// an absolute one is needed; relative names are never cut or completed
	// silently.
	ErrRelativeName Error = "dnswire: relative name where absolute needed"
	// ErrMessageTooLarge: the message would exceed 65535 octets, or a
	// record alone exceeds the Builder's size limit.
	ErrMessageTooLarge Error = "dnswire: message too large"
	// ErrTooManyRecords: a section would hold more than 65535 entries.
	ErrTooManyRecords Error = "dnswire: more than 65535 entries in a section"
	// ErrBadOPT: an OPT record is malformed, misplaced (not in the
	// additional section, owner not the root) or repeated (RFC 6891 6.1.1).
	ErrBadOPT Error = "dnswire: bad OPT record"
	// ErrBadRData: record data is malformed for its type (e.g. a TXT
	// string overruns RDLENGTH, a CAA tag is empty).
	ErrBadRData Error = "dnswire: malformed record data"
	// ErrExtendedRCode: an RCODE above 15 needs an EDNS0 OPT record to
	// carry its upper bits (RFC 6891 6.1.3).
	ErrExtendedRCode Error = "dnswire: extended RCODE without EDNS"
	// ErrSyntax: presentation (zone-file) text does not parse.
	ErrSyntax Error = "dnswire: syntax error"
	// ErrStringTooLong: a character-string is longer than 255 octets
	// (RFC 1035 3.3).
	ErrStringTooLong Error = "dnswire: character-string longer than 255 octets"
	// ErrNotStarted: a Builder or Parser method was called before Start.
	ErrNotStarted Error = "dnswire: not started"
)

// NameError reports a name that could not be written, such as a relative
// name given to a Builder; it names the name.
type NameError struct {
	Name Name
	Err  error
}

func (e *NameError) Error() string {
	return e.Err.Error() + ": " + e.Name.String()
}

// Unwrap returns the sentinel.
func (e *NameError) Unwrap() error { return e.Err }

// ParseError describes where decoding failed: the section, the index of the
// entry within it (-1 for the header) and the byte offset in the message.
// Err is one of the sentinel errors above.
type ParseError struct {
	Section Section
	Index   int
	Offset  int
	Err     error
}

func (e *ParseError) Error() string {
	s := "dnswire: " + e.Section.String()
	if e.Index >= 0 {
		s += " entry " + strconv.Itoa(e.Index)
	}
	s += " at offset " + strconv.Itoa(e.Offset) + ": "
	msg := e.Err.Error()
	if len(msg) > 9 && msg[:9] == "dnswire: " {
		msg = msg[9:]
	}
	return s + msg
}

// Unwrap returns the sentinel error.
func (e *ParseError) Unwrap() error { return e.Err }

// SyntaxError reports a problem in presentation text: the line number (1
// based, 0 when parsing a single line without a file), the file name if any,
// and the offending token.
type SyntaxError struct {
	File  string
	Line  int
	Token string
	Err   error
}

func (e *SyntaxError) Error() string {
	s := "dnswire: "
	if e.File != "" {
		s += e.File + ":"
	}
	if e.Line > 0 {
		s += strconv.Itoa(e.Line) + ": "
	}
	msg := e.Err.Error()
	if len(msg) > 9 && msg[:9] == "dnswire: " {
		msg = msg[9:]
	}
	s += msg
	if e.Token != "" {
		s += " near " + strconv.Quote(e.Token)
	}
	return s
}

// Unwrap returns the underlying error (usually ErrSyntax or a name error).
func (e *SyntaxError) Unwrap() error { return e.Err }
