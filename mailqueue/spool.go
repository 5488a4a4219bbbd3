package mailqueue

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
)

// SpoolConfig configures a Spool. The zero value works.
type SpoolConfig struct {
	// SegmentSize is the size at which the spool starts a new segment
	// file. Default 64 MiB.
	SegmentSize int64
	// MaxMessageSize bounds one message's body. Default 64 MiB; at most
	// 1 GiB.
	MaxMessageSize int
	// NoGroupCommit makes every write flush the disk on its own instead of
	// sharing one flush among all writes that arrive together. It exists
	// to measure what group commit buys; leave it false.
	NoGroupCommit bool
	// Logger receives recovery events (torn tails truncated, corrupt
	// data moved aside, segments removed). Nil is silent.
	Logger *slog.Logger

	// fault, when set (by tests), is called before each write, sync and
	// truncate; a non-nil result is returned as that operation's error.
	fault func(op string) error
	// noLock, set by tests that simulate a crash by opening a directory
	// a Spool they abandoned still has open, skips the directory lock
	// (the kernel drops it for a process that really died).
	noLock bool
}

// Spool is the default Store: an append-only log of records in segment
// files under one directory, with an in-memory index.
//
// Put, Update and Remove go through group commit: each caller hands its
// record to the writer and waits; the writer appends every record that
// arrived since its last flush with one write, flushes the file once
// (fsync), and wakes them all. A new segment file is created and its
// directory flushed before any record in it is acknowledged. Remove marks
// the put record dead with a one-byte write in place, flushed the same way.
// A segment with no live record left is deleted; a mostly dead one is
// compacted by copying its live messages forward.
//
// On Open the spool reads every segment: a record cut short at the end of
// a file (a crash during a write that was never acknowledged) is truncated
// away; damaged records elsewhere are reported as *CorruptError through
// Scan, their file is copied aside under corrupt/ after its readable
// messages have been copied forward, and the rest of the queue carries on.
//
// Only one Spool may have a spool directory open at a time: OpenSpool
// takes an exclusive flock(2) on dir/lock (where the system has flock)
// and a second OpenSpool, in this process or another, fails with a
// *LockedError. The kernel drops the lock when the process dies, so a
// crash never leaves the directory locked.
type Spool struct {
	dir  string
	cfg  SpoolConfig
	lock *os.File // holds the directory's flock; nil where there is none

	// wmu is held by the writer while it writes a batch.
	wmu sync.Mutex
	// files guards segment files against being closed while read:
	// readers hold it shared, deleting a segment holds it exclusively.
	files sync.RWMutex

	mu        sync.Mutex
	segs      map[uint32]*segment
	active    *segment
	nextSeg   uint32
	index     map[ID]idxEntry
	pending   []*spoolOp
	flushing  bool
	closed    bool
	recovered []Summary

	// leases is what Claim reads (spool_lease.go).
	leases leaseTable
}

type segment struct {
	num  uint32
	path string
	f    *os.File
	size int64 // end of the log: records live in [0, size)
	// zeroed is how far the file has been filled with zeros and flushed.
	// Appends inside that region change no file metadata, so flushing
	// them needs only fdatasync, which is several times cheaper on ext4
	// than a flush that must also commit the journal (the trick database
	// logs use).
	zeroed int64
	refs   int   // live put records + current separate state records
	live   int64 // bytes of those records
	broken bool  // a failed write could not be undone: append no more
	// quarantine: damaged; once nothing in it is live it is moved to
	// corrupt/ instead of deleted.
	quarantine bool
}

// loc locates one record; n is the whole record's length, header included.
type loc struct{ seg, off, n uint32 }

type idxEntry struct {
	put   loc
	state loc // n == 0: the state inside the put record is current
	seq   uint32
}

const (
	opPut = iota
	opState
	opKill
	opRelocate // re-put an existing message (compaction); payload prebuilt
)

type spoolOp struct {
	kind    int
	id      ID
	payload []byte
	pcrc    uint32
	err     error
	done    chan bool // receives true: become the writer; false: finished
}

const (
	defaultSegmentSize = 64 << 20
	maxRecordSize      = 1<<30 + 1<<20
)

// OpenSpool opens (creating if needed) the spool in dir and recovers what
// is in it. Recovery problems are reported through Scan, not as an error;
// OpenSpool fails only when the directory cannot be used, or with a
// *LockedError (errors.Is ErrLocked) when another Spool, in this process
// or another, has it open: it holds an exclusive flock(2) on dir/lock
// until Close.
func OpenSpool(dir string, cfg SpoolConfig) (*Spool, error) {
	if cfg.SegmentSize <= 0 {
		cfg.SegmentSize = defaultSegmentSize
	}
	if cfg.SegmentSize > 1<<31 {
		cfg.SegmentSize = 1 << 31
	}
	if cfg.MaxMessageSize <= 0 {
		cfg.MaxMessageSize = 64 << 20
	}
	if cfg.MaxMessageSize > 1<<30 {
		cfg.MaxMessageSize = 1 << 30
	}
	s := &Spool{
		dir:     dir,
		cfg:     cfg,
		segs:    make(map[uint32]*segment),
		index:   make(map[ID]idxEntry),
		nextSeg: 1,
	}
	for _, d := range []string{s.segDir(), s.corruptDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("mailqueue: spool: %w", err)
		}
	}
	if !cfg.noLock {
		lock, err := lockDir(dir)
		if err != nil {
			return nil, err
		}
		s.lock = lock
	}
	if err := s.recover(); err != nil {
		s.closeFiles()
		return nil, err
	}
	for _, sm := range s.recovered {
		if sm.Err == nil {
			s.leases.set(sm.ID, sm.NextAttempt, sm.Held)
		}
	}
	return s, nil
}

func (s *Spool) segDir() string     { return filepath.Join(s.dir, "seg") }
func (s *Spool) corruptDir() string { return filepath.Join(s.dir, "corrupt") }
func (s *Spool) segPath(n uint32) string {
	return filepath.Join(s.segDir(), fmt.Sprintf("%08x.log", n))
}

func (s *Spool) logf(level slog.Level, msg string, args ...any) {
	if s.cfg.Logger != nil {
		s.cfg.Logger.Log(context.Background(), level, msg, args...)
	}
}

func (s *Spool) fault(op string) error {
	if s.cfg.fault != nil {
		return s.cfg.fault(op)
	}
	return nil
}

// Close closes the segment files. Operations after Close return ErrClosed.
func (s *Spool) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	// Wait for a batch being written; commit refuses new work now.
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.files.Lock()
	defer s.files.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closeFilesLocked()
}

func (s *Spool) closeFiles() {
	s.mu.Lock()
	defer s.mu.Unlock()
	_ = s.closeFilesLocked()
}

func (s *Spool) closeFilesLocked() error {
	var first error
	for _, g := range s.segs {
		if g.f != nil {
			if err := g.f.Close(); err != nil && first == nil {
				first = err
			}
			g.f = nil
		}
	}
	if s.lock != nil {
		// Last: the directory is free for another Spool only now.
		if err := s.lock.Close(); err != nil && first == nil {
			first = err
		}
		s.lock = nil
	}
	return first
}

// Put implements Store.
func (s *Spool) Put(ctx context.Context, m *Message) error {
	if len(m.Body) > s.cfg.MaxMessageSize {
		return ErrTooLarge
	}
	if m.ID == 0 || len(m.State.Rcpts) != len(m.Envelope.Recipients) {
		return errors.New("mailqueue: spool: Put of a message without ID or with mismatched state")
	}
	p := encodePutPayload(m)
	if err := s.commit(ctx, &spoolOp{kind: opPut, id: m.ID, payload: p, pcrc: crc32.Checksum(p, castagnoli)}); err != nil {
		return err
	}
	s.leases.set(m.ID, m.State.NextAttempt, m.State.Held)
	return nil
}

// Update implements Store.
func (s *Spool) Update(ctx context.Context, id ID, st *State) error {
	p := appendState(nil, st)
	if err := s.commit(ctx, &spoolOp{kind: opState, id: id, payload: p, pcrc: crc32.Checksum(p, castagnoli)}); err != nil {
		return err
	}
	s.leases.set(id, st.NextAttempt, st.Held)
	return nil
}

// Remove implements Store.
func (s *Spool) Remove(ctx context.Context, id ID) error {
	if err := s.commit(ctx, &spoolOp{kind: opKill, id: id}); err != nil {
		return err
	}
	s.leases.remove(id)
	return nil
}

// Len returns the number of stored messages.
func (s *Spool) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.index)
}

// commit hands o to the writer and waits for it. The first caller to
// find no writer running becomes the writer (leader-based group commit):
// it writes everything pending, its own record included, with one flush.
// Then, if more records arrived meanwhile, it hands the role to the
// oldest of their callers instead of writing on, so that no caller waits
// for other callers' flushes once its own record is durable. A cancelled
// ctx stops the wait only before the operation was handed over; once
// handed over the write completes either way, and its result is returned.
func (s *Spool) commit(ctx context.Context, o *spoolOp) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	o.done = make(chan bool, 1)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.pending = append(s.pending, o)
	lead := !s.flushing
	s.flushing = true
	s.mu.Unlock()
	if !lead {
		lead = <-o.done
	}
	if lead {
		s.lead(o)
	}
	return o.err
}

// lead is the writer's turn of the caller that owns self, which is
// pending: it writes batches until self's is written, then passes the
// role on (or ends it when nothing is pending).
func (s *Spool) lead(self *spoolOp) {
	for {
		// Let callers that were just woken (or are encoding their
		// record) join this batch: a scheduling hint, not a wait.
		runtime.Gosched()
		s.mu.Lock()
		if s.closed {
			s.abandonLocked(self)
			s.mu.Unlock()
			return
		}
		batch := s.pending
		if s.cfg.NoGroupCommit {
			batch = batch[:1:1]
			s.pending = s.pending[1:]
		} else {
			s.pending = nil
		}
		s.mu.Unlock()
		s.wmu.Lock()
		rotated := s.apply(batch)
		mine := false
		for _, o := range batch {
			if o == self {
				mine = true
			} else {
				o.done <- false
			}
		}
		if rotated {
			s.compact()
		}
		s.wmu.Unlock()
		if !mine {
			continue // NoGroupCommit: self is further down the list
		}
		s.mu.Lock()
		switch {
		case s.closed:
			s.abandonLocked(self)
		case len(s.pending) > 0:
			s.pending[0].done <- true
		default:
			s.flushing = false
		}
		s.mu.Unlock()
		return
	}
}

// abandonLocked fails every pending operation with ErrClosed and ends
// the writer's role; self's caller is running and is not woken.
func (s *Spool) abandonLocked(self *spoolOp) {
	for _, o := range s.pending {
		o.err = ErrClosed
		if o != self {
			o.done <- false
		}
	}
	s.pending = nil
	s.flushing = false
}

// apply writes one batch. Only the current writer calls it. It reports
// whether a new segment was started.
func (s *Spool) apply(batch []*spoolOp) (rotated bool) {
	var buf []byte
	type placed struct {
		o   *spoolOp
		at  uint32 // offset of the record within buf
		seq uint32
		n   uint32
		old loc // relocation: the put record being replaced
	}
	var recs []placed
	var kills []*spoolOp
	total := 0
	for _, o := range batch {
		if o.kind != opKill {
			total += recHeaderLen + len(o.payload)
		}
	}
	s.mu.Lock()
	for _, o := range batch {
		e, ok := s.index[o.id]
		switch o.kind {
		case opPut:
			if ok {
				o.err = errors.New("mailqueue: spool: duplicate message ID " + o.id.String())
				continue
			}
			e.seq = 0
		case opState, opRelocate:
			if !ok {
				o.err = ErrNotFound
				continue
			}
		case opKill:
			if !ok {
				o.err = ErrNotFound
				continue
			}
			kills = append(kills, o)
			continue
		}
		if buf == nil {
			buf = make([]byte, 0, total)
		}
		seq := e.seq + 1
		for _, r := range recs { // several updates of one ID in one batch
			if r.o.id == o.id && r.seq >= seq {
				seq = r.seq + 1
			}
		}
		typ := byte(recState)
		if o.kind != opState {
			typ = recPut
		}
		h := recHeader{typ: typ, id: o.id, seq: seq, n: uint32(len(o.payload)), pcrc: o.pcrc}
		at := len(buf)
		buf = buf[:at+recHeaderLen]
		h.put(buf[at:])
		buf = append(buf, o.payload...)
		recs = append(recs, placed{o: o, at: uint32(at), seq: seq, n: uint32(recHeaderLen + len(o.payload)), old: e.put})
	}
	// Where the kills go.
	type killAt struct {
		o   *spoolOp
		seg *segment
		off int64
	}
	var killLocs []killAt
	for _, o := range kills {
		e := s.index[o.id]
		killLocs = append(killLocs, killAt{o, s.segs[e.put.seg], int64(e.put.off)})
	}
	act := s.active
	s.mu.Unlock()

	fail := func(err error) {
		for _, o := range batch {
			if o.err == nil {
				o.err = err
			}
		}
	}
	// Rotate if the batch would overflow the active segment.
	if len(buf) > 0 && (act == nil || act.broken || (act.size > 0 && act.size+int64(len(buf)) > s.cfg.SegmentSize) || act.size+int64(len(buf)) > 1<<32-1) {
		g, err := s.newSegment()
		if err != nil {
			fail(err)
			return false
		}
		act = g
		rotated = true
	}
	dirty := map[*segment]bool{}
	var base int64
	if len(buf) > 0 {
		base = act.size
		if err := s.prealloc(act, base+int64(len(buf))); err != nil {
			fail(err)
			return rotated
		}
		err := s.fault("write")
		if err == nil {
			_, err = act.f.WriteAt(buf, base)
		}
		if err == nil {
			dirty[act] = true
		} else {
			s.undo(act, base)
			fail(fmt.Errorf("mailqueue: spool: write: %w", err))
			return rotated
		}
	}
	dead := []byte{flagDead}
	for _, k := range killLocs {
		err := s.fault("write")
		if err == nil {
			_, err = k.seg.f.WriteAt(dead, k.off+4)
		}
		if err != nil {
			k.o.err = fmt.Errorf("mailqueue: spool: remove: %w", err)
			continue
		}
		dirty[k.seg] = true
	}
	for g := range dirty {
		err := s.fault("sync")
		if err == nil {
			err = datasync(g.f)
		}
		if err != nil {
			if g == act && len(buf) > 0 {
				s.undo(act, base)
			}
			fail(fmt.Errorf("mailqueue: spool: sync: %w", err))
			return rotated
		}
	}

	// A relocated message is durable in its new place: kill the old put
	// record so that it cannot come back if the new one is removed later.
	relocDirty := map[*segment]bool{}
	for _, r := range recs {
		if r.o.kind != opRelocate || r.o.err != nil {
			continue
		}
		s.mu.Lock()
		g := s.segs[r.old.seg]
		s.mu.Unlock()
		if g == nil || g.f == nil {
			continue
		}
		if _, err := g.f.WriteAt(dead, int64(r.old.off)+4); err == nil {
			relocDirty[g] = true
		}
	}
	for g := range relocDirty {
		if err := datasync(g.f); err != nil {
			s.logf(slog.LevelWarn, "mailqueue: spool: sync after relocation", "file", g.path, "err", err)
		}
	}

	// Durable: publish to the index.
	var empty []*segment
	s.mu.Lock()
	if len(buf) > 0 {
		act.size = base + int64(len(buf))
	}
	for _, r := range recs {
		if r.o.err != nil {
			continue
		}
		l := loc{seg: act.num, off: uint32(base) + r.at, n: r.n}
		old, had := s.index[r.o.id]
		e := idxEntry{seq: r.seq, put: old.put, state: old.state}
		if r.o.kind == opState {
			e.state = l
		} else {
			e.put, e.state = l, loc{}
			if had {
				empty = s.unrefLocked(old.put, empty)
			}
		}
		if had && old.state.n != 0 {
			empty = s.unrefLocked(old.state, empty)
		}
		act.refs++
		act.live += int64(l.n)
		s.index[r.o.id] = e
	}
	for _, k := range killLocs {
		if k.o.err != nil {
			continue
		}
		e := s.index[k.o.id]
		delete(s.index, k.o.id)
		empty = s.unrefLocked(e.put, empty)
		if e.state.n != 0 {
			empty = s.unrefLocked(e.state, empty)
		}
	}
	s.mu.Unlock()
	s.dropSegments(empty)
	return rotated
}

const zeroChunk = 4 << 20

// prealloc makes sure g is zero-filled and flushed up to need, a chunk at
// a time.
func (s *Spool) prealloc(g *segment, need int64) error {
	if g.zeroed >= need {
		return nil
	}
	end := need + min(zeroChunk, s.cfg.SegmentSize)
	end = (end + 4095) &^ 4095
	zeros := make([]byte, min(end-g.zeroed, 1<<20))
	for off := g.zeroed; off < end; off += int64(len(zeros)) {
		n := min(int64(len(zeros)), end-off)
		err := s.fault("write")
		if err == nil {
			_, err = g.f.WriteAt(zeros[:n], off)
		}
		if err != nil {
			return fmt.Errorf("mailqueue: spool: write: %w", err)
		}
	}
	err := s.fault("sync")
	if err == nil {
		err = g.f.Sync() // the size changed: a full flush
	}
	if err != nil {
		return fmt.Errorf("mailqueue: spool: sync: %w", err)
	}
	s.mu.Lock()
	g.zeroed = end
	s.mu.Unlock()
	return nil
}

// undo cuts a failed append off the active segment, or retires the
// segment when even that fails; a retired segment's torn tail is cut at
// the next Open.
func (s *Spool) undo(g *segment, size int64) {
	err := s.fault("truncate")
	if err == nil {
		err = g.f.Truncate(size)
	}
	if err == nil {
		s.mu.Lock()
		g.zeroed = min(g.zeroed, size)
		s.mu.Unlock()
	}
	if err != nil {
		s.mu.Lock()
		g.broken = true
		s.mu.Unlock()
		s.logf(slog.LevelError, "mailqueue: spool: cannot undo failed write; segment retired", "file", g.path, "err", err)
	}
}

func (s *Spool) unrefLocked(l loc, empty []*segment) []*segment {
	g := s.segs[l.seg]
	if g == nil {
		return empty
	}
	g.refs--
	g.live -= int64(l.n)
	if g.refs <= 0 && g != s.active {
		empty = append(empty, g)
	}
	return empty
}

// dropSegments deletes segments that hold nothing live. The put records
// in them are all dead or superseded, so losing the unlink in a crash
// only means deleting the file again at the next Open.
func (s *Spool) dropSegments(gs []*segment) {
	if len(gs) == 0 {
		return
	}
	s.files.Lock()
	defer s.files.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range gs {
		if g.refs > 0 || g == s.active || s.segs[g.num] != g {
			continue
		}
		delete(s.segs, g.num)
		if g.f != nil {
			_ = g.f.Close()
			g.f = nil
		}
		if g.quarantine {
			dst := filepath.Join(s.corruptDir(), filepath.Base(g.path))
			if err := os.Rename(g.path, dst); err != nil {
				s.logf(slog.LevelError, "mailqueue: spool: cannot move corrupt segment aside", "file", g.path, "err", err)
			} else {
				_ = s.syncDir(s.corruptDir())
				_ = s.syncDir(s.segDir())
			}
			continue
		}
		if err := os.Remove(g.path); err != nil {
			s.logf(slog.LevelWarn, "mailqueue: spool: cannot remove empty segment", "file", g.path, "err", err)
		}
	}
}

// newSegment creates the next segment file, flushes the directory so the
// file survives a crash, and makes it active.
func (s *Spool) newSegment() (*segment, error) {
	s.mu.Lock()
	num := s.nextSeg
	s.nextSeg++
	s.mu.Unlock()
	path := s.segPath(num)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("mailqueue: spool: %w", err)
	}
	if err := s.syncDir(s.segDir()); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	g := &segment{num: num, path: path, f: f}
	var empty []*segment
	s.mu.Lock()
	if old := s.active; old != nil && old.refs <= 0 {
		empty = append(empty, old)
	}
	s.segs[num] = g
	s.active = g
	s.mu.Unlock()
	s.dropSegments(empty)
	return g, nil
}

func (s *Spool) syncDir(dir string) error {
	if err := s.fault("sync"); err != nil {
		return fmt.Errorf("mailqueue: spool: sync dir: %w", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("mailqueue: spool: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("mailqueue: spool: sync dir: %w", err)
	}
	return nil
}

// Get implements Store.
func (s *Spool) Get(ctx context.Context, id ID) (*Message, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.files.RLock()
	defer s.files.RUnlock()
	s.mu.Lock()
	e, ok := s.index[id]
	var pg, sg *segment
	if ok {
		pg = s.segs[e.put.seg]
		sg = s.segs[e.state.seg]
	}
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	if !ok || pg == nil {
		return nil, ErrNotFound
	}
	p, err := s.readRecord(pg, e.put, id, recPut)
	if err != nil {
		return nil, err
	}
	env, st, body, err := decodePutPayload(p)
	if err != nil {
		return nil, s.corruptAt(pg, e.put, id, "undecodable put record")
	}
	if e.state.n != 0 {
		if sg == nil {
			return nil, ErrNotFound
		}
		sp, err := s.readRecord(sg, e.state, id, recState)
		if err != nil {
			return nil, err
		}
		if st, err = decodeState(sp); err != nil || len(st.Rcpts) != len(env.Recipients) {
			return nil, s.corruptAt(sg, e.state, id, "undecodable state record")
		}
	}
	return &Message{ID: id, Envelope: env, State: st, Body: body}, nil
}

func (s *Spool) corruptAt(g *segment, l loc, id ID, why string) error {
	return &CorruptError{File: g.path, Offset: int64(l.off), Length: int64(l.n), ID: id, Reason: why}
}

func (s *Spool) readRecord(g *segment, l loc, id ID, typ byte) ([]byte, error) {
	if g.f == nil {
		return nil, ErrClosed
	}
	b := make([]byte, l.n)
	if _, err := g.f.ReadAt(b, int64(l.off)); err != nil {
		return nil, fmt.Errorf("mailqueue: spool: read %s: %w", g.path, err)
	}
	h, ok := parseRecHeader(b)
	if !ok || h.id != id || h.typ != typ || int(h.n) != len(b)-recHeaderLen {
		return nil, s.corruptAt(g, l, id, "bad record header")
	}
	p := b[recHeaderLen:]
	if crc32.Checksum(p, castagnoli) != h.pcrc {
		return nil, s.corruptAt(g, l, id, "checksum mismatch")
	}
	return p, nil
}

// Scan implements Store. The first call reports what Open recovered;
// later calls read the current state of every message.
func (s *Spool) Scan(ctx context.Context, fn func(Summary) error) error {
	s.mu.Lock()
	rec := s.recovered
	s.recovered = nil
	var ids []ID
	if rec == nil {
		ids = make([]ID, 0, len(s.index))
		for id := range s.index {
			ids = append(ids, id)
		}
	}
	s.mu.Unlock()
	for _, sm := range rec {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(sm); err != nil {
			return err
		}
	}
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return err
		}
		m, err := s.Get(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		sm := Summary{ID: id, Err: err}
		if err == nil {
			sm.NextAttempt, sm.Held = m.State.NextAttempt, m.State.Held
		}
		if err := fn(sm); err != nil {
			return err
		}
	}
	return nil
}
