//go:build !(linux && (amd64 || arm64))

package mailsrv

// syncFiles flushes each file with fsync(2) where syncfs(2) is not
// available.
func syncFiles(_ string, files []pendingFile) error { return fsyncEach(files) }
