// Package queuectl is the operator's command line for a mailqueue, as
// Postfix's mailq, postqueue and postsuper are for Postfix's queue: list
// the queue (with filters), show a message, count, flush, hold, release,
// delete and requeue. It works on a running queue and on the store of a
// stopped one, so a relay built from relaykit's packages gets its queue
// tool by wiring three pieces:
//
//   - Ops is what the commands need. QueueOps acts through a running
//     *mailqueue.Queue (a message being attempted takes the change when its
//     attempt ends); StoreOps changes a store that no queue is running on
//     (a stopped relay's Spool, whose lock keeps the relay from starting
//     meanwhile). A program with more to list (a local-delivery journal,
//     say) embeds one of them and overrides Entries.
//   - Run parses one command line (list [-from S] [-to S] [-held]
//     [-deferred], show ID, counts, flush [ID...], hold ID..., release
//     ID..., delete ID..., requeue ID...) and runs it against an Ops;
//     WriteQueue prints the mailq listing and WriteMessage a message.
//   - Server answers commands on a control socket (a Unix socket in the
//     spool directory, say) from a running relay's Ops; Do is the client,
//     used by a command-line tool to reach the relay when one is running.
//
// # Control protocol
//
// One connection carries one command. The client sends one line: a JSON
// array of strings, the command and its arguments (["hold",
// "0123456789abcdef"]); an empty line asks for "list". The line is at most
// Server.MaxRequest bytes (DefaultMaxRequest, 64 KiB); a longer one, or
// one that is not such an array, is answered "status 2" with the reason.
// The server answers with the command's output as it is written, then a
// last line "status N", where N is 0 for success, 1 when an operation
// failed and 2 for a command line Run refused; a non-zero status is
// followed by a space and the error on one line. Postfix's mailq asks its
// showq service over a local socket the same way.
//
// No RFC covers any of this: the commands, their output and the
// listing's layout follow Postfix's postqueue(1), postsuper(1) and
// mailq(1), so an operator's habits carry over.
//
// The socket is the access control: put it in a directory only the
// relay's user can open, for anyone who can connect can delete mail.
package queuectl
