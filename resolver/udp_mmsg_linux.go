//go:build linux && (amd64 || arm64)

package resolver

import (
	"errors"
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"unsafe"
)

// The UDP loop on Linux reads up to mmsgBatch datagrams with one
// recvmmsg(2) and sends the answers found in the cache with one
// sendmmsg(2), through package syscall (raw system calls; the standard
// library offers neither). On loopback under dnsperf, the two system
// calls per answer of ReadFrom/WriteTo were about 80 % of the server's
// CPU; a batch pays the system call's entry and exit once.

const (
	// mmsgBatch is the most datagrams read or written per system call.
	mmsgBatch = 32
	// mmsgBufSize is the room for one query. A larger datagram is
	// dropped (the kernel flags it MSG_TRUNC): a query is one question
	// and an OPT record, a few hundred octets even with RFC 7830
	// padding.
	mmsgBufSize = 4096
)

// mmsghdr is struct mmsghdr (sys/socket.h) on 64-bit Linux.
type mmsghdr struct {
	hdr syscall.Msghdr
	n   uint32
	_   [4]byte
}

// mmsgState is one loop's buffers, allocated once, on the heap (the
// kernel is handed pointers into it, so it must not move with a stack).
type mmsgState struct {
	in    [mmsgBatch]mmsghdr
	inIov [mmsgBatch]syscall.Iovec
	names [mmsgBatch]syscall.RawSockaddrInet6
	bufs  [mmsgBatch * mmsgBufSize]byte

	out    [mmsgBatch]mmsghdr
	outIov [mmsgBatch]syscall.Iovec
	resp   [mmsgBatch][]byte

	got, sent, nout int
	errno           syscall.Errno
}

func newMmsgState() *mmsgState {
	st := new(mmsgState)
	for i := range st.in {
		st.inIov[i].Base = &st.bufs[i*mmsgBufSize]
		st.inIov[i].SetLen(mmsgBufSize)
		st.in[i].hdr.Iov = &st.inIov[i]
		st.in[i].hdr.Iovlen = 1
		st.in[i].hdr.Name = (*byte)(unsafe.Pointer(&st.names[i]))
		st.out[i].hdr.Iov = &st.outIov[i]
		st.out[i].hdr.Iovlen = 1
		st.resp[i] = make([]byte, 0, 1500)
	}
	return st
}

// udpLoopBatch serves uc with recvmmsg and sendmmsg. ok is false when
// the socket cannot be used so (then the portable loop serves it).
func (s *Server) udpLoopBatch(uc *net.UDPConn) (ok bool, err error) {
	rc, err := uc.SyscallConn()
	if err != nil {
		return false, nil
	}
	st := newMmsgState()
	pk := newPackedAnswers()
	// The closures are made once: a closure passed to rc.Read escapes,
	// and making it per batch would allocate per batch.
	recv := func(fd uintptr) bool {
		r, _, e := syscall.RawSyscall6(sysRecvmmsg, fd, uintptr(unsafe.Pointer(&st.in[0])), mmsgBatch,
			syscall.MSG_DONTWAIT, 0, 0)
		if e == syscall.EAGAIN {
			return false // wait in the poller until readable
		}
		st.got, st.errno = int(r), e
		return true
	}
	send := func(fd uintptr) bool {
		r, _, e := syscall.RawSyscall6(sysSendmmsg, fd, uintptr(unsafe.Pointer(&st.out[st.sent])),
			uintptr(st.nout-st.sent), syscall.MSG_DONTWAIT, 0, 0)
		if e == syscall.EAGAIN {
			return false
		}
		st.errno = e
		if e == 0 {
			st.sent += int(r)
		}
		return true
	}
	for {
		for i := range st.in {
			st.in[i].hdr.Namelen = uint32(unsafe.Sizeof(st.names[i]))
			st.in[i].hdr.Flags = 0
		}
		st.got, st.errno = 0, 0
		if err := rc.Read(recv); err != nil {
			if s.closing.Load() || errors.Is(err, net.ErrClosed) {
				return true, ErrClosed
			}
			uc.Close() // stop the other readers too
			return true, err
		}
		switch st.errno {
		case 0:
		case syscall.EINTR, syscall.ENOMEM, syscall.ECONNREFUSED:
			// Transient (ECONNREFUSED: an ICMP error queued on the
			// socket by an earlier reply).
			continue
		default:
			if s.closing.Load() {
				return true, ErrClosed
			}
			uc.Close()
			return true, st.errno
		}
		st.nout = 0
		for i := range st.got {
			h := &st.in[i]
			if h.hdr.Flags&syscall.MSG_TRUNC != 0 {
				continue
			}
			ap, ok := rawAddrPort(&st.names[i])
			if !ok {
				continue
			}
			q := st.bufs[i*mmsgBufSize : i*mmsgBufSize+int(h.n)]
			k := st.nout
			if resp, ok := s.answerUDP(pk, q, ap.Addr().Unmap(), st.resp[k][:0]); ok {
				// The answer goes back to the address it came from,
				// still in names[i].
				st.resp[k] = resp
				st.outIov[k].Base = unsafe.SliceData(resp)
				st.outIov[k].SetLen(len(resp))
				st.out[k].hdr.Name = h.hdr.Name
				st.out[k].hdr.Namelen = h.hdr.Namelen
				st.nout++
				continue
			}
			s.udpSlow(uc, q, ap, nil)
		}
		st.sent = 0
		for st.sent < st.nout {
			if err := rc.Write(send); err != nil {
				break // closed: the read above reports it
			}
			if st.errno != 0 && st.errno != syscall.EINTR {
				// The first message failed (a reply to an address
				// that cannot be reached, say): drop it, as WriteTo's
				// error is dropped in the portable loop.
				st.sent++
			}
		}
	}
}

// rawAddrPort converts the address recvmmsg filled in. A Scope_id becomes
// a numeric zone (the slow path's WriteTo needs it for link-local
// clients; the fast path reuses the raw address).
func rawAddrPort(rsa *syscall.RawSockaddrInet6) (netip.AddrPort, bool) {
	port := func(p *uint16) uint16 {
		b := (*[2]byte)(unsafe.Pointer(p))
		return uint16(b[0])<<8 | uint16(b[1])
	}
	switch rsa.Family {
	case syscall.AF_INET:
		r4 := (*syscall.RawSockaddrInet4)(unsafe.Pointer(rsa))
		return netip.AddrPortFrom(netip.AddrFrom4(r4.Addr), port(&r4.Port)), true
	case syscall.AF_INET6:
		a := netip.AddrFrom16(rsa.Addr)
		if rsa.Scope_id != 0 {
			a = a.WithZone(strconv.FormatUint(uint64(rsa.Scope_id), 10))
		}
		return netip.AddrPortFrom(a, port(&rsa.Port)), true
	}
	return netip.AddrPort{}, false
}
