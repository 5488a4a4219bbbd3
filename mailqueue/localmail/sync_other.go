//go:build !linux

package localmail

import "os"

// tmpFile is an open file in a maildir's tmp/; nil is closed.
type tmpFile struct{ f *os.File }

// createTmp creates path (which must not exist) and writes head and then
// body into it,
// without flushing: the committer flushes every file of a batch together.
func createTmp(path string, head, body []byte) (tmpFile, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return tmpFile{}, err
	}
	_, err = f.Write(head)
	if err == nil {
		_, err = f.Write(body)
	}
	if err != nil {
		f.Close()
		os.Remove(path)
		return tmpFile{}, err
	}
	return tmpFile{f}, nil
}

// startWriteback does nothing where sync_file_range(2) is missing: the
// datasync that follows does all the work.
func (tmpFile) startWriteback() {}

// datasync flushes the file (fsync(2)).
func (t tmpFile) datasync() error { return t.f.Sync() }

func (t tmpFile) close() error {
	if t.f == nil {
		return nil
	}
	return t.f.Close()
}

func rename(from, to string) error { return os.Rename(from, to) }

// syncDir flushes a directory, making the names in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// noFile is a tmpFile already closed.
var noFile tmpFile

// flushFiles makes the journal's batch of files durable, one at a time
// (no syncfs(2) here).
func flushFiles(_ string, files []journalFile) error {
	for _, f := range files {
		if err := f.f.datasync(); err != nil {
			return err
		}
	}
	return nil
}

// flushNames flushes each directory that got new names.
func flushNames(_ string, dirs map[string]bool) error {
	for d := range dirs {
		if err := syncDir(d); err != nil {
			return err
		}
	}
	return nil
}
