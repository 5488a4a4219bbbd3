package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"time"

	"github.com/relaykit/relaykit/internal/postfixtest"
)

// relayTarget is examples/relay run as its own process; journal adds
// -journal (local mail: 250 after a journal write, mailboxes written in
// batches).
type relayTarget struct {
	bin       string
	journal   bool
	noMailLog bool
}

// buildRelay compiles examples/relay into dir.
func buildRelay(dir string) (string, error) {
	bin := filepath.Join(dir, "relay")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/relaykit/relaykit/examples/relay")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("bench: go build examples/relay: %v\n%s", err, out)
	}
	return bin, nil
}

func (rt relayTarget) start(mode, dir string) (*server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	spool := filepath.Join(dir, "spool")
	maildir := filepath.Join(dir, "mail")
	args := []string{
		"-listen", addr, "-hostname", "relay.test", "-domains", "relay.test",
		"-maildir", maildir, "-spool", spool, "-trusted", "127.0.0.0/8",
		"-max-size", "10240000",
	}
	if rt.journal {
		args = append(args, "-journal")
	}
	if !rt.noMailLog {
		// The mail log in a file, as Postfix's maillog: a line per message.
		args = append(args, "-maillog", filepath.Join(dir, "maillog"))
	}
	rcpt := "bob@relay.test"
	if mode == "queued" {
		// Mail for another domain from a trusted client goes to the
		// queue; -hold keeps it there, like Postfix's HOLD.
		args = append(args, "-hold")
		rcpt = "bob@remote.test"
	}
	cmd := exec.Command(rt.bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() error {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			return err
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			return errors.New("relay did not stop on SIGTERM")
		}
	}
	// Wait for the listener; the relay prints its addresses when ready,
	// but polling the port needs no output parsing.
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		select {
		case err := <-exited:
			return nil, fmt.Errorf("relay exited: %v\n%s", err, out.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("relay not listening on %s\n%s", addr, out.String())
		}
	}
	srv := &server{addr: addr, rcpt: rcpt, pid: cmd.Process.Pid, stop: stop}
	if mode == "queued" {
		srv.count = func() (int, error) { return relayQueueLen(rt.bin, spool) }
	} else {
		srv.count = func() (int, error) { return postfixtest.CountMaildirs(maildir) }
	}
	return srv, nil
}

var reRequests = regexp.MustCompile(`in (\d+) Requests?\.`)

// relayQueueLen asks the running relay for its queue (relay -mailq) and
// returns the number of messages in it.
func relayQueueLen(bin, spool string) (int, error) {
	out, err := exec.Command(bin, "-spool", spool, "-mailq").Output()
	if err != nil {
		return 0, fmt.Errorf("relay -mailq: %v", err)
	}
	if bytes.HasPrefix(out, []byte("Mail queue is empty")) {
		return 0, nil
	}
	m := reRequests.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("relay -mailq: unexpected output %.200q", out)
	}
	return strconv.Atoi(string(m[1]))
}
