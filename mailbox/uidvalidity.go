package mailbox

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// UIDValidityFile, in the Maildir's root, holds the last UIDVALIDITY
// the Maildir gave a folder (decimal); it is also the lock that orders
// the processes giving them out.
const UIDValidityFile = "relaykit-uidvalidity"

// claimValidity returns v if it is above every UIDVALIDITY this Maildir
// gave out before, and the next value above them otherwise, and records
// it. RFC 9051 2.3.1.1: a UID with its UIDVALIDITY must never name
// another message "in the mailbox or any subsequent mailbox with the
// same name"; a folder deleted and made again within the same second
// would otherwise get the same time-based value and start its UIDs
// at 1 again. If the file cannot be locked or written, v (the time) is
// returned, as before the file existed; a file torn by a crash reads as
// absent, which falls back the same way.
func (m *Maildir) claimValidity(v uint32) uint32 {
	path := filepath.Join(m.root, UIDValidityFile)
	unlock, err := flock(path)
	if err != nil {
		return v
	}
	defer unlock()
	if b, err := os.ReadFile(path); err == nil {
		last, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 32)
		if err == nil && uint32(last) >= v && last < 1<<32-1 {
			v = uint32(last) + 1
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return v
	}
	_, err = f.WriteString(strconv.FormatUint(uint64(v), 10) + "\n")
	if err == nil {
		f.Sync()
	}
	f.Close()
	return v
}
