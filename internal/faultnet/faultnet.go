// Package faultnet holds network fakes for tests: listeners that fail
// the way a loaded system makes real ones fail.
package faultnet

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// EMFILEListener wraps a net.Listener. Its first Accept fails as
// accept(2) does in a process out of file descriptors (EMFILE, an error
// whose Temporary method reports true); the later ones are the wrapped
// listener's. A server must wait and accept again, not stop serving.
type EMFILEListener struct {
	net.Listener
	failed atomic.Bool
}

// Accept fails the first time, then accepts from the wrapped listener.
func (l *EMFILEListener) Accept() (net.Conn, error) {
	if l.failed.CompareAndSwap(false, true) {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.Addr(), Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	return l.Listener.Accept()
}

// Failed reports whether the failing Accept has been made.
func (l *EMFILEListener) Failed() bool { return l.failed.Load() }

// GreetsAfterEMFILE runs serve (a server's Serve method) on a loopback
// listener whose first Accept fails with EMFILE, connects, and checks
// that the server still greets: its first line must start with prefix.
// It then calls stop and returns what serve returned.
func GreetsAfterEMFILE(t testing.TB, serve func(net.Listener) error, stop func(), prefix string) error {
	t.Helper()
	return serveAfterEMFILE(t, serve, stop, func(c net.Conn) error {
		greeting, err := bufio.NewReader(c).ReadString('\n')
		if err != nil || !strings.HasPrefix(greeting, prefix) {
			return fmt.Errorf("greeting %q, %v", greeting, err)
		}
		return nil
	})
}

// AnswersAfterEMFILE is GreetsAfterEMFILE for a DNS server over TCP: it
// sends query (a DNS message) with its two-octet length (RFC 1035
// 4.2.2) and returns the answer the server sent back, and what serve
// returned after stop.
func AnswersAfterEMFILE(t testing.TB, serve func(net.Listener) error, stop func(), query []byte) (answer []byte, serveErr error) {
	t.Helper()
	serveErr = serveAfterEMFILE(t, serve, stop, func(c net.Conn) error {
		if _, err := c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(query))), query...)); err != nil {
			return err
		}
		var n [2]byte
		if _, err := io.ReadFull(c, n[:]); err != nil {
			return fmt.Errorf("no answer: %w", err)
		}
		answer = make([]byte, binary.BigEndian.Uint16(n[:]))
		if _, err := io.ReadFull(c, answer); err != nil {
			return fmt.Errorf("no answer: %w", err)
		}
		return nil
	})
	return answer, serveErr
}

// serveAfterEMFILE runs serve on a loopback EMFILEListener, connects,
// and runs talk on the connection (within 10 seconds). A talk that
// fails, or a failing Accept not made, fails the test (with what serve
// returned, if it has). It then calls stop and returns what serve
// returned.
func serveAfterEMFILE(t testing.TB, serve func(net.Listener) error, stop func(), talk func(net.Conn) error) error {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	el := &EMFILEListener{Listener: l}
	done := make(chan error, 1)
	go func() { done <- serve(el) }()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if err := talk(c); err != nil {
		select {
		case serr := <-done:
			t.Fatalf("%v; Serve returned %v", err, serr)
		default:
			t.Fatal(err)
		}
	}
	if !el.Failed() {
		t.Fatal("the failing Accept was not made")
	}
	stop()
	return <-done
}
