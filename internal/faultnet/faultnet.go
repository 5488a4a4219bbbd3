// Package faultnet holds network fakes for tests: listeners that fail
// the way a loaded system makes real ones fail.
package faultnet

import (
	"bufio"
	"encoding/binary"
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
	greeting, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || !strings.HasPrefix(greeting, prefix) {
		select {
		case serr := <-done:
			t.Fatalf("greeting %q, %v; Serve returned %v", greeting, err, serr)
		default:
			t.Fatalf("greeting %q, %v", greeting, err)
		}
	}
	if !el.Failed() {
		t.Fatal("the failing Accept was not made")
	}
	stop()
	return <-done
}

// AnswersAfterEMFILE is GreetsAfterEMFILE for a DNS server over TCP: it
// sends query (a DNS message) with its two-octet length (RFC 1035
// 4.2.2) and returns the answer the server sent back, and what serve
// returned after stop.
func AnswersAfterEMFILE(t testing.TB, serve func(net.Listener) error, stop func(), query []byte) (answer []byte, serveErr error) {
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
	if _, err := c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(query))), query...)); err != nil {
		t.Fatal(err)
	}
	var n [2]byte
	_, err = io.ReadFull(c, n[:])
	if err == nil {
		answer = make([]byte, binary.BigEndian.Uint16(n[:]))
		_, err = io.ReadFull(c, answer)
	}
	if err != nil {
		select {
		case serr := <-done:
			t.Fatalf("no answer: %v; Serve returned %v", err, serr)
		default:
			t.Fatalf("no answer: %v", err)
		}
	}
	if !el.Failed() {
		t.Fatal("the failing Accept was not made")
	}
	stop()
	return answer, <-done
}
