package mailqueue

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"strings"
	"time"
)

// ID names one queued message. The queue assigns it at Enqueue from a
// random source; it prints as 16 lowercase hex digits, like a Postfix
// queue ID.
type ID uint64

// String returns the ID as 16 hex digits.
func (id ID) String() string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(id))
	return hex.EncodeToString(b[:])
}

// ParseID parses the form ID.String returns.
func ParseID(s string) (ID, error) {
	if len(s) != 16 {
		return 0, ErrBadID
	}
	var b [8]byte
	if _, err := hex.Decode(b[:], []byte(s)); err != nil {
		return 0, ErrBadID
	}
	return ID(binary.BigEndian.Uint64(b[:])), nil
}

// newID returns a random nonzero ID. IDs need to be unique, not secret:
// math/rand/v2's generator (ChaCha8, seeded from the system per thread)
// gives that without the getrandom(2) call per message that crypto/rand
// costs (3.5% of the relay's CPU under load). The store refuses a
// duplicate and enqueue then draws another.
func newID() ID {
	for {
		if id := ID(rand.Uint64()); id != 0 {
			return id
		}
	}
}

// Ret is the RFC 3461 4.3 RET parameter of MAIL FROM: how much of the
// message a delivery status notification returns.
type Ret uint8

const (
	RetUnspecified Ret = iota // no RET given: the queue returns headers only
	RetFull                   // RET=FULL: the whole message, within Config.BounceReturnLimit
	RetHdrs                   // RET=HDRS: the header section only
)

// Notify holds the RFC 3461 4.1 NOTIFY parameter of one RCPT TO.
type Notify uint8

const (
	// NotifyDefault (zero) means no NOTIFY was given; RFC 3461 4.1 then
	// lets the MTA send a report on failure, which this queue does, and
	// a delay warning when Config.DelayWarning is set.
	NotifyDefault Notify = 0
	NotifyNever   Notify = 1 << 0 // NOTIFY=NEVER
	NotifySuccess Notify = 1 << 1 // NOTIFY=SUCCESS (recorded, not acted on: see package doc)
	NotifyFailure Notify = 1 << 2 // NOTIFY=FAILURE
	NotifyDelay   Notify = 1 << 3 // NOTIFY=DELAY
)

func (n Notify) wantsFailure() bool { return n == NotifyDefault || n&NotifyFailure != 0 }
func (n Notify) wantsDelay() bool   { return n == NotifyDefault || n&NotifyDelay != 0 }

// Recipient is one forward-path with its DSN parameters.
type Recipient struct {
	// Addr is the mailbox, local-part@domain, without angle brackets.
	Addr string
	// Notify is the RFC 3461 NOTIFY parameter.
	Notify Notify
	// ORCPT is the RFC 3461 4.2 original recipient, as given
	// ("rfc822;bob@example.org"); empty when absent.
	ORCPT string
}

// Domain returns the part of Addr after the last '@', lower-cased.
func (r Recipient) Domain() string { return addrDomain(r.Addr) }

func addrDomain(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	d := strings.ToLower(addr[i+1:])
	return strings.TrimSuffix(d, ".")
}

// Envelope is what the SMTP transaction said about a message: the
// reverse-path, the forward-paths, and the RFC 3461 parameters.
type Envelope struct {
	// From is the reverse-path without angle brackets; empty for the null
	// reverse-path "<>" (a bounce), which never causes a bounce itself.
	From string
	// Recipients are the forward-paths; at least one is required.
	Recipients []Recipient
	// Ret and EnvID are the RFC 3461 4.3 and 4.4 MAIL FROM parameters.
	Ret   Ret
	EnvID string
	// SMTPUTF8 and EightBitMIME record whether the message needs those
	// extensions of the receiving server (RFC 6531, RFC 6152).
	SMTPUTF8     bool
	EightBitMIME bool
}

func (e *Envelope) validate() error {
	if len(e.Recipients) == 0 {
		return ErrNoRecipients
	}
	if len(e.Recipients) > maxRecipients {
		return ErrTooManyRecipients
	}
	if badPath(e.From) {
		return &PathError{Path: e.From}
	}
	for _, r := range e.Recipients {
		if r.Addr == "" || badPath(r.Addr) || r.Domain() == "" {
			return &PathError{Path: r.Addr}
		}
		if len(r.ORCPT) > 500 || strings.ContainsAny(r.ORCPT, "\r\n") {
			return &PathError{Path: r.ORCPT}
		}
	}
	if len(e.EnvID) > 100 || strings.ContainsAny(e.EnvID, "\r\n") {
		return &PathError{Path: e.EnvID}
	}
	return nil
}

// badPath reports a path the queue refuses to carry: longer than RFC 5321
// 4.5.3.1.3 allows (256 octets), or with characters that would break the
// SMTP command line it becomes.
func badPath(p string) bool {
	return len(p) > 256 || strings.ContainsAny(p, "\r\n<> \t\x00")
}

// maxRecipients bounds one message; RFC 5321 4.5.3.1.8 asks servers to
// accept at least 100 per transaction, and the queue splits nothing, so a
// generous cap that keeps one record bounded is enough.
const maxRecipients = 10000

// Status is a recipient's delivery state.
type Status uint8

const (
	StatusPending   Status = iota // not yet delivered; will be retried
	StatusDelivered               // a server accepted it (2xx after DATA)
	StatusFailed                  // failed for good (5xx, null MX, or expired)
)

// String returns "pending", "delivered" or "failed".
func (s Status) String() string {
	switch s {
	case StatusPending:
		return "pending"
	case StatusDelivered:
		return "delivered"
	case StatusFailed:
		return "failed"
	}
	return "unknown"
}

// RcptState is what the queue knows about one recipient.
type RcptState struct {
	Status Status
	// Reply is the last reply or error for this recipient: an SMTP reply
	// ("550 5.1.1 no such user"), or the queue's own diagnosis of a DNS or
	// network failure.
	Reply string
	// Enhanced is the RFC 3463 status code ("5.1.1") for Reply, when known.
	Enhanced string
	// RemoteMTA is the host that gave Reply, when one did.
	RemoteMTA string
	// Updated is when this state last changed.
	Updated time.Time
}

// State is the mutable part of a queued message: it changes after each
// attempt and is persisted through Store.Update.
type State struct {
	// Created is when the message was enqueued.
	Created time.Time
	// NextAttempt is when the queue tries again. It is persisted before
	// each attempt, so a crash during an attempt delays the retry instead
	// of repeating it at once.
	NextAttempt time.Time
	// Attempts counts started delivery attempts.
	Attempts int
	// Held messages are not attempted until released.
	Held bool
	// Warned records that a delay warning was sent.
	Warned bool
	// Rcpts parallels Envelope.Recipients.
	Rcpts []RcptState
}

func (s *State) clone() State {
	c := *s
	c.Rcpts = append([]RcptState(nil), s.Rcpts...)
	return c
}

func (s *State) pending() int {
	n := 0
	for _, r := range s.Rcpts {
		if r.Status == StatusPending {
			n++
		}
	}
	return n
}

// Message is one stored message: its envelope, its state and its content.
type Message struct {
	ID       ID
	Envelope Envelope
	State    State
	// Body is the message content (RFC 5322 header section, empty line,
	// body), with CRLF line endings, not dot-stuffed.
	Body []byte
}

// Errors the queue returns. Store implementations return ErrNotFound for
// an unknown ID.
var (
	ErrClosed            = errors.New("mailqueue: queue is shut down")
	ErrNotFound          = errors.New("mailqueue: no such message")
	ErrNoRecipients      = errors.New("mailqueue: envelope has no recipients")
	ErrTooManyRecipients = errors.New("mailqueue: envelope has too many recipients")
	ErrTooLarge          = errors.New("mailqueue: message too large")
	ErrBadID             = errors.New("mailqueue: malformed queue ID")
	ErrCorrupt           = errors.New("mailqueue: corrupt spool data")
)

// PathError reports an envelope path the queue refuses.
type PathError struct{ Path string }

func (e *PathError) Error() string { return "mailqueue: invalid envelope path " + quote(e.Path) }

func quote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return "\"" + strings.ToValidUTF8(s, "?") + "\""
}
