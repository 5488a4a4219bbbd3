package dnswire

// Reading names from the wire (RFC 1035 3.1, 4.1.4): readName decodes,
// skipName only checks. Both are on every hot path (each question, record
// owner and name in record data goes through one of them), so they are
// written for the common shapes of a response: a run of a few labels
// ending in the root, or in one pointer to a name written earlier, mostly
// the question name.

// nameCache remembers one compression target whose labels have been
// checked and run, uncompressed, to the root label: a later pointer to
// off copies its n octets without scanning them again. Responses point
// most names at one earlier name, the question's (RFC 1035 4.1.4), so one
// entry is enough. An entry is used only where scanning would have read
// the same octets the same way (the whole target inside msg, the name
// within 255 octets), so a hit decodes exactly what a scan decodes; it
// holds for the message it was filled from, which must not change while
// it is being read (Parser documents this).
type nameCache struct {
	off int // offset of the target; 0 when empty (no name starts in the header)
	n   int // its length in wire form, root label included
}

// readName decodes the possibly compressed name at msg[off:] into dst and
// returns the offset just past it in the original position. nc, when not
// nil, is consulted and filled.
//
// RFC 1035 4.1.4: a pointer is two octets starting 11 whose low 14 bits are
// an offset from the start of the message. Here every pointer must point
// strictly before the start of the labels it follows (the name's own start
// for the first pointer, the previous pointer's target after that): a
// pointer may only refer to a name written earlier. Each hop therefore
// moves strictly backwards, which ends every loop without a hop counter and
// accepts legal chains of any length. Labels starting 01 or 10 are
// reserved (RFC 6891 5 retired the extended label types).
func readName(msg []byte, off int, dst *Name, nc *nameCache) (int, error) {
	n := 0          // octets written to dst
	runStart := off // a pointer must point before this
	end := -1       // offset just past the name where it is written, once known
	for {
		// Scan a run of labels written out in place, then copy the run
		// at once: one copy per run instead of one per label.
		begin := off
		if uint(off) >= uint(len(msg)) {
			return off, ErrTruncated
		}
		// RFC 1035 2.3.4: 255 octets including the root label, which
		// still has to fit after the last label: a label may not end
		// at or past lim. hi folds that and the end of msg (the next
		// length octet must be in msg) into one test per label.
		lim := begin + MaxNameLen - n
		hi := min(lim, len(msg))
		c := int(msg[off])
		for uint(c-1) < MaxLabelLen { // 1 <= c <= 63: a label
			next := off + 1 + c
			if next >= hi {
				return labelErr(msg, off, next, lim)
			}
			off = next
			c = int(msg[off])
		}
		n += copy(dst.b[n:], msg[begin:off])
		if c == 0 {
			// n <= 254 here: lim keeps room for the root.
			dst.b[n] = 0
			n++
			off++
			if end < 0 {
				end = off
			} else if nc != nil {
				// A pointer's target, checked to the root.
				nc.off, nc.n = begin, off-begin
			}
			break
		}
		if c&0xC0 != 0xC0 {
			return off, ErrBadLabelType
		}
		if off+1 >= len(msg) {
			return off, ErrTruncated
		}
		ptr := (c&0x3F)<<8 | int(msg[off+1])
		// Nothing in the 12-octet header is a name (RFC 1035 4.1.1),
		// so a pointer into it is never legitimate.
		if ptr < HeaderLen {
			return off, ErrPointerIntoHeader
		}
		if ptr >= runStart {
			return off, ErrBadPointer
		}
		if end < 0 {
			end = off + 2
		}
		if nc != nil && ptr == nc.off && n+nc.n <= MaxNameLen && ptr+nc.n <= len(msg) {
			n += copy(dst.b[n:], msg[ptr:ptr+nc.n])
			break
		}
		off, runStart = ptr, ptr
	}
	// Keep the octets past the end zero, so that Names compare with ==
	// and work as map keys even when dst held a longer name before.
	if old := int(dst.n); old > n {
		clear(dst.b[n:old])
	}
	dst.n, dst.abs = uint8(n), true
	return end, nil
}

// labelErr reports why the label with length octet at off, whose end is
// next, fails the test of readName's loop: it runs past msg (truncated),
// leaves no room for the root label (too long), or ends at the very end
// of msg, where the next length octet is missing (truncated there).
func labelErr(msg []byte, off, next, lim int) (int, error) {
	switch {
	case next > len(msg):
		return off, ErrTruncated
	case next >= lim:
		return off, ErrNameTooLong
	}
	return next, ErrTruncated
}

// skipName advances past a name without decoding it. It checks the same
// rules as readName and reports the same errors at the same offsets.
func skipName(msg []byte, off int, nc *nameCache) (int, error) {
	n := 0
	runStart := off
	end := -1
	for {
		begin := off
		if uint(off) >= uint(len(msg)) {
			return off, ErrTruncated
		}
		lim := begin + MaxNameLen - n
		hi := min(lim, len(msg))
		c := int(msg[off])
		for uint(c-1) < MaxLabelLen {
			next := off + 1 + c
			if next >= hi {
				return labelErr(msg, off, next, lim)
			}
			off = next
			c = int(msg[off])
		}
		n += off - begin
		if c == 0 {
			off++
			if end < 0 {
				end = off
			} else if nc != nil {
				nc.off, nc.n = begin, off-begin
			}
			return end, nil
		}
		if c&0xC0 != 0xC0 {
			return off, ErrBadLabelType
		}
		if off+1 >= len(msg) {
			return off, ErrTruncated
		}
		ptr := (c&0x3F)<<8 | int(msg[off+1])
		if ptr < HeaderLen {
			return off, ErrPointerIntoHeader
		}
		if ptr >= runStart {
			return off, ErrBadPointer
		}
		if end < 0 {
			end = off + 2
		}
		if nc != nil && ptr == nc.off && n+nc.n <= MaxNameLen && ptr+nc.n <= len(msg) {
			return end, nil
		}
		off, runStart = ptr, ptr
	}
}
