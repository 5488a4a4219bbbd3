package smtp

import (
	"strconv"
)

// sentinel is an immutable error value: the exported Err* constants below
// cannot be reassigned or mutated by other packages (CONVENTIONS.md 7).
type sentinel string

func (e sentinel) Error() string { return string(e) }

// Sentinel errors that callers branch on with errors.Is.
const (
	// ErrLineTooLong: a command, reply or text line exceeded its limit
	// (RFC 5321 4.5.3.1.4-6).
	ErrLineTooLong = sentinel("smtp: line too long")
	// ErrBareLineEnding: a CR or LF that is not part of a CRLF pair in a
	// command line or in message data (the SMTP smuggling vector).
	ErrBareLineEnding = sentinel("smtp: bare CR or LF")
	// ErrMessageTooLarge: message data exceeded the size limit (RFC 1870).
	ErrMessageTooLarge = sentinel("smtp: message too large")
	// ErrCommandSyntax: a command line could not be parsed.
	ErrCommandSyntax = sentinel("smtp: command syntax error")
	// ErrPathSyntax: a reverse-path or forward-path is not valid under
	// RFC 5321 4.1.2 (or RFC 6531 when SMTPUTF8 is in use).
	ErrPathSyntax = sentinel("smtp: invalid path")
	// ErrPathTooLong: a path, local part or domain exceeded RFC 5321
	// 4.5.3.1.1-3.
	ErrPathTooLong = sentinel("smtp: path too long")
	// ErrParamSyntax: an ESMTP parameter is malformed, unknown or repeated.
	ErrParamSyntax = sentinel("smtp: invalid ESMTP parameter")
	// ErrReplySyntax: a reply line is malformed (RFC 5321 4.2).
	ErrReplySyntax = sentinel("smtp: malformed reply")
	// ErrXtextSyntax: an xtext string is malformed (RFC 3461 4).
	ErrXtextSyntax = sentinel("smtp: malformed xtext")
	// ErrServerClosed is returned by Serve after Close or Shutdown.
	ErrServerClosed = sentinel("smtp: server closed")
	// ErrClientClosed: the Client's connection is closed or broken.
	ErrClientClosed = sentinel("smtp: client connection closed")
	// ErrInsecureAuth: the Client refused to send credentials over a
	// plaintext connection to a host that is not on loopback.
	ErrInsecureAuth = sentinel("smtp: refusing to authenticate over plaintext")
	// ErrNotSupported: the server does not offer the extension needed.
	ErrNotSupported = sentinel("smtp: extension not supported by server")
	// ErrInvalidInput: a value given to the Client would break the
	// protocol (CR, LF or other control characters, an invalid address).
	ErrInvalidInput = sentinel("smtp: invalid input")
)

// EnhancedCode is an RFC 3463 enhanced status code class.subject.detail.
// The zero value means "no enhanced code".
type EnhancedCode struct {
	Class, Subject, Detail uint16
}

// IsZero reports whether e carries no enhanced code.
func (e EnhancedCode) IsZero() bool { return e == EnhancedCode{} }

// String returns e as "class.subject.detail", or "" for the zero value.
func (e EnhancedCode) String() string {
	if e.IsZero() {
		return ""
	}
	return string(e.AppendText(nil))
}

// AppendText appends "class.subject.detail" to dst.
func (e EnhancedCode) AppendText(dst []byte) []byte {
	dst = strconv.AppendUint(dst, uint64(e.Class), 10)
	dst = append(dst, '.')
	dst = strconv.AppendUint(dst, uint64(e.Subject), 10)
	dst = append(dst, '.')
	return strconv.AppendUint(dst, uint64(e.Detail), 10)
}

// Error is an SMTP reply that reports failure, returned by the Client for
// 4xx and 5xx replies and accepted from a Session to choose the reply the
// Server sends.
type Error struct {
	Code      int          // reply code, 400-599
	Enhanced  EnhancedCode // RFC 3463 code, zero if none
	Message   string       // reply text; lines joined by "\n"
	Permanent bool         // true for 5xx: retrying the same thing will fail again
	// Err is the underlying cause, if any (returned by Unwrap).
	Err error
}

// NewError returns an *Error with Permanent set from code.
func NewError(code int, enh EnhancedCode, msg string) *Error {
	return &Error{Code: code, Enhanced: enh, Message: msg, Permanent: code >= 500}
}

func (e *Error) Error() string {
	b := make([]byte, 0, 16+len(e.Message))
	b = append(b, "smtp: "...)
	b = strconv.AppendInt(b, int64(e.Code), 10)
	if !e.Enhanced.IsZero() {
		b = append(b, ' ')
		b = e.Enhanced.AppendText(b)
	}
	if e.Message != "" {
		b = append(b, ' ')
		b = append(b, e.Message...)
	}
	return string(b)
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether the failure is transient (a 4xx reply).
func (e *Error) Temporary() bool { return !e.Permanent }
