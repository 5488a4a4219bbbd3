//go:build linux

package mailbox

import (
	"os"
	"syscall"
)

// startWriteback asks the kernel to start writing f's dirty pages without
// waiting (sync_file_range(2) SYNC_FILE_RANGE_WRITE), so the writes of a
// batch overlap before each file's flush waits. It is only a head start,
// never a durability step, so its error is ignored.
func startWriteback(f *os.File) {
	const syncFileRangeWrite = 2 // SYNC_FILE_RANGE_WRITE
	syscall.SyncFileRange(int(f.Fd()), 0, 0, syncFileRangeWrite)
}

// datasync flushes f's data and the metadata needed to read it back
// (fdatasync(2)): for a new file, its size and blocks, not its times.
func datasync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}
