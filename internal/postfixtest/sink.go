package postfixtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"time"
)

// Sink is Postfix's smtp-sink(1) on 127.0.0.1: an SMTP server that accepts
// every message and discards it, for client and queue interop tests.
type Sink struct {
	Addr string // 127.0.0.1:port
	cmd  *exec.Cmd
}

// StartSink starts smtp-sink on a free 127.0.0.1 port with the given
// listen backlog and returns once the port accepts connections (smtp-sink
// gives no other readiness signal, so this polls, for at most 10 s). Run as
// root it drops to nobody (-u). Call Stop when done.
func StartSink(backlog int) (*Sink, error) {
	path, err := lookPath("smtp-sink")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Sink{Addr: "127.0.0.1:" + strconv.Itoa(port)}
	args := []string{s.Addr, strconv.Itoa(backlog)}
	if os.Geteuid() == 0 {
		args = append([]string{"-u", "nobody"}, args...)
	}
	s.cmd = exec.Command(path, args...)
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("postfixtest: smtp-sink: %w", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", s.Addr)
		if err == nil {
			c.Close()
			return s, nil
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("postfixtest: smtp-sink not listening on %s: %w", s.Addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Port is the sink's TCP port.
func (s *Sink) Port() uint16 {
	_, p, _ := net.SplitHostPort(s.Addr)
	n, _ := strconv.Atoi(p)
	return uint16(n)
}

// Stop kills smtp-sink and waits for it to exit.
func (s *Sink) Stop() {
	s.cmd.Process.Kill()
	s.cmd.Wait()
}
