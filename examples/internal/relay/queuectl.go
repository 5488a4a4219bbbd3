package relay

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/relaykit/relaykit/mailqueue"
	"github.com/relaykit/relaykit/mailqueue/queuectl"
)

// The operator's queue commands (examples/relayq), like Postfix's mailq,
// postqueue and postsuper, are package mailqueue/queuectl's:
//
//	relayq -spool DIR list [-from S] [-to S] [-held] [-deferred]
//	relayq -spool DIR show ID
//	relayq -spool DIR counts
//	relayq -spool DIR flush [ID...]      (postqueue -f / -i)
//	relayq -spool DIR hold ID...         (postsuper -h)
//	relayq -spool DIR release ID...      (postsuper -H)
//	relayq -spool DIR delete ID...       (postsuper -d)
//	relayq -spool DIR requeue ID...      (release if held, then due now)
//
// On a running relay the commands go over its control socket
// (SPOOL/control.sock, mailq.go) and act through its Queue, so a message
// being attempted takes the change when its attempt ends. On a stopped
// relay relayq opens the spool itself (taking its lock, so the relay
// cannot start meanwhile) and changes the stored messages, which the
// relay finds when it starts. A relay whose queue is in PostgreSQL
// (-postgres) is reached through its socket only.

// relayOps is the relay's queue for the commands: its Queue, with the
// journal's local deliveries in the listings (Relay.Entries).
type relayOps struct {
	queuectl.QueueOps
	r *Relay
}

func (o relayOps) Entries(ctx context.Context) ([]mailqueue.Entry, error) { return o.r.Entries(ctx) }

// QueueMain runs the relayq command with args (without the program
// name) and returns its exit status.
func QueueMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("relayq", flag.ContinueOnError)
	fs.SetOutput(stderr)
	spool := fs.String("spool", "spool", "the relay's spool directory")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: relayq [-spool DIR] [command [args]]\ncommands: %s (default list; COMMAND -h for its flags)\n", queuectl.Commands)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cmd := fs.Args()
	if len(cmd) == 0 {
		cmd = []string{"list"}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := net.DialTimeout("unix", controlPath(*spool), 5*time.Second)
	if err == nil {
		return exitStatus(stderr, queuectl.Do(ctx, c, cmd, stdout))
	}
	// No relay answers: work on the spool itself (not on a new one
	// OpenSpool would make). OpenSpool's lock refuses if a relay has it
	// open after all.
	if _, err := os.Stat(*spool); err != nil {
		return exitStatus(stderr, fmt.Errorf("no relay answers on %s and there is no spool: %w", controlPath(*spool), err))
	}
	s, err := mailqueue.OpenSpool(*spool, mailqueue.SpoolConfig{})
	if err != nil {
		return exitStatus(stderr, err)
	}
	defer s.Close()
	return exitStatus(stderr, queuectl.Run(ctx, queuectl.StoreOps{Store: s}, cmd, stdout))
}

// exitStatus reports err on stderr and returns relayq's exit status: the
// relay's for a command it refused, queuectl.Status's otherwise.
func exitStatus(stderr io.Writer, err error) int {
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "relayq: %v\n", err)
	if ce, ok := errors.AsType[*queuectl.CommandError](err); ok {
		return ce.Status
	}
	return queuectl.Status(err)
}
