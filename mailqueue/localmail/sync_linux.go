package localmail

import (
	"os"
	"syscall"
)

// The maildir writer's file operations, as plain system calls: an
// os.File would register each new file with the network poller (which
// refuses regular files) and set and clear O_NONBLOCK around that, four
// fcntl calls and a failed epoll_ctl per message, and os.Rename would stat
// the target first. A delivery needs none of that.

// tmpFile is an open file descriptor in a maildir's tmp/; -1 is closed.
type tmpFile int

// createTmp creates path (which must not exist) and writes head and then
// body into it,
// without flushing: the committer flushes every file of a batch together.
func createTmp(path string, head, body []byte) (tmpFile, error) {
	fd, err := syscall.Open(path, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: path, Err: err}
	}
	for _, data := range [2][]byte{head, body} {
		if err := writeAll(fd, data); err != nil {
			syscall.Close(fd)
			syscall.Unlink(path)
			return -1, &os.PathError{Op: "write", Path: path, Err: err}
		}
	}
	return tmpFile(fd), nil
}

func writeAll(fd int, data []byte) error {
	for len(data) > 0 {
		n, err := syscall.Write(fd, data)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

// startWriteback asks the kernel to start writing the file's dirty pages
// without waiting (sync_file_range(2) SYNC_FILE_RANGE_WRITE), so a
// batch's writes overlap. It is only a head start for the flush, never a
// durability step, so its error is ignored.
func (f tmpFile) startWriteback() {
	const syncFileRangeWrite = 2 // SYNC_FILE_RANGE_WRITE
	syscall.SyncFileRange(int(f), 0, 0, syncFileRangeWrite)
}

func (f tmpFile) close() error {
	if f < 0 {
		return nil
	}
	return syscall.Close(int(f))
}

func rename(from, to string) error {
	if err := syscall.Rename(from, to); err != nil {
		return &os.PathError{Op: "rename", Path: to, Err: err}
	}
	return nil
}

// syncDir flushes a directory, making the names in it durable.
func syncDir(dir string) error {
	fd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: dir, Err: err}
	}
	err = syscall.Fsync(fd)
	if cerr := syscall.Close(fd); err == nil {
		err = cerr
	}
	if err != nil {
		return &os.PathError{Op: "fsync", Path: dir, Err: err}
	}
	return nil
}

// noFile is a tmpFile already closed.
const noFile tmpFile = -1

// flushFiles makes the journal's batch of files durable: fdatasync(2) of
// each file, whose writeback was started when it was written
// (startWriteback), so the flushes mostly wait for writes already under
// way. Not syncfs(2): that flushes every dirty page of the whole file
// system, other programs' included, and its cost grows with them.
func flushFiles(_ string, files []journalFile) error {
	for _, f := range files {
		if err := fdatasync(int(f.f)); err != nil {
			return &os.PathError{Op: "fdatasync", Path: f.tmp, Err: err}
		}
	}
	return nil
}

// flushNames makes the batch's new names durable: an fsync(2) of each
// new/ directory that got one.
func flushNames(_ string, dirs map[string]bool) error {
	for d := range dirs {
		if err := syncDir(d); err != nil {
			return err
		}
	}
	return nil
}

func fdatasync(fd int) error {
	for {
		err := syscall.Fdatasync(fd)
		if err != syscall.EINTR {
			return err
		}
	}
}
