package proctest

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

func TestStopOnSignal(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Skip(err)
	}
	start := time.Now()
	if !Stop(cmd, syscall.SIGTERM, 10*time.Second) {
		t.Error("sleep did not exit on SIGTERM")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Stop took %v", d)
	}
}

func TestStopKillsAfterGrace(t *testing.T) {
	// A shell that ignores SIGINT and SIGTERM has to be killed.
	cmd := exec.Command("sh", "-c", "trap '' INT TERM; while :; do sleep 0.1; done")
	if err := cmd.Start(); err != nil {
		t.Skip(err)
	}
	time.Sleep(100 * time.Millisecond) // let the trap be set
	start := time.Now()
	if Stop(cmd, os.Interrupt, 200*time.Millisecond) {
		t.Error("Stop reports an exit on the signal; the shell ignores it")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Stop took %v", d)
	}
	if cmd.ProcessState == nil || cmd.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("process state %v, want killed", cmd.ProcessState)
	}
}
