// Package proctest stops the external programs that tests start (Dovecot,
// a server under load in a child process): a signal first, so the program
// can shut down cleanly or write a profile, then SIGKILL if it has not
// exited within a grace period.
package proctest

import (
	"os"
	"os/exec"
	"time"
)

// Stop sends sig to cmd's process and waits for it to exit; if it has not
// exited after grace, Stop kills it and waits again. It returns true if
// the process exited on the signal, false if it had to be killed. cmd must
// have been started and not yet waited for. The exit status is not
// reported: a program stopped by a signal exits with one.
func Stop(cmd *exec.Cmd, sig os.Signal, grace time.Duration) bool {
	cmd.Process.Signal(sig)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		cmd.Process.Kill()
		<-done
		return false
	}
}
