package rfc5322

import (
	"errors"
	"strconv"
)

// Sentinel errors. Every error returned by this package wraps one of them,
// so callers branch with errors.Is; the structured types below add where.
var (
	// Header block limits (see Parser).
	ErrHeaderTooLarge = errors.New("rfc5322: header block exceeds the size limit")
	ErrTooManyFields  = errors.New("rfc5322: header has more fields than the limit")
	ErrFieldTooLong   = errors.New("rfc5322: header field exceeds the length limit")

	// ErrMalformedHeader: a line in the header block is not a field
	// (no colon, an invalid field name, or a continuation line with no
	// field before it).
	ErrMalformedHeader = errors.New("rfc5322: malformed header field")

	// ErrLineTooLong: writing would produce a line longer than 998
	// octets (RFC 5322 2.1.1) and the field cannot be folded shorter.
	ErrLineTooLong = errors.New("rfc5322: line longer than 998 octets")

	// ErrInvalidFieldName and ErrInvalidFieldValue: a field given to the
	// writer has a name outside ftext (RFC 5322 3.6.8) or a value holding
	// CR, LF or NUL (which would inject lines into the header).
	ErrInvalidFieldName  = errors.New("rfc5322: invalid header field name")
	ErrInvalidFieldValue = errors.New("rfc5322: invalid header field value")

	// Structured field syntax.
	ErrInvalidAddress     = errors.New("rfc5322: invalid address")
	ErrInvalidDate        = errors.New("rfc5322: invalid date-time")
	ErrInvalidMsgID       = errors.New("rfc5322: invalid msg-id")
	ErrInvalidUTF8        = errors.New("rfc5322: invalid UTF-8")
	ErrInvalidEncodedWord = errors.New("rfc5322: invalid RFC 2047 encoded-word")

	// ErrUnknownCharset: an encoded-word names a charset this package
	// cannot decode; the raw word was kept in the result.
	ErrUnknownCharset = errors.New("rfc5322: unknown charset in encoded-word")

	// Validation (RFC 5322 3.6).
	ErrMissingFrom    = errors.New("rfc5322: missing From field")
	ErrMissingDate    = errors.New("rfc5322: missing Date field")
	ErrRepeatedField  = errors.New("rfc5322: field may occur at most once")
	ErrSenderRequired = errors.New("rfc5322: From has several mailboxes but there is no Sender")
	ErrMalformedField = errors.New("rfc5322: malformed structured field")
	ErrBareLineEnd    = errors.New("rfc5322: bare CR or LF in header")

	// ErrNoRecipient: the Builder has no To, Cc or Bcc address.
	ErrNoRecipient = errors.New("rfc5322: message has no recipient")
)

// A ParseError says where in its input a parser failed. Err is one of the
// sentinels above.
type ParseError struct {
	What   string // "header", "address", "date", "msg-id", "encoded-word"
	Offset int    // byte offset in the input where the problem was found
	Msg    string // detail, may be empty
	Err    error
}

func (e *ParseError) Error() string {
	s := "rfc5322: " + e.What + " at offset " + strconv.Itoa(e.Offset)
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	if e.Err != nil {
		s += " (" + e.Err.Error() + ")"
	}
	return s
}

func (e *ParseError) Unwrap() error { return e.Err }

// A FieldError ties a problem to a header field, by name. Validate and the
// writer return them.
type FieldError struct {
	Field string // field name as written
	Index int    // index of the field in the header, -1 if not applicable
	Err   error
}

func (e *FieldError) Error() string {
	return "rfc5322: field " + strconv.Quote(e.Field) + ": " + e.Err.Error()
}

func (e *FieldError) Unwrap() error { return e.Err }

// A CharsetError reports an encoded-word whose charset is unknown. The
// decoded text holds the raw word in its place, so the result is still
// usable; callers that do not care can ignore an error that
// errors.Is(err, ErrUnknownCharset).
type CharsetError struct {
	Charset string
}

func (e *CharsetError) Error() string {
	return "rfc5322: unknown charset " + strconv.Quote(e.Charset) + " in encoded-word"
}

func (e *CharsetError) Unwrap() error { return ErrUnknownCharset }

// ValidationError lists every problem Validate found, each a *FieldError
// or a sentinel. errors.Is works through it.
type ValidationError struct {
	Problems []error
}

func (e *ValidationError) Error() string {
	s := "rfc5322: invalid message:"
	for i, p := range e.Problems {
		if i > 0 {
			s += ";"
		}
		s += " " + p.Error()
	}
	return s
}

func (e *ValidationError) Unwrap() []error { return e.Problems }
