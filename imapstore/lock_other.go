//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package imapstore

// lockFile does nothing where flock(2) is missing (the mailbox package
// refuses to open a Maildir there anyway).
func lockFile(string) (func(), error) { return func() {}, nil }
