package dnswire

import "net/netip"

// Datagram is one slot of a UDP batch (PacketBatch): Buf is its buffer,
// N the length of the datagram in it and Addr the peer. ReadBatch fills
// Buf[:N] and Addr; WriteBatch sends Buf[:N] to Addr.
type Datagram struct {
	Buf  []byte
	N    int
	Addr netip.AddrPort
}
