//go:build linux && (amd64 || arm64)

package dnswire

import (
	"net/netip"
	"testing"
)

// FuzzSockaddr: an address written for the kernel reads back the same,
// in the socket's family (IPv4 sockets take IPv4 and v4-mapped peers;
// IPv6 sockets every peer, IPv4 ones mapped).
func FuzzSockaddr(f *testing.F) {
	f.Add([]byte{127, 0, 0, 1}, uint16(53), false)
	f.Add([]byte{127, 0, 0, 1}, uint16(53), true)
	f.Add(make([]byte, 16), uint16(0), true)
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1}, uint16(65535), false)
	f.Add([]byte{0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, uint16(853), false)
	f.Fuzz(func(t *testing.T, ip []byte, port uint16, inet6 bool) {
		a, ok := netip.AddrFromSlice(ip)
		if !ok {
			return
		}
		ap := netip.AddrPortFrom(a, port)
		var sa rawSockaddr
		n := putSockaddr(&sa, ap, inet6)
		got := sockaddrAddrPort(&sa, n)
		switch {
		case inet6:
			if want := netip.AddrPortFrom(netip.AddrFrom16(a.As16()), port); got != want {
				t.Fatalf("%v on an IPv6 socket read back as %v, want %v", ap, got, want)
			}
		case a.Unmap().Is4():
			if want := netip.AddrPortFrom(a.Unmap(), port); got != want {
				t.Fatalf("%v on an IPv4 socket read back as %v, want %v", ap, got, want)
			}
		default:
			if n != 0 || got.IsValid() {
				t.Fatalf("IPv6 %v on an IPv4 socket: length %d, read back %v; want 0 and nothing", ap, n, got)
			}
		}
	})
}
