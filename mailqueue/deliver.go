package mailqueue

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
)

// Deliverer carries one SMTP transaction to one server. The queue calls
// it from many goroutines at once; an implementation may keep connections
// open between calls and reuse them for later transactions to the same
// address (the default, SMTPDeliverer, does).
type Deliverer interface {
	// Deliver sends txn to the server at t. On success (the transaction
	// reached the end of DATA, or every recipient was refused) it returns
	// one Reply per txn.Recipients entry: the DATA reply for an accepted
	// recipient, the RCPT reply for a refused one. When the transaction
	// failed as a whole (no connection, a bad greeting, MAIL or DATA
	// refused, the connection lost) it returns an error, ideally a
	// *DeliveryError, and the queue tries the next address or defers.
	Deliver(ctx context.Context, t Target, txn *Transaction) ([]Reply, error)
}

// Target is where one transaction goes.
type Target struct {
	Domain string         // the recipients' domain
	Host   string         // the MX host name (or the domain, for an implicit MX)
	Addr   netip.AddrPort // the address to connect to
}

// Transaction is one message for some recipients of one domain.
type Transaction struct {
	ID           ID
	From         string      // reverse-path; "" for "<>"
	Recipients   []Recipient // the recipients still pending, all of Target.Domain
	Ret          Ret
	EnvID        string
	SMTPUTF8     bool
	EightBitMIME bool
	Body         []byte // CRLF line endings, not dot-stuffed
}

// Reply is an SMTP reply as the queue records it.
type Reply struct {
	Code     int    // 250, 451, 550...; 0 when no server replied
	Enhanced string // RFC 3463 code such as "5.1.1", when given
	Text     string
}

// String formats the reply as "code enhanced text".
func (r Reply) String() string {
	s := ""
	if r.Code != 0 {
		s = strconv.Itoa(r.Code) + " "
	}
	if r.Enhanced != "" {
		s += r.Enhanced + " "
	}
	return s + r.Text
}

// Permanent reports a 5xx reply.
func (r Reply) Permanent() bool { return r.Code >= 500 && r.Code < 600 }

// Success reports a 2xx reply.
func (r Reply) Success() bool { return r.Code >= 200 && r.Code < 300 }

// Stage names the step of a transaction where a DeliveryError happened.
type Stage uint8

const (
	StageConnect Stage = iota // dialling, the greeting, EHLO, STARTTLS
	StageMail                 // MAIL FROM
	StageRcpt                 // every RCPT TO refused or the session lost during RCPT
	StageData                 // DATA, the content, or the final reply
)

// String names the stage ("connect", "MAIL", "RCPT", "DATA").
func (s Stage) String() string {
	switch s {
	case StageConnect:
		return "connect"
	case StageMail:
		return "MAIL"
	case StageRcpt:
		return "RCPT"
	case StageData:
		return "DATA"
	}
	return "unknown"
}

// DeliveryError is a transaction that failed as a whole.
type DeliveryError struct {
	Stage Stage
	// Reply is the server's reply; Reply.Code is 0 for a network error.
	Reply Reply
	// Err is the underlying error, if any.
	Err error
}

// Error implements error.
func (e *DeliveryError) Error() string {
	if e.Reply.Code != 0 {
		return fmt.Sprintf("mailqueue: delivery failed at %s: %s", e.Stage, e.Reply)
	}
	return fmt.Sprintf("mailqueue: delivery failed at %s: %v", e.Stage, e.Err)
}

func (e *DeliveryError) Unwrap() error { return e.Err }

// asDeliveryError turns any error from a Deliverer into a DeliveryError;
// an error of unknown kind counts as a network failure at connect.
func asDeliveryError(err error) *DeliveryError {
	var de *DeliveryError
	if errors.As(err, &de) {
		return de
	}
	return &DeliveryError{Stage: StageConnect, Err: err, Reply: Reply{Text: err.Error()}}
}

// DelivererFunc adapts a function to the Deliverer interface.
type DelivererFunc func(ctx context.Context, t Target, txn *Transaction) ([]Reply, error)

// Deliver calls f.
func (f DelivererFunc) Deliver(ctx context.Context, t Target, txn *Transaction) ([]Reply, error) {
	return f(ctx, t, txn)
}
