package pop3

// sentinel is an immutable error value (CONVENTIONS.md 7).
type sentinel string

func (e sentinel) Error() string { return string(e) }

// Sentinel errors that callers branch on with errors.Is.
const (
	// ErrLineTooLong: a command or response line exceeded its limit.
	ErrLineTooLong = sentinel("pop3: line too long")
	// ErrCommandSyntax: a command line could not be parsed.
	ErrCommandSyntax = sentinel("pop3: command syntax error")
	// ErrResponseSyntax: a response line is neither +OK nor -ERR.
	ErrResponseSyntax = sentinel("pop3: malformed response")
	// ErrServerClosed is returned by Serve after Close or Shutdown.
	ErrServerClosed = sentinel("pop3: server closed")
	// ErrInUse: the maildrop is locked by another session. A Backend
	// returns it (or wraps it) to have the server answer [IN-USE].
	ErrInUse = sentinel("pop3: maildrop in use")
	// ErrAuthFailed: wrong user name or password. An Authenticator
	// returns it (or wraps it); other errors are answered [SYS/TEMP].
	ErrAuthFailed = sentinel("pop3: authentication failed")
	// ErrNotSupported: the server does not offer what the Client needs.
	ErrNotSupported = sentinel("pop3: not supported by server")
	// ErrInsecureAuth: the Client refused to send a password over a
	// plaintext connection to a host not on loopback.
	ErrInsecureAuth = sentinel("pop3: refusing to send a password over plaintext")
	// ErrClientClosed: the Client's connection is closed or broken.
	ErrClientClosed = sentinel("pop3: client connection closed")
)

// Error is a -ERR response the Client received.
type Error struct {
	// Code is the RFC 2449 response code without brackets ("AUTH",
	// "IN-USE", "SYS/TEMP"), or "".
	Code string
	// Message is the rest of the response line.
	Message string
}

func (e *Error) Error() string {
	if e.Code != "" {
		return "pop3: -ERR [" + e.Code + "] " + e.Message
	}
	return "pop3: -ERR " + e.Message
}

// Is makes errors.Is(err, ErrInUse) and errors.Is(err, ErrAuthFailed)
// hold for the matching response codes.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrInUse:
		return e.Code == "IN-USE"
	case ErrAuthFailed:
		return e.Code == "AUTH"
	}
	return false
}
