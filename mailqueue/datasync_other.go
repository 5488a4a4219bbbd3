//go:build !linux

package mailqueue

import "os"

// datasync flushes f; without fdatasync(2) it is a full fsync.
func datasync(f *os.File) error { return f.Sync() }
