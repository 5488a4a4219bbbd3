package mailqueue

import "errors"

// ErrLocked means a spool directory is open in another Spool (another
// process, or the same one): a spool has one owner at a time. Match it
// with errors.Is; the error is a *LockedError.
var ErrLocked = errors.New("mailqueue: spool directory is in use")

// LockedError is returned by OpenSpool when Dir is locked by another
// Spool.
type LockedError struct {
	Dir string
}

func (e *LockedError) Error() string {
	return "mailqueue: spool directory " + e.Dir + " is in use by another process"
}

// Unwrap returns ErrLocked.
func (e *LockedError) Unwrap() error { return ErrLocked }
