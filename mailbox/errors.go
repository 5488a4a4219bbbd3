package mailbox

import "strconv"

// sentinel is an immutable error value (CONVENTIONS.md 7).
type sentinel string

func (e sentinel) Error() string { return string(e) }

// Sentinel errors that callers branch on with errors.Is.
const (
	// ErrFolderName: a folder name is empty, has an empty component,
	// or holds "/" or a control character.
	ErrFolderName = sentinel("mailbox: invalid folder name")
	// ErrNoFolder: the folder does not exist.
	ErrNoFolder = sentinel("mailbox: no such folder")
	// ErrFolderExists: CreateFolder was asked for an existing folder.
	ErrFolderExists = sentinel("mailbox: folder exists")
	// ErrNoMessage: no message has that UID (it may have been expunged
	// by another process).
	ErrNoMessage = sentinel("mailbox: no such message")
	// ErrQuota: the delivery would exceed the Maildir++ quota.
	ErrQuota = sentinel("mailbox: quota exceeded")
	// ErrNoLocking: the platform has no flock(2).
	ErrNoLocking = sentinel("mailbox: file locking not supported on this platform")
	// ErrInbox: the operation is not allowed on INBOX (deleting it).
	ErrInbox = sentinel("mailbox: not allowed on INBOX")
)

// UIDListError reports a UID list that could not be parsed or disagrees
// with itself. Sync repairs such a list (with a new UIDVALIDITY) rather
// than returning this error; it is exported so Repaired reasons can be
// logged.
type UIDListError struct {
	Path string
	Line int // 1-based line number, 0 for the whole file
	Msg  string
}

func (e *UIDListError) Error() string {
	return "mailbox: uid list " + e.Path + ":" + strconv.Itoa(e.Line) + ": " + e.Msg
}
