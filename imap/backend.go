package imap

import (
	"context"
	"io"
	"net/netip"
	"time"
)

// Backend errors a store returns so the server can answer with the right
// response code (RFC 5530).
const (
	// ErrAuthFailed: wrong user name or password ([AUTHENTICATIONFAILED]).
	ErrAuthFailed = sentinel("imap: authentication failed")
	// ErrNoMailbox: the mailbox does not exist ([NONEXISTENT]).
	ErrNoMailbox = sentinel("imap: no such mailbox")
	// ErrMailboxExists: CREATE or RENAME onto an existing name
	// ([ALREADYEXISTS]).
	ErrMailboxExists = sentinel("imap: mailbox already exists")
	// ErrOverQuota: the store refused for quota ([OVERQUOTA]).
	ErrOverQuota = sentinel("imap: over quota")
)

// ConnInfo describes the client for Backend.Login.
type ConnInfo struct {
	Remote netip.AddrPort
	TLS    bool
}

// Backend authenticates users and hands out their stores. The server
// calls it from one goroutine per connection.
type Backend interface {
	// Login checks a user name and password; it returns ErrAuthFailed
	// (possibly wrapped) for wrong credentials.
	Login(ctx context.Context, c ConnInfo, user, password string) (User, error)
}

// MailboxInfo is one mailbox in a LIST answer. Attributes are sent as
// given (e.g. \Sent, \Trash, \Noselect, \HasNoChildren).
type MailboxInfo struct {
	Name       string
	Attributes []string
	Subscribed bool
}

// User is one logged-in user's view of the store.
type User interface {
	// Mailboxes lists every mailbox, INBOX included, with "/" as the
	// hierarchy delimiter.
	Mailboxes(ctx context.Context) ([]MailboxInfo, error)
	// Select opens a mailbox for SELECT (readOnly false) or EXAMINE.
	Select(ctx context.Context, name string, readOnly bool) (Mailbox, error)
	Create(ctx context.Context, name string) error
	Delete(ctx context.Context, name string) error
	Rename(ctx context.Context, from, to string) error
	SetSubscribed(ctx context.Context, name string, on bool) error
	// Append stores a message read from r (exactly size octets) and
	// returns the destination's UIDVALIDITY and the new UID (RFC 4315
	// APPENDUID).
	Append(ctx context.Context, name string, flags []string, date time.Time, r io.Reader, size int64) (uidValidity, uid uint32, err error)
	// Logout ends the user's session.
	Logout(ctx context.Context) error
}

// Message is what the server knows of one message without reading it.
type Message struct {
	UID          uint32
	Flags        []string
	Size         int64
	InternalDate time.Time
	ModSeq       uint64 // RFC 7162; 0 when the store keeps none
}

// Snapshot is the state of a selected mailbox at one moment: its
// messages in ascending UID order (message sequence number i+1 is
// Messages[i]).
//
// HighestModSeq 0 means the store keeps no modification sequences: the
// server then answers CONDSTORE clients with NOMODSEQ (RFC 7162 3.1.2.2).
// PermanentFlags lists the flags the store keeps; nil means the five
// system flags and any keyword (\*).
//
// Keywords lists the keywords defined in the mailbox (RFC 9051 7.3.5:
// listed in FLAGS, and in PERMANENTFLAGS when that is nil).
type Snapshot struct {
	UIDValidity    uint32
	UIDNext        uint32
	HighestModSeq  uint64
	Messages       []Message
	PermanentFlags []string
	Keywords       []string
}

// Mailbox is a selected mailbox.
type Mailbox interface {
	// Snapshot returns the mailbox as it is now. The server diffs
	// successive snapshots to tell the client about new, expunged and
	// changed messages (RFC 9051 7.4.1, 7.5.1). The server only reads
	// Messages (and their Flags): it never changes an element or
	// appends in place, so a store may return the same array in
	// successive snapshots, each cut to its length (s[:n:n]), and
	// append to it for the next. A store must not change elements it
	// returned: a snapshot whose Messages starts at the same element
	// as the last one's is taken to extend it (messages added, none
	// gone or changed).
	Snapshot(ctx context.Context) (Snapshot, error)
	// Open returns the message's octets.
	Open(ctx context.Context, uid uint32) (io.ReadCloser, error)
	// Store changes the flags of the messages.
	Store(ctx context.Context, uids []uint32, op StoreOp, flags []string) error
	// Expunge removes the messages.
	Expunge(ctx context.Context, uids []uint32) error
	// Copy copies the messages into the named mailbox and returns its
	// UIDVALIDITY and the new UIDs in the order given (RFC 4315 COPYUID).
	Copy(ctx context.Context, uids []uint32, dest string) (uidValidity uint32, newUIDs []uint32, err error)
	// Close releases the mailbox.
	Close(ctx context.Context) error
}

// HeaderReader is a Mailbox that can read the start of a message alone,
// so that FETCH ENVELOPE, BODY[HEADER...], RFC822.HEADER and SEARCH by
// a header key, on a message the server has not cached yet, need not
// read a large message whole. Optional: without it the server reads
// the whole message with Open.
type HeaderReader interface {
	// ReadHeader returns a prefix of the message's octets (as Open
	// gives them) that holds at least its header and the empty line
	// that ends it (RFC 5322 2.1), or the whole message when it has no
	// empty line.
	ReadHeader(ctx context.Context, uid uint32) ([]byte, error)
}

// MessageReader is a Mailbox that can read a whole message into a buffer
// the caller reuses, so that FETCH BODY[], RFC822, BINARY[] and
// BODYSTRUCTURE of many messages, and SEARCH by body text, allocate
// nothing per message for its content. Optional: without it the server
// reads each message with Open, into the same reused buffer.
type MessageReader interface {
	// ReadMessageTo appends the message's octets (as Open gives them)
	// to dst and returns the extended slice; on an error, dst as given.
	// The server keeps the result only until its next read.
	ReadMessageTo(ctx context.Context, uid uint32, dst []byte) ([]byte, error)
}

// QuotaResource is one resource of a quota root (RFC 9208 5): STORAGE
// counts units of 1024 octets, MESSAGE counts messages.
type QuotaResource struct {
	Name  string // "STORAGE" or "MESSAGE" (upper case)
	Usage int64
	Limit int64
}

// QuotaUser is a User whose store keeps a quota (RFC 9208). One quota
// root, named "", governs all of the user's mailboxes. When Quota
// reports ok at login, the server advertises QUOTA and QUOTA=RES-<name>
// for each resource in the authenticated state (not before login: the
// capabilities then depend on the user, which RFC 9051 7.2.2 allows)
// and answers GETQUOTA and GETQUOTAROOT; SETQUOTA is not offered (no
// QUOTASET). Over quota, the store's Append and Copy return
// ErrOverQuota.
type QuotaUser interface {
	User
	// Quota returns the resources limited and their usage; ok is false
	// when the store sets no quota for this user.
	Quota(ctx context.Context) (res []QuotaResource, ok bool, err error)
}
