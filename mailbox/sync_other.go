//go:build !linux

package mailbox

import "os"

// startWriteback does nothing where sync_file_range(2) is missing.
func startWriteback(*os.File) {}

// datasync flushes f (fsync(2)).
func datasync(f *os.File) error { return f.Sync() }
