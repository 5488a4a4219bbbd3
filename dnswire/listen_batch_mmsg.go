//go:build linux && (amd64 || arm64)

package dnswire

import (
	"encoding/binary"
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"unsafe"
)

// mmsghdr is struct mmsghdr of <sys/socket.h> on 64-bit Linux: a msghdr
// and the length the kernel received or sent, padded to 8 octets.
type mmsghdr struct {
	hdr syscall.Msghdr
	n   uint32
	_   [4]byte
}

// PacketBatch reads and writes many UDP datagrams per system call: on
// Linux (amd64, arm64) with recvmmsg(2) and sendmmsg(2) through the
// socket's syscall.RawConn, so the runtime's poller still waits for the
// socket and deadlines and Close still apply; elsewhere one datagram per
// call. A PacketBatch is for one goroutine; it allocates nothing per
// batch.
type PacketBatch struct {
	conn  *net.UDPConn
	rc    syscall.RawConn
	inet6 bool // the socket is AF_INET6: peers are written as IPv6 (v4-mapped)

	msgs  []mmsghdr
	iovs  []syscall.Iovec
	names []rawSockaddr

	// The state of the system call in progress, kept here so the
	// functions given to the RawConn are made once (no closure per call).
	ds        []Datagram
	count     int
	errno     syscall.Errno
	readFunc  func(uintptr) bool
	writeFunc func(uintptr) bool
}

// NewPacketBatch returns a batch of up to size datagrams (at least 1)
// for reading and writing c.
func NewPacketBatch(c *net.UDPConn, size int) (*PacketBatch, error) {
	size = max(size, 1)
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	b := &PacketBatch{conn: c, rc: rc,
		msgs:  make([]mmsghdr, size),
		iovs:  make([]syscall.Iovec, size),
		names: make([]rawSockaddr, size),
	}
	if la, ok := c.LocalAddr().(*net.UDPAddr); ok {
		b.inet6 = la.IP.To4() == nil
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		var sa syscall.Sockaddr
		if sa, serr = syscall.Getsockname(int(fd)); serr == nil {
			_, b.inet6 = sa.(*syscall.SockaddrInet6)
		}
	}); err != nil {
		return nil, err
	}
	if serr != nil {
		return nil, serr
	}
	b.readFunc = b.recv
	b.writeFunc = b.send
	return b, nil
}

// Size is the most datagrams one ReadBatch or WriteBatch call handles.
func (b *PacketBatch) Size() int { return len(b.msgs) }

// ReadBatch waits for at least one datagram and reads as many as are
// waiting, up to len(ds) and Size, into ds[i].Buf (a datagram longer
// than its buffer is cut to it, as ReadFrom cuts it). It sets N and Addr
// of the slots read and returns how many.
func (b *PacketBatch) ReadBatch(ds []Datagram) (int, error) {
	ds = ds[:min(len(ds), len(b.msgs))]
	if len(ds) == 0 {
		return 0, nil
	}
	for i := range ds {
		b.iovs[i] = syscall.Iovec{}
		if len(ds[i].Buf) > 0 {
			b.iovs[i].Base = &ds[i].Buf[0]
			b.iovs[i].SetLen(len(ds[i].Buf))
		}
		b.msgs[i] = mmsghdr{hdr: syscall.Msghdr{
			Name:    (*byte)(unsafe.Pointer(&b.names[i])),
			Namelen: uint32(unsafe.Sizeof(b.names[i])),
			Iov:     &b.iovs[i],
			Iovlen:  1,
		}}
	}
	b.ds = ds
	err := b.rc.Read(b.readFunc)
	n, errno := b.count, b.errno
	b.ds = nil
	if err != nil {
		return 0, err
	}
	if n <= 0 {
		return 0, &net.OpError{Op: "recvmmsg", Net: "udp", Addr: b.conn.LocalAddr(), Err: errno}
	}
	for i := range n {
		ds[i].N = min(int(b.msgs[i].n), len(ds[i].Buf))
		ds[i].Addr = sockaddrAddrPort(&b.names[i], b.msgs[i].hdr.Namelen)
	}
	return n, nil
}

// recv runs recvmmsg(2) on the socket; false asks the poller to wait.
func (b *PacketBatch) recv(fd uintptr) bool { return b.mmsg(sysRecvmmsg, fd) }

// mmsg runs recvmmsg(2) or sendmmsg(2) (trap) over b.ds's slots of
// b.msgs, keeping the count and errno for the caller; false asks the
// poller to wait (EAGAIN).
func (b *PacketBatch) mmsg(trap, fd uintptr) bool {
	for {
		r, _, e := syscall.Syscall6(trap, fd, uintptr(unsafe.Pointer(&b.msgs[0])), uintptr(len(b.ds)), 0, 0, 0)
		if e == syscall.EINTR {
			continue
		}
		if e == syscall.EAGAIN {
			return false
		}
		b.count, b.errno = int(r), e
		if e != 0 {
			b.count = -1
		}
		return true
	}
}

// WriteBatch sends ds[i].Buf[:ds[i].N] to ds[i].Addr for every slot, in
// as few system calls as it can. A datagram the kernel refuses is
// skipped (the others are still sent); the first such error is returned
// with the number of datagrams sent.
func (b *PacketBatch) WriteBatch(ds []Datagram) (int, error) {
	sent := 0
	var first error
	for len(ds) > 0 {
		m := min(len(ds), len(b.msgs))
		for i := range m {
			d := &ds[i]
			b.iovs[i] = syscall.Iovec{}
			if d.N > 0 {
				b.iovs[i].Base = &d.Buf[0]
				b.iovs[i].SetLen(d.N)
			}
			b.msgs[i] = mmsghdr{hdr: syscall.Msghdr{
				Name:    (*byte)(unsafe.Pointer(&b.names[i])),
				Namelen: putSockaddr(&b.names[i], d.Addr, b.inet6),
				Iov:     &b.iovs[i],
				Iovlen:  1,
			}}
		}
		b.ds = ds[:m]
		err := b.rc.Write(b.writeFunc)
		n, errno := b.count, b.errno
		b.ds = nil
		if err != nil {
			if first == nil {
				first = err
			}
			return sent, first
		}
		if n <= 0 {
			// The first datagram was refused: skip it.
			if first == nil {
				first = &net.OpError{Op: "sendmmsg", Net: "udp", Addr: net.UDPAddrFromAddrPort(ds[0].Addr), Err: errno}
			}
			n = 1
		} else {
			sent += n
		}
		ds = ds[n:]
	}
	return sent, first
}

// send runs sendmmsg(2) on the socket; false asks the poller to wait.
func (b *PacketBatch) send(fd uintptr) bool { return b.mmsg(sysSendmmsg, fd) }

// putSockaddr writes ap into sa as the socket's family wants it and
// returns its length; an address the family cannot carry gets length 0,
// which the kernel refuses (EINVAL or EDESTADDRREQ) for that datagram
// only.
func putSockaddr(sa *rawSockaddr, ap netip.AddrPort, inet6 bool) uint32 {
	*sa = rawSockaddr{}
	a := ap.Addr()
	if inet6 {
		sa.Family = syscall.AF_INET6
		binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&sa.Port))[:], ap.Port())
		sa.Addr = a.As16()
		sa.Scope_id = scopeID(a.Zone())
		return syscall.SizeofSockaddrInet6
	}
	a = a.Unmap()
	if !a.Is4() {
		return 0
	}
	s4 := (*syscall.RawSockaddrInet4)(unsafe.Pointer(sa))
	s4.Family = syscall.AF_INET
	binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&s4.Port))[:], ap.Port())
	s4.Addr = a.As4()
	return syscall.SizeofSockaddrInet4
}

// sockaddrAddrPort reads the peer the kernel wrote into sa (n octets).
func sockaddrAddrPort(sa *rawSockaddr, n uint32) netip.AddrPort {
	switch {
	case sa.Family == syscall.AF_INET && n >= syscall.SizeofSockaddrInet4:
		s4 := (*syscall.RawSockaddrInet4)(unsafe.Pointer(sa))
		port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&s4.Port))[:])
		return netip.AddrPortFrom(netip.AddrFrom4(s4.Addr), port)
	case sa.Family == syscall.AF_INET6 && n >= syscall.SizeofSockaddrInet6:
		port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&sa.Port))[:])
		a := netip.AddrFrom16(sa.Addr)
		if sa.Scope_id != 0 {
			// A link-local peer: its interface, as a numeric zone
			// (RFC 4007 11.2), which putSockaddr reads back, so the
			// answer goes out where the query came in.
			a = a.WithZone(strconv.FormatUint(uint64(sa.Scope_id), 10))
		}
		return netip.AddrPortFrom(a, port)
	}
	return netip.AddrPort{}
}

// scopeID is the interface index of an IPv6 zone: a number (as
// sockaddrAddrPort writes it) or an interface name; 0 for none or an
// unknown name.
func scopeID(zone string) uint32 {
	if zone == "" {
		return 0
	}
	if n, err := strconv.ParseUint(zone, 10, 32); err == nil {
		return uint32(n)
	}
	if ifi, err := net.InterfaceByName(zone); err == nil {
		return uint32(ifi.Index)
	}
	return 0
}

// rawSockaddr holds a peer of either family (sockaddr_in6 is the larger).
type rawSockaddr = syscall.RawSockaddrInet6
