//go:build linux && !mips && !mipsle && !mips64 && !mips64le && !sparc64

package resolver

import (
	"context"
	"net"
	"runtime"
	"syscall"
)

// soReusePort is SO_REUSEPORT on Linux (asm-generic/socket.h; the
// package syscall does not export it). MIPS and SPARC number it
// differently and use the portable file.
const soReusePort = 0xf

// listenUDP opens one UDP socket per CPU on addr with SO_REUSEPORT, so
// the kernel spreads queries over them and reads do not contend on one
// socket. It falls back to a single socket.
func listenUDP(addr string) ([]net.PacketConn, error) {
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
	for range runtime.GOMAXPROCS(0) - 1 {
		pc, err := lc.ListenPacket(context.Background(), "udp", first.LocalAddr().String())
		if err != nil {
			break
		}
		pcs = append(pcs, pc)
	}
	return pcs, nil
}
