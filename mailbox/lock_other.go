//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package mailbox

const lockSupported = false

func flock(string) (func(), error) { return nil, ErrNoLocking }
