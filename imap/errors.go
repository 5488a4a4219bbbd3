package imap

import (
	"strconv"
)

// sentinel is an immutable error value: the exported Err* constants cannot
// be reassigned by other packages (CONVENTIONS.md 7).
type sentinel string

func (e sentinel) Error() string { return string(e) }

// Sentinel errors that callers branch on with errors.Is.
const (
	// ErrSyntax: a command or response does not follow the RFC 9051 9
	// grammar.
	ErrSyntax = sentinel("imap: syntax error")
	// ErrLineTooLong: a command line (literals excluded) exceeded
	// Limits.MaxLine.
	ErrLineTooLong = sentinel("imap: line too long")
	// ErrLiteralTooLarge: a literal exceeded the limit for its place.
	ErrLiteralTooLarge = sentinel("imap: literal too large")
	// ErrTooComplex: a sequence set, search program or list exceeded a
	// Limits bound (ranges, nesting depth, keys, list items).
	ErrTooComplex = sentinel("imap: command too complex")
	// ErrUnknownCommand: the command name is not one this package knows.
	ErrUnknownCommand = sentinel("imap: unknown command")
	// ErrLiteralRefused: the caller's Decoder.Continue hook refused a
	// synchronizing literal; the client has not sent its octets.
	ErrLiteralRefused = sentinel("imap: literal refused")
	// ErrServerClosed is returned by Serve after Close or Shutdown.
	ErrServerClosed = sentinel("imap: server closed")
)

// SyntaxError says where in a command line the grammar broke: the octet
// offset (literal octets counted) and what was expected. It wraps one of
// the sentinels above.
type SyntaxError struct {
	Offset int64
	Want   string
	Err    error
}

func (e *SyntaxError) Error() string {
	s := e.Err.Error() + " at octet " + strconv.FormatInt(e.Offset, 10)
	if e.Want != "" {
		s += ": want " + e.Want
	}
	return s
}

// Unwrap returns the sentinel.
func (e *SyntaxError) Unwrap() error { return e.Err }
