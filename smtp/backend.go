package smtp

import (
	"context"
	"io"
)

// Backend makes a Session for each connection the Server accepts, and again
// after a successful STARTTLS (RFC 3207 4.2: the server forgets what it
// learnt from the client before TLS).
type Backend interface {
	// NewSession is called before the greeting. An error refuses the
	// connection: an *Error chooses the reply (default 421 4.3.2) and the
	// connection is closed.
	NewSession(ctx context.Context, c *Conn) (Session, error)
}

// Session is one SMTP conversation as the application sees it. The Server
// calls its methods from one goroutine, in protocol order. Errors choose
// the reply: an *Error (found with errors.As) is sent as is; any other
// error is answered with a 451 4.3.0 temporary failure, its text kept
// private.
//
// The ctx passed to every method is cancelled when the connection ends
// (or the Server is closed).
type Session interface {
	// Mail starts a transaction (RFC 5321 4.1.1.2). from is "" for the
	// null reverse-path. opts is valid only during the call.
	Mail(ctx context.Context, from string, opts *MailOptions) error
	// Rcpt adds a recipient (RFC 5321 4.1.1.3). opts is valid only during
	// the call.
	Rcpt(ctx context.Context, to string, opts *RcptOptions) error
	// Data receives the message (after DATA, or the BDAT chunks). r yields
	// the message with dot-stuffing removed and CRLF line endings; Data
	// should read r to io.EOF. If r returns an error (bare CR/LF, message
	// too large, connection failure), Data must not accept the message:
	// the Server replies with that error whatever Data returns. If Data
	// returns early, the Server discards the rest of the data itself.
	Data(ctx context.Context, r io.Reader) error
	// Reset aborts or ends the current transaction (RSET, EHLO, after
	// each message, and on failed transactions).
	Reset(ctx context.Context)
	// Logout is called once when the connection ends or is replaced after
	// STARTTLS.
	Logout(ctx context.Context) error
}

// Authenticator is an add-on interface for a Session that accepts AUTH
// (RFC 4954) with the PLAIN (RFC 4616) and LOGIN mechanisms. The Server
// offers AUTH only when the Session implements it and the connection is
// under TLS, or Server.AllowInsecureAuth is set.
type Authenticator interface {
	// Auth checks credentials. identity is the PLAIN authorization
	// identity ("" if absent or LOGIN). A nil error authenticates the
	// connection; an *Error chooses the reply (default 535 5.7.8).
	Auth(ctx context.Context, mechanism, identity, username, password string) error
}

// LMTPSession is an add-on interface for a Session used in LMTP mode
// (RFC 2033 4.2): DataLMTP stores one result per accepted recipient, in
// the order they were accepted, in results (nil means delivered). A
// non-nil return value applies to every recipient. A Session without it
// gets Data's result repeated for every recipient.
type LMTPSession interface {
	DataLMTP(ctx context.Context, r io.Reader, results []error) error
}

// Body is the BODY parameter of MAIL (RFC 6152).
type Body uint8

// Body types.
const (
	BodyUnspecified Body = iota
	Body7Bit             // BODY=7BIT
	Body8BitMIME         // BODY=8BITMIME (RFC 6152)
)

// DSNReturn is the RET parameter of MAIL (RFC 3461 4.3).
type DSNReturn uint8

// DSN return values.
const (
	ReturnUnspecified DSNReturn = iota
	ReturnFull                  // RET=FULL
	ReturnHeaders               // RET=HDRS
)

// MailOptions carries the MAIL parameters.
type MailOptions struct {
	Body Body
	// Size is the SIZE parameter (RFC 1870), 0 if absent.
	Size int64
	// UTF8 is the SMTPUTF8 parameter (RFC 6531 3.4).
	UTF8 bool
	// Return is the DSN RET parameter (RFC 3461 4.3).
	Return DSNReturn
	// EnvelopeID is the decoded DSN ENVID parameter (RFC 3461 4.4).
	EnvelopeID string
	// Auth is the decoded AUTH parameter (RFC 4954 5), "<>" if the sender
	// said the submitter is unknown, "" if absent.
	Auth string
}

// DSNNotify is the NOTIFY parameter of RCPT (RFC 3461 4.1), a set of flags.
type DSNNotify uint8

// NOTIFY flags. NotifyNever excludes the others.
const (
	NotifyNever DSNNotify = 1 << iota
	NotifySuccess
	NotifyFailure
	NotifyDelay
)

// RcptOptions carries the RCPT parameters.
type RcptOptions struct {
	// Notify is the DSN NOTIFY parameter (RFC 3461 4.1), 0 if absent.
	Notify DSNNotify
	// OriginalRecipientType and OriginalRecipient are the DSN ORCPT
	// parameter (RFC 3461 4.2): the address type (e.g. "rfc822") and the
	// decoded address, "" if absent.
	OriginalRecipientType string
	OriginalRecipient     string
}
