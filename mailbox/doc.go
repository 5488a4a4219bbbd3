// Package mailbox is a Maildir message store (the on-disk format that
// Postfix, Dovecot, qmail, Courier and mutt share) with Maildir++ folders,
// flags in file names, optional Maildir++ quota, and a UID list per
// folder that stays correct when several processes deliver and read at
// once.
//
// # Layout
//
// A Maildir is a directory with tmp/, new/ and cur/. Its INBOX is the
// root; every other folder is a Maildir++ subdirectory whose name starts
// with a dot, nested folders joined by dots (".Sent", ".Archive.2024"),
// holding an empty "maildirfolder" file. Folder names in this API use
// the same "." separator: "INBOX", "Sent", "Archive.2024".
//
// # Delivery
//
// Deliver and DeliverBatch follow the Maildir rule: the file is created
// in tmp/ under a unique name, written, flushed to disk (fdatasync on
// Linux, fsync elsewhere), renamed into new/ (or cur/ when flags are
// given), and the directory is flushed before success is reported, so an
// acknowledged message survives a crash. DeliverBatch flushes each
// directory once per batch, so a delivery agent that gathers messages
// pays one directory flush per maildir per batch instead of one per
// message. Delivered file names carry the Maildir++ size fields
// ",S=<bytes>,W=<bytes with CRLF>" that Dovecot also writes, so readers
// learn sizes without opening files.
//
// # UIDs
//
// IMAP UIDs and POP3 UIDLs need a stable number per message. Each folder
// keeps a UID list, the file "relaykit-uidlist" in the folder's
// directory (the role of Dovecot's dovecot-uidlist; a different name so
// both can share one maildir). Its first line is "1 V<uidvalidity>
// N<next uid>", each further line "<uid> [S<size> T<mtime>] :<key>",
// where the key is the file name up to the ":" that starts the flags.
//
// The list is an append-only log between rewrites: UIDs given to new
// files are appended as records marked "+" ("+<uid> ... :<key>"), each
// above the last, and the next UID then follows the last record; the
// list is rewritten whole (through a new file, renamed into place) only
// when entries go (an expunge, a file deleted by another program). So
// Folder.Deliver and a Sync that finds new files cost one appended
// record, whatever the folder's size, and each process reads only the
// records appended since it last looked. Appended records are flushed
// (fdatasync) before any UID in them is reported, so a UID once
// reported is never given to another file. The octets after the last
// newline are a torn tail (an append a crash cut short, never
// reported): they are ignored at open and cut off by the next append.
//
// The list is read and changed only while holding an exclusive flock(2)
// on "relaykit-uidlist.lock", so a reading process never hands out a
// UID another handed out, and a new file gets exactly one UID however
// many readers see it first. Delivery takes no lock, as Maildir
// promises. A folder without a list gets one on first open. A list
// that cannot be parsed or disagrees with itself (a record of the last
// rewrite at or past the next UID, a UID or key listed twice, UIDs out
// of order, a rewrite's record after an appended one) is rebuilt from
// the files with a new UIDVALIDITY; Folder.Sync reports Repaired so an
// IMAP server can announce it, as Dovecot does.
//
// A new list's UIDVALIDITY is the time in seconds, raised above every
// UIDVALIDITY the Maildir gave out before: the last one is kept (and
// locked while a new one is taken) in the file "relaykit-uidvalidity" in
// the Maildir's root (the role of Dovecot's dovecot-uidvalidity), so a
// folder deleted and made again within one second still gets a new
// value (RFC 9051 2.3.1.1).
//
// # Departures
//
//   - Keywords (lowercase flag letters mapped by Dovecot's
//     dovecot-keywords file) are kept in file names but not named.
//   - Message sizes with CRLF line endings (what POP3 and IMAP report)
//     are computed by reading a file whose name lacks W=, and not cached
//     across processes.
//   - A flag change made by another program (mutt, Dovecot) while this
//     package scans cur/ may be missed by that scan; scans repeat while
//     the directories' modification times change, as Dovecot's do.
//     Every change this package makes happens under the lock.
//   - Versions of this package from before the appended records
//     treat a list holding them as damaged and rebuild it (new
//     UIDVALIDITY). A program that edits the list in place is noticed
//     when the header or the last record read changed, not otherwise.
//   - Locking uses flock(2) and is available on Linux and the BSDs;
//     elsewhere Open fails with ErrNoLocking.
package mailbox
