// Command relayq lists and changes the queue of examples/relay, as
// Postfix's mailq, postqueue and postsuper do, on a running relay (over
// its control socket) or a stopped one (on its spool directly):
//
//	relayq -spool DIR list [-from S] [-to S] [-held] [-deferred]
//	relayq -spool DIR show ID
//	relayq -spool DIR counts
//	relayq -spool DIR flush [ID...]
//	relayq -spool DIR hold ID...
//	relayq -spool DIR release ID...
//	relayq -spool DIR delete ID...
//	relayq -spool DIR requeue ID...
//
// requeue releases a held message and makes it due now. On a running
// relay a message being attempted takes a change when its attempt ends.
// The commands, the listing and the socket's protocol are package
// mailqueue/queuectl's; the exit status is 0, 1 when an operation failed
// and 2 for a command line that was refused.
package main

import (
	"os"

	"github.com/relaykit/relaykit/examples/internal/relay"
)

func main() {
	os.Exit(relay.QueueMain(os.Args[1:], os.Stdout, os.Stderr))
}
