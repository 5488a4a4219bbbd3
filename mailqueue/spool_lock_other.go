//go:build !unix

package mailqueue

import "os"

// lockDir does not lock where flock(2) is missing: one process per spool
// directory is then the operator's duty.
func lockDir(string) (*os.File, error) { return nil, nil }
