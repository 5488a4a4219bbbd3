// Package faultnet holds network fakes for tests: listeners that fail
// the way a loaded system makes real ones fail.
package faultnet

import (
	"net"
	"os"
	"sync/atomic"
	"syscall"
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
