package dnswire

import (
	"bytes"
	"testing"
)

// readNameRef is the straightforward reader that readName replaced (a
// scan per run of labels, no cache, no folded tests): the oracle for
// FuzzReadNameDiff.
func readNameRef(msg []byte, off int, dst *Name) (int, error) {
	n := 0
	runStart := off
	end := -1
	for {
		begin := off
		for {
			if off >= len(msg) {
				return off, ErrTruncated
			}
			c := int(msg[off])
			if c == 0 || c > MaxLabelLen {
				break
			}
			if off+1+c > len(msg) {
				return off, ErrTruncated
			}
			if n+off-begin+1+c >= MaxNameLen {
				return off, ErrNameTooLong
			}
			off += 1 + c
		}
		n += copy(dst.b[n:], msg[begin:off])
		c := int(msg[off])
		if c == 0 {
			dst.b[n] = 0
			n++
			off++
			break
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
		off, runStart = ptr, ptr
	}
	if end < 0 {
		end = off
	}
	if old := int(dst.n); old > n {
		clear(dst.b[n:old])
	}
	dst.n, dst.abs = uint8(n), true
	return end, nil
}

// FuzzReadNameDiff: readName and skipName, with and without a name cache
// carried from name to name (as the Parser carries it), and with msg cut
// short at each name's start plus cut (as record data is cut at its
// RDLENGTH), give the same names, ends, errors and error offsets as
// readNameRef.
func FuzzReadNameDiff(f *testing.F) {
	fix := readFixture(f)
	f.Add(fix, []byte{12, 29, 31, 45, 47, 61, 63, 77}, uint8(0))
	f.Add(append(bytes.Clone(fix), 0xC0, 12, 0xC0, 200), []byte{213, 215, 12}, uint8(3))
	long := make([]byte, 12, 600)
	for range 5 {
		long = append(long, 50)
		long = append(long, bytes.Repeat([]byte{'a'}, 50)...)
	}
	long = append(long, 0, 3, 'x', 'y', 'z', 0xC0, 12, 0xC0, 12)
	f.Add(long, []byte{12, 0, 255}, uint8(1))
	f.Fuzz(func(t *testing.T, msg []byte, offs []byte, cut uint8) {
		var nc nameCache
		for i, o := range offs {
			off := int(o)
			if len(msg) > 256 && i%2 == 1 {
				off += 256
			}
			m := msg
			if cut > 0 && off+int(cut) < len(m) {
				m = m[:off+int(cut)]
			}
			var want, got, gotNC Name
			want.n = 7 // leftovers must be cleared
			copy(want.b[:], "garbage")
			got, gotNC = want, want
			wend, werr := readNameRef(m, off, &want)
			end, err := readName(m, off, &got, nil)
			cend, cerr := readName(m, off, &gotNC, &nc)
			send, serr := skipName(m, off, &nc)
			if err != werr || end != wend || cerr != werr || cend != wend || serr != werr || send != wend {
				t.Fatalf("off %d len %d: ref (%d, %v), readName (%d, %v), cached (%d, %v), skipName (%d, %v)",
					off, len(m), wend, werr, end, err, cend, cerr, send, serr)
			}
			if werr == nil && (got != want || gotNC != want) {
				t.Fatalf("off %d: ref %v, readName %v, cached %v", off, want, got, gotNC)
			}
		}
	})
}
