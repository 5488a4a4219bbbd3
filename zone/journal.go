package zone

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/relaykit/relaykit/dnswire"
)

// A journal holds a zone's changes since its last snapshot, one entry per
// UPDATE, appended and fsynced before the UPDATE is answered, so an
// acknowledged change survives a crash. Entry: 4-octet length, 4-octet
// CRC-32C of the payload, then the payload as text lines:
//
//	serial OLD NEW
//	- <record>   (deleted)
//	+ <record>   (added)
//
// At start the entries are replayed onto the newest of the given zone and
// the snapshot; a tail cut short by a crash (short, or a CRC mismatch) is
// cut off the file. Every CompactEvery entries the zone is written as a
// snapshot (temp file, fsync, rename, fsync of the directory) and the
// journal emptied.

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// ErrJournal: a journal entry that passed its checksum does not apply.
var ErrJournal = errors.New("zone: journal does not apply to the zone")

type journal struct {
	dir     string
	base    string // file name stem
	f       *os.File
	entries int
	history []*change // kept for IXFR
}

func journalStem(origin dnswire.Name) string {
	s := strings.TrimSuffix(origin.Lower().String(), ".")
	if s == "" {
		s = "root"
	}
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r < ' ' {
			return '_'
		}
		return r
	}, s)
}

// openJournal loads the snapshot and journal of z's origin in dir and
// returns the recovered zone and the open journal.
func openJournal(dir string, z *Zone) (*Zone, *journal, error) {
	j := &journal{dir: dir, base: journalStem(z.origin)}
	if snap, err := os.Open(j.path(".zone")); err == nil {
		sz, err := Parse(snap, z.origin, LoadConfig{File: snap.Name()})
		snap.Close()
		if err != nil {
			return nil, nil, err
		}
		if serialGreater(sz.Serial(), z.Serial()) {
			z = sz
		}
	} else if !os.IsNotExist(err) {
		return nil, nil, err
	}
	f, err := os.OpenFile(j.path(".jnl"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, nil, err
	}
	j.f = f
	data, err := io.ReadAll(f)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	good := 0
	for off := 0; ; {
		if len(data)-off < 8 {
			break
		}
		n := int(binary.BigEndian.Uint32(data[off:]))
		sum := binary.BigEndian.Uint32(data[off+4:])
		if n > len(data)-off-8 || crc32.Checksum(data[off+8:off+8+n], crcTable) != sum {
			break
		}
		ch, err := decodeChange(data[off+8:off+8+n], z.origin)
		if err != nil {
			f.Close()
			return nil, nil, err
		}
		off += 8 + n
		good = off
		j.entries++
		if !serialGreater(ch.newSOA.Data.(*dnswire.SOA).Serial, z.Serial()) {
			continue // already in the snapshot or the given zone
		}
		if ch.oldSOA.Data.(*dnswire.SOA).Serial != z.Serial() {
			f.Close()
			return nil, nil, fmt.Errorf("%w: entry from serial %d, zone at %d", ErrJournal, ch.oldSOA.Data.(*dnswire.SOA).Serial, z.Serial())
		}
		nz, err := replay(z, ch)
		if err != nil {
			f.Close()
			return nil, nil, err
		}
		z = nz
		j.history = append(j.history, ch)
	}
	if good != len(data) {
		// A half-written tail: drop it so new entries follow good ones.
		if err := f.Truncate(int64(good)); err != nil {
			f.Close()
			return nil, nil, err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, nil, err
		}
	}
	if _, err := f.Seek(int64(good), io.SeekStart); err != nil {
		f.Close()
		return nil, nil, err
	}
	return z, j, nil
}

func (j *journal) path(ext string) string { return filepath.Join(j.dir, j.base+ext) }

// replay applies a journal entry to a copy of z.
func replay(z *Zone, ch *change) (*Zone, error) {
	nz := z.clone()
	nz.removeSet(z.origin, dnswire.TypeSOA)
	for _, rr := range ch.del {
		if !nz.remove(rr) {
			return nil, fmt.Errorf("%w: %s not present", ErrJournal, rr.String())
		}
	}
	for _, rr := range ch.add {
		nz.add(rr)
	}
	nz.add(ch.newSOA)
	nz.soa = ch.newSOA
	if err := nz.finish(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrJournal, err)
	}
	return nz, nil
}

// append writes ch durably: one write, then fsync (RFC 2136 3.6 wants the
// change stable before the answer).
func (j *journal) append(ch *change) error {
	payload := encodeChange(ch)
	buf := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint32(buf, uint32(len(payload)))
	binary.BigEndian.PutUint32(buf[4:], crc32.Checksum(payload, crcTable))
	buf = append(buf, payload...)
	if j.f != nil {
		if _, err := j.f.Write(buf); err != nil {
			return err
		}
		if err := j.f.Sync(); err != nil {
			return err
		}
	}
	j.entries++
	j.history = append(j.history, ch)
	if len(j.history) > 1000 {
		j.history = j.history[len(j.history)-1000:]
	}
	return nil
}

// compact writes z as the snapshot and empties the journal. The history
// kept for IXFR stays in memory.
func (j *journal) compact(z *Zone) error {
	if err := writeFileDurable(j.path(".zone"), z); err != nil {
		return err
	}
	if err := j.f.Truncate(0); err != nil {
		return err
	}
	if _, err := j.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if err := j.f.Sync(); err != nil {
		return err
	}
	j.entries = 0
	return nil
}

func (j *journal) close() error {
	if j.f == nil {
		return nil
	}
	return j.f.Close()
}

// writeFileDurable writes z to path: temp file, fsync, rename, fsync of
// the directory, so a crash leaves the old file or the new, whole.
func writeFileDurable(path string, z *Zone) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := z.WriteTo(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func encodeChange(ch *change) []byte {
	var b []byte
	b = append(b, "serial "...)
	b = ch.oldSOA.AppendText(b)
	b = append(b, '\n')
	b = append(b, "serial "...)
	b = ch.newSOA.AppendText(b)
	b = append(b, '\n')
	for _, rr := range ch.del {
		b = append(b, "- "...)
		b = rr.AppendText(b)
		b = append(b, '\n')
	}
	for _, rr := range ch.add {
		b = append(b, "+ "...)
		b = rr.AppendText(b)
		b = append(b, '\n')
	}
	return b
}

func decodeChange(p []byte, origin dnswire.Name) (*change, error) {
	ch := &change{}
	sc := bufio.NewScanner(bytes.NewReader(p))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		kind, rest, ok := strings.Cut(text, " ")
		if !ok {
			return nil, fmt.Errorf("%w: line %d", ErrJournal, line)
		}
		rr, err := dnswire.ParseRR(rest)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrJournal, line, err)
		}
		switch kind {
		case "serial":
			if rr.Type != dnswire.TypeSOA {
				return nil, fmt.Errorf("%w: line %d: serial without SOA", ErrJournal, line)
			}
			if ch.oldSOA.Data == nil {
				ch.oldSOA = rr
			} else {
				ch.newSOA = rr
			}
		case "-":
			ch.del = append(ch.del, rr)
		case "+":
			ch.add = append(ch.add, rr)
		default:
			return nil, fmt.Errorf("%w: line %d: %s", ErrJournal, line, strconv.Quote(kind))
		}
	}
	if ch.newSOA.Data == nil {
		return nil, fmt.Errorf("%w: entry without serials", ErrJournal)
	}
	return ch, nil
}
