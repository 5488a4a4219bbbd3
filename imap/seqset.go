package imap

import (
	"strconv"
)

// Star is the value of "*" in a sequence set: the largest number in use
// (RFC 9051 9 seq-number). It is the largest uint32, so a range with Stop
// Star reaches the end of the mailbox.
const Star = ^uint32(0)

// Range is a seq-range or a single seq-number (Start == Stop). Start <=
// Stop after parsing ("4:2" is the same as "2:4", RFC 9051 9).
type Range struct{ Start, Stop uint32 }

// SeqSet is a sequence set (message sequence numbers or UIDs). Saved is
// true for "$" (RFC 5182, the result of the last SEARCH with RETURN
// (SAVE)); Ranges is then empty.
type SeqSet struct {
	Ranges []Range
	Saved  bool
}

// Contains reports whether n is in the set; star is the value "*" takes
// (the highest number in the mailbox).
func (s SeqSet) Contains(n, star uint32) bool {
	for _, r := range s.Ranges {
		a, b := r.Start, r.Stop
		if a == Star {
			a = star
		}
		if b == Star {
			b = star
		}
		if a > b {
			a, b = b, a
		}
		if a <= n && n <= b {
			return true
		}
	}
	return false
}

// AppendText appends the set in IMAP syntax.
func (s SeqSet) AppendText(dst []byte) []byte {
	if s.Saved {
		return append(dst, '$')
	}
	for i, r := range s.Ranges {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendSeqNum(dst, r.Start)
		if r.Stop != r.Start {
			dst = append(dst, ':')
			dst = appendSeqNum(dst, r.Stop)
		}
	}
	return dst
}

// String returns the set in IMAP syntax.
func (s SeqSet) String() string { return string(s.AppendText(nil)) }

func appendSeqNum(dst []byte, n uint32) []byte {
	if n == Star {
		return append(dst, '*')
	}
	return strconv.AppendUint(dst, uint64(n), 10)
}

// SeqSet reads a sequence-set (RFC 9051 9), with "$" allowed when saved
// is true (RFC 5182 2.1). Zero is refused (nz-number); the number of
// ranges is bounded by Limits.MaxRanges.
func (d *Decoder) SeqSet(saved bool) (SeqSet, error) {
	var s SeqSet
	if ok, err := d.accept('$'); err != nil || ok {
		if err == nil && !saved {
			return s, d.syntax("sequence set")
		}
		s.Saved = ok
		return s, err
	}
	for {
		if len(s.Ranges) >= d.Limits.ranges() {
			return s, d.fail(ErrTooComplex, "fewer ranges")
		}
		a, err := d.seqNum()
		if err != nil {
			return s, err
		}
		r := Range{a, a}
		ok, err := d.accept(':')
		if err != nil {
			return s, err
		}
		if ok {
			b, err := d.seqNum()
			if err != nil {
				return s, err
			}
			if b < a {
				a, b = b, a
			}
			r = Range{a, b}
		}
		s.Ranges = append(s.Ranges, r)
		ok, err = d.accept(',')
		if err != nil {
			return s, err
		}
		if !ok {
			return s, nil
		}
	}
}

func (d *Decoder) seqNum() (uint32, error) {
	if ok, err := d.accept('*'); err != nil || ok {
		return Star, err
	}
	n, err := d.Number()
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, d.syntax("nz-number")
	}
	return n, nil
}
