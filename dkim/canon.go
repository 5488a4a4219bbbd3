package dkim

import (
	"encoding/binary"
	"hash"
	"math/bits"
)

// Canonicalization names a canonicalization algorithm (RFC 6376 3.4).
type Canonicalization string

// The two canonicalization algorithms of RFC 6376 3.4.
const (
	Simple  Canonicalization = "simple"
	Relaxed Canonicalization = "relaxed"
)

func isWSP(c byte) bool { return c == ' ' || c == '\t' }

// appendHeaderCanon appends the canonical form of one raw header field
// ("Name: value" with its folding and, possibly, its line end) to dst.
// The result always ends in CRLF unless noCRLF is set (the
// DKIM-Signature field itself is hashed without its line end, RFC 6376
// 3.7). It allocates only when dst must grow.
func appendHeaderCanon(dst []byte, raw []byte, c Canonicalization, noCRLF bool) []byte {
	raw = trimEOL(raw)
	if c == Simple {
		// RFC 6376 3.4.1: no change at all, except that we write every
		// line end as CRLF (a bare LF at rest stands for CRLF).
		for i := 0; i < len(raw); i++ {
			b := raw[i]
			if b == '\n' && (i == 0 || raw[i-1] != '\r') {
				dst = append(dst, '\r')
			}
			dst = append(dst, b)
		}
		if !noCRLF {
			dst = append(dst, '\r', '\n')
		}
		return dst
	}
	// RFC 6376 3.4.2: lowercase the name, unfold, reduce WSP runs to one
	// SP, delete WSP at the end of the value and around the colon.
	i := 0
	for ; i < len(raw) && raw[i] != ':'; i++ {
	}
	name := raw[:i]
	for len(name) > 0 && isWSP(name[len(name)-1]) {
		name = name[:len(name)-1]
	}
	for _, b := range name {
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		dst = append(dst, b)
	}
	dst = append(dst, ':')
	if i < len(raw) {
		i++
	}
	wsp := false
	start := true
	for ; i < len(raw); i++ {
		b := raw[i]
		switch {
		case b == '\r' || b == '\n':
			// Unfolding removes the line breaks; the WSP after them is
			// folded into the run.
		case isWSP(b):
			wsp = true
		default:
			if wsp && !start {
				dst = append(dst, ' ')
			}
			wsp, start = false, false
			dst = append(dst, b)
		}
	}
	if !noCRLF {
		dst = append(dst, '\r', '\n')
	}
	return dst
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b
}

// bodyCanon is a streaming body canonicalizer (RFC 6376 3.4.3, 3.4.4):
// bytes written to it are canonicalized and passed to a hash, in constant
// memory. Empty lines are held back until a non-empty line shows they
// are not at the end of the body.
type bodyCanon struct {
	h       hash.Hash
	relaxed bool
	limit   int64 // bytes of canonical body to hash; < 0 for all
	total   int64 // bytes of canonical body produced
	crlfs   int   // empty lines held back
	wsp     bool  // relaxed: a WSP run is pending in this line
	cr      bool  // the previous byte was a CR
	content bool  // this line has content
	any     bool  // anything was produced
	n       int
	buf     [2048]byte
}

func newBodyCanon(h hash.Hash, c Canonicalization, limit int64) *bodyCanon {
	return &bodyCanon{h: h, relaxed: c == Relaxed, limit: limit}
}

func (b *bodyCanon) emit(c byte) {
	b.total++
	if b.limit >= 0 && b.total > b.limit {
		return
	}
	if b.n == len(b.buf) {
		b.h.Write(b.buf[:])
		b.n = 0
	}
	b.buf[b.n] = c
	b.n++
}

// beginContent writes the empty lines held back and a pending space.
func (b *bodyCanon) beginContent() {
	if !b.content {
		for ; b.crlfs > 0; b.crlfs-- {
			b.emit('\r')
			b.emit('\n')
		}
		b.content = true
		b.any = true
	}
	if b.wsp {
		b.emit(' ')
		b.wsp = false
	}
}

func (b *bodyCanon) endLine() {
	b.wsp = false // RFC 6376 3.4.4: WSP at the end of a line is deleted
	if b.content {
		b.emit('\r')
		b.emit('\n')
		b.content = false
	} else {
		b.crlfs++
	}
}

// emitRun writes a run of ordinary bytes.
func (b *bodyCanon) emitRun(p []byte) {
	b.total += int64(len(p))
	if b.limit >= 0 {
		over := b.total - b.limit
		if over >= int64(len(p)) {
			return
		}
		if over > 0 {
			p = p[:int64(len(p))-over]
		}
	}
	if b.n+len(p) > len(b.buf) {
		b.h.Write(b.buf[:b.n])
		b.n = 0
		if len(p) > len(b.buf)/2 {
			b.h.Write(p)
			return
		}
	}
	b.n += copy(b.buf[b.n:], p)
}

// ordinary reports whether c is not CR, LF, SP or HTAB.
func ordinary(c byte) bool {
	return c > ' ' || (c != '\r' && c != '\n' && c != ' ' && c != '\t')
}

// runLen returns the length of the run at the start of p that passes
// through canonicalization unchanged. The bytes that need care (CR, LF,
// SP, HTAB) are all <= ' '. SP and HTAB are ordinary in simple
// canonicalization; in relaxed, one SP between two ordinary bytes stays
// as it is, so it joins the run too. The run is found eight bytes at a
// time (see stopMask), falling back to one byte at a time where a word
// holds a byte that needs care.
func (b *bodyCanon) runLen(p []byte) int {
	j := 0
	for j < len(p) {
		if b.relaxed {
			// A SP at the very start has no ordinary byte before it in
			// this run; the byte loop below decides about it.
			if j > 0 || ordinary(p[0]) {
				for j+8 < len(p) {
					m := relaxedStops(binary.LittleEndian.Uint64(p[j:]), p[j+8])
					if m != 0 {
						j += bits.TrailingZeros64(m) >> 3
						break
					}
					j += 8
				}
			}
		} else {
			for j+8 <= len(p) {
				m := simpleStops(binary.LittleEndian.Uint64(p[j:]))
				if m != 0 {
					j += bits.TrailingZeros64(m) >> 3
					break
				}
				j += 8
			}
		}
		if j == len(p) {
			break
		}
		c := p[j]
		if ordinary(c) {
			j++
			continue
		}
		if c == ' ' || c == '\t' {
			if !b.relaxed || (c == ' ' && j > 0 && j+1 < len(p) && ordinary(p[j+1])) {
				j++
				continue
			}
		}
		break
	}
	return j
}

// SWAR ("SIMD within a register") masks over eight bytes read as a
// little-endian uint64: byte i of the word is byte i of the input.
const (
	swarLo7 = 0x7f7f7f7f7f7f7f7f
	swarCR  = 0x0d0d0d0d0d0d0d0d
	swarLF  = 0x0a0a0a0a0a0a0a0a
	swarSP  = 0x2020202020202020
	swarCtl = 0xe0e0e0e0e0e0e0e0 // a byte < 0x20 has none of these bits
)

// zeroBytes returns a mask with 0x80 in each byte of x that is zero and
// 0 elsewhere, exactly (no carries cross bytes, unlike the shorter
// has-zero test).
func zeroBytes(x uint64) uint64 {
	t := (x & swarLo7) + swarLo7
	return ^(t | x | swarLo7)
}

// simpleStops marks the CRs and LFs of word x: in simple
// canonicalization every other byte passes through.
func simpleStops(x uint64) uint64 {
	return zeroBytes(x^swarCR) | zeroBytes(x^swarLF)
}

// relaxedStops marks the bytes of word x that may end a relaxed run:
// every byte below 0x20 (CR, LF, HTAB; other control bytes are ordinary
// but rare, and the byte loop passes them), and every SP followed by a
// SP or a byte below 0x20. next is the byte after the word. A SP at the
// start of the word follows a byte already in the run, which is
// ordinary (a SP there would have been marked as followed by a SP).
func relaxedStops(x uint64, next byte) uint64 {
	ctl := zeroBytes(x & swarCtl)
	sp := zeroBytes(x ^ swarSP)
	after := (ctl | sp) >> 8
	if next <= ' ' {
		after |= 0x80 << 56
	}
	return ctl | sp&after
}

// Write canonicalizes p. It never fails.
func (b *bodyCanon) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if b.cr {
			b.cr = false
			if p[0] == '\n' {
				b.endLine()
				p = p[1:]
				continue
			}
			// A CR not followed by LF is an ordinary character.
			b.beginContent()
			b.emit('\r')
		}
		if len(p) >= 2 && p[0] == '\r' && p[1] == '\n' {
			b.endLine()
			p = p[2:]
			continue
		}
		j := b.runLen(p)
		if j > 0 {
			b.beginContent()
			b.emitRun(p[:j])
			p = p[j:]
			if b.relaxed {
				p = b.relaxedRuns(p)
			}
			continue
		}
		c := p[0]
		p = p[1:]
		switch {
		case c == '\r':
			b.cr = true
		case c == '\n':
			b.endLine() // a bare LF stands for CRLF
		case b.relaxed:
			// SP or HTAB: the whole run is one pending SP.
			b.wsp = true
			for len(p) > 0 && isWSP(p[0]) {
				p = p[1:]
			}
		default:
			b.beginContent()
			b.emit(c)
		}
	}
	return n, nil
}

// relaxedRuns goes on after a run of ordinary bytes in relaxed
// canonicalization: while a run of WSP is followed by an ordinary byte
// in p, it writes one SP (RFC 6376 3.4.4) and the next run, without a
// trip through Write's loop per run. It returns the rest of p, which
// starts with a byte that needs care or with WSP that Write handles.
func (b *bodyCanon) relaxedRuns(p []byte) []byte {
	for {
		k := 0
		for k < len(p) && isWSP(p[k]) {
			k++
		}
		if k == 0 || k == len(p) || !ordinary(p[k]) {
			return p
		}
		m := b.runLen(p[k:]) // >= 1: p[k] is ordinary
		b.emit(' ')
		b.emitRun(p[k : k+m])
		p = p[k+m:]
	}
}

// finish flushes the canonical body into the hash.
func (b *bodyCanon) finish() {
	if b.cr {
		b.cr = false
		b.beginContent()
		b.emit('\r')
	}
	if b.content {
		// RFC 6376 3.4.3: a missing CRLF at the end is added.
		b.wsp = false
		b.endLine()
	}
	if !b.any && !b.relaxed {
		// RFC 6376 3.4.3: an empty body is one CRLF. The relaxed form of
		// an empty body is empty (3.4.4, erratum 1384).
		b.emit('\r')
		b.emit('\n')
	}
	b.h.Write(b.buf[:b.n])
	b.n = 0
}
