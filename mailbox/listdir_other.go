//go:build !linux

package mailbox

import (
	"bytes"
	"fmt"
	"os"
)

// readDirRaw appends to buf the names in the directory dir, each ended
// by a NUL (which no file name holds), in the order the system lists
// them.
func readDirRaw(dir string, buf []byte) ([]byte, error) {
	d, err := os.Open(dir)
	if err != nil {
		return buf, fmt.Errorf("mailbox: %w", err)
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return buf, fmt.Errorf("mailbox: %w", err)
	}
	for _, n := range names {
		buf = append(append(buf, n...), 0)
	}
	return buf, nil
}

// eachName calls fn with each name in raw (from readDirRaw). The name
// is raw's octets, valid during the call.
func eachName(raw []byte, fn func(name []byte)) {
	for len(raw) > 0 {
		n, rest, _ := bytes.Cut(raw, []byte{0})
		fn(n)
		raw = rest
	}
}
