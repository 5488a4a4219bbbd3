//go:build !linux || !(amd64 || arm64)

package dnswire

import "net"

// PacketBatch reads and writes UDP datagrams in batches: on Linux (amd64,
// arm64) many per system call with recvmmsg(2) and sendmmsg(2); on this
// platform one per call. A PacketBatch is for one goroutine.
type PacketBatch struct {
	conn *net.UDPConn
	size int
}

// NewPacketBatch returns a batch of up to size datagrams (at least 1)
// for reading and writing c.
func NewPacketBatch(c *net.UDPConn, size int) (*PacketBatch, error) {
	return &PacketBatch{conn: c, size: max(size, 1)}, nil
}

// Size is the most datagrams one ReadBatch or WriteBatch call handles.
func (b *PacketBatch) Size() int { return b.size }

// ReadBatch waits for one datagram and reads it into ds[0] (this
// platform reads one per call); it returns 1, or 0 when ds is empty.
func (b *PacketBatch) ReadBatch(ds []Datagram) (int, error) {
	if len(ds) == 0 {
		return 0, nil
	}
	n, ap, err := b.conn.ReadFromUDPAddrPort(ds[0].Buf)
	if err != nil {
		return 0, err
	}
	ds[0].N, ds[0].Addr = n, ap
	return 1, nil
}

// WriteBatch sends ds[i].Buf[:ds[i].N] to ds[i].Addr for every slot,
// one per call. A datagram that fails is skipped; the first error is
// returned with the number sent.
func (b *PacketBatch) WriteBatch(ds []Datagram) (int, error) {
	sent := 0
	var first error
	for i := range ds {
		if _, err := b.conn.WriteToUDPAddrPort(ds[i].Buf[:ds[i].N], ds[i].Addr); err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		sent++
	}
	return sent, first
}
