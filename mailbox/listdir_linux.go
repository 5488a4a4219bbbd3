//go:build linux

package mailbox

import (
	"fmt"
	"syscall"
)

// readDirRaw appends to buf the entries of the directory dir as
// getdents64(2) returns them, padding cleared. For a directory nobody
// changed the octets are the same from call to call (names, inode
// numbers and positions); any file added, removed or renamed changes
// them.
func readDirRaw(dir string, buf []byte) ([]byte, error) {
	var fd int
	var err error
	for {
		fd, err = syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return buf, fmt.Errorf("mailbox: open %s: %w", dir, err)
	}
	defer syscall.Close(fd)
	// The kernel does not clear the padding after each name (records
	// are 8-byte aligned), so octets left in buf from an earlier
	// listing would make two listings of the same entries differ.
	clear(buf[len(buf):cap(buf)])
	for {
		if cap(buf)-len(buf) < 16<<10 {
			buf = append(buf[:cap(buf)], make([]byte, max(cap(buf), 32<<10))...)[:len(buf)]
		}
		n, err := syscall.ReadDirent(fd, buf[len(buf):cap(buf)])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return buf, fmt.Errorf("mailbox: read %s: %w", dir, err)
		}
		if n <= 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+n]
	}
}

// direntNames appends the names in raw (from readDirRaw) to names,
// without "." and "..".
func direntNames(raw []byte, names []string) []string {
	_, _, names = syscall.ParseDirent(raw, -1, names)
	return names
}
