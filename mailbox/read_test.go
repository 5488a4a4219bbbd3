package mailbox

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestReadMessageTo: the message is appended after what dst holds, into
// dst's room without allocating for the content; a missing UID leaves
// dst as it was.
func TestReadMessageTo(t *testing.T) {
	m := newTestMaildir(t)
	deliver(t, m, "", "Subject: one\n\nfirst body\n")
	deliver(t, m, "", "Subject: two\n\nsecond, longer body\n")
	f, err := m.Inbox()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 0, 4096)
	buf = append(buf, "prefix:"...)
	got, err := f.ReadMessageTo(buf, 2)
	if err != nil || string(got) != "prefix:Subject: two\n\nsecond, longer body\n" {
		t.Fatalf("ReadMessageTo(2) = %q, %v", got, err)
	}
	if &got[0] != &buf[0] {
		t.Error("ReadMessageTo reallocated a buffer with room")
	}
	got, err = f.ReadMessageTo(buf[:0], 1)
	if err != nil || string(got) != "Subject: one\n\nfirst body\n" {
		t.Fatalf("ReadMessageTo(1) = %q, %v", got, err)
	}
	buf = append(buf[:0], "prefix:"...)
	got, err = f.ReadMessageTo(buf, 9)
	if !errors.Is(err, ErrNoMessage) || string(got) != "prefix:" {
		t.Errorf("ReadMessageTo(9) = %q, %v; want the prefix alone and ErrNoMessage", got, err)
	}
	// The content is not allocated; what is left is the file's path (and
	// its copy for open(2)).
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := f.ReadMessageTo(buf[:0], 2); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 2 {
		t.Errorf("%.0f allocations per ReadMessageTo into a buffer with room", allocs)
	}
}

// TestAppendFileClaimedSize: the size a caller claims (from a file name
// or the UID list, which other programs write) grows the buffer by at
// most maxReadGrow ahead of the data.
func TestAppendFileClaimedSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "small")
	if err := os.WriteFile(path, []byte("ten octets"), 0o600); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b, err := appendFile(nil, path, 1<<40)
	runtime.ReadMemStats(&after)
	if err != nil || string(b) != "ten octets" {
		t.Fatalf("appendFile = %q, %v", b, err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 8*maxReadGrow { // room for what other tests allocate meanwhile
		t.Errorf("%d octets allocated for a 10-octet file claiming 1 TiB", n)
	}
	if _, err := appendFile([]byte("x"), filepath.Join(t.TempDir(), "gone"), 5); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
