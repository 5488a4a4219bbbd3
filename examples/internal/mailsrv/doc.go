// Package mailsrv is the mail server the examples share: an smtp.Backend
// that delivers mail for its local domains into maildirs and hands mail
// for other domains to an outbound queue, but only for clients that
// authenticated (RFC 4954) or connect from a trusted network, so it is
// never an open relay (RFC 5321 7.1, RFC 2505 2.4).
//
// Each accepted message gets a Received trace field (RFC 5321 4.4) and,
// when delivered into a mailbox, a Return-Path field. Local delivery
// follows the maildir convention (a file written in tmp/, flushed to
// disk, then renamed into new/) with group commit: one goroutine takes the
// deliveries waiting at that moment as a batch, creates and writes their
// files, flushes each, renames them into new/ and flushes each mailbox
// directory once (one mailbox.DeliverBatch), and the 250 replies are
// sent only after that.
//
// With Config.Journal, local mail is instead made durable in a
// mailqueue.Store (one write, group commit) before the 250, as Postfix
// accepts into its queue; one goroutine then writes the maildir files and
// makes whole batches of them durable at once (written in tmp/, each file
// fdatasync'd, renamed into new/, each new/ directory fsync'd once per
// batch) before removing the stored copies. The
// flushes leave the reply path and are shared by up to 256 files, which
// under load is what makes this mode faster. After a crash every message
// still in the store is delivered again when the Backend starts; file
// names are derived from the message ID, so one already in new/ or cur/
// is not written twice.
//
// LocalRoutes and LocalDeliverer let a mailqueue.Queue deliver mail for
// the local domains (bounces, or all local mail with Config.QueueLocal)
// straight into the maildirs instead of over SMTP to itself; DNS adapts
// relaykit's resolver to the queue.
//
// The package lives under examples/ because it is example code (a small
// relay, and the two servers of examples/alice-to-bob), not API.
package mailsrv
