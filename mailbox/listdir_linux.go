//go:build linux

package mailbox

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"syscall"
)

// readDirRaw appends to buf the entries of the directory dir as
// getdents64(2) returns them (read them with eachName: the padding
// after each name is whatever buf held).
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

// eachName calls fn with each name in raw (from readDirRaw), "." and
// ".." left out. The name is raw's octets, valid during the call. Each
// linux_dirent64 record is an inode number (8 octets), a position (8),
// the record's length (2), a type (1), then the name and a NUL.
func eachName(raw []byte, fn func(name []byte)) {
	const nameAt = 19
	for len(raw) >= nameAt {
		n := int(binary.NativeEndian.Uint16(raw[16:18]))
		if n < nameAt || n > len(raw) {
			return // not what the kernel writes
		}
		rec := raw[:n]
		raw = raw[n:]
		if binary.NativeEndian.Uint64(rec) == 0 {
			continue // a deleted entry
		}
		name := rec[nameAt:]
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		if string(name) == "." || string(name) == ".." {
			continue
		}
		fn(name)
	}
}
