//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package mailbox

import (
	"fmt"
	"os"
	"syscall"
)

const lockSupported = true

// flock takes an exclusive flock(2) on path (created if missing) and
// returns the function that releases it. flock locks belong to the open
// file description, so two goroutines of one process exclude each other
// as two processes do.
func flock(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("mailbox: lock: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("mailbox: lock %s: %w", path, err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// inode returns a file's inode number (a replaced UID list has a new
// one).
func inode(fi os.FileInfo) int64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int64(st.Ino)
	}
	return 0
}
