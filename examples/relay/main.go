// Command relay is a small mail server built from relaykit's packages.
// It accepts mail for its local domains into maildir mailboxes, accepts
// mail for any other domain only from authenticated users (submission
// with AUTH) or trusted networks and relays it through a durable queue
// (MX lookup with relaykit's resolver, retries, bounces), refuses to be
// an open relay, and shows its queue like Postfix's mailq.
//
// Usage:
//
//	relay -listen 127.0.0.1:2525 -domains example.test -maildir ./mail -spool ./spool \
//	      [-submission 127.0.0.1:5870 -user alice:secret] [-trusted 127.0.0.0/8] \
//	      [-tls] [-root 127.0.0.2:5353] [-remote-port 25] [-hold] [-journal] \
//	      [-maillog -|FILE|none] [-v]
//	relay -spool ./spool -mailq
//
// The second form prints the queue of the relay running on that spool
// (it asks over the control socket spool/control.sock) and exits;
// examples/relayq also changes it (flush, hold, release, delete, requeue),
// on a running relay or a stopped one.
//
// The mail log (-maillog, stderr by default) has one line per accepted
// message (queue ID, sender, recipients, size, client, status) and one per
// recipient outcome of each delivery attempt, what an operator greps.
//
// Several relays can share one queue in PostgreSQL: examples/relaypg is
// this command with -postgres DSN working (its own module, so this one
// stays free of the driver); each node claims due messages with a lease,
// and a node that dies leaves its messages to the others after
// -lease-ttl.
//
// Mail is accepted (250) only once it is on disk: local mail in its
// mailboxes (an fsync'd file renamed into new/, the directory fsync'd),
// other mail in the queue's spool. With -queue-local, local mail goes
// through the queue too, as in Postfix (measured slower here: the queue's
// own bookkeeping writes compete with accepting). The queue delivers
// whatever it holds for a local domain (bounces, for one) straight into
// the mailboxes, not over SMTP to itself. With -journal, local mail is
// accepted once it is in a journal of its own (SPOOL/journal, one write
// with group commit) and written into the mailboxes right after by one
// goroutine that flushes whole batches of files together (localmail
// Config.Journal); what a crash leaves in the journal is delivered at the
// next start, and -mailq lists what it holds (normally nothing for more
// than milliseconds; a message stays while its mailbox cannot be written,
// retried every minute). Under load it accepts local mail faster than
// writing each mailbox file before the 250 (see bench/results/examples.md). With
// -hold, relayed mail is queued on hold and not delivered (Postfix's hold
// queue; mailqueue.Queue.EnqueueHeld); the load measurement in bench/
// uses it.
package main

import (
	"os"

	"github.com/relaykit/relaykit/examples/internal/relay"
)

func main() {
	os.Exit(relay.Main(os.Args[1:], os.Stdout, os.Stderr, relay.Options{}))
}
