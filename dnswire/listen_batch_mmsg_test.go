//go:build linux && (amd64 || arm64)

package dnswire

import (
	"net"
	"net/netip"
	"strconv"
	"testing"
)

// FuzzSockaddr: an address written for the kernel reads back the same,
// in the socket's family (IPv4 sockets take IPv4 and v4-mapped peers;
// IPv6 sockets every peer, IPv4 ones mapped); an IPv6 peer's zone (its
// interface index) survives the trip.
func FuzzSockaddr(f *testing.F) {
	f.Add([]byte{127, 0, 0, 1}, uint16(53), false, uint32(0))
	f.Add([]byte{127, 0, 0, 1}, uint16(53), true, uint32(0))
	f.Add(make([]byte, 16), uint16(0), true, uint32(0))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1}, uint16(65535), false, uint32(0))
	f.Add([]byte{0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, uint16(853), false, uint32(0))
	f.Add([]byte{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, uint16(5353), true, uint32(2))
	f.Fuzz(func(t *testing.T, ip []byte, port uint16, inet6 bool, scope uint32) {
		a, ok := netip.AddrFromSlice(ip)
		if !ok {
			return
		}
		var zone string
		if a.Is6() && !a.Is4In6() && scope != 0 {
			zone = strconv.FormatUint(uint64(scope), 10)
			a = a.WithZone(zone)
		}
		ap := netip.AddrPortFrom(a, port)
		var sa rawSockaddr
		n := putSockaddr(&sa, ap, inet6)
		got := sockaddrAddrPort(&sa, n)
		switch {
		case inet6:
			if want := netip.AddrPortFrom(netip.AddrFrom16(a.As16()).WithZone(zone), port); got != want {
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

// TestScopeID: numeric zones are indexes, names are looked up, the rest
// is no scope.
func TestScopeID(t *testing.T) {
	for zone, want := range map[string]uint32{"": 0, "7": 7, "4294967295": 4294967295, "4294967296": 0, "no-such-if0": 0} {
		if got := scopeID(zone); got != want {
			t.Errorf("scopeID(%q) = %d, want %d", zone, got, want)
		}
	}
	if lo, err := net.InterfaceByName("lo"); err == nil {
		if got := scopeID("lo"); got != uint32(lo.Index) {
			t.Errorf("scopeID(lo) = %d, want %d", got, lo.Index)
		}
	}
}
