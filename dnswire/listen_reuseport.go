//go:build linux && !mips && !mipsle && !mips64 && !mips64le && !sparc64

package dnswire

import (
	"context"
	"net"
	"syscall"
)

// soReusePort is SO_REUSEPORT on Linux (asm-generic/socket.h; the
// package syscall does not export it). MIPS and SPARC number it
// differently and use the portable file.
const soReusePort = 0xf

// ListenUDP opens up to n UDP sockets bound to the same addr (n < 1
// means 1). On Linux they share the port with SO_REUSEPORT, so the kernel
// spreads datagrams over them and n goroutines, one per socket, read
// without contending for one socket's lock (several goroutines reading
// one socket take turns). When the first socket cannot have
// SO_REUSEPORT, or elsewhere, it returns one plain socket. With port 0
// every socket gets the port the first one was given.
func ListenUDP(addr string, n int) ([]net.PacketConn, error) {
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, soReusePort, 1)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	first, err := lc.ListenPacket(context.Background(), "udp", addr)
	if err != nil {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, err
		}
		return []net.PacketConn{pc}, nil
	}
	pcs := []net.PacketConn{first}
	for len(pcs) < n {
		pc, err := lc.ListenPacket(context.Background(), "udp", first.LocalAddr().String())
		if err != nil {
			break
		}
		pcs = append(pcs, pc)
	}
	return pcs, nil
}
