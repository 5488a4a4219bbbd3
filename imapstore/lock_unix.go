//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package imapstore

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive flock(2) on path, created if missing.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}
