//go:build !linux || mips || mipsle || mips64 || mips64le || sparc64

package dnswire

import "net"

// ListenUDP opens one UDP socket on addr: this platform has no
// SO_REUSEPORT to share a port between several (the Linux build opens up
// to n). Serve it from several goroutines if more readers are wanted.
func ListenUDP(addr string, n int) ([]net.PacketConn, error) {
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return nil, err
	}
	return []net.PacketConn{pc}, nil
}
