package mailqueue

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// recovery candidates: the best record seen so far for one ID.
type recCand struct {
	l    loc
	seq  uint32
	next time.Time
	held bool
}

// recover reads every segment and rebuilds the index.
func (s *Spool) recover() error {
	ents, err := os.ReadDir(s.segDir())
	if err != nil {
		return fmt.Errorf("mailqueue: spool: %w", err)
	}
	var nums []uint32
	for _, de := range ents {
		name := de.Name()
		if !de.Type().IsRegular() || !strings.HasSuffix(name, ".log") {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSuffix(name, ".log"), 16, 32)
		if err != nil || n == 0 || name != fmt.Sprintf("%08x.log", n) {
			s.logf(slog.LevelWarn, "mailqueue: spool: ignoring unknown file", "file", name)
			continue
		}
		nums = append(nums, uint32(n))
	}
	slices.Sort(nums)

	puts := make(map[ID]recCand)
	states := make(map[ID]recCand)
	var stale []loc // live put records superseded by a later copy
	var reports []*CorruptError
	for _, num := range nums {
		path := s.segPath(num)
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			return fmt.Errorf("mailqueue: spool: %w", err)
		}
		g := &segment{num: num, path: path, f: f}
		s.segs[num] = g
		s.nextSeg = num + 1
		bad, err := s.scanSegment(g, func(h recHeader, l loc, p []byte) bool {
			var st State
			var derr error
			if h.typ == recPut {
				if h.flags == flagDead {
					return true
				}
				st, derr = decodePutMeta(p)
			} else {
				st, derr = decodeState(p)
			}
			if derr != nil {
				return false
			}
			c := recCand{l: l, seq: h.seq, next: st.NextAttempt, held: st.Held}
			m := states
			if h.typ == recPut {
				m = puts
			}
			if old, ok := m[h.id]; !ok || c.seq > old.seq {
				if ok && h.typ == recPut {
					stale = append(stale, old.l)
				}
				m[h.id] = c
			} else if h.typ == recPut {
				stale = append(stale, l)
			}
			return true
		})
		if err != nil {
			return err
		}
		if len(bad) > 0 {
			g.quarantine = true
			reports = append(reports, bad...)
		}
	}

	// Build the index and reference counts.
	for id, p := range puts {
		e := idxEntry{put: p.l, seq: p.seq}
		next, held := p.next, p.held
		if st, ok := states[id]; ok && st.seq > p.seq {
			e.state, e.seq = st.l, st.seq
			next, held = st.next, st.held
		}
		s.index[id] = e
		for _, l := range []loc{e.put, e.state} {
			if l.n != 0 {
				g := s.segs[l.seg]
				g.refs++
				g.live += int64(l.n)
			}
		}
		s.recovered = append(s.recovered, Summary{ID: id, NextAttempt: next, Held: held})
	}
	// Kill superseded copies so that they cannot come back later.
	for _, l := range stale {
		if g := s.segs[l.seg]; g != nil && g.f != nil {
			if _, err := g.f.WriteAt([]byte{flagDead}, int64(l.off)+4); err == nil {
				_ = g.f.Sync()
			}
		}
	}
	// The last healthy segment keeps taking appends.
	if len(nums) > 0 {
		g := s.segs[nums[len(nums)-1]]
		if !g.quarantine && g.size < s.cfg.SegmentSize {
			s.active = g
		}
	}
	// Copy what is readable out of damaged segments, then set them aside.
	for _, num := range nums {
		if g := s.segs[num]; g.quarantine {
			s.relocate(g)
		}
	}
	var empty []*segment
	for _, num := range nums {
		if g := s.segs[num]; g != nil && g.refs <= 0 && g != s.active {
			empty = append(empty, g)
		}
	}
	s.dropSegments(empty)
	for _, r := range reports {
		r.MovedTo = s.movedTo(r.File)
		s.logf(slog.LevelError, "mailqueue: spool: corrupt data set aside", "err", r)
		s.recovered = append(s.recovered, Summary{ID: r.ID, Err: r})
	}
	return nil
}

// movedTo returns where a quarantined segment now lives, or "" if it is
// still in place (some message in it could not be copied forward).
func (s *Spool) movedTo(path string) string {
	dst := filepath.Join(s.corruptDir(), filepath.Base(path))
	if _, err := os.Stat(dst); err == nil {
		return dst
	}
	return ""
}

// scanSegment reads one segment from the start and calls fn for each
// intact record; fn returns false when it cannot decode the payload. It
// truncates a torn tail and returns the damaged spans it skipped.
func (s *Spool) scanSegment(g *segment, fn func(recHeader, loc, []byte) bool) ([]*CorruptError, error) {
	fi, err := g.f.Stat()
	if err != nil {
		return nil, fmt.Errorf("mailqueue: spool: %w", err)
	}
	size := fi.Size()
	if size > 1<<32-1 {
		size = 1<<32 - 1 // offsets are 32-bit; nothing is ever written past this
	}
	var bad []*CorruptError
	var hdr [recHeaderLen]byte
	var payload []byte
	off := int64(0)
	br := bufio.NewReaderSize(io.NewSectionReader(g.f, 0, size), 1<<20)
	for off < size {
		ok := false
		var h recHeader
		if _, err := io.ReadFull(br, hdr[:]); err == nil {
			h, ok = parseRecHeader(hdr[:])
			if ok && int64(h.n) > size-off-recHeaderLen {
				ok = false
			}
			if ok {
				if cap(payload) < int(h.n) {
					payload = make([]byte, h.n)
				}
				payload = payload[:h.n]
				if _, err := io.ReadFull(br, payload); err != nil {
					return nil, fmt.Errorf("mailqueue: spool: read %s: %w", g.path, err)
				}
				ok = crc32.Checksum(payload, castagnoli) == h.pcrc
			}
		}
		n := int64(recHeaderLen) + int64(h.n)
		if ok && fn(h, loc{seg: g.num, off: uint32(off), n: uint32(n)}, payload) {
			off += n
			continue
		}
		if ok {
			// Intact framing, undecodable content.
			bad = append(bad, &CorruptError{File: g.path, Offset: off, Length: n, ID: h.id, Reason: "undecodable record"})
			off += n
			continue
		}
		if zeroFrom(g, off, size) {
			// The zero-filled region past the end of the log.
			g.zeroed = size
			size = off
			break
		}
		// Damage at off: look for the next intact record.
		next, err := s.resync(g, off+1, size)
		if err != nil {
			return nil, err
		}
		if next < 0 {
			// Nothing intact follows: a write cut short by a crash, or
			// a failed write that could not be undone; nobody was told
			// it was stored, so cut it off. (Damage to the very last
			// records of a segment looks the same, since appends land
			// in zero-filled space; the log line keeps the ID.)
			s.logf(slog.LevelWarn, "mailqueue: spool: truncating torn tail", "file", g.path, "offset", off, "bytes", size-off, "id", h.id)
			if err := g.f.Truncate(off); err != nil {
				return nil, fmt.Errorf("mailqueue: spool: truncate %s: %w", g.path, err)
			}
			if err := g.f.Sync(); err != nil {
				return nil, fmt.Errorf("mailqueue: spool: sync %s: %w", g.path, err)
			}
			size = off
			break
		}
		end := next
		if next < 0 {
			end = size
		}
		ce := &CorruptError{File: g.path, Offset: off, Length: end - off, Reason: "damaged record"}
		if len(hdr) == recHeaderLen && [4]byte(hdr[0:4]) == recMagic {
			ce.ID = h.id
		}
		bad = append(bad, ce)
		if next < 0 {
			off = size
			break
		}
		off = next
		br.Reset(io.NewSectionReader(g.f, off, size-off))
	}
	g.size = size
	g.zeroed = max(g.zeroed, size)
	return bad, nil
}

// zeroFrom reports whether the file holds only zero bytes from off to
// size.
func zeroFrom(g *segment, off, size int64) bool {
	buf := make([]byte, min(size-off, 1<<20))
	for off < size {
		n, err := g.f.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		for _, c := range buf[:n] {
			if c != 0 {
				return false
			}
		}
		if err != nil && n == 0 {
			return false
		}
		off += int64(n)
	}
	return true
}

// resync searches [from, size) for the next intact record and returns
// its offset, or -1.
func (s *Spool) resync(g *segment, from, size int64) (int64, error) {
	if from >= size {
		return -1, nil
	}
	rest := make([]byte, size-from) // bounded by the file's real size
	if _, err := g.f.ReadAt(rest, from); err != nil && !errors.Is(err, io.EOF) {
		return -1, fmt.Errorf("mailqueue: spool: read %s: %w", g.path, err)
	}
	for i := 0; ; i++ {
		j := bytes.Index(rest[i:], recMagic[:])
		if j < 0 {
			return -1, nil
		}
		i += j
		h, ok := parseRecHeader(rest[i:])
		if ok && int64(h.n) <= int64(len(rest)-i-recHeaderLen) {
			p := rest[i+recHeaderLen : i+recHeaderLen+int(h.n)]
			if crc32.Checksum(p, castagnoli) == h.pcrc {
				return from + int64(i), nil
			}
		}
	}
}

// relocate copies every live message with a record in g to the active
// segment. Only the writer (or Open, before anyone else) calls it.
func (s *Spool) relocate(g *segment) {
	s.mu.Lock()
	var ids []ID
	for id, e := range s.index {
		if e.put.seg == g.num || (e.state.n != 0 && e.state.seg == g.num) {
			ids = append(ids, id)
		}
	}
	s.mu.Unlock()
	const chunk = 256
	for len(ids) > 0 {
		n := min(chunk, len(ids))
		var batch []*spoolOp
		for _, id := range ids[:n] {
			m, err := s.Get(context.Background(), id)
			if err != nil {
				s.logf(slog.LevelError, "mailqueue: spool: cannot relocate message", "id", id.String(), "err", err)
				continue
			}
			p := encodePutPayload(m)
			batch = append(batch, &spoolOp{kind: opRelocate, id: id, payload: p, pcrc: crc32.Checksum(p, castagnoli)})
		}
		ids = ids[n:]
		if len(batch) > 0 {
			s.apply(batch)
			for _, o := range batch {
				if o.err != nil {
					s.logf(slog.LevelError, "mailqueue: spool: cannot relocate message", "id", o.id.String(), "err", o.err)
				}
			}
		}
	}
}

// compact relocates the live messages of segments that are mostly dead,
// so a few long-deferred messages do not pin whole segments. Called by
// the writer after it started a new segment.
func (s *Spool) compact() {
	s.mu.Lock()
	var victims []*segment
	for _, g := range s.segs {
		if g != s.active && g.refs > 0 && g.live*4 < g.size {
			victims = append(victims, g)
		}
	}
	s.mu.Unlock()
	for _, g := range victims {
		s.relocate(g)
	}
}
