//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package mailbox

import "os"

const lockSupported = false

func flock(string) (func(), error) { return nil, ErrNoLocking }

func inode(os.FileInfo) int64 { return 0 }
