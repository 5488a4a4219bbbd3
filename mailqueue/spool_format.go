package mailqueue

import (
	"encoding/binary"
	"hash/crc32"
)

// Spool segment format. A segment is an append-only file of records:
//
//	offset size field
//	0      4    magic "RKQ\x01"
//	4      1    flags: 0 live, 0xFF dead (the only byte ever rewritten)
//	5      1    type: recPut, recState
//	6      8    message ID, big-endian
//	14     4    sequence number of the state this record carries
//	18     4    payload length
//	22     4    CRC-32C of the payload
//	26     4    CRC-32C of bytes 5..25
//	30     ...  payload
//
// A put payload is uvarint(len(envelope)) envelope uvarint(len(state))
// state body; a state payload is an encoded State. The flags byte sits
// outside both checksums so that Remove can kill a put record in place
// with a one-byte write. Among the records of one ID the one with the
// highest sequence number holds the current state.

const (
	recHeaderLen = 30
	recPut       = 1
	recState     = 2
	flagLive     = 0
	flagDead     = 0xFF
)

var (
	recMagic   = [4]byte{'R', 'K', 'Q', 1}
	castagnoli = crc32.MakeTable(crc32.Castagnoli)
)

type recHeader struct {
	flags byte
	typ   byte
	id    ID
	seq   uint32
	n     uint32 // payload length
	pcrc  uint32
}

func (h *recHeader) put(b []byte) {
	copy(b[0:4], recMagic[:])
	b[4] = h.flags
	b[5] = h.typ
	binary.BigEndian.PutUint64(b[6:14], uint64(h.id))
	binary.BigEndian.PutUint32(b[14:18], h.seq)
	binary.BigEndian.PutUint32(b[18:22], h.n)
	binary.BigEndian.PutUint32(b[22:26], h.pcrc)
	binary.BigEndian.PutUint32(b[26:30], crc32.Checksum(b[5:26], castagnoli))
}

// parseRecHeader checks the magic, the header checksum and the type.
func parseRecHeader(b []byte) (recHeader, bool) {
	var h recHeader
	if len(b) < recHeaderLen || [4]byte(b[0:4]) != recMagic {
		return h, false
	}
	if crc32.Checksum(b[5:26], castagnoli) != binary.BigEndian.Uint32(b[26:30]) {
		return h, false
	}
	h.flags = b[4]
	h.typ = b[5]
	h.id = ID(binary.BigEndian.Uint64(b[6:14]))
	h.seq = binary.BigEndian.Uint32(b[14:18])
	h.n = binary.BigEndian.Uint32(b[18:22])
	h.pcrc = binary.BigEndian.Uint32(b[22:26])
	if (h.typ != recPut && h.typ != recState) || (h.flags != flagLive && h.flags != flagDead) || h.id == 0 {
		return h, false
	}
	return h, true
}

// encodePutPayload builds a put record's payload.
func encodePutPayload(m *Message) []byte {
	env := appendEnvelope(nil, &m.Envelope)
	st := appendState(nil, &m.State)
	b := make([]byte, 0, len(env)+len(st)+len(m.Body)+20)
	b = binary.AppendUvarint(b, uint64(len(env)))
	b = append(b, env...)
	b = binary.AppendUvarint(b, uint64(len(st)))
	b = append(b, st...)
	return append(b, m.Body...)
}

// cutSection reads one length-prefixed section (a shortest-form uvarint
// length, then that many bytes) from the front of p.
func cutSection(p []byte) (sec, rest []byte, ok bool) {
	l, n := binary.Uvarint(p)
	if n <= 0 || !minimalVarint(p, n) || l > uint64(len(p)-n) {
		return nil, nil, false
	}
	p = p[n:]
	return p[:l], p[l:], true
}

// decodePutPayload splits a put payload. body aliases p.
func decodePutPayload(p []byte) (env Envelope, st State, body []byte, err error) {
	envb, p, ok := cutSection(p)
	if !ok {
		return env, st, nil, ErrCorrupt
	}
	if env, err = decodeEnvelope(envb); err != nil {
		return env, st, nil, err
	}
	stb, body, ok := cutSection(p)
	if !ok {
		return env, st, nil, ErrCorrupt
	}
	if st, err = decodeState(stb); err != nil {
		return env, st, nil, err
	}
	if len(st.Rcpts) != len(env.Recipients) {
		return env, st, nil, ErrCorrupt
	}
	return env, st, body, nil
}

// decodePutMeta decodes only what scheduling needs from a put payload.
func decodePutMeta(p []byte) (st State, err error) {
	_, p, ok := cutSection(p)
	if !ok {
		return st, ErrCorrupt
	}
	stb, _, ok := cutSection(p)
	if !ok {
		return st, ErrCorrupt
	}
	return decodeState(stb)
}

func crc32c(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }
