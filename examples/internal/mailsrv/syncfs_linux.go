//go:build linux && (amd64 || arm64)

package mailsrv

import (
	"os"
	"syscall"
)

// syncFiles makes the files durable with one syncfs(2) of the file
// system that holds root: a single flush shared by every file of the
// batch, instead of one fsync(2) each. The standard library has no
// wrapper for syncfs, hence the raw system call.
func syncFiles(root string, files []pendingFile) error {
	if len(files) == 1 {
		return fsyncEach(files)
	}
	d, err := os.Open(root)
	if err != nil {
		return err
	}
	defer d.Close()
	if _, _, errno := syscall.Syscall(sysSyncfs, d.Fd(), 0, 0); errno != 0 {
		return errno
	}
	return nil
}
