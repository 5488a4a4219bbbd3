package mailqueue

import (
	"encoding/binary"
	"time"
)

// The envelope and state of a message are stored as compact binary
// records: unsigned varints, and strings as a varint length followed by
// the bytes. The decoders never trust a length beyond the bytes that are
// really there, so hostile or damaged spool data yields ErrCorrupt, never a
// panic or a large allocation.

const (
	envelopeVersion = 1
	stateVersion    = 1
	maxFieldLen     = 1 << 12 // any single string field
)

func appendUvarint(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return binary.AppendVarint(b, 0)
	}
	return binary.AppendVarint(b, t.UnixNano())
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// appendEnvelope encodes e.
func appendEnvelope(b []byte, e *Envelope) []byte {
	b = append(b, envelopeVersion)
	b = appendString(b, e.From)
	b = append(b, byte(e.Ret))
	b = appendString(b, e.EnvID)
	var flags byte
	if e.SMTPUTF8 {
		flags |= 1
	}
	if e.EightBitMIME {
		flags |= 2
	}
	b = append(b, flags)
	b = appendUvarint(b, uint64(len(e.Recipients)))
	for _, r := range e.Recipients {
		b = appendString(b, r.Addr)
		b = append(b, byte(r.Notify))
		b = appendString(b, r.ORCPT)
	}
	return b
}

// appendState encodes s.
func appendState(b []byte, s *State) []byte {
	b = append(b, stateVersion)
	b = appendTime(b, s.Created)
	b = appendTime(b, s.NextAttempt)
	b = appendUvarint(b, uint64(max(s.Attempts, 0)))
	b = appendBool(b, s.Held)
	b = appendBool(b, s.Warned)
	b = appendUvarint(b, uint64(len(s.Rcpts)))
	for _, r := range s.Rcpts {
		b = append(b, byte(r.Status))
		b = appendString(b, r.Reply)
		b = appendString(b, r.Enhanced)
		b = appendString(b, r.RemoteMTA)
		b = appendTime(b, r.Updated)
	}
	return b
}

// decoder reads the encoding above; the first error sticks.
type decoder struct {
	b   []byte
	err bool
}

func (d *decoder) byte() byte {
	if d.err || len(d.b) == 0 {
		d.err = true
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	if d.err {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 || !minimalVarint(d.b, n) {
		d.err = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

// minimalVarint reports whether the n-byte varint at the start of b is in
// its shortest form (a multi-byte varint never ends in a zero byte). Only
// the shortest form is accepted, so every record has exactly one encoding
// and decode-then-encode gives the same bytes back.
func minimalVarint(b []byte, n int) bool { return n == 1 || b[n-1] != 0 }

func (d *decoder) varint() int64 {
	if d.err {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 || !minimalVarint(d.b, n) {
		d.err = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string {
	n := d.uvarint()
	if d.err || n > maxFieldLen || n > uint64(len(d.b)) {
		d.err = true
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) time() time.Time {
	v := d.varint()
	if v == 0 {
		return time.Time{}
	}
	return time.Unix(0, v)
}

func (d *decoder) bool() bool {
	switch d.byte() {
	case 0:
		return false
	case 1:
		return true
	}
	d.err = true
	return false
}

// count reads a list length and checks that at least min bytes per
// element remain, so a claimed count cannot drive an allocation.
func (d *decoder) count(minEach int) int {
	n := d.uvarint()
	if d.err || n > maxRecipients || n*uint64(minEach) > uint64(len(d.b)) {
		d.err = true
		return 0
	}
	return int(n)
}

func decodeEnvelope(b []byte) (Envelope, error) {
	d := decoder{b: b}
	var e Envelope
	if d.byte() != envelopeVersion {
		return e, ErrCorrupt
	}
	e.From = d.string()
	e.Ret = Ret(d.byte())
	e.EnvID = d.string()
	flags := d.byte()
	e.SMTPUTF8 = flags&1 != 0
	e.EightBitMIME = flags&2 != 0
	n := d.count(3)
	if !d.err && n > 0 {
		e.Recipients = make([]Recipient, n)
		for i := range e.Recipients {
			r := &e.Recipients[i]
			r.Addr = d.string()
			r.Notify = Notify(d.byte())
			r.ORCPT = d.string()
		}
	}
	if d.err || len(d.b) != 0 || e.Ret > RetHdrs || flags > 3 {
		return Envelope{}, ErrCorrupt
	}
	return e, nil
}

func decodeState(b []byte) (State, error) {
	d := decoder{b: b}
	var s State
	if d.byte() != stateVersion {
		return s, ErrCorrupt
	}
	s.Created = d.time()
	s.NextAttempt = d.time()
	att := d.uvarint()
	if att > 1<<31 {
		d.err = true
	}
	s.Attempts = int(att)
	s.Held = d.bool()
	s.Warned = d.bool()
	n := d.count(5)
	if !d.err && n > 0 {
		s.Rcpts = make([]RcptState, n)
		for i := range s.Rcpts {
			r := &s.Rcpts[i]
			r.Status = Status(d.byte())
			if r.Status > StatusFailed {
				d.err = true
			}
			r.Reply = d.string()
			r.Enhanced = d.string()
			r.RemoteMTA = d.string()
			r.Updated = d.time()
		}
	}
	if d.err || len(d.b) != 0 {
		return State{}, ErrCorrupt
	}
	return s, nil
}
